"""PointNet inputs (the config's ``inputs``), read and checked before NEST starts.

``spikes`` inputs give spike times to virtual nodes: files (module any file type of
:data:`simlib.spikes.formats.FILE_TYPES`, e.g. ``sonata``, ``h5``, ``csv``, ``nwb``, read by
:mod:`simlib.spikes`) or NWB units of Neuropixels sessions
(``ecephys_probe``, :mod:`simlib.spikes.ecephys`) or a registered ``@spikes_generator``
(``function``, :mod:`simlib.spikes.generators`), all read through :mod:`simlib.circuit.inputs` as
BioNet reads them. ``current_clamp`` inputs (module ``IClamp``) become one NEST
``step_current_generator`` per input.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simlib.circuit import inputs as circuit_inputs
from simlib.errors import ConfigError
from simlib.spikes.formats import FILE_TYPES

log = logging.getLogger("simlib.pointnet")

INPUT_MODULES = {"spikes": (*FILE_TYPES, "function", "ecephys_probe"), "current_clamp": ("IClamp",)}


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
        if module not in INPUT_MODULES.get(input_type, ()):
            raise ConfigError(f"{source}: input_type '{input_type}' with module '{module}' is not supported by "
                              f"PointNet; accepted: {accepted_text()}")
        if input_type == "spikes":
            if module == "function":
                trains = circuit_inputs.generated_trains(circuit, select, name, spec, config.run, source)
            elif module == "ecephys_probe":
                trains = circuit_inputs.ecephys_trains(circuit, select, name, spec, config.run, source)
            else:
                trains = _file_trains(circuit, select, name, spec, module, source)
            spikes.append(SpikeInput(name, trains, bool(spec.get("use_parrot_neurons", False))))
        else:
            amps, delays, durations = circuit_inputs.clamp_values(spec, source, "pA for NEST models")
            selection = select(spec.get("node_set", "all"), f"inputs.{name}.node_set")
            clamps.append(ClampInput(name, selection, amps, delays, durations))
    return spikes, clamps


def _file_trains(circuit, select, name: str, spec: dict, module: str, source: str) -> dict:
    trains, driven = circuit_inputs.file_trains(circuit, select, name, spec, module, source)
    out = {}
    for population, (file_pop, node_ids) in driven.items():
        ids = np.intersect1d(node_ids, np.asarray(trains.node_ids(file_pop), dtype=np.int64))
        out[population] = {int(i): np.sort(np.asarray(trains.get_times(int(i), population=file_pop), dtype=float))
                           for i in ids.tolist()}
    return out


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
