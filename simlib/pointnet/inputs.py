"""PointNet inputs (the config's ``inputs``), read and checked before NEST starts.

``spikes`` inputs give spike times to virtual nodes: files (module any file type of
:data:`simlib.spikes.formats.FILE_TYPES`, e.g. ``sonata``, ``h5``, ``csv``, ``nwb``, read by
:mod:`simlib.spikes`) or NWB units of Neuropixels sessions
(``ecephys_probe``, :mod:`simlib.spikes.ecephys`). ``current_clamp`` inputs (module ``IClamp``)
become one NEST ``step_current_generator`` per input. ``function`` generators are not supported
yet: their registry lives in ``simlib.bionet``, which PointNet does not import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simlib.errors import ConfigError, FormatError
from simlib.spikes.formats import FILE_TYPES

log = logging.getLogger("simlib.pointnet")

INPUT_MODULES = {"spikes": (*FILE_TYPES, "ecephys_probe"), "current_clamp": ("IClamp",)}


@dataclass
class SpikeInput:
    """Spike times (ms, sorted) per virtual node of the populations an input drives."""

    name: str
    trains: dict                        # population -> {node id: times}
    parrots: bool                       # BMTK's use_parrot_neurons


@dataclass
class ClampInput:
    """One current clamp: a piecewise-constant current (pA) on the chosen point nodes."""

    name: str
    selection: dict                     # population -> node ids
    amp_pA: list
    delay_ms: list
    duration_ms: list


def accepted_text() -> str:
    return "; ".join(f"input_type '{t}' with module {', '.join(repr(m) for m in ms)}"
                     for t, ms in INPUT_MODULES.items())


def read_inputs(config, circuit, select: Callable) -> tuple[list[SpikeInput], list[ClampInput]]:
    """Every enabled input of ``config``, read and checked (all spike files loaded).

    Raises
    ------
    ConfigError, FormatError
        An unsupported input type or module, a missing key, a node set that is not virtual (spikes)
        or matches nothing, spike files with unknown node ids, bad clamp values.
    """
    spikes, clamps = [], []
    for name, spec in config.inputs.items():
        source = f"{config.source}: inputs.{name}"
        input_type, module = spec.get("input_type"), spec.get("module")
        if input_type == "spikes" and module == "function":
            raise ConfigError(f"{source}: module 'function' is not supported by PointNet yet (the spikes-generator "
                              "registry lives in simlib.bionet); write the trains to a spike file and use module "
                              "'sonata' or 'csv'")
        if module not in INPUT_MODULES.get(input_type, ()):
            raise ConfigError(f"{source}: input_type '{input_type}' with module '{module}' is not supported by "
                              f"PointNet; accepted: {accepted_text()}")
        if input_type == "spikes":
            trains = (_ecephys_trains if module == "ecephys_probe" else _file_trains)(config, circuit, select, name,
                                                                                      spec, module)
            spikes.append(SpikeInput(name, trains, bool(spec.get("use_parrot_neurons", False))))
        else:
            clamps.append(_clamp(name, spec, select, source))
    return spikes, clamps


def _virtual_selection(circuit, select, name: str, spec: dict, source: str) -> dict:
    if "node_set" not in spec:
        raise ConfigError(f"{source}.node_set: missing; expected the virtual population the spikes belong to")
    selection = select(spec["node_set"], f"inputs.{name}.node_set")
    for population, node_ids in selection.items():
        pop = circuit.population(population, source)
        if np.any(pop.model_type[pop.rows(node_ids)] != "virtual"):
            raise ConfigError(f"{source}.node_set: population '{population}' has non-virtual nodes; spike inputs "
                              "drive virtual nodes")
    return selection


def _file_trains(config, circuit, select, name: str, spec: dict, module: str) -> dict:
    from simlib.spikes import POP_NA, SpikeTrains

    source = f"{config.source}: inputs.{name}"
    if "input_file" not in spec:
        raise ConfigError(f"{source}.input_file: missing; expected the path of a spike file")
    selection = _virtual_selection(circuit, select, name, spec, source)
    path = spec["input_file"]
    trains = SpikeTrains.load(path, file_type=module)
    file_pops = trains.populations
    out = {}
    for population, node_ids in selection.items():
        pop = circuit.population(population, source)
        if population in file_pops:
            file_pop = population
        elif len(file_pops) == 1 and file_pops[0] == POP_NA:
            file_pop = file_pops[0]  # a CSV without a population column
        else:
            raise FormatError(f"{path}: no spikes for population '{population}' (inputs.{name}.node_set); the file "
                              f"holds populations {file_pops}")
        ids = np.asarray(trains.node_ids(file_pop), dtype=np.int64)
        bad = ids[~pop.contains(ids)].tolist()
        if bad:
            raise FormatError(f"{path}: node ids {bad[:5]} of population '{file_pop}' are not in network population "
                              f"'{population}' ({pop.size} nodes)")
        wanted = np.intersect1d(np.asarray(node_ids, dtype=np.int64), ids)
        out[population] = {int(i): np.sort(np.asarray(trains.get_times(int(i), population=file_pop), dtype=float))
                           for i in wanted.tolist()}
    return out


def _ecephys_trains(config, circuit, select, name: str, spec: dict, module: str) -> dict:
    from simlib.spikes.ecephys import EcephysInput

    source = f"{config.source}: inputs.{name}"
    if "input_file" not in spec:
        raise ConfigError(f"{source}.input_file: missing; an ecephys_probe input needs input_file and node_set")
    selection = _virtual_selection(circuit, select, name, spec, source)
    reader = EcephysInput(spec["input_file"], units=spec.get("units"), mapping=spec.get("mapping", "sample"),
                          interval=spec.get("interval"),
                          interval_offset_ms=float(config.run["tstart"]) + float(spec.get("interval_offset", 0.0)),
                          missing_ids=spec.get("missing_ids", "fail"), seed=int(spec.get("seed", 0)), source=source)
    return {pop: reader.trains(ids) for pop, ids in selection.items()}


def _numbers(value, n: int | None, key: str, source: str) -> list[float]:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ConfigError(f"{source}.{key}: expected a number or a list of numbers, got {value!r}") from None
    if not all(np.isfinite(values)):
        raise ConfigError(f"{source}.{key}: expected finite numbers, got {value!r}")
    return values * n if n is not None and len(values) == 1 else values


def _clamp(name: str, spec: dict, select, source: str) -> ClampInput:
    for key in ("amp", "delay", "duration"):
        if key not in spec:
            raise ConfigError(f"{source}.{key}: missing; a current clamp needs amp (pA for NEST models), delay (ms) "
                              "and duration (ms)")
    lists = [spec[k] for k in ("amp", "delay", "duration") if isinstance(spec[k], (list, tuple))]
    n = len(lists[0]) if lists else 1
    amps, delays, durations = (_numbers(spec[k], n, k, source) for k in ("amp", "delay", "duration"))
    if not len(amps) == len(delays) == len(durations):
        raise ConfigError(f"{source}: amp, delay and duration have {len(amps)}, {len(delays)}, {len(durations)} "
                          "values; expected equal lengths (or scalars)")
    if any(d < 0 for d in durations):
        raise ConfigError(f"{source}.duration: expected durations >= 0 ms, got {durations}")
    selection = select(spec.get("node_set", "all"), f"inputs.{name}.node_set")
    return ClampInput(name, selection, amps, delays, durations)


def clamp_steps(clamp: ClampInput, tstart_ms: float, dt_ms: float, n_steps: int, source: str
                ) -> tuple[np.ndarray, np.ndarray]:
    """``amplitude_times`` (ms, NEST's clock) and ``amplitude_values`` (pA) of a step_current_generator.

    Overlapping pulses add up, as NEURON's IClamps do. With the generator connected at delay dt, a
    change at NEST time ``k*dt - dt`` acts from step k on, so each pulse is on during
    ``[delay, delay + duration)`` like an IClamp (BMTK's PointNet starts and stops it one step later).
    NEST changes a current at t > 0 only, so a pulse that starts before ``2*dt`` starts there (warned).
    """
    on = np.rint((np.asarray(clamp.delay_ms) - tstart_ms) / dt_ms).astype(np.int64)
    off = on + np.rint(np.asarray(clamp.duration_ms) / dt_ms).astype(np.int64)
    early = on < 2
    if np.any(early & (off > on)):
        log.warning("%s: pulses starting before %g ms start there (NEST changes a current at t > 0 only, and the "
                    "generator's connection takes one step)", source, tstart_ms + 2 * dt_ms)
    on, off = np.maximum(on, 2), np.maximum(off, 2)
    amps = np.asarray(clamp.amp_pA, dtype=float)
    breaks = np.unique(np.concatenate([on, off]))
    breaks = breaks[breaks < n_steps]       # step k updates the state from k*dt to (k+1)*dt; n_steps run
    # the summed current from each break point on: a (break x pulse) table, pulses are few
    active = (on[None, :] <= breaks[:, None]) & (breaks[:, None] < off[None, :])
    values = (active * amps[None, :]).sum(axis=1)
    keep = np.concatenate([[True], values[1:] != values[:-1]]) & ~((np.arange(values.size) == 0) & (values == 0))
    return (breaks[keep] - 1) * dt_ms, values[keep]
