"""Parameter sweeps: one simulation per point of a grid of config values × seeds, then a tidy table and a figure.

A ``sweeps.<name>`` entry names a base ``simulation`` and the values to ``vary``: dotted keys of the
workflow config, each a number in it (e.g. ``spikes.lgn_poisson.firing_rate_hz``,
``simulations.l4_poisson.inputs.clamp.amp``, ``filternet.flash.stimulus.max_intensity``,
``point_networks.l4_point.synapses.ExcToExc.json.syn_weight_scale``), crossed with ``seeds``. A
point is named by its values (``firing_rate_hz~4.0_seed~1``), so each point is its own cached
Snakemake job (``{point}`` wildcard): changing the values adds or removes points without rerunning
the others. A point regenerates what its base simulation reads from the sweepable entries (its
``spikes`` inputs, its FilterNet runs, its point network) with the point's values, and the
point's seed replaces those entries' seeds (and is PointNet's ``rng_seed``); networks, components
and mechanisms are shared with the base.
"""

from __future__ import annotations

import copy
import itertools
import subprocess
from pathlib import Path

from simlib.errors import ConfigError
from simlib.workflow import paths

SWEEPABLE = ("simulations", "spikes", "filternet", "point_networks")


def _short_names(keys: list[str]) -> dict[str, str]:
    """Each key's last component, or the whole dotted key where the last components collide."""
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (s if last.count(s) == 1 else k) for k, s in zip(keys, last)}


def _lookup(config: dict, key: str):
    """The value at dotted ``key`` (keys may hold dots, e.g. ``ExcToExc.json``: the longest match wins)."""
    node, rest = config, key
    while rest:
        if not isinstance(node, dict):
            raise KeyError(key)
        for cut in range(len(rest), 0, -1):
            head = rest[:cut]
            if head in node and (cut == len(rest) or rest[cut] == "."):
                node, rest = node[head], rest[cut + 1:]
                break
        else:
            raise KeyError(key)
    return node


def _assign(config: dict, key: str, value) -> None:
    parent_key, _, leaf = key.rpartition(".")
    parent = _lookup(config, parent_key) if parent_key else config
    if leaf not in parent:   # the leaf itself may hold dots
        raise KeyError(key)
    parent[leaf] = value


def points(spec: dict) -> dict[str, dict]:
    """``{point name: {"values": {key: value}, "seed": seed}}`` of a sweep, in grid order."""
    keys = list(spec["vary"])
    short = _short_names(keys)
    out = {}
    for combo in itertools.product(*(spec["vary"][k] for k in keys)):
        for seed in spec.get("seeds", [1]):
            values = dict(zip(keys, combo))
            name = "_".join([f"{short[k]}~{float(v)!r}" for k, v in values.items()] + [f"seed~{int(seed)}"])
            out[name] = {"values": values, "seed": int(seed)}
    return out


def used_entries(config: dict, sim: str) -> dict[str, list[str]]:
    """The ``spikes``, ``filternet`` and ``point_networks`` entries simulation ``sim`` reads."""
    spec = config["simulations"][sim]
    inputs = spec.get("inputs", {}).values()
    return {"spikes": sorted({i["spikes"] for i in inputs if "spikes" in i}),
            "filternet": sorted({i["filternet"] for i in inputs if "filternet" in i}),
            "point_networks": [spec["network"]] if spec["network"] in config.get("point_networks", {}) else []}


def sweep_problems(config: dict) -> list[str]:
    """Problems of every ``sweeps`` entry: unknown base, keys that are not numbers the base reads."""
    problems = []
    for name, spec in config.get("sweeps", {}).items():
        where = f"sweeps.{name}"
        sim = spec.get("simulation")
        if sim not in config.get("simulations", {}):
            problems.append(f"{where}.simulation: '{sim}' is not an entry of simulations")
            continue
        if config["simulations"][sim].get("simulator") == "popnet":
            problems.append(f"{where}.simulation: '{sim}' is a PopNet run; sweeps run BioNet and PointNet "
                            "simulations")
            continue
        used = used_entries(config, sim)
        if any(e not in config.get(section, {}) for section, names in used.items() for e in names):
            continue  # the base simulation names an unknown entry: reported with the simulation
        for key in spec.get("vary", {}):
            section, _, rest = key.partition(".")
            entry = rest.split(".", 1)[0]
            allowed = (section == "simulations" and entry == sim) or (section in used and any(
                rest == e or rest.startswith(e + ".") for e in used[section]))
            if section not in SWEEPABLE or not allowed:
                problems.append(f"{where}.vary.{key}: expected a key of simulations.{sim} or of the spikes, filternet "
                                f"or point_networks entries it reads ({_used_text(used)})")
                continue
            try:
                value = _lookup(config, key)
            except KeyError:
                problems.append(f"{where}.vary.{key}: no such key in the config")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{where}.vary.{key}: expected a number in the config, found {value!r}")
        for key, values in [*spec.get("vary", {}).items(), ("seeds", spec.get("seeds", [1]))]:
            if len({float(v) for v in values}) != len(values):
                problems.append(f"{where}.{'vary.' if key != 'seeds' else ''}{key}: values repeat; expected "
                                "distinct values (each names a point)")
    return problems


def _used_text(used: dict) -> str:
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in used.items() if v) or "none"


def point_config(config: dict, sweep: str, point: str) -> dict:
    """The entries one point runs (its base simulation and the spikes, filternet and point_networks entries
    it reads), with the sweep's values and seed applied and the sweep's tstop on the simulation."""
    spec = config["sweeps"][sweep]
    grid = points(spec)
    if point not in grid:
        raise ConfigError(f"sweeps.{sweep}: no point '{point}'; its points: {', '.join(grid)}")
    out = copy.deepcopy(config)
    sim = spec["simulation"]
    for key, value in grid[point]["values"].items():
        _assign(out, key, value)
    seed = grid[point]["seed"]
    used = used_entries(out, sim)
    for section in ("spikes", "filternet"):
        for entry in used[section]:
            out[section][entry]["seed"] = seed
    if out["simulations"][sim].get("simulator", "bionet") == "pointnet":
        out["simulations"][sim]["seed"] = seed
    if "tstop_ms" in spec:
        out["simulations"][sim]["tstop_ms"] = spec["tstop_ms"]
        for stim in used["filternet"]:
            out["filternet"][stim]["tstop_ms"] = max(out["filternet"][stim]["tstop_ms"], spec["tstop_ms"])
    # only what the point runs: its params (Snakemake's rerun trigger) change when these do, not with the rest
    return {"simulations": {sim: out["simulations"][sim]},
            **{section: {name: out[section][name] for name in names} for section, names in used.items()}}


def point_inputs(config: dict, sweep: str, basedir, arch: str | None = None) -> dict[str, str]:
    """Rule inputs of a point: what its base simulation's config needs, and what its regenerated entries read."""
    from simlib.workflow.simulation import input_key, sim_config_inputs

    sim = config["sweeps"][sweep]["simulation"]
    files = {k: v for k, v in sim_config_inputs(config, sim, basedir, arch).items() if not k.startswith("spikes_")}
    used = used_entries(config, sim)
    for name in used["spikes"]:
        files[f"circuit_spikes_{name}"] = paths.circuit_config(config["spikes"][name]["network"])
    for stim in used["filternet"]:
        files[f"circuit_filternet_{stim}"] = paths.circuit_config(config["filternet"][stim]["network"])
        files[f"components_filternet_{stim}"] = paths.components_manifest(config["filternet"][stim]["components"])
    for net in used["point_networks"]:
        files["circuit"] = paths.circuit_config(config["point_networks"][net]["network"])
    assert not any(k.startswith(input_key("")) for k in files)
    return files


def run_point(config: dict, sim: str, point_dir, files: dict, launch: list[str], python: str, log) -> Path:
    """Regenerate a point's entries into ``point_dir``, write its simulation config, run it, write its rates table.

    ``config`` is the point's config (:func:`point_config`); ``files`` the rule inputs
    (:func:`point_inputs`); ``launch`` the MPI launcher words for a BioNet run (empty: one process).
    """
    from simlib.filternet.run import run_filternet
    from simlib.models.point_network import derive_point_network
    from simlib.tasks import make_spikes, rates_table
    from simlib.workflow.filternet_writer import write_filternet_config
    from simlib.workflow.simulation import input_key, write_sim_config

    point_dir = Path(point_dir)
    spec = config["simulations"][sim]
    used = used_entries(config, sim)
    sim_files = dict(files)
    for name in used["spikes"]:
        h5, csv = point_dir / "inputs" / f"{name}.h5", point_dir / "inputs" / f"{name}.csv"
        make_spikes(config["spikes"][name], files[f"circuit_spikes_{name}"], h5, csv)
        log(f"spikes {name}: {config['spikes'][name]}")
    for stim in used["filternet"]:
        fspec = config["filternet"][stim]
        fconfig = write_filternet_config(
            point_dir / "filternet" / stim / "config.json", circuit_config=files[f"circuit_filternet_{stim}"],
            population=fspec["population"], components_dir=Path(files[f"components_filternet_{stim}"]).parent,
            stimulus=fspec["stimulus"], tstop_ms=fspec["tstop_ms"], seed=fspec["seed"])
        run_filternet(fconfig)
        log(f"filternet {stim}: {fspec['stimulus']}")
    for name, inp in spec.get("inputs", {}).items():
        fmt = "csv" if inp.get("module") == "csv" else "h5"
        if "spikes" in inp:
            sim_files[input_key(name)] = str(point_dir / "inputs" / f"{inp['spikes']}.{fmt}")
        elif "filternet" in inp:
            sim_files[input_key(name)] = str(point_dir / "filternet" / inp["filternet"] / "output" / f"spikes.{fmt}")
    for net in used["point_networks"]:
        pspec = config["point_networks"][net]
        sim_files["circuit"] = str(derive_point_network(
            files["circuit"], point_dir / "network", pspec["cells"], pspec["synapses"],
            cell_key=pspec.get("cell_key", "pop_name"), synapse_key=pspec.get("synapse_key", "dynamics_params")))
    sim_config = write_sim_config(spec, sim_files, point_dir / "config.json")
    if spec.get("simulator", "bionet") == "pointnet":
        command = [python, "-m", "simlib", "pointnet", str(sim_config), "--threads", str(spec.get("threads", 1))]
    else:
        command = [*launch, python, "-m", "simlib", "simulate", str(sim_config)]
    log(f"running {' '.join(command)}")
    proc = subprocess.run(command, capture_output=True, text=True)
    log(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no message"]
        raise ConfigError(f"sweep point {point_dir.name}: the simulation failed ({tail[0]})")
    return rates_table(point_dir / "output" / "spikes.h5", sim_files["circuit"], spec["tstop_ms"],
                       point_dir / "rates.csv")


def sweep_table(config: dict, sweep: str, rates_files: dict):
    """The tidy table of a sweep: one row per point × population (parameter values, seed, rates)."""
    import pandas as pd

    spec = config["sweeps"][sweep]
    rows = []
    for point, info in points(spec).items():
        table = pd.read_csv(rates_files[point])
        for key, value in info["values"].items():
            table[key] = value
        table["seed"] = info["seed"]
        rows.append(table)
    out = pd.concat(rows, ignore_index=True)
    return out[[*spec["vary"], "seed", "population", "cells", "mean_hz", "sd_hz", "median_hz",
                *[c for c in ("isi_cv",) if c in out]]]


def write_sweep_outputs(config: dict, sweep: str, rates_files: dict, table_csv, figure_png) -> tuple[Path, Path]:
    """Write a sweep's tidy table and its figure (rate against the first varied key; a line per population)."""
    from simlib.analysis.output import save_figure
    from simlib.analysis.rates import plot_rate_vs_parameter
    from simlib.fileio import atomic_path

    spec = config["sweeps"][sweep]
    table = sweep_table(config, sweep, rates_files)
    with atomic_path(table_csv) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    keys = list(spec["vary"])
    ax = plot_rate_vs_parameter(table if len(keys) == 1 else table.assign(
        population=table["population"] + " (" + table[keys[1:]].astype(str).agg(", ".join, axis=1) + ")"),
        keys[0], title=spec.get("title", f"sweep {sweep}: {spec['simulation']}"))
    return Path(table_csv), save_figure(ax.figure, figure_png)
