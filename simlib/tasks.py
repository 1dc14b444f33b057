"""The workflow's steps as plain functions: what the rule scripts and the command line call.

They raise :class:`~simlib.errors.SimlibError` on bad input and leave exiting to the caller
(simlib.workflow.script for the rule scripts, simlib.cli for the command line). The figure
functions draw with matplotlib's current backend; the caller picks it.
"""

from __future__ import annotations

from pathlib import Path

from simlib.errors import ConfigError, SimlibError
from simlib.fileio import atomic_dir

SPIKE_KINDS = ("poisson", "ramp")
ECP_FIGURES = ("ecp", "lfp_csd", "spectrum", "ecp_populations")


def build_network(spec: dict, output_dir) -> Path:
    """Build one network from its workflow spec into `output_dir`; return the circuit config path.

    `spec` holds ``seed`` and either ``model`` (a registered model, e.g. ``l4_tutorial``) or
    ``script`` (a Python file defining ``build_network(output_dir, seed, **params)``), plus
    ``params`` passed on. The files are built in a temporary folder and moved into place only
    when the build succeeded, so a failed build leaves no files a rerun would trust.
    """
    from simlib.models import build_from_script, build_model
    from simlib.sonata.circuit import write_circuit_config

    output_dir = Path(output_dir)
    params = dict(spec.get("params", {}))
    if "compression" in spec:
        params["compression"] = spec["compression"]
    if ("model" in spec) == ("script" in spec):
        raise ConfigError("network spec: give exactly one of 'model' or 'script'")
    with atomic_dir(output_dir) as tmp:
        if "model" in spec:
            build_model(spec["model"], tmp, seed=int(spec["seed"]), **params)
        else:
            build_from_script(spec["script"], tmp, seed=int(spec["seed"]), **params)
        write_circuit_config(tmp)
    return output_dir / "circuit_config.json"


def population_node_ids(circuit_config, population: str):
    """Node ids of one population of a built network."""
    from simlib.sonata.circuit import find_nodes, read_circuit_config
    from simlib.sonata.nodes import read_node_population

    circuit = read_circuit_config(circuit_config)
    nodes_file, _ = find_nodes(circuit, population, circuit_config)
    return read_node_population(nodes_file, population).node_id


def make_poisson_spikes(circuit_config, population: str, firing_rate_hz: float, start_s: float, stop_s: float,
                        seed: int, output_h5=None, output_csv=None):
    """Poisson spike trains for every node of a population (rates in Hz, times in s; files in ms)."""
    from simlib.spikes import PoissonSpikeGenerator

    node_ids = population_node_ids(circuit_config, population)
    psg = PoissonSpikeGenerator(population=population, seed=seed)
    psg.add(node_ids=node_ids, firing_rate=firing_rate_hz, times=(start_s, stop_s))
    if output_h5:
        psg.to_sonata(output_h5)
    if output_csv:
        psg.to_csv(output_csv)
    return psg


def make_ramp_spikes(circuit_config, population: str, rate_step_hz: float, start_s: float, stop_s: float,
                     seed: int, output_h5=None, output_csv=None):
    """The advanced-inputs tutorial's hand-written trains: node k (k-th node of the population) fires
    (k+1)·rate_step_hz·duration times at uniformly random moments in [start_s, stop_s] (seeded)."""
    import numpy as np

    from simlib.spikes import SpikeTrains

    if not rate_step_hz > 0 or not stop_s > start_s:
        raise ConfigError(f"spikes: expected rate_step_hz > 0 and stop_s > start_s, got {rate_step_hz}, "
                          f"{start_s}..{stop_s}")
    node_ids = np.sort(population_node_ids(circuit_config, population))
    rng = np.random.default_rng(seed)
    trains = SpikeTrains(population=population)
    for k, node in enumerate(node_ids.tolist()):
        n = int(round((k + 1) * rate_step_hz * (stop_s - start_s)))
        times_ms = np.sort(rng.uniform(start_s * 1000.0, stop_s * 1000.0, size=n))
        trains.add_spikes(np.full(n, node), times_ms)
    if output_h5:
        trains.to_sonata(output_h5)
    if output_csv:
        trains.to_csv(output_csv)
    return trains


def make_spikes(spec: dict, circuit_config, output_h5=None, output_csv=None):
    """Spike trains of one ``spikes`` entry of the workflow config (the schema's defaults filled).

    ``kind`` ``poisson``: :func:`make_poisson_spikes` at ``firing_rate_hz``; ``ramp``:
    :func:`make_ramp_spikes` with ``rate_step_hz``; both over ``start_s``..``stop_s`` with ``seed``.

    Raises
    ------
    ConfigError
        An unknown ``kind`` (the accepted ones listed), or the generator's own checks.
    """
    kind = spec["kind"]
    if kind not in SPIKE_KINDS:
        raise ConfigError(f"spikes: kind '{kind}' unknown; accepted: {', '.join(SPIKE_KINDS)}")
    if kind == "ramp":
        return make_ramp_spikes(circuit_config, spec["population"], spec["rate_step_hz"], spec["start_s"],
                                spec["stop_s"], spec["seed"], output_h5, output_csv)
    return make_poisson_spikes(circuit_config, spec["population"], spec["firing_rate_hz"], spec["start_s"],
                               spec["stop_s"], spec["seed"], output_h5, output_csv)


def write_cell_models(spec: dict, output_dir, cells_listing=None) -> Path:
    """The components folder of one ``components`` entry; return its manifest.

    ``source: allen``: the downloaded models of ``cells_listing`` joined with simlib's synaptic
    and filter models; ``source: point``: simlib's NEST cell and synapse files (PointNet);
    otherwise simlib's synthetic cells (``seed``, ``cells``).
    """
    from simlib.models.components import write_components, write_downloaded_components
    from simlib.models.point_components import write_point_components

    if spec.get("source") == "point":
        return write_point_components(output_dir)
    if spec.get("source") == "allen":
        if cells_listing is None:
            raise ConfigError("components: source allen needs the listing of the downloaded cell models")
        return write_downloaded_components(output_dir, cells_listing)
    return write_components(output_dir, seed=spec["seed"], cell_map=spec["cells"])


def compile_mechanism_library(library, mod_dir=None, coreneuron: bool = False) -> Path:
    """Compile ``mod_dir`` (None: simlib's own mechanisms) so that the library lands at ``library``.

    ``library`` is ``<folder>/<machine>/libnrnmech.so``; nrnivmodl runs in ``<folder>``.

    Raises
    ------
    SimlibError
        If nrnivmodl fails, or writes its library elsewhere (``library`` names another machine).
    """
    from simlib.mechanisms import MOD_DIR, compile_mechanisms

    library = Path(library)
    lib = compile_mechanisms(mod_dir or MOD_DIR, output_dir=library.parent.parent, coreneuron=coreneuron)
    if Path(lib).resolve() != library.resolve():
        raise SimlibError(f"compile_mechanisms wrote {lib}, expected {library}")
    return library


def raster_figure(spikes_file, output_png, circuit_config=None, population: str | None = None,
                  group_by: str | None = None, with_histogram: bool = False, title: str | None = None,
                  times=None) -> Path:
    """Draw a raster of a spikes file into a PNG (node attributes taken from the circuit)."""
    from simlib.analysis import plot_raster
    from simlib.analysis.output import save_figure
    from simlib.sonata.circuit import find_nodes, read_circuit_config
    from simlib.sonata.nodes import read_nodes
    from simlib.spikes import SpikeTrains

    trains = SpikeTrains.load(spikes_file)
    if population is None and len(trains.populations) == 1:
        population = trains.populations[0]
    nodes = None
    if circuit_config is not None and population is not None:
        nodes_file, types_file = find_nodes(read_circuit_config(circuit_config), population, circuit_config)
        nodes = read_nodes(nodes_file, types_file, population)
    ax = plot_raster(trains, nodes=nodes, group_by=group_by, population=population,
                     with_histogram=with_histogram, title=title, times=times)
    return save_figure(ax.figure, output_png)


def rates_comparison_figure(runs, circuit_config, output_png, population: str = "V1", group_by: str = "pop_name",
                            title: str | None = None) -> Path:
    """Draw BioNet-vs-PointNet-style rates of runs of one network into a PNG.

    ``runs``: ``(label, spikes file, tstop_ms)`` per run; every cell's mean rate over ``[0, tstop)``,
    compared per ``group_by`` (:func:`simlib.analysis.rates.plot_rates_comparison`).
    """
    from simlib.analysis.rates import cell_rates, plot_rates_comparison
    from simlib.analysis.output import save_figure
    from simlib.sonata.circuit import find_nodes, read_circuit_config
    from simlib.sonata.nodes import read_nodes

    nodes_file, types_file = find_nodes(read_circuit_config(circuit_config), population, circuit_config)
    nodes = read_nodes(nodes_file, types_file, population).set_index("node_id")
    rates = [(label, cell_rates(spikes, nodes, population, 0.0, float(tstop_ms))) for label, spikes, tstop_ms in runs]
    axes = plot_rates_comparison(rates, nodes, group_by=group_by, title=title)
    fig = axes[0].figure
    return save_figure(fig, output_png)


def rates_table(spikes_file, circuit_config, tstop_ms: float, output_csv, group_by: str = "pop_name") -> Path:
    """Write each group's rates over ``[0, tstop)`` (cells, mean, SD, median in Hz) for every non-virtual population.

    Columns ``population,node_population,cells,mean_hz,sd_hz,median_hz,isi_cv``; rows in population then
    group order; silent cells count in the rates; ``isi_cv`` is the mean ISI CV of the group's cells with
    at least 3 spikes (empty when none). Groups are ``group_by`` values (the node population's name without it).
    """
    import pandas as pd

    from simlib.analysis.isi import isi_cv
    from simlib.analysis.rates import cell_rates, population_rates
    from simlib.fileio import atomic_path
    from simlib.sonata.circuit import read_circuit_config
    from simlib.sonata.nodes import read_nodes
    from simlib.spikes import SpikeTrains

    trains = SpikeTrains.load(spikes_file)
    tables = []
    for entry in read_circuit_config(circuit_config)["nodes"]:
        for population in _populations(entry["nodes_file"]):
            nodes = read_nodes(entry["nodes_file"], entry.get("node_types_file"), population).set_index("node_id")
            if "model_type" in nodes and (nodes["model_type"] == "virtual").all():
                continue
            key = group_by if group_by in nodes else None
            if key is None:
                nodes = nodes.assign(_population=population)
            group = key or "_population"
            table = population_rates(cell_rates(trains, nodes, population, 0.0, float(tstop_ms)), nodes, group)
            if population in trains.populations:
                cv = isi_cv(trains, nodes, group, t_range=(0.0, float(tstop_ms)), population=population)["isi_cv"]
                table["isi_cv"] = cv.groupby(nodes[group]).mean().reindex(table.index)
            else:
                table["isi_cv"] = float("nan")
            tables.append(table.rename_axis("population").reset_index().assign(node_population=population))
    out = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        columns=["population", "node_population", "cells", "mean_hz", "sd_hz", "median_hz", "isi_cv"])
    out = out[["population", "node_population", "cells", "mean_hz", "sd_hz", "median_hz", "isi_cv"]]
    with atomic_path(output_csv) as tmp:
        out.to_csv(tmp, index=False, float_format="%.6g")
    return Path(output_csv)


def _populations(nodes_file) -> list[str]:
    from simlib.sonata.files import open_h5

    with open_h5(nodes_file) as h5:
        return sorted(h5["nodes"].keys())


def traces_figure(report_file, output_png, population: str | None = None, node_ids=None, average: bool = True,
                  title: str | None = None) -> Path:
    """Draw the traces of a compartment report (mean over cells plus individual traces) into a PNG."""
    import matplotlib.pyplot as plt

    from simlib.analysis import plot_traces
    from simlib.analysis.output import save_figure
    from simlib.sonata.reports import read_compartment_report

    report = read_compartment_report(report_file, population)
    fig, ax = plt.subplots(figsize=(9, 4))
    plot_traces(report, node_ids, average=average, title=title, ax=ax)
    return save_figure(fig, output_png)


def ecp_figure(report_file, output_png, kind: str = "ecp", title: str | None = None,
               cutoff_hz: float = 300.0, electrodes=None) -> Path:
    """Draw one figure of an extracellular report into a PNG: ``kind`` is one of :data:`ECP_FIGURES`.

    ``ecp``: the potential per channel stacked by depth; ``lfp_csd``: current source density with
    the LFP (low-pass ``cutoff_hz``) over it; ``spectrum``: Welch power per channel;
    ``ecp_populations``: each population's share (needs a report written with ``by_population``).
    ``electrodes``: the electrode CSV, for files without positions (BMTK's).
    """
    import matplotlib.pyplot as plt

    from simlib import analysis
    from simlib.analysis.output import save_figure
    from simlib.sonata.ecp import read_ecp

    if kind not in ECP_FIGURES:
        raise ConfigError(f"ECP figure '{kind}' unknown; accepted: {', '.join(ECP_FIGURES)}")
    report = read_ecp(report_file, electrodes)
    fig, ax = plt.subplots(figsize=(9, 6))
    if kind == "ecp":
        analysis.plot_ecp(report, ax=ax)
    elif kind == "lfp_csd":
        analysis.plot_lfp_csd(report, cutoff_hz=cutoff_hz, ax=ax)
    elif kind == "spectrum":
        analysis.plot_spectrum(report, ax=ax)
    else:
        analysis.plot_ecp_populations(report, ax=ax)
    if title:
        ax.set_title(title)
    return save_figure(fig, output_png)


def population_network(spec: dict, circuit_config, output_dir) -> Path:
    """The population (PopNet) version of a built network, as a workflow ``population_networks`` entry asks.

    ``spec``: ``group_by``, ``synapse_key``, ``weight_scales`` (V per unit syn_weight per synapse class),
    ``external_rates_hz`` (per external group), ``params`` (every internal group) and ``populations``
    (per group, over ``params``); see :func:`simlib.models.population_network.derive_population_network`.
    Returns the written PopNet config.
    """
    from simlib.models.population_network import derive_population_network

    return derive_population_network(
        circuit_config, output_dir, group_by=spec.get("group_by", "pop_name"),
        internal_params=spec.get("populations") or {}, external_rates=spec["external_rates_hz"],
        weight_scales=spec["weight_scales"], synapse_key=spec.get("synapse_key", "dynamics_params"),
        default_params=spec.get("params") or {})


def _popnet_groups(population_network) -> tuple[dict[str, str], dict[str, int], dict[str, str]]:
    """Labels (population id -> group), cells per group and node population per group of a population network."""
    from simlib.fileio import read_json
    from simlib.sonata.circuit import read_circuit_config
    from simlib.sonata.nodes import read_nodes

    base = Path(population_network).parent
    group_by = read_json(population_network).get("run", {}).get("group_by", "pop_name")
    labels, cells, node_population = {}, {}, {}
    for entry in read_circuit_config(base / "network" / "circuit_config.json")["nodes"]:
        for population in _populations(entry["nodes_file"]):
            nodes = read_nodes(entry["nodes_file"], entry.get("node_types_file"), population)
            for _, row in nodes.iterrows():
                if row.get("model_type") == "virtual":
                    continue
                group = str(row[group_by])
                labels[str(row[group_by])] = labels[str(row["node_type_id"])] = group
                cells[group] = int(row.get("n_cells", 1))
                node_population[group] = population
    return labels, cells, node_population


def popnet_rates_table(rates_file, population_network, output_csv) -> Path:
    """Write each population's rate of a PopNet run over the whole run as a CSV.

    Columns ``population,node_population,cells,mean_hz,sd_time_hz,min_hz,max_hz``: the time-average of the
    population's rate, its SD over the steps, its extremes (a density model has one rate per population, not
    one per cell, so there is no spread over cells); ``cells`` is the group's size in the source network.
    """
    import pandas as pd

    from simlib.analysis.resolutions import popnet_rate_timecourse
    from simlib.fileio import atomic_path

    labels, cells, node_population = _popnet_groups(population_network)
    table = popnet_rate_timecourse(rates_file, labels)
    rows = [{"population": group, "node_population": node_population.get(group, ""), "cells": cells.get(group, ""),
             "mean_hz": float(table[group].mean()), "sd_time_hz": float(table[group].std(ddof=0)),
             "min_hz": float(table[group].min()), "max_hz": float(table[group].max())} for group in table.columns]
    with atomic_path(output_csv) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.6g")
    return Path(output_csv)


def popnet_rates_figure(rates_file, population_network, output_png, title: str | None = None) -> Path:
    """Each population's rate over time of a PopNet run (BMTK's ``plot_rates_popnet``), labelled by group."""
    from simlib.analysis.output import save_figure
    from simlib.analysis.popnet import plot_rates_popnet

    labels, _, _ = _popnet_groups(population_network)
    ax = plot_rates_popnet(rates_file, labels=labels, title=title)
    return save_figure(ax.figure, output_png)


def resolutions_figure(popnet: tuple[str, str, str], spiking_runs, output_png, population: str = "V1",
                       group_by: str = "pop_name", bin_ms: float = 20.0, title: str | None = None) -> Path:
    """Draw one network's population rates over time at several resolutions into a PNG.

    ``popnet``: ``(label, rates file, population network config)`` of the PopNet run; ``spiking_runs``:
    ``(label, spikes file, circuit config, tstop_ms)`` per BioNet/PointNet run, binned in ``bin_ms``.
    One panel per population of the PopNet run (:func:`simlib.analysis.resolutions.plot_rates_by_resolution`).
    """
    from simlib.analysis.activity import population_rate_timecourse
    from simlib.analysis.output import save_figure
    from simlib.analysis.resolutions import plot_rates_by_resolution, popnet_rate_timecourse
    from simlib.sonata.circuit import find_nodes, read_circuit_config
    from simlib.sonata.nodes import read_nodes
    from simlib.spikes import SpikeTrains

    label, rates_file, population_network = popnet
    labels, _, _ = _popnet_groups(population_network)
    runs = []
    for run_label, spikes_file, circuit_config, tstop_ms in spiking_runs:
        nodes_file, types_file = find_nodes(read_circuit_config(circuit_config), population, circuit_config)
        nodes = read_nodes(nodes_file, types_file, population).set_index("node_id")
        runs.append((run_label, population_rate_timecourse(SpikeTrains.load(spikes_file), nodes, group_by,
                                                           t_range=(0.0, float(tstop_ms)), bin_ms=bin_ms,
                                                           population=population)))
    runs.append((label, popnet_rate_timecourse(rates_file, labels)))
    axes = plot_rates_by_resolution(runs, groups=list(runs[-1][1].columns), title=title)
    return save_figure(axes[0].figure, output_png)
