"""Cross-references of the workflow config: every name an entry uses must be defined elsewhere in it.

The JSON schema (config/schema.yaml) checks each entry alone; :func:`reference_problems` checks
what the schema cannot: that a simulation's network is an entry of ``networks``, that a figure's
report is a report of its simulation, and so on. All problems are reported at once.
"""

from __future__ import annotations

from pathlib import Path

from simlib.tasks import ECP_FIGURES
from simlib.workflow.sweeps import sweep_problems


def reference_problems(config: dict, basedir) -> list[str]:
    """Every name the workflow config refers to that it does not define, one message per problem.

    Parameters
    ----------
    config : a workflow config that passed the schema (schema defaults may be filled or not).
    basedir : the workflow folder, against which ``functions_file`` paths are resolved.

    Returns
    -------
    list of str
        ``key.path: problem`` messages, empty when every reference resolves.
    """
    problems = []
    mechanisms = config.get("mechanisms") or {}
    point_networks = config.get("point_networks", {})
    for name, spec in point_networks.items():
        problems += _entries(config, f"point_networks.{name}", spec, ("network", "networks"))
        if name in config.get("networks", {}):
            problems.append(f"point_networks.{name}: the name is also an entry of networks; give it another")
    for name, spec in config.get("population_networks", {}).items():
        problems += _entries(config, f"population_networks.{name}", spec, ("network", "networks"))
        if name in config.get("networks", {}) or name in point_networks:
            problems.append(f"population_networks.{name}: the name is also an entry of networks or point_networks; "
                            "give it another")
    for sim, spec in config.get("simulations", {}).items():
        if spec.get("simulator") == "popnet":
            problems += _population_simulation_problems(config, sim, spec)
            continue
        problems += _simulation_problems(config, sim, spec)
        for name, inp in spec.get("inputs", {}).items():
            problems += _entries(config, f"simulations.{sim}.inputs.{name}", inp, ("spikes", "spikes"),
                                 ("filternet", "filternet"))
        figures, reports = spec.get("figures", {}), spec.get("reports", {})
        traces = figures.get("traces")
        if traces and traces["report"] not in reports:
            problems.append(f"simulations.{sim}.figures.traces.report: '{traces['report']}' is not a report of it")
        for kind in ECP_FIGURES:
            fig = figures.get(kind)
            if fig and reports.get(fig["report"], {}).get("module") != "extracellular":
                problems.append(f"simulations.{sim}.figures.{kind}.report: '{fig['report']}' is not an "
                                f"extracellular report of it")
        if spec.get("backend") == "coreneuron" and not mechanisms.get("coreneuron"):
            problems.append(f"simulations.{sim}.backend: coreneuron needs mechanisms.coreneuron: true")
        if spec.get("functions_file") and not (Path(basedir) / spec["functions_file"]).is_file():
            problems.append(f"simulations.{sim}.functions_file: file not found: {spec['functions_file']}")
    problems += sweep_problems(config)
    for name, spec in config.get("spikes", {}).items():
        problems += _entries(config, f"spikes.{name}", spec, ("network", "networks"))
    for stim, spec in config.get("filternet", {}).items():
        problems += _entries(config, f"filternet.{stim}", spec, ("network", "networks"), ("components", "components"))
    for name, spec in config.get("figures", {}).get("rasters", {}).items():
        if ("spikes" in spec) == ("filternet" in spec):
            problems.append(f"figures.rasters.{name}: give exactly one of spikes or filternet")
        else:
            problems += _entries(config, f"figures.rasters.{name}", spec, ("spikes", "spikes"),
                                 ("filternet", "filternet"))
    return problems


POPNET_FIGURES = ("rates", "resolutions")


def _population_simulation_problems(config: dict, sim: str, spec: dict) -> list[str]:
    """A PopNet run: its population network, its figures, the runs its three-resolution figure compares."""
    where = f"simulations.{sim}"
    problems = []
    network = spec.get("network")
    populations = config.get("population_networks", {})
    if network not in populations:
        problems.append(f"{where}.network: '{network}' is not an entry of population_networks (simulator: popnet)")
    for key in ("components", "inputs", "reports", "functions_file"):
        if spec.get(key):
            problems.append(f"{where}.{key}: a PopNet run takes none (its rates come with the population network)")
    for kind in spec.get("figures", {}):
        if kind not in POPNET_FIGURES:
            problems.append(f"{where}.figures.{kind}: not a PopNet figure; accepted: {', '.join(POPNET_FIGURES)}")
    figure = spec.get("figures", {}).get("resolutions")
    source = populations.get(network, {}).get("network")
    if figure and source in config.get("networks", {}):
        for key in ("bionet", "pointnet"):
            name = figure.get(key)
            run = config.get("simulations", {}).get(name) if name else None
            if name and run is None:
                problems.append(f"{where}.figures.resolutions.{key}: '{name}' is not an entry of simulations")
            elif run is not None and not _known(config, run.get("network")):
                pass  # an unknown network is reported with its own simulation
            elif run is not None and run.get("simulator", "bionet") != key:
                if not (key == "pointnet" and run.get("network") in config.get("point_networks", {})):
                    # (a point network run without simulator: pointnet is reported with its own simulation)
                    problems.append(f"{where}.figures.resolutions.{key}: '{name}' is not a {key} simulation")
            elif run is not None and _base_network(config, run.get("network")) != source:
                problems.append(f"{where}.figures.resolutions.{key}: '{name}' simulates network "
                                f"'{run.get('network')}', not '{source}' (the source of {network})")
    return problems


def _simulation_problems(config: dict, sim: str, spec: dict) -> list[str]:
    """The simulator's network and components, and the reference run of a rates comparison."""
    where = f"simulations.{sim}"
    problems = []
    pointnet = spec.get("simulator", "bionet") == "pointnet"
    point_networks = config.get("point_networks", {})
    network = spec.get("network")
    for kind in POPNET_FIGURES:
        if kind in spec.get("figures", {}):
            problems.append(f"{where}.figures.{kind}: a PopNet figure; this is a "
                            f"{spec.get('simulator', 'bionet')} simulation")
    if network not in config.get("networks", {}) and network not in point_networks:
        problems.append(f"{where}.network: '{network}' is not an entry of networks or point_networks")
    elif network not in config.get("networks", {}) and not pointnet:
        return [f"{where}.network: '{network}' is a point network; run it with simulator: pointnet"]
    problems += _entries(config, where, spec, ("components", "components"))
    source = config.get("components", {}).get(spec.get("components"), {}).get("source", "offline")
    if spec.get("components") in config.get("components", {}) and (source == "point") != pointnet:
        problems.append(f"{where}.components: '{spec['components']}' has source {source}; expected "
                        + ("source: point for a PointNet run" if pointnet else "cell models for a BioNet run"))
    comparison = spec.get("figures", {}).get("rates_comparison")
    if comparison:
        ref = config.get("simulations", {}).get(comparison["reference"])
        if ref is None:
            problems.append(f"{where}.figures.rates_comparison.reference: '{comparison['reference']}' is not an "
                            "entry of simulations")
        elif not (_known(config, network) and _known(config, ref.get("network"))):
            pass  # an unknown network is reported with its own simulation
        elif _base_network(config, ref.get("network")) != _base_network(config, network):
            problems.append(f"{where}.figures.rates_comparison.reference: '{comparison['reference']}' simulates "
                            f"network '{ref.get('network')}', not the nodes of '{network}'")
    return problems


def _known(config: dict, network) -> bool:
    """Whether ``network`` is a built network whose source (for a point network) is one too."""
    return network in config.get("networks", {}) or _base_network(config, network) in config.get("networks", {})


def _base_network(config: dict, network):
    """The built network a network name stands for (a point network's source network)."""
    return config.get("point_networks", {}).get(network, {}).get("network", network)


def _entries(config: dict, where: str, spec: dict, *refs: tuple[str, str]) -> list[str]:
    """Problems of the ``(key, section)`` references of one entry: ``spec[key]`` must be an entry of ``section``."""
    return [f"{where}.{key}: '{spec[key]}' is not an entry of {section}"
            for key, section in refs if key in spec and spec[key] not in config.get(section, {})]
