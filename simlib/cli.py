"""The `simlib` command line: build networks, make spike trains, draw figures, inspect files."""

from __future__ import annotations

import argparse
import json
import sys

from simlib import __version__
from simlib.errors import ConfigError, SimlibError


def _params(pairs: list[str]) -> dict:
    import yaml

    out = {}
    for item in pairs or []:
        if "=" not in item:
            raise ConfigError(f"--param '{item}': expected KEY=VALUE")
        key, value = item.split("=", 1)
        out[key] = yaml.safe_load(value)
    return out


def _node_ids(text: str):
    import numpy as np

    if ":" in text:
        beg, end = (int(v) for v in text.split(":", 1))
        return np.arange(beg, end)
    return np.array([int(v) for v in text.split(",") if v.strip()])


def cmd_build_network(args) -> None:
    from simlib.tasks import build_network

    spec = {"seed": args.seed, "params": _params(args.param)}
    if args.compression is not None:
        spec["compression"] = args.compression
    if args.model:
        spec["model"] = args.model
    if args.script:
        spec["script"] = args.script
    path = build_network(spec, args.output)
    print(path)


def cmd_simulate(args) -> None:
    from simlib.bionet.simulation import simulate
    from simlib.config import SimulationConfig

    config = SimulationConfig.from_json(args.config)
    if args.backend:
        config.run["backend"] = args.backend
    if args.no_merge:
        config.run["merge_synapses"] = False
    simulate(config, timings_file=args.timings)


def cmd_pointnet(args) -> None:
    from simlib.pointnet.simulation import simulate

    result = simulate(args.config, threads=args.threads, seed=args.seed, timings_file=args.timings)
    for path in result.files:
        print(path)


def cmd_popnet(args) -> None:
    from simlib.config import SimulationConfig
    from simlib.outputs import check_output_folders, simulation_output_folders
    from simlib.popnet.simulation import rates_summary, simulate

    config = SimulationConfig.from_json(args.config)
    check_output_folders(simulation_output_folders(config, {args.figure: "--figure"}))
    result = simulate(config, group_by=args.group_by)
    print(rates_summary(result))
    print(result.rates_file)
    if args.figure:
        from simlib.analysis.output import save_figure
        from simlib.analysis.popnet import plot_rates_popnet

        ax = plot_rates_popnet(result.rates_file, labels=result.labels, title=args.config)
        save_figure(ax.figure, args.figure)
        print(args.figure)


def cmd_spikes_poisson(args) -> None:
    from simlib.spikes import PoissonSpikeGenerator
    from simlib.tasks import make_poisson_spikes

    if not (args.output or args.csv):
        raise ConfigError("spikes poisson: give --output (SONATA h5) and/or --csv")
    if args.circuit:
        make_poisson_spikes(args.circuit, args.population, args.rate, args.start, args.stop, args.seed,
                            args.output, args.csv)
        return
    if not args.node_ids:
        raise ConfigError("spikes poisson: give --circuit (a built network) or --node-ids (e.g. 0:100)")
    psg = PoissonSpikeGenerator(population=args.population, seed=args.seed)
    psg.add(node_ids=_node_ids(args.node_ids), firing_rate=args.rate, times=(args.start, args.stop))
    if args.output:
        psg.to_sonata(args.output)
    if args.csv:
        psg.to_csv(args.csv)


def cmd_spikes_convert(args) -> None:
    from simlib.spikes import SpikeTrains

    SpikeTrains.load(args.input, population=args.population).save(args.output)


def cmd_spikes_info(args) -> None:
    from simlib.spikes import SpikeTrains

    trains = SpikeTrains.load(args.input)
    for pop in trains.populations:
        print(f"{pop}: {trains.n_spikes(pop)} spikes from {len(trains.node_ids(pop))} nodes")


def cmd_filternet(args) -> None:
    from simlib.filternet.run import run_filternet

    result = run_filternet(args.config, seed=args.seed)
    print(f"FilterNet: {result.n_units} units, {len(result.spikes)} spikes (seed {result.seed})")
    for path in result.files:
        print(path)


def cmd_plot_raster(args) -> None:
    from simlib.tasks import raster_figure

    raster_figure(args.spikes, args.output, circuit_config=args.circuit, population=args.population,
                  group_by=args.group_by, with_histogram=args.histogram, title=args.title)


def cmd_plot_ecp(args) -> None:
    from simlib.tasks import ecp_figure

    kind = "ecp_populations" if args.kind == "populations" else args.kind
    try:
        ecp_figure(args.report, args.output, kind=kind, title=args.title, cutoff_hz=args.cutoff_hz,
                   electrodes=args.electrodes)
    except SimlibError as exc:
        if args.report in str(exc):
            raise
        # ecp_figure hands the plots the report read into memory, so their messages lack the file
        raise SimlibError(f"{args.report}: {exc}") from None


def _group_by(value: str) -> str | None:
    """``--group-by none``: no grouping (the whole population is one group)."""
    return None if value == "none" else value


def cmd_plot_connectivity(args) -> None:
    from simlib.analysis.figures import connectivity_figure

    connectivity_figure(args.circuit, args.output, group_by=_group_by(args.group_by), measure=args.measure,
                        title=args.title)


def cmd_plot_positions(args) -> None:
    from simlib.analysis.figures import positions_figure

    positions_figure(args.circuit, args.output, population=args.population, group_by=_group_by(args.group_by),
                     projections=args.projections, title=args.title)


def cmd_plot_activity(args) -> None:
    from simlib.analysis.figures import activity_figure

    options = {name: getattr(args, name) for name in ("bin_ms", "min_spikes", "max_pairs", "seed")
               if hasattr(args, name)}
    if options.get("max_pairs") == 0:
        options["max_pairs"] = None
    activity_figure(args.kind, args.spikes, args.circuit, args.output, (args.tstart, args.tstop),
                    population=args.population, group_by=_group_by(args.group_by), title=args.title, **options)


def cmd_network_info(args) -> None:
    from simlib.sonata.circuit import network_summary

    print(json.dumps(network_summary(args.circuit), indent=2))


def cmd_validate(args) -> None:
    from simlib.validation import validate_config

    result = validate_config(args.config, simulator=args.simulator)
    if result.ok:
        print(result.summary())
        return
    for problem in result.problems:
        print(problem)
    raise SimlibError(f"{args.config}: {len(result.problems)} problem{'s' if len(result.problems) > 1 else ''} "
                      "found; the simulation would not run")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simlib", description=__doc__)
    parser.add_argument("--version", action="version", version=f"simlib {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build-network", help="build a network model or script into SONATA files")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="registered model name (e.g. l4_tutorial)")
    src.add_argument("--script", help="Python file defining build_network(output_dir, seed, **params)")
    p.add_argument("--seed", type=int, required=True, help="seed of node placement and connection rules")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="model parameter (YAML value)")
    p.add_argument("--compression", help="gzip (the models' default), lzf or none")
    p.add_argument("-o", "--output", required=True, help="output folder (replaced on success)")
    p.set_defaults(func=cmd_build_network)

    p = sub.add_parser("network-info", help="summarise a built network (circuit config)")
    p.add_argument("circuit", help="circuit_config.json written by build-network")
    p.set_defaults(func=cmd_network_info)

    p = sub.add_parser("validate", help="check a circuit or simulation config (BioNet, PointNet, FilterNet, PopNet) "
                                        "and every file it names; list every problem, exit 1 if any")
    p.add_argument("config", help="simulation config JSON, or a circuit config (networks only)")
    p.add_argument("--simulator", choices=("bionet", "pointnet", "filternet", "popnet"),
                   help="check as for this simulator (default: the config's target_simulator, else guessed)")
    p.set_defaults(func=cmd_validate)

    spikes = sub.add_parser("spikes", help="spike-train files").add_subparsers(dest="spikes_command", required=True)
    p = spikes.add_parser("poisson", help="homogeneous Poisson trains (rate in Hz, times in s; output in ms)")
    p.add_argument("--population", required=True)
    p.add_argument("--circuit", help="circuit config: use every node of --population")
    p.add_argument("--node-ids", help="explicit node ids: 'BEG:END' or '0,1,5'")
    p.add_argument("--rate", type=float, required=True, help="firing rate (Hz)")
    p.add_argument("--start", type=float, default=0.0, help="start time (s)")
    p.add_argument("--stop", type=float, required=True, help="stop time (s)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("-o", "--output", help="SONATA spikes h5")
    p.add_argument("--csv", help="space-separated spikes CSV")
    p.set_defaults(func=cmd_spikes_poisson)
    p = spikes.add_parser("convert", help="convert between SONATA h5, CSV and NWB (by extension)")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--population", help="population for files that do not name one")
    p.set_defaults(func=cmd_spikes_convert)
    p = spikes.add_parser("info", help="count spikes per population")
    p.add_argument("input")
    p.set_defaults(func=cmd_spikes_info)

    p = sub.add_parser("simulate", help="run a SONATA/BMTK BioNet simulation config on NEURON "
                       "(under MPI: mpiexec -n N simlib simulate CONFIG)")
    p.add_argument("config", help="simulation config JSON")
    p.add_argument("--backend", choices=["neuron", "coreneuron"], help="override run.backend")
    p.add_argument("--no-merge", action="store_true", help="one point process per synapse (run.merge_synapses)")
    p.add_argument("--timings", help="write the phase timings (s) of rank 0 to this JSON file")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("pointnet", help="run a SONATA/BMTK PointNet simulation config on NEST (point neurons)")
    p.add_argument("config", help="simulation config JSON")
    p.add_argument("--threads", type=int, help="NEST threads (default: run.nthreads, else 1)")
    p.add_argument("--seed", type=int, help="NEST rng_seed, 1..2^32-1 (default: run.seed, else NEST's default)")
    p.add_argument("--timings", help="write the phase timings (s) to this JSON file")
    p.set_defaults(func=cmd_pointnet)

    p = sub.add_parser("popnet", help="run a SONATA/BMTK PopNet simulation config (population-density LIF "
                       "populations, DiPDE's method); writes the rates file")
    p.add_argument("config", help="simulation config JSON (run.dt in seconds, as BMTK's PopNet)")
    p.add_argument("--group-by", help="node attribute forming the populations (default run.group_by, else "
                                      "node_type_id)")
    p.add_argument("--figure", help="also draw the rates (one line per population) into this PNG")
    p.set_defaults(func=cmd_popnet)

    p = sub.add_parser("filternet", help="LGN firing rates and spikes from a visual stimulus "
                       "(a BMTK FilterNet config, e.g. config.filternet.json)")
    p.add_argument("config", help="FilterNet simulation config JSON")
    p.add_argument("--seed", type=int, help="run seed (default: the config's run.seed, else 0)")
    p.set_defaults(func=cmd_filternet)

    p = sub.add_parser("plot-raster", help="raster plot of a spikes file")
    p.add_argument("spikes")
    p.add_argument("-o", "--output", required=True, help="PNG file")
    p.add_argument("--circuit", help="circuit config, for --group-by")
    p.add_argument("--population")
    p.add_argument("--group-by", help="node attribute that colours the groups (e.g. pop_name)")
    p.add_argument("--histogram", action="store_true", help="add a rate histogram")
    p.add_argument("--title")
    p.set_defaults(func=cmd_plot_raster)

    p = sub.add_parser("plot-ecp", help="figure of an extracellular (ECP) report: traces by depth, CSD with LFP, "
                                        "power spectra or the populations' shares")
    p.add_argument("report", help="ECP report .h5 (simlib's or BMTK's)")
    p.add_argument("-o", "--output", required=True, help="PNG file")
    p.add_argument("--kind", choices=("ecp", "lfp_csd", "spectrum", "populations"), default="ecp")
    p.add_argument("--cutoff-hz", type=float, default=300.0, help="LFP low-pass cut-off (lfp_csd); default 300")
    p.add_argument("--electrodes", help="electrode CSV, for reports without positions (BMTK's)")
    p.add_argument("--title")
    p.set_defaults(func=cmd_plot_ecp)

    p = sub.add_parser("plot-connectivity", help="heat map of synapses (or connections, convergence) between the "
                                                 "groups of a network, virtual inputs included")
    p.add_argument("circuit", help="circuit config (circuit_config.json written by build-network)")
    p.add_argument("-o", "--output", required=True, help="PNG file")
    p.add_argument("--group-by", default="pop_name", help="node attribute that forms the groups (default pop_name; "
                                                          "'none': one group per population)")
    p.add_argument("--measure", choices=("synapses", "connections", "convergence"), default="synapses",
                   help="sum of nsyns, connected cell pairs, or synapses per target cell (default synapses)")
    p.add_argument("--title")
    p.set_defaults(func=cmd_plot_connectivity)

    p = sub.add_parser("plot-positions", help="cell positions of a population in two projections, coloured by group")
    p.add_argument("circuit", help="circuit config (circuit_config.json written by build-network)")
    p.add_argument("-o", "--output", required=True, help="PNG file")
    p.add_argument("--population", help="node population (needed when the circuit holds several)")
    p.add_argument("--group-by", default="pop_name", help="node attribute that colours the groups (default pop_name)")
    p.add_argument("--projections", nargs="+", default=["xz", "xy"], metavar="AB",
                   help="axis pairs, one panel each (default: xz xy)")
    p.add_argument("--title")
    p.set_defaults(func=cmd_plot_positions)

    for command, kind, text in (
            ("plot-rates-boxplot", "rates_boxplot", "box plot of cell firing rates per group (silent cells count)"),
            ("plot-rates", "rates", "each group's firing rate (Hz per cell) over time"),
            ("plot-isi-cv", "isi_cv", "box plot of the cells' ISI coefficient of variation per group"),
            ("plot-synchrony", "synchrony", "pairwise correlation of binned spike counts per group")):
        p = sub.add_parser(command, help=text)
        p.add_argument("spikes", help="spikes file (SONATA h5, CSV or NWB)")
        p.add_argument("-o", "--output", required=True, help="PNG file")
        p.add_argument("--circuit", required=True, help="circuit config holding the spiking population's nodes")
        p.add_argument("--tstop", type=float, required=True, help="end of the window (ms)")
        p.add_argument("--tstart", type=float, default=0.0, help="start of the window (ms); default 0")
        p.add_argument("--population", help="spike population (default the file's only one)")
        p.add_argument("--group-by", default="pop_name", help="node attribute that forms the groups (default "
                                                              "pop_name; 'none': the whole population)")
        if kind in ("rates", "synchrony"):
            p.add_argument("--bin-ms", type=float, default=10.0 if kind == "rates" else 5.0,
                           help=f"bin width (ms); default {10 if kind == 'rates' else 5}")
        if kind == "isi_cv":
            p.add_argument("--min-spikes", type=int, default=3, help="fewest spikes for a cell's CV; default 3")
        if kind == "synchrony":
            p.add_argument("--max-pairs", type=int, default=1000, help="pairs sampled per group (0: all); default 1000")
            p.add_argument("--seed", type=int, default=0, help="seed of the pair sample; default 0")
        p.add_argument("--title")
        p.set_defaults(func=cmd_plot_activity, kind=kind)
    return parser


def main(argv=None) -> int:
    args = make_parser().parse_args(argv)
    try:
        args.func(args)
    except SimlibError as exc:
        if _rank() == 0:  # every rank finds the same problem; say it once
            print(f"simlib: error: {exc}", file=sys.stderr)
        _finish_mpi()
        return 1
    # any other exception: no collective MPI end (the other ranks may be elsewhere); the launcher
    # ends them when this rank exits with the traceback
    _finish_mpi()
    return 0


def _session():
    """The NEURON/MPI session of this process, if a command started one (without importing simlib.bionet)."""
    session = sys.modules.get("simlib.bionet.session")
    return None if session is None else session._session


def _rank() -> int:
    session = _session()
    return 0 if session is None else session.rank


def _finish_mpi() -> None:
    """End NEURON's MPI cleanly when this process started it (a rank must not exit alone)."""
    session = _session()
    if session is not None:
        session.finish()


if __name__ == "__main__":
    sys.exit(main())
