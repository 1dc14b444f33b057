"""Entries of the workflow config turned into what each rule asks for: its input files and its spec.

``config`` is the workflow config after the schema filled its defaults (rules/common.smk). The
functions take names (a wildcard's value), so the rules wrap them as ``lambda wc: f(config, wc.x)``.
"""

from __future__ import annotations

import re
from pathlib import Path

from simlib.workflow import paths


def network_spec(config: dict, net: str) -> dict:
    """The spec of ``networks.<net>`` for :func:`simlib.tasks.build_network`.

    The config's top-level ``seed`` stands in for a missing one, and a ``script`` path is made
    absolute (relative to the working folder, where Snakemake runs).
    """
    spec = dict(config["networks"][net])
    spec.setdefault("seed", config["seed"])
    if "script" in spec:
        spec["script"] = str(Path(spec["script"]).resolve())
    return spec


def name_pattern(names) -> str:
    """A wildcard constraint matching exactly ``names`` (nothing when there are none)."""
    names = sorted(names)
    return "|".join(re.escape(n) for n in names) if names else "(?!)"


def point_network_spec(config: dict, net: str) -> dict:
    """The spec of ``point_networks.<net>`` with the schema's defaults of the group columns."""
    spec = dict(config["point_networks"][net])
    spec.setdefault("cell_key", "pop_name")
    spec.setdefault("synapse_key", "dynamics_params")
    return spec


def population_network_spec(config: dict, net: str) -> dict:
    """The spec of ``population_networks.<net>`` with the schema's defaults."""
    spec = dict(config["population_networks"][net])
    spec.setdefault("group_by", "pop_name")
    spec.setdefault("synapse_key", "dynamics_params")
    spec.setdefault("params", {})
    spec.setdefault("populations", {})
    return spec


def simulations_of(config: dict, simulator: str) -> list[str]:
    """Names of the ``simulations`` entries that ``simulator`` (``bionet``, ``pointnet``, ``popnet``) runs."""
    return [sim for sim, spec in config.get("simulations", {}).items()
            if spec.get("simulator", "bionet") == simulator]


def simulator_entry(spec: dict) -> str:
    """The simlib function that runs a ``simulations`` entry (``module:function``, for the code rerun trigger)."""
    return f"simlib.{spec.get('simulator', 'bionet')}.simulation:simulate"


def simulate_cores(spec: dict) -> int:
    """Cores a simulation uses: MPI ranks (BioNet), NEST threads (PointNet), one (PopNet)."""
    simulator = spec.get("simulator", "bionet")
    if simulator == "pointnet":
        return int(spec.get("threads", 1))
    if simulator == "popnet":
        return 1
    return int(spec.get("ranks", 1))


def resolutions_inputs(config: dict, sim: str) -> dict[str, str]:
    """Inputs of the three-resolution figure of PopNet run ``sim``: its output and population network, the
    BioNet (and PointNet) run's output and circuit."""
    spec = config["simulations"][sim]
    figure = spec["figures"]["resolutions"]
    files = {"output": paths.sim_output(sim), "population_network": paths.population_network_config(spec["network"])}
    for key in ("bionet", "pointnet"):
        if figure.get(key):
            run = config["simulations"][figure[key]]
            files[key] = paths.sim_output(figure[key])
            files[f"{key}_circuit"] = paths.circuit_config(run["network"])
    return files


def resolutions_runs(config: dict, sim: str) -> dict[str, dict]:
    """Label and tstop of each run of the three-resolution figure of ``sim`` (``popnet``, ``bionet``, ``pointnet``)."""
    sims = config["simulations"]
    figure = sims[sim]["figures"]["resolutions"]
    names = {"popnet": sim, "bionet": figure["bionet"], "pointnet": figure.get("pointnet")}
    label = {"bionet": "BioNet", "pointnet": "PointNet", "popnet": "PopNet"}
    return {key: {"name": name, "label": f"{label[key]} ({name})", "tstop_ms": float(sims[name]["tstop_ms"])}
            for key, name in names.items() if name}


def rates_comparison_inputs(config: dict, sim: str) -> dict[str, str]:
    """Inputs of the rates-comparison figure of ``simulations.<sim>``: both runs' outputs, this run's circuit."""
    spec = config["simulations"][sim]
    reference = spec["figures"]["rates_comparison"]["reference"]
    return {"output": paths.sim_output(sim), "reference": paths.sim_output(reference),
            "circuit": paths.circuit_config(spec["network"])}


def rates_comparison_runs(config: dict, sim: str) -> dict[str, dict]:
    """Label (simulator and name) and tstop of this run and of its rates comparison's reference run."""
    sims = config["simulations"]
    reference = sims[sim]["figures"]["rates_comparison"]["reference"]
    label = {"bionet": "BioNet", "pointnet": "PointNet"}
    return {key: {"label": f"{label[sims[name].get('simulator', 'bionet')]} ({name})",
                  "tstop_ms": float(sims[name]["tstop_ms"])}
            for key, name in (("this", sim), ("reference", reference))}


def cell_models_inputs(config: dict, name: str) -> dict[str, str]:
    """Inputs of ``components.<name>``: the downloaded cell models' listing for ``source: allen``, else none."""
    if config["components"][name].get("source") == "allen":
        return {"cells": paths.cell_models_listing(name)}
    return {}


def spikes_inputs(config: dict, name: str) -> dict[str, str]:
    """Inputs of ``spikes.<name>``: the circuit of its network."""
    return {"circuit": paths.circuit_config(config["spikes"][name]["network"])}


def filternet_inputs(config: dict, stim: str) -> dict[str, str]:
    """Inputs of ``filternet.<stim>``: the circuit of its network and its components' manifest."""
    spec = config["filternet"][stim]
    return {"circuit": paths.circuit_config(spec["network"]),
            "components": paths.components_manifest(spec["components"])}


def raster_inputs(config: dict, name: str) -> dict[str, str]:
    """Inputs of ``figures.rasters.<name>``: its spikes file (of a ``spikes`` entry or FilterNet run), its circuit."""
    spec = config["figures"]["rasters"][name]
    if "filternet" in spec:
        stim = spec["filternet"]
        return {"spikes": paths.filternet_output(stim, "spikes.h5"),
                "circuit": paths.circuit_config(config["filternet"][stim]["network"])}
    spikes = spec["spikes"]
    return {"spikes": paths.spikes_file(spikes, "h5"),
            "circuit": paths.circuit_config(config["spikes"][spikes]["network"])}


def figure_report(config: dict, sim: str, kind: str) -> dict:
    """The spec of the report that figure ``kind`` of ``simulations.<sim>`` draws (its ``report`` names it)."""
    spec = config["simulations"][sim]
    return spec["reports"][spec["figures"][kind]["report"]]


def all_targets(config: dict, arch: str | None = None) -> list[str]:
    """Every final file of the workflow config (rule ``all``); ``arch`` as in :func:`paths.mechanism_library`."""
    targets = [paths.circuit_config(net) for net in config["networks"]]
    targets += [paths.network_figure(net, kind) for net in config["networks"] for kind in paths.NETWORK_FIGURES]
    targets += [paths.circuit_config(net) for net in config.get("point_networks", {})]
    targets += [paths.population_network_config(net) for net in config.get("population_networks", {})]
    targets.append(paths.mechanism_library(arch))
    targets += [paths.components_manifest(name) for name in config.get("components", {})]
    targets += [paths.session_nwb(sid) for sid in config.get("downloads", {}).get("ecephys_sessions", [])]
    for name in config.get("spikes", {}):
        targets += [paths.spikes_file(name, fmt) for fmt in paths.SPIKE_FORMATS]
    targets += [paths.raster_figure(name) for name in config.get("figures", {}).get("rasters", {})]
    targets += [paths.filternet_output(stim, "spikes.h5") for stim in config.get("filternet", {})]
    for sweep in config.get("sweeps", {}):
        targets += [paths.sweep_table(sweep), paths.sweep_figure(sweep)]
    for sim, spec in config.get("simulations", {}).items():
        targets += [paths.sim_output(sim), paths.sim_rates(sim)]
        targets += [paths.sim_figure(sim, kind) for kind in spec.get("figures", {})]
    return targets


def sweep_point_files(config: dict, sweep: str) -> dict[str, str]:
    """``{point: its rates table}`` of every point of a sweep: the inputs of its table."""
    from simlib.workflow.sweeps import points

    return {point: paths.sweep_point_rates(sweep, point) for point in points(config["sweeps"][sweep])}
