"""Simulation inputs (the config's ``inputs``): spike trains for virtual cells and current clamps.

Each input has an ``input_type`` and a ``module``; :data:`INPUT_MODULES` lists what is accepted
and an unknown pair is an error that lists them. Spike files are read with the module as the
file type, any name of :data:`simlib.spikes.formats.FILE_TYPES`: ``sonata``, ``h5``, ``hdf5`` and
``hdf`` (BMTK's BioNet rejects the last three, its issue #324) are the same SONATA file; ``csv``
(or ``txt``) and ``nwb`` are the other spike formats of :mod:`simlib.spikes`.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import numpy as np

from simlib.errors import ConfigError, FormatError
from simlib.spikes.formats import FILE_TYPES

log = logging.getLogger("simlib.bionet")

INPUT_MODULES = {"spikes": (*FILE_TYPES, "function", "ecephys_probe"), "current_clamp": ("IClamp",),
                 "syn_activity": ("syn_activity",)}


def accepted_text() -> str:
    return "; ".join(f"input_type '{t}' with module {', '.join(repr(m) for m in ms)}"
                     for t, ms in INPUT_MODULES.items())


def check_input(name: str, spec: dict, source: str) -> tuple[str, str]:
    """(input_type, module) of an input, or a ConfigError listing the accepted ones."""
    input_type, module = spec.get("input_type"), spec.get("module")
    modules = INPUT_MODULES.get(input_type)
    if modules is None or module not in modules:
        raise ConfigError(f"{source}: inputs.{name}: input_type '{input_type}' with module '{module}' is not "
                          f"supported; accepted: {accepted_text()}")
    return input_type, module


def add_inputs(network, select: Callable, merge: bool = True) -> list:
    """Instantiate every input of ``network.config`` on this rank; returns objects to keep alive.

    ``select(node_set, label)`` resolves a node set to ``{population: node_ids}``.
    """
    start = time.perf_counter()
    config = network.config
    specs = {name: (spec, *check_input(name, spec, config.source)) for name, spec in config.inputs.items()}
    keep = []
    for name, (spec, input_type, module) in specs.items():
        if input_type == "spikes" and module == "function":
            _generated_spikes(network, name, spec, select, merge)
        elif input_type == "spikes" and module == "ecephys_probe":
            _ecephys_spikes(network, name, spec, select, merge)
        elif input_type == "spikes":
            keep.append(_spikes(network, name, spec, module, select, merge))
        elif input_type == "current_clamp":
            keep += _current_clamps(network, name, spec, select)
        # syn_activity acts while the recurrent synapses are built: see add_spontaneous_activity
    network.times.inputs += time.perf_counter() - start
    return keep


def _spikes(network, name: str, spec: dict, module: str, select, merge: bool):
    from simlib.spikes import SpikeTrains
    from simlib.spikes.arrays import POP_NA

    source = f"{network.config.source}: inputs.{name}"
    if "input_file" not in spec:
        raise ConfigError(f"{source}.input_file: missing; expected the path of a spike file")
    if "node_set" not in spec:
        raise ConfigError(f"{source}.node_set: missing; expected the virtual population the spikes belong to")
    selection = select(spec["node_set"], f"inputs.{name}.node_set")
    trains = SpikeTrains.load(spec["input_file"], file_type=module)
    file_pops = trains.populations
    total = 0
    for population, node_ids in selection.items():
        pop = network.circuit.population(population, source)
        if np.any(pop.model_type[pop.rows(node_ids)] != "virtual"):
            raise ConfigError(f"{source}.node_set: population '{population}' has non-virtual cells; spike inputs "
                              "drive virtual populations")
        if population in file_pops:
            file_pop = population
        elif len(file_pops) == 1 and file_pops[0] == POP_NA:
            file_pop = file_pops[0]  # a CSV without a population column
        else:
            raise FormatError(f"{spec['input_file']}: no spikes for population '{population}' "
                              f"(inputs.{name}.node_set); the file holds populations {file_pops}")
        wanted = set(np.asarray(node_ids).tolist())

        def times_of(node_id: int, file_pop=file_pop, wanted=wanted) -> np.ndarray:
            if node_id not in wanted:
                return np.empty(0)
            return np.sort(np.asarray(trains.get_times(node_id, population=file_pop), dtype=float))

        ids = np.asarray(trains.node_ids(file_pop), dtype=np.int64)
        bad = ids[~pop.contains(ids)].tolist()
        if bad:
            raise FormatError(f"{spec['input_file']}: node ids {bad[:5]} of population '{file_pop}' are not in "
                              f"network population '{population}' ({pop.size} nodes)")
        total += network.connect_virtual(population, times_of, merge=merge)
    log.info("rank %d: input %s: %d synapses from virtual cells", network.rank, name, total)
    return trains


def _generated_spikes(network, name: str, spec: dict, select, merge: bool) -> None:
    """``module: function``: trains from a registered generator, computed on rank 0 for every node of the set."""
    from simlib.bionet.generators import NodeView, SimulationInfo, generated_times, get_spikes_generator

    source = f"{network.config.source}: inputs.{name}"
    if "spikes_function" not in spec:
        raise ConfigError(f"{source}.spikes_function: missing; expected the name of a @spikes_generator function")
    if "node_set" not in spec:
        raise ConfigError(f"{source}.node_set: missing; expected the virtual population the spikes belong to")
    fn = get_spikes_generator(spec["spikes_function"], source=f"{source}.spikes_function")
    selection = select(spec["node_set"], f"inputs.{name}.node_set")
    run = network.config.run
    sim = SimulationInfo(float(run["tstart"]), float(run["tstop"]), float(run["dt"]))
    trains = None
    if network.rank == 0:
        trains = {}
        for population, node_ids in selection.items():
            pop = network.circuit.population(population, source)
            columns = pop.columns()
            for node_id, row in zip(np.asarray(node_ids).tolist(), pop.rows(node_ids).tolist()):
                props = {c: (v.item() if isinstance(v, np.generic) else v)
                         for c, v in ((c, columns[c][row]) for c in columns)}
                node = NodeView(props, int(node_id), population)
                trains[(population, int(node_id))] = generated_times(fn, node, sim, source)
    if network.nhost > 1:
        trains = network.pc.py_broadcast(trains, 0)
    total = 0
    for population in selection:
        def times_of(node_id: int, population=population) -> np.ndarray:
            return trains.get((population, node_id), np.empty(0))

        total += network.connect_virtual(population, times_of, merge=merge)
    log.info("rank %d: input %s (%s): %d synapses from virtual cells", network.rank, name, spec["spikes_function"],
             total)


def _ecephys_spikes(network, name: str, spec: dict, select, merge: bool) -> None:
    """``module: ecephys_probe``: units of NWB sessions mapped onto a virtual population (on rank 0, broadcast)."""
    from simlib.spikes.ecephys import EcephysInput

    source = f"{network.config.source}: inputs.{name}"
    for key in ("input_file", "node_set"):
        if key not in spec:
            raise ConfigError(f"{source}.{key}: missing; an ecephys_probe input needs input_file and node_set")
    selection = select(spec["node_set"], f"inputs.{name}.node_set")
    trains, error = None, None
    if network.rank == 0:
        try:
            reader = EcephysInput(spec["input_file"], units=spec.get("units"), mapping=spec.get("mapping", "sample"),
                                  interval=spec.get("interval"),
                                  interval_offset_ms=float(network.config.run["tstart"])
                                  + float(spec.get("interval_offset", 0.0)),
                                  missing_ids=spec.get("missing_ids", "fail"), seed=int(spec.get("seed", 0)),
                                  source=source)
            trains = {pop: reader.trains(ids) for pop, ids in selection.items()}
        except (ConfigError, FormatError) as exc:
            error = exc
    if network.nhost > 1:
        trains, message = network.pc.py_broadcast((trains, str(error) if error else ""), 0)
        if message and error is None:
            raise ConfigError(message)
    if error is not None:
        raise error
    total = 0
    for population in selection:
        def times_of(node_id: int, population=population) -> np.ndarray:
            return trains[population].get(node_id, np.empty(0))

        total += network.connect_virtual(population, times_of, merge=merge)
    log.info("rank %d: input %s (ecephys_probe): %d synapses from virtual cells", network.rank, name, total)


def add_spontaneous_activity(network, select) -> None:
    """Register every ``syn_activity`` input with the network (before its recurrent synapses are built)."""
    for name, spec in network.config.inputs.items():
        if spec.get("input_type") != "syn_activity":
            continue
        check_input(name, spec, network.config.source)
        source = f"{network.config.source}: inputs.{name}"
        if not isinstance(spec.get("precell_filter"), dict):
            raise ConfigError(f"{source}.precell_filter: missing; expected an attribute filter of the source cells, "
                              "e.g. {\"population\": \"V1\", \"ei\": \"e\"}")
        pre = select(spec["precell_filter"], f"inputs.{name}.precell_filter")
        post = select(spec["postcell_filter"], f"inputs.{name}.postcell_filter") if spec.get("postcell_filter") else None
        if "timestamps" not in spec:
            raise ConfigError(f"{source}.timestamps: missing; expected a list of times (ms) or a text file of them")
        network.add_spontaneous(pre, post, read_timestamps(spec["timestamps"], f"{source}.timestamps"))


def read_timestamps(value, source: str) -> np.ndarray:
    """Times (ms) from a number, a list of numbers, or a text file with one time per line.

    Raises
    ------
    ConfigError, FormatError
        A non-number (the file's line is named), a negative time, a missing file.
    """
    from pathlib import Path

    if isinstance(value, str):
        path = Path(value)
        if not path.is_file():
            raise ConfigError(f"{source}: timestamps file not found: {path}")
        times = []
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            try:
                times.append(float(text))
            except ValueError:
                raise FormatError(f"{path}: line {number}: '{text}' is not a time in ms; expected one number per "
                                  "line") from None
    else:
        values = value if isinstance(value, (list, tuple)) else [value]
        try:
            times = [float(v) for v in values]
        except (TypeError, ValueError):
            raise ConfigError(f"{source}: expected numbers (ms), got {value!r}") from None
    times = np.asarray(times, dtype=float)
    if not times.size or np.any(~np.isfinite(times)) or np.any(times < 0):
        raise ConfigError(f"{source}: expected at least one finite time >= 0 ms, got {times[:5].tolist()}")
    return np.sort(times)


def _as_list(value, n: int | None, key: str, source: str) -> list[float]:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ConfigError(f"{source}.{key}: expected a number or a list of numbers, got {value!r}") from None
    if n is not None and len(values) == 1:
        values = values * n
    return values


def _current_clamps(network, name: str, spec: dict, select) -> list:
    from neuron import h

    source = f"{network.config.source}: inputs.{name}"
    for key in ("amp", "delay", "duration"):
        if key not in spec:
            raise ConfigError(f"{source}.{key}: missing; a current clamp needs amp (nA), delay (ms), duration (ms)")
    lists = [spec[k] for k in ("amp", "delay", "duration") if isinstance(spec[k], (list, tuple))]
    n = len(lists[0]) if lists else 1
    amps, delays, durations = (_as_list(spec[k], n, k, source) for k in ("amp", "delay", "duration"))
    if not len(amps) == len(delays) == len(durations):
        raise ConfigError(f"{source}: amp, delay and duration have {len(amps)}, {len(delays)}, {len(durations)} "
                          "values; expected equal lengths (or scalars)")
    selection = select(spec.get("node_set", "all"), f"inputs.{name}.node_set")
    section_name = spec.get("section_name", "soma")
    section_index = int(spec.get("section_index", 0))
    x = float(spec.get("section_dist", 0.5))
    clamps = []
    for population, node_ids in selection.items():
        for gid in network.circuit.gids(population, node_ids):
            cell = network.cells.get(int(gid))
            if cell is None:
                continue  # another rank's cell, or a virtual one
            try:
                sec = cell.sections(section_name)[section_index]
            except (KeyError, IndexError):
                raise ConfigError(f"{source}: section {section_name}[{section_index}] does not exist in cell "
                                  f"{int(gid)}") from None
            for amp, delay, duration in zip(amps, delays, durations):
                clamp = h.IClamp(x, sec=sec)
                clamp.amp, clamp.delay, clamp.dur = amp, delay, duration
                clamps.append(clamp)
    return clamps
