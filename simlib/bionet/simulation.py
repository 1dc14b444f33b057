"""Run a SONATA simulation config on NEURON (or CoreNEURON), under MPI or not.

The run is ``pc.psolve`` in blocks of time steps with no Python callback per step; between
blocks the recorded samples go to the report files and progress is logged (simulated time,
wall time, estimated time left).
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from simlib.bionet import inputs as input_modules
from simlib.bionet import session as sessions
from simlib.bionet.network import Network
from simlib.bionet.recording import SpikeRecorder, membrane_reports
from simlib.errors import ConfigError, SimlibError
from simlib.fileio import atomic_path
from simlib.outputs import check_output_folders, check_report_size, simulation_output_folders
from simlib.runlog import run_log

log = logging.getLogger("simlib.bionet")

# samples (elements x steps) held in memory per block before they are written
_BLOCK_SAMPLES = 20_000_000


@dataclass
class SimulationResult:
    """What a run produced (on rank 0) and how long its phases took (s, this rank)."""

    output_dir: Path
    files: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    n_cells: int = 0
    n_synapses: int = 0
    n_spikes: int = 0


def simulate(config, *, timings_file=None) -> SimulationResult:
    """Build and run the network of ``config`` (a path or a SimulationConfig) and write its outputs.

    Raises
    ------
    ConfigError, FormatError, SimlibError
        Every problem found in the config, network or component files, before the run starts.
    """
    from simlib.config import SimulationConfig

    t0 = time.perf_counter()
    if not isinstance(config, SimulationConfig):
        config = SimulationConfig.from_json(config)
    run = config.run
    if not run["tstop"] > run["tstart"]:
        raise ConfigError(f"{config.source}: run.tstop: expected a time greater than run.tstart ({run['tstart']} ms), "
                          f"got {run['tstop']}")
    check_output_folders(simulation_output_folders(config, {timings_file: "--timings"}))
    session = sessions.start()
    output_dir = Path(config.output["output_dir"])
    if session.rank == 0:
        output_dir.mkdir(parents=True, exist_ok=True)
    with run_log(config.output.get("log_file"), enabled=session.rank == 0):
        return _simulate(config, session, output_dir, t0, timings_file)


def _simulate(config, session, output_dir: Path, t0: float, timings_file) -> SimulationResult:
    run = config.run
    log.info("simlib BioNet: %s on %d rank(s), backend %s", config.source, session.nhost, run["backend"])

    from neuron import h

    _load_components(config, session)
    h.load_file("stdrun.hoc")
    network = Network(config, session)
    select = network.circuit.selector(config.node_sets)
    merge = bool(run["merge_synapses"])
    network.build_cells()
    input_modules.add_spontaneous_activity(network, select)
    network.build_recurrent_synapses(merge=merge)
    keep = input_modules.add_inputs(network, select, merge=merge)
    celsius, v_init = _conditions(config, network, session)
    h.celsius = celsius
    h.dt = run["dt"]
    h.tstop = run["tstop"]
    spikes = SpikeRecorder(network, session)
    reports = membrane_reports(network, session, select, run, output_dir)
    reports += extracellular_reports(network, session, select, run, output_dir)
    total = (lambda n: int(session.pc.allreduce(float(n), 1))) if session.nhost > 1 else int
    check_report_size([item for report in reports for item in report.planned_bytes(total)], run, config.source)
    setup = time.perf_counter() - t0
    counts = session.gather((len(network.cells), network.n_synapses), 0)
    if counts is not None:
        log.info("setup done in %.2f s: %d cells, %d synapses (merging %s); cells %.2f s, synapses %.2f s, "
                 "inputs %.2f s", setup, sum(c[0] for c in counts), sum(c[1] for c in counts),
                 "on" if merge else "off", network.times.cells, network.times.synapses, network.times.inputs)
    try:
        for report in reports:
            report.open()
        t_run = time.perf_counter()
        _run(session, run, v_init, reports, report_elements=_recorded_elements(session, reports))
        simulate_s = time.perf_counter() - t_run
        for report in reports:
            report.close()
    except BaseException:
        for report in reports:
            report.abort()
        raise
    spikes.write(config.output, compression=config.output.get("compression", "gzip"))
    del keep
    timings = {"cells": network.times.cells, "synapses": network.times.synapses, "inputs": network.times.inputs,
               "setup": setup, "simulate": simulate_s}
    result = SimulationResult(output_dir, timings=timings, n_cells=len(network.cells),
                              n_synapses=network.n_synapses, n_spikes=int(session.pc.allreduce(spikes.times.size(), 1)))
    if session.rank == 0:
        result.files = [config.output[k] for k in ("spikes_file", "spikes_file_csv") if config.output.get(k)]
        result.files += [str(r.path) for r in reports]
        log.info("simulated %.1f ms in %.2f s; %d spikes", run["tstop"] - run["tstart"], simulate_s, result.n_spikes)
        if timings_file:
            with atomic_path(timings_file) as tmp:
                tmp.write_text(json.dumps(timings, indent=1) + "\n")
    session.barrier()
    return result


def _run(session, run: dict, v_init: float, reports: list, report_elements: int) -> None:
    """finitialize, then psolve block by block to tstop."""
    from neuron import h

    pc = session.pc
    n_steps = int(round((run["tstop"] - run["tstart"]) / run["dt"]))
    block = run.get("nsteps_block")
    if not block:
        block = max(1, math.ceil(n_steps / 10))
        if report_elements:
            block = max(1, min(block, _BLOCK_SAMPLES // max(report_elements, 1)))
    h.cvode.cache_efficient(1)
    pc.set_maxstep(10)
    if run["backend"] == "coreneuron":
        from neuron import coreneuron

        coreneuron.enable = True
        coreneuron.verbose = 0
    h.finitialize(v_init)
    if run["tstart"]:
        h.t = run["tstart"]
    for report in reports:
        report.start()
    wall0 = time.perf_counter()
    step = 0
    while step < n_steps:
        step = min(n_steps, step + block)
        pc.psolve(run["tstart"] + step * run["dt"])
        for report in reports:
            report.flush()
        if session.rank == 0:
            wall = time.perf_counter() - wall0
            eta = wall / step * (n_steps - step)
            log.info("t = %.1f of %.1f ms, wall %.1f s, about %.1f s left", h.t, run["tstop"], wall, eta)
    if run["backend"] == "coreneuron":
        from neuron import coreneuron

        coreneuron.enable = False


def _recorded_elements(session, reports: list) -> int:
    """Values recorded per time step by NEURON over all ranks (the same block size for any rank count)."""
    local = sum(report.elements() for report in reports)
    return int(session.pc.allreduce(float(local), 1)) if session.nhost > 1 else local


def extracellular_reports(network, session, select, run: dict, output_dir: Path) -> list:
    """The config's ``extracellular`` reports (see :mod:`simlib.bionet.extracellular`)."""
    from simlib.bionet.extracellular import ExtracellularReport

    return [ExtracellularReport(name, spec, network, session, select, run, output_dir)
            for name, spec in network.config.reports.items()
            if spec.get("module") == "extracellular" and spec.get("enabled", True) is not False]


def _conditions(config, network, session) -> tuple[float, float]:
    """celsius and v_init: the config's ``conditions``, else the value the cells' fits agree on."""
    values = {}
    for key in ("celsius", "v_init"):
        if config.conditions.get(key) is not None:
            values[key] = float(config.conditions[key])
            continue
        # BMTK leaves NEURON's defaults (6.3 degC, -65 mV) when the config omits them; the fits
        # were optimised at their own conditions, so use those when all cells agree
        found = {getattr(cell, key) for cell in network.cells.values() if getattr(cell, key) is not None}
        found = set().union(*[s for s in (session.gather(found, 0) or [])]) if session.nhost > 1 else found
        found = session.broadcast(sorted(found), 0) if session.nhost > 1 else sorted(found)
        if len(found) > 1:
            raise ConfigError(f"{config.source}: conditions.{key}: not set and the cells' fit files disagree "
                              f"({found}); set it in the config")
        values[key] = float(found[0]) if found else {"celsius": 6.3, "v_init": -65.0}[key]
    return values["celsius"], values["v_init"]


def _load_components(config, session) -> None:
    """Mechanisms (compiled in place on rank 0 if needed), hoc templates and user function files."""
    from neuron import h

    from simlib.circuit.weights import load_functions_file
    from simlib.mechanisms import MOD_DIR, load_mechanisms, mechanisms_library

    comps = config.components
    coreneuron = config.run["backend"] == "coreneuron"
    dirs = comps.get("mechanisms_dir")
    dirs = [dirs] if isinstance(dirs, str) else list(dirs or [])
    if not dirs:
        raise ConfigError(f"{config.source}: components.mechanisms_dir: missing; expected the folder of the "
                          f"compiled mechanisms (simlib's own mod files are in {MOD_DIR})")
    if session.rank == 0:
        error = None
        try:
            for folder in dirs:
                mechanisms_library(folder, coreneuron=coreneuron)
        except SimlibError as exc:
            error = exc
        session.broadcast(str(error) if error else "", 0)
        if error:
            raise error
    else:
        message = session.broadcast(None, 0)
        if message:
            raise SimlibError(message)
    for folder in dirs:
        load_mechanisms(mechanisms_library(folder, coreneuron=coreneuron, compile_missing=False))
    templates = comps.get("templates_dir")
    for folder in ([templates] if isinstance(templates, str) else list(templates or [])):
        # accepted as in BMTK; simlib builds ctdb:Biophys1 cells itself, so no template is required
        h.load_file("stdlib.hoc")
        h.load_file("import3d.hoc")  # BMTK's templates use Import3d
        for hoc in sorted(Path(folder).glob("*.hoc")):
            try:
                ok = h.load_file(str(hoc))
            except RuntimeError:
                ok = 0
            if not ok:
                raise ConfigError(f"{config.source}: components.templates_dir: NEURON could not load {hoc}")
    functions = comps.get("functions_file")
    for path in ([functions] if isinstance(functions, str) else list(functions or [])):
        load_functions_file(path, source=f"{config.source}: components.functions_file")
