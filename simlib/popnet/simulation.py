"""Run a SONATA/BMTK PopNet simulation config with simlib's population-density solver.

The config is BMTK's PopNet config (its tutorial's ``config.json``): ``networks`` with internal
(``dipde:Internal``) and external (``virtual`` / ``dipde:External``) populations,
``components.population_models_dir``, ``inputs`` of ``module: pop_rates`` (a rates CSV per node
set), ``output.rates_file``. Units follow BMTK's PopNet: ``run.tstop`` in ms but ``run.dt`` in
seconds (BMTK hands it to DiPDE unchanged; default DiPDE's 0.1 ms), edge delays in seconds and
weights in volts. ``run.group_by`` (simlib's; BMTK takes it as an argument) picks the node
attribute that forms populations, default ``node_type_id`` as in BMTK.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError, FormatError, show_value
from simlib.outputs import check_output_folders, simulation_output_folders
from simlib.popnet.model import PopulationRates
from simlib.runlog import run_log

log = logging.getLogger("simlib.popnet")

DEFAULT_DT_S = 1e-4           # DiPDE's default step
MAX_DT_S = 0.01               # a larger run.dt is almost surely milliseconds written for seconds
DEFAULT_RATES_FILE = "spike_rates.csv"
INPUT_MODULES = ("pop_rates",)


@dataclass
class PopNetResult:
    """What a run computed and wrote."""

    rates: PopulationRates
    ids: list                     # population ids, as in the rates file
    rates_file: Path
    labels: dict = field(default_factory=dict)    # id -> the population's pop_name (for figures), else the id
    files: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)


def run_options(config, group_by: str | None = None) -> dict:
    """``tstop_s``, ``dt_s``, ``steps`` and ``group_by`` of a config (arguments override it).

    Raises
    ------
    ConfigError
        A run.dt that is not a number of seconds in (0, 0.01], run.tstart other than 0, or a tstop
        that is not a whole number of steps.
    """
    raw_run = config.raw.get("run", {})
    source = config.source
    dt = raw_run.get("dt", DEFAULT_DT_S)
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not 0 < dt <= MAX_DT_S:
        raise ConfigError(f"{source}: run.dt: expected the PopNet step in seconds (BMTK/DiPDE), 0 < dt <= {MAX_DT_S}, "
                          f"got {show_value(dt)}")
    if float(raw_run.get("tstart", 0.0)) != 0.0:
        raise ConfigError(f"{source}: run.tstart: expected 0 (PopNet runs from 0, as BMTK's), got "
                          f"{show_value(raw_run['tstart'])}")
    tstop_s = float(config.run["tstop"]) / 1000.0
    steps = tstop_s / dt
    if abs(steps - round(steps)) > 1e-6 or round(steps) < 1:
        raise ConfigError(f"{source}: run.tstop: expected a whole number of steps of run.dt ({dt} s), got "
                          f"{config.run['tstop']} ms ({steps:.6g} steps)")
    group_by = group_by or raw_run.get("group_by", "node_type_id")
    if not isinstance(group_by, str) or not group_by:
        raise ConfigError(f"{source}: run.group_by: expected a node attribute name, got {show_value(group_by)}")
    return {"tstop_s": tstop_s, "dt_s": float(dt), "steps": int(round(steps)), "group_by": group_by}


def simulate(config, *, group_by: str | None = None) -> PopNetResult:
    """Read a PopNet config (path or :class:`simlib.config.SimulationConfig`), solve it and write its rates.

    Parameters
    ----------
    config : the simulation config.
    group_by : node attribute forming the populations (default run.group_by, else node_type_id).

    Returns
    -------
    PopNetResult
        The rates (every internal population), the ids written and the rates file.

    Raises
    ------
    ConfigError, FormatError
        Every problem of the config, network, model files and rate inputs, before the run starts,
        one line naming the file and the field.
    """
    from simlib.config import SimulationConfig

    t0 = time.perf_counter()
    if not isinstance(config, SimulationConfig):
        config = SimulationConfig.from_json(config)
    options = run_options(config, group_by)
    check_output_folders(simulation_output_folders(config))   # an unwritable folder fails before the run
    output_dir = Path(config.output["output_dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    with run_log(config.output.get("log_file")):
        return _simulate(config, options, output_dir, t0)


def _simulate(config, options: dict, output_dir: Path, t0: float) -> PopNetResult:
    from simlib.circuit import Circuit
    from simlib.popnet import network as popnetwork
    from simlib.popnet.rates_io import write_rates
    from simlib.popnet.solver import solve

    circuit = Circuit.from_config(config)
    groups = popnetwork.group_nodes(circuit, options["group_by"])
    if not any(g.internal for g in groups):
        raise ConfigError(f"{config.source}: networks: no internal population (model_template "
                          f"{popnetwork.INTERNAL}); nothing to simulate")
    popnetwork.read_parameters(circuit, groups, config.components, config.source)
    _external_rates(config, circuit, groups, options["group_by"])
    net = popnetwork.population_network(circuit, groups)
    t_read = time.perf_counter()
    # logged once everything is read: a bad input is then the only line the command prints
    log.info("simlib PopNet: %s, populations by %s, dt %g s, tstop %g s", config.source, options["group_by"],
             options["dt_s"], options["tstop_s"])
    sizes = ", ".join(f"{name} ({p.n_bins} bins, {p.update_method})" for name, p in zip(net.internal_names,
                                                                                        net.internal))
    log.info("%d internal populations: %s; %d external; %d connections", net.n_internal, sizes, net.n_external,
             len(net.connections))
    rates = solve(net, options["tstop_s"], options["dt_s"])
    t_run = time.perf_counter()
    mass_error = float(np.abs(rates.mass - 1.0).max()) if rates.mass.size else 0.0
    log.info("solved %g s in %.2f s; largest mass error %.2g; mean rates %s", options["tstop_s"], t_run - t_read,
             mass_error, ", ".join(f"{n} {r:.3g} Hz" for n, r in zip(rates.names, rates.mean_rates())))
    recorded = [j for j, p in enumerate(net.internal) if p.record]
    path = _rates_path(config, output_dir)
    write_rates(path, [rates.names[j] for j in recorded], rates.times_s, rates.rates_hz[:, recorded])
    timings = {"read": t_read - t0, "simulate": t_run - t_read}
    labels = {g.label: popnetwork.pop_name(circuit, g) for g in groups if g.internal}
    return PopNetResult(rates, [rates.names[j] for j in recorded], path, labels, [str(path)], timings)


def _rates_path(config, output_dir: Path) -> Path:
    name = config.output.get("rates_file") or DEFAULT_RATES_FILE
    if not isinstance(name, str):
        raise ConfigError(f"{config.source}: output.rates_file: expected a file name, got {show_value(name)}")
    return Path(name) if os.path.isabs(name) else output_dir / name


def _external_rates(config, circuit, groups, group_by: str) -> None:
    """Give every external group its rate: from the ``pop_rates`` inputs, else its firing_rate attribute.

    Raises
    ------
    ConfigError
        An input module other than pop_rates; a node set that matches no external population.
    FormatError
        A rates CSV without a row for a population of its node set.
    """
    from simlib.popnet.network import external_rate
    from simlib.popnet.rates_io import read_pop_rates

    select = circuit.selector(config.node_sets)
    for name, spec in config.inputs.items():
        where = f"{config.source}: inputs.{name}"
        if spec.get("module") not in INPUT_MODULES:
            raise ConfigError(f"{where}.module: {show_value(spec.get('module'))} is not a PopNet input; accepted: "
                              f"{', '.join(INPUT_MODULES)} (input_type csv)")
        for key in ("rates", "node_set"):
            if key not in spec:
                raise ConfigError(f"{where}.{key}: missing; expected the rates CSV and the external node set it drives")
        path = spec["rates"]
        if not isinstance(path, str) or not path:
            raise ConfigError(f"{where}.rates: expected a CSV file name, got {show_value(path)}")
        path = Path(path) if os.path.isabs(path) else config.config_dir / path
        table = read_pop_rates(path, group_by)
        selection = select(spec["node_set"], f"inputs.{name}.node_set")
        driven = [g for g in groups if g.population in selection and np.isin(g.node_ids, selection[g.population]).any()]
        if not driven or any(g.internal for g in driven):
            raise ConfigError(f"{where}.node_set: {show_value(spec['node_set'])} selects "
                              f"{'internal populations' if driven else 'no population'}; expected external "
                              "(virtual or dipde:External) nodes")
        missing = [g.key for g in driven if g.key not in table and g.label not in table]
        if missing:
            raise FormatError(f"{path}: gid: no rate for populations {missing} of node set "
                              f"{show_value(spec['node_set'])}; expected one row 'gid firing_rate' per population "
                              f"(gid = its {group_by})")
        for g in driven:
            g.rate = table.get(g.key, table.get(g.label))
    for g in groups:
        if not g.internal and g.rate is None:
            g.rate = external_rate(circuit, g, config.components, config.source)


def rates_summary(result: PopNetResult) -> str:
    """One line per population: its mean rate over the run (for the command line)."""
    means = result.rates.mean_rates()
    lines = []
    for name, rate in zip(result.rates.names, means):
        label = result.labels.get(name, name)
        lines.append(f"{name}{'' if label == name else f' ({label})'}: {rate:.3f} Hz")
    return "\n".join(lines)
