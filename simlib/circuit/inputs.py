"""Simulation inputs read against a circuit, for every simulator: spike trains for virtual nodes and clamp values.

BioNet and PointNet differ in what they do with the trains (NEURON VecStims or NEST generators) but
read them the same way: a spike input names the virtual nodes it drives (``node_set``), its trains
come from a spike file (any file type of :data:`simlib.spikes.formats.FILE_TYPES`), a registered
``@spikes_generator`` function, or the units of Neuropixels NWB sessions (``ecephys_probe``), and
every node id a file holds must exist in the network population it drives.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simlib.errors import ConfigError, FormatError


def require_keys(spec: dict, keys, source: str, what: str) -> None:
    """ConfigError ``<source>.<key>: missing; <what>`` for the first of `keys` not in `spec`."""
    for key in keys:
        if key not in spec:
            raise ConfigError(f"{source}.{key}: missing; {what}")


def virtual_selection(circuit, select: Callable, name: str, spec: dict, source: str) -> dict:
    """The ``node_set`` of spike input `name` as ``{population: node ids}``, checked to hold only virtual nodes."""
    require_keys(spec, ("node_set",), source, "expected the virtual population the spikes belong to")
    selection = select(spec["node_set"], f"inputs.{name}.node_set")
    for population, node_ids in selection.items():
        pop = circuit.population(population, source)
        if np.any(pop.model_type[pop.rows(node_ids)] != "virtual"):
            raise ConfigError(f"{source}.node_set: population '{population}' has non-virtual nodes; spike inputs "
                              "drive virtual nodes")
    return selection


def file_populations(trains, circuit, selection: dict, path, name: str, source: str) -> dict:
    """For each network population of `selection`, the population of spike file `path` that drives it.

    A file population of the same name is used; a file without population names (a CSV without a
    population column) drives any population.

    Raises
    ------
    FormatError
        The file holds no spikes for a population, or node ids the network population does not have.
    """
    from simlib.spikes import POP_NA

    file_pops = trains.populations
    out = {}
    for population in selection:
        pop = circuit.population(population, source)
        if population in file_pops:
            file_pop = population
        elif len(file_pops) == 1 and file_pops[0] == POP_NA:
            file_pop = file_pops[0]
        else:
            raise FormatError(f"{path}: no spikes for population '{population}' (inputs.{name}.node_set); the file "
                              f"holds populations {file_pops}")
        ids = np.asarray(trains.node_ids(file_pop), dtype=np.int64)
        bad = ids[~pop.contains(ids)].tolist()
        if bad:
            raise FormatError(f"{path}: node ids {bad[:5]} of population '{file_pop}' are not in network population "
                              f"'{population}' ({pop.size} nodes)")
        out[population] = file_pop
    return out


def file_trains(circuit, select: Callable, name: str, spec: dict, module: str, source: str) -> tuple[object, dict]:
    """A spike-file input: ``(SpikeTrains, {network population: (file population, node ids driven)})``."""
    from simlib.spikes import SpikeTrains

    require_keys(spec, ("input_file",), source, "expected the path of a spike file")
    selection = virtual_selection(circuit, select, name, spec, source)
    trains = SpikeTrains.load(spec["input_file"], file_type=module)
    pops = file_populations(trains, circuit, selection, spec["input_file"], name, source)
    return trains, {population: (pops[population], np.asarray(ids, dtype=np.int64))
                    for population, ids in selection.items()}


def generated_trains(circuit, select: Callable, name: str, spec: dict, run: dict, source: str) -> dict:
    """A ``module: function`` input: ``{population: {node id: times (ms)}}`` from its registered generator.

    The generator is called once per node of the set, in node-id order, with the node's properties.
    """
    from simlib.spikes.generators import NodeView, SimulationInfo, generated_times, get_spikes_generator

    require_keys(spec, ("spikes_function",), source, "expected the name of a @spikes_generator function")
    fn = get_spikes_generator(spec["spikes_function"], source=f"{source}.spikes_function")
    selection = virtual_selection(circuit, select, name, spec, source)
    sim = SimulationInfo(float(run["tstart"]), float(run["tstop"]), float(run["dt"]))
    out = {}
    for population, node_ids in selection.items():
        pop = circuit.population(population, source)
        columns = pop.columns()
        trains = out[population] = {}
        for node_id, row in zip(np.asarray(node_ids).tolist(), pop.rows(node_ids).tolist()):
            props = {c: (v.item() if isinstance(v, np.generic) else v)
                     for c, v in ((c, columns[c][row]) for c in columns)}
            trains[int(node_id)] = generated_times(fn, NodeView(props, int(node_id), population), sim, source)
    return out


def ecephys_trains(circuit, select: Callable, name: str, spec: dict, run: dict, source: str) -> dict:
    """An ``ecephys_probe`` input: ``{population: {node id: times (ms)}}`` from the units of NWB sessions."""
    from simlib.spikes.ecephys import EcephysInput

    require_keys(spec, ("input_file", "node_set"), source, "an ecephys_probe input needs input_file and node_set")
    selection = virtual_selection(circuit, select, name, spec, source)
    reader = EcephysInput(spec["input_file"], units=spec.get("units"), mapping=spec.get("mapping", "sample"),
                          interval=spec.get("interval"),
                          interval_offset_ms=float(run["tstart"]) + float(spec.get("interval_offset", 0.0)),
                          missing_ids=spec.get("missing_ids", "fail"), seed=int(spec.get("seed", 0)), source=source)
    return {pop: reader.trains(ids) for pop, ids in selection.items()}


def clamp_values(spec: dict, source: str, amp_unit: str) -> tuple[list[float], list[float], list[float]]:
    """A current clamp's ``amp``, ``delay`` and ``duration`` as equal-length lists (scalars repeated).

    Raises
    ------
    ConfigError
        A missing key, a value that is not a finite number or list of them, lists of different
        lengths, or a negative duration.
    """
    require_keys(spec, ("amp", "delay", "duration"), source,
                 f"a current clamp needs amp ({amp_unit}), delay (ms) and duration (ms)")
    lists = [spec[k] for k in ("amp", "delay", "duration") if isinstance(spec[k], (list, tuple))]
    n = len(lists[0]) if lists else 1
    amps, delays, durations = (_numbers(spec[k], n, k, source) for k in ("amp", "delay", "duration"))
    if not len(amps) == len(delays) == len(durations):
        raise ConfigError(f"{source}: amp, delay and duration have {len(amps)}, {len(delays)}, {len(durations)} "
                          "values; expected equal lengths (or scalars)")
    if any(d < 0 for d in durations):
        raise ConfigError(f"{source}.duration: expected durations >= 0 ms, got {durations}")
    return amps, delays, durations


def _numbers(value, n: int | None, key: str, source: str) -> list[float]:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ConfigError(f"{source}.{key}: expected a number or a list of numbers, got {value!r}") from None
    if not all(np.isfinite(values)):
        raise ConfigError(f"{source}.{key}: expected finite numbers, got {value!r}")
    return values * n if n is not None and len(values) == 1 else values
