"""Run a SONATA/BMTK PointNet simulation config on NEST.

Everything is read and checked before NEST starts (node and edge models, parameter files, delays,
inputs, reports); NEST's own complaints while the network is created (an unknown model or
parameter) become one error naming the node or edge types and the file. The run is
``nest.Simulate`` in blocks with the recorders emptied between blocks.

Run options: ``run.tstop``, ``run.dt`` (NEST's resolution), ``run.tstart`` (NEST's clock starts at 0
there: input times are shifted, output times shifted back), ``run.nthreads`` (or BMTK's
``run.n_thread``; default 1) and ``run.seed`` (NEST's ``rng_seed``, 1..2^32-1; without it NEST's own
default seed, the one BMTK runs with), ``run.precise_times`` (spike generators with NEST's
``precise_times``, default true as in BMTK). One NEST kernel per process: every run resets it.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError, SimlibError
from simlib.fileio import atomic_path
from simlib.outputs import check_output_folders, check_report_size, simulation_output_folders
from simlib.pointnet import kernel, models
from simlib.pointnet.inputs import clamp_steps, read_inputs
from simlib.runlog import run_log

log = logging.getLogger("simlib.pointnet")

_BLOCK_SAMPLES = 20_000_000   # recorded values held by NEST between two flushes
_BLOCKS = 10


@dataclass
class SimulationResult:
    """What a run wrote and how long its phases took (s)."""

    output_dir: Path
    files: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    n_cells: int = 0
    n_connections: int = 0
    n_spikes: int = 0
    threads: int = 1
    seed: int = kernel.NEST_DEFAULT_SEED


def run_options(config, threads: int | None = None, seed: int | None = None) -> dict:
    """tstart, tstop, dt (ms), steps, threads and seed of a config (arguments override the config).

    Raises
    ------
    ConfigError
        tstop - tstart not a whole number of steps, bad thread count or seed, n_thread and nthreads
        disagreeing.
    """
    run, source = config.run, config.source
    tstart, tstop, dt = float(run["tstart"]), float(run["tstop"]), float(run["dt"])
    steps = (tstop - tstart) / dt
    if not tstop > tstart or abs(steps - round(steps)) > 1e-6:
        raise ConfigError(f"{source}: run.tstop: expected tstart + a whole number of steps of run.dt ({dt} ms) after "
                          f"run.tstart ({tstart} ms), got {tstop}")
    if "nthreads" in run and "n_thread" in run and run["nthreads"] != run["n_thread"]:
        raise ConfigError(f"{source}: run.nthreads ({run['nthreads']}) and run.n_thread ({run['n_thread']}) differ; "
                          "expected one of them")
    if threads is None:
        threads = kernel.check_threads(run.get("nthreads", run.get("n_thread", 1)), f"{source}: run.nthreads")
    threads = kernel.check_threads(threads, "--threads")
    if seed is None:
        seed = kernel.check_seed(run["seed"], f"{source}: run.seed") if "seed" in run else kernel.NEST_DEFAULT_SEED
    seed = kernel.check_seed(seed, "--seed")
    precise = run.get("precise_times", True)
    if not isinstance(precise, bool):
        raise ConfigError(f"{source}: run.precise_times: expected true or false, got {precise!r}")
    return {"tstart": tstart, "tstop": tstop, "dt": dt, "steps": int(round(steps)), "threads": threads,
            "seed": seed, "precise_times": precise}


def simulate(config, *, threads: int | None = None, seed: int | None = None, timings_file=None) -> SimulationResult:
    """Build the network of ``config`` (a path or a SimulationConfig) in NEST, run it and write its outputs.

    Parameters
    ----------
    config : path or :class:`simlib.config.SimulationConfig`
    threads : NEST threads (``local_num_threads``); default run.nthreads, else 1.
    seed : NEST's ``rng_seed``; default run.seed, else NEST's default seed.
    timings_file : optional JSON file for the phase timings (s).

    Raises
    ------
    ConfigError, FormatError, SimlibError
        Every problem of the config, network or model files, before the run starts.
    """
    from simlib.config import SimulationConfig

    t0 = time.perf_counter()
    if not isinstance(config, SimulationConfig):
        config = SimulationConfig.from_json(config)
    options = run_options(config, threads, seed)
    check_output_folders(simulation_output_folders(config, {timings_file: "--timings"}))
    output_dir = Path(config.output["output_dir"])
    with run_log(config.output.get("log_file")):
        return _simulate(config, options, output_dir, t0, timings_file)


def _simulate(config, options: dict, output_dir: Path, t0: float, timings_file) -> SimulationResult:
    from simlib.pointnet.network import PointNetwork
    from simlib.pointnet.recording import SpikeRecorder, membrane_reports

    log.info("simlib PointNet: %s on NEST, %d thread(s), rng_seed %d", config.source, options["threads"],
             options["seed"])
    circuit, cells, edge_sets = _read_network(config, options)
    select = circuit.selector(config.node_sets)
    spike_inputs, clamps = read_inputs(config, circuit, select)
    t_read = time.perf_counter()
    nest = kernel.reset(options["dt"], options["threads"], options["seed"])
    network = PointNetwork(circuit, nest, options["dt"])
    network.create_cells(cells)
    t_cells = time.perf_counter()
    _add_sources(network, edge_sets, spike_inputs, options)
    _connect(network, edge_sets)
    t_edges = time.perf_counter()
    _add_spikes(network, spike_inputs, options)
    for clamp in clamps:
        _add_clamp(network, clamp, options, f"{config.source}: inputs.{clamp.name}")
    duration = options["tstop"] - options["tstart"]
    recorder = SpikeRecorder(network, duration)
    reports = membrane_reports(config, network, select, output_dir)
    check_report_size([item for report in reports for item in report.planned_bytes()], config.run, config.source)
    setup = time.perf_counter() - t0
    n_cells = int(sum(g.rows.size for g in cells))
    log.info("setup done in %.2f s: %d cells, %d connections; reading %.2f s, cells %.2f s, edges %.2f s", setup,
             n_cells, network.n_connections, t_read - t0, t_cells - t_read, t_edges - t_cells)
    try:
        for report in reports:
            report.open()
        t_run = time.perf_counter()
        _run(nest, options, recorder, reports, config.source)
        simulate_s = time.perf_counter() - t_run
        for report in reports:
            report.close()
    except BaseException:
        for report in reports:
            report.abort()
        raise
    trains = recorder.trains(options["tstart"])
    files = _write_spikes(trains, config.output)
    timings = {"read": t_read - t0, "cells": t_cells - t_read, "edges": t_edges - t_cells, "setup": setup,
               "simulate": simulate_s}
    result = SimulationResult(output_dir, files + [str(p) for r in reports for p in r.files.values()], timings,
                              n_cells, network.n_connections, len(trains), options["threads"], options["seed"])
    log.info("simulated %.1f ms in %.2f s; %d spikes", duration, simulate_s, result.n_spikes)
    if timings_file:
        with atomic_path(timings_file) as tmp:
            tmp.write_text(json.dumps(timings, indent=1) + "\n")
    return result


def _read_network(config, options: dict) -> tuple:
    """The circuit, its cell groups and, per edge population, (edges, synapse groups, NEST weights), all checked."""
    from simlib.circuit import Circuit
    from simlib.circuit.weights import load_functions_file

    comps = config.components
    if comps.get("nest_modules"):
        raise ConfigError(f"{config.source}: components.nest_modules: extra NEST modules are not supported by simlib's "
                          "PointNet yet; expected the models of the NEST installation")
    functions = comps.get("functions_file")
    for path in ([functions] if isinstance(functions, str) else list(functions or [])):
        load_functions_file(path, source=f"{config.source}: components.functions_file")
    circuit = Circuit.from_config(config)
    cache: dict = {}
    cells = [g for pop in circuit.populations.values() for g in models.cell_groups(pop, comps, cache)]
    edge_sets = []
    for ref in circuit.edge_populations():
        edges = circuit.edges(ref)
        groups = models.synapse_groups(edges, comps, cache)
        models.check_delays(edges, groups, options["dt"])
        edge_sets.append((edges, groups, models.point_weights(edges)))
    return circuit, cells, edge_sets


def _add_sources(network, edge_sets: list, spike_inputs: list, options: dict) -> None:
    """Spike generators for the virtual populations that send edges (through parrots where needed)."""
    from simlib.pointnet.network import DEVICE_SYNAPSES

    sources = {e.source_population for e, _, _ in edge_sets if e.virtual and len(e)}
    # a device drives static_synapse only: other synapse models get their spikes from parrot neurons
    relayed = {e.source_population for e, groups, _ in edge_sets
               if e.virtual and any(g.model not in DEVICE_SYNAPSES for g in groups)}
    relayed |= {population for s in spike_inputs if s.parrots for population in s.trains}
    for population in sorted(sources, key=list(network.circuit.populations).index):
        network.create_sources(population, population in relayed, options["precise_times"])


def _connect(network, edge_sets: list) -> None:
    """Connect every edge population, dropping each from ``edge_sets`` once NEST holds its connections.

    On 10 M edges the arrays take gigabytes that NEST no longer needs; freed here, they are not
    counted again on top of NEST's own memory during the run.
    """
    while edge_sets:
        edges, groups, weights = edge_sets.pop(0)
        log.info("%s: %d connections", edges.where, network.connect(edges, groups, weights))


def _add_spikes(network, spike_inputs: list, options: dict) -> None:
    """Every spike input's times on the generators (several inputs of one node are merged)."""
    merged: dict[str, dict] = {}
    for spikes in spike_inputs:
        for population, trains in spikes.trains.items():
            if population not in network.generator_ids:
                log.warning("inputs.%s: population %s sends no edges; its spikes drive nothing", spikes.name,
                            population)
                continue
            log.info("input %s: %d spikes for %d nodes of %s", spikes.name, sum(len(t) for t in trains.values()),
                     len(trains), population)
            for node, times in trains.items():
                merged.setdefault(population, {}).setdefault(node, []).append(times)
    for population, trains in merged.items():
        network.set_spike_times(population, {node: np.sort(np.concatenate(parts)) for node, parts in trains.items()},
                                options["tstart"], f"inputs of {population}")


def _write_spikes(trains, output: dict) -> list[str]:
    """The spike files of ``output`` (SONATA, CSV, NWB); their paths."""
    sort_order = output.get("spikes_sort_order")
    if output.get("spikes_file"):
        trains.to_sonata(output["spikes_file"], sort_order=sort_order, compression=output.get("compression", "gzip"))
    if output.get("spikes_file_csv"):
        trains.to_csv(output["spikes_file_csv"], sort_order=sort_order)
    if output.get("spikes_file_nwb"):
        trains.to_nwb(output["spikes_file_nwb"])
    return [output[k] for k in ("spikes_file", "spikes_file_csv", "spikes_file_nwb") if output.get(k)]


def _add_clamp(network, clamp, options: dict, source: str) -> None:
    """One step_current_generator for a clamp input, connected (delay dt) to the point neurons of its node set."""
    nest = network.nest
    ids = []
    for population, node_ids in clamp.selection.items():
        rows = network.circuit.populations[population].rows(node_ids)
        ids.append(network.cell_ids[population][rows])
    ids = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
    ids = np.unique(ids[ids > 0])
    if not ids.size:
        raise ConfigError(f"{source}.node_set: matches no point neuron; a current clamp drives point neurons")
    times, values = clamp_steps(clamp, options["tstart"], options["dt"], options["steps"], source)
    if not times.size:
        log.warning("%s: no current within the run", source)
        return
    generator = nest.Create("step_current_generator", params={"amplitude_times": times.tolist(),
                                                              "amplitude_values": values.tolist()})
    nest.Connect(generator, nest.NodeCollection(ids.tolist()), syn_spec={"delay": options["dt"]})


def _run(nest, options: dict, recorder, reports: list, source: str) -> None:
    """nest.Simulate in blocks to tstop, recorders emptied after each; then on until every report has its last sample.

    A multimeter hands over its samples one min_delay late, so the reports may need a little more
    run time; the recorders stop at tstop, so nothing after it is kept.
    """
    steps, dt = options["steps"], options["dt"]
    columns = sum(r.columns() for r in reports)
    block = max(1, math.ceil(steps / _BLOCKS))
    if columns:
        block = max(1, min(block, _BLOCK_SAMPLES // columns))
    wall0 = time.perf_counter()
    try:
        done = 0
        while done < steps:
            n = min(block, steps - done)
            nest.Simulate(n * dt)     # not Prepare/Run: recorders can be emptied only outside a run
            done += n
            recorder.flush()
            for report in reports:
                report.flush()
            wall = time.perf_counter() - wall0
            log.info("t = %.1f of %.1f ms, wall %.1f s, about %.1f s left", options["tstart"] + done * dt,
                     options["tstop"], wall, wall / done * (steps - done))
        extra = max(1, int(round(nest.GetKernelStatus("min_delay") / dt)))
        for _ in range(4):
            if all(r.complete for r in reports):
                break
            nest.Simulate(extra * dt)
            for report in reports:
                report.flush()
    except nest.NESTError as exc:
        raise SimlibError(f"{source}: NEST failed during the run: {kernel.nest_message(exc)}") from None
    short = [r.name for r in reports if not r.complete]
    if short:
        raise SimlibError(f"{source}: reports {short}: NEST delivered fewer samples than expected")
