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

from simlib.circuit import inputs as circuit_inputs
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
    source = f"{network.config.source}: inputs.{name}"
    trains, driven = circuit_inputs.file_trains(network.circuit, select, name, spec, module, source)
    total = 0
    for population, (file_pop, node_ids) in driven.items():
        wanted = set(node_ids.tolist())

        def times_of(node_id: int, file_pop=file_pop, wanted=wanted) -> np.ndarray:
            if node_id not in wanted:
                return np.empty(0)
            return np.sort(np.asarray(trains.get_times(node_id, population=file_pop), dtype=float))

        total += network.connect_virtual(population, times_of, merge=merge)
    log.info("rank %d: input %s: %d synapses from virtual cells", network.rank, name, total)
    return trains


def _generated_spikes(network, name: str, spec: dict, select, merge: bool) -> None:
    """``module: function``: trains from a registered generator, computed on rank 0 for every node of the set."""
    source = f"{network.config.source}: inputs.{name}"
    total = 0
    trains = _on_rank0(network, lambda: circuit_inputs.generated_trains(network.circuit, select, name, spec,
                                                                       network.config.run, source))
    for population, by_node in trains.items():
        total += network.connect_virtual(population, lambda node_id, t=by_node: t.get(node_id, np.empty(0)),
                                         merge=merge)
    log.info("rank %d: input %s (%s): %d synapses from virtual cells", network.rank, name, spec["spikes_function"],
             total)


def _ecephys_spikes(network, name: str, spec: dict, select, merge: bool) -> None:
    """``module: ecephys_probe``: units of NWB sessions mapped onto a virtual population (on rank 0, broadcast)."""
    source = f"{network.config.source}: inputs.{name}"
    trains = _on_rank0(network, lambda: circuit_inputs.ecephys_trains(network.circuit, select, name, spec,
                                                                     network.config.run, source))
    total = 0
    for population, by_node in trains.items():
        total += network.connect_virtual(population, lambda node_id, t=by_node: t.get(node_id, np.empty(0)),
                                         merge=merge)
    log.info("rank %d: input %s (ecephys_probe): %d synapses from virtual cells", network.rank, name, total)


def _on_rank0(network, compute: Callable):
    """``compute()`` on rank 0, its result (or its error) sent to every rank: the same trains for any rank count."""
    result, error = None, None
    if network.rank == 0:
        try:
            result = compute()
        except (ConfigError, FormatError) as exc:
            error = exc
    if network.nhost > 1:
        result, message = network.pc.py_broadcast((result, f"{type(error).__name__}:{error}" if error else ""), 0)
        if message and error is None:
            kind, _, text = message.partition(":")
            raise (FormatError if kind == "FormatError" else ConfigError)(text)
    if error is not None:
        raise error
    return result


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


def _current_clamps(network, name: str, spec: dict, select) -> list:
    from neuron import h

    source = f"{network.config.source}: inputs.{name}"
    amps, delays, durations = circuit_inputs.clamp_values(spec, source, "nA")
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
