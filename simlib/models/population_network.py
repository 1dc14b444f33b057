"""The population version of a built network: one PopNet node per group of cells, one edge per group pair.

The seed's third resolution. The cells of a built SONATA network (biophysical, point or any other
non-virtual model) are grouped by a node attribute (default ``pop_name``; cells without it form
one group named after their node population, as the L4 network's LGN); virtual cells become
external populations driven at a given rate. Per (source group, target group):

* ``nsyns``: the synapses from the source group onto the target group divided by the target
  group's cells, i.e. the mean number of synapses a target cell receives (cells receiving none
  count); fractional, so it is written in the edge-types CSV, not as integers in the h5;
* ``syn_weight``: the synapse-weighted mean jump in volts, each edge's weight (its ``syn_weight``
  or weight function's value) times a scale for its synapse class;
* ``delay``: the synapse-weighted mean delay, converted from ms (BioNet/PointNet) to s (PopNet).

Weights. BioNet's ``syn_weight`` is a peak conductance (µS) and PopNet's a voltage jump (V): the
caller gives ``weight_scales``, volts per unit of syn_weight per synapse class (the edge type's
``dynamics_params``, e.g. ``ExcToExc.json``; negative for inhibition). Without them a class is
excitatory unless its source group's ``ei`` is ``i``, with the scales of a conductance pulse
``g · ΔE · τ_syn / C`` on a cell of C = 200 pF: excitatory ΔE = +65 mV, τ_syn = 3 ms ≈ +1.0 V/µS,
inhibitory ΔE = -10 mV, τ_syn = 8 ms = -0.4 V/µS (DEFAULT_EXC_SCALE, DEFAULT_INH_SCALE).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError, show_value
from simlib.fileio import atomic_dir

DEFAULT_EXC_SCALE = 1.0      # V per µS of syn_weight
DEFAULT_INH_SCALE = -0.4
DEFAULT_INTERNAL_PARAMS = {"tau_m": 0.02, "v_min": -0.02, "v_max": 0.02, "dv": 1e-4, "update_method": "approx",
                           "approx_order": None, "tol": 1e-12, "record": True}
DEFAULT_DT_S = 1e-4


def derive_population_network(circuit_config, output_dir, group_by: str = "pop_name",
                              internal_params: Mapping[str, Mapping] | None = None,
                              external_rates: Mapping[str, float] | float | None = None,
                              weight_scales: Mapping[str, float] | None = None, synapse_key: str = "dynamics_params",
                              default_params: Mapping | None = None, tstop_ms: float = 1000.0,
                              dt_s: float = DEFAULT_DT_S) -> Path:
    """Write the PopNet version of the network of ``circuit_config`` into ``output_dir``; return its config.

    Parameters
    ----------
    circuit_config : the built network's circuit config (``circuit_config.json``).
    output_dir : the new folder (replaced only when complete): ``network/`` (SONATA files),
        ``population_models/<group>.json``, ``inputs/<population>_rates.csv``, ``config.json``.
    group_by : node attribute forming the populations.
    internal_params : per group, model parameters (DiPDE's keys) over ``default_params``.
    external_rates : per external group, or one value for all, the rate (Hz).
    weight_scales : per synapse class (values of the edge-type column ``synapse_key``), volts per unit
        of syn_weight; None: the ``ei`` rule of the module docstring.
    default_params : parameters of every internal group (over DEFAULT_INTERNAL_PARAMS).
    tstop_ms, dt_s : the run of the written config (tstop in ms, dt in s as BMTK's PopNet).

    Raises
    ------
    ConfigError
        An external group without a rate, a synapse class without a scale, or bad model parameters.
    FormatError
        Unreadable network files.
    """
    from simlib.circuit import Circuit
    from simlib.popnet.params import LIFPopulation
    from simlib.sonata.circuit import read_circuit_config

    source = str(circuit_config)
    circuit = Circuit(read_circuit_config(circuit_config), source)
    groups = reduce_groups(circuit, group_by)
    pairs = reduce_edges(circuit, groups, weight_scales, synapse_key)
    params = {}
    for g in groups:
        if g["internal"]:
            merged = {**DEFAULT_INTERNAL_PARAMS, **dict(default_params or {}), **dict((internal_params or {}).get(
                g["key"], {}))}
            LIFPopulation.from_params(merged, f"population network: internal_params.{g['key']}")
            params[g["key"]] = merged
    rates = _external_rates(groups, external_rates)
    output_dir = Path(output_dir)
    with atomic_dir(output_dir) as tmp:
        _write_network(tmp / "network", groups, pairs)
        models = tmp / "population_models"
        models.mkdir()
        for key, values in params.items():
            (models / f"{key}.json").write_text(json.dumps(values, indent=2) + "\n")
        inputs = _write_rates(tmp / "inputs", groups, rates)
        (tmp / "config.json").write_text(json.dumps(_config(groups, inputs, tstop_ms, dt_s), indent=2) + "\n")
    return output_dir / "config.json"


def reduce_groups(circuit, group_by: str) -> list[dict]:
    """The groups of a circuit's nodes: ``population``, ``key``, ``internal`` (non-virtual), ``size``, ``rows``, ``ei``."""
    groups = []
    for name, pop in circuit.populations.items():
        nodes = pop.nodes
        virtual = pop.model_type == "virtual"
        if group_by in nodes:
            keys = np.array([name if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                             for v in nodes[group_by].tolist()], dtype=object)
        else:
            keys = np.full(len(nodes), name, dtype=object)
        for key in dict.fromkeys(keys.tolist()):
            rows = np.flatnonzero(keys == key)
            if virtual[rows].any() and not virtual[rows].all():
                raise ConfigError(f"{pop.source}: population '{name}': group {group_by}={key} mixes virtual and "
                                  "non-virtual cells; expected one kind per group")
            ei = set(nodes["ei"].to_numpy()[rows].tolist()) if "ei" in nodes else set()
            groups.append({"population": name, "key": str(key), "internal": not bool(virtual[rows[0]]),
                           "size": int(rows.size), "rows": rows, "ei": ei.pop() if len(ei) == 1 else None})
    seen = [g["key"] for g in groups]
    clash = sorted({k for k in seen if seen.count(k) > 1})
    if clash:
        raise ConfigError(f"{circuit.source}: groups {clash} ({group_by}) appear in several node populations; "
                          "expected group names unique across the network")
    return groups


def reduce_edges(circuit, groups: list[dict], weight_scales: Mapping[str, float] | None,
                 synapse_key: str) -> dict[tuple[int, int], dict]:
    """Per (source group index, target group index): ``nsyns`` (mean per target cell), ``syn_weight`` (V,
    synapse-weighted mean), ``delay`` (s, synapse-weighted mean) and ``synapses`` (total)."""
    code = {}
    for i, g in enumerate(groups):
        codes = code.setdefault(g["population"], np.full(circuit.populations[g["population"]].size, -1, np.int64))
        codes[g["rows"]] = i
    totals: dict[tuple[int, int], np.ndarray] = {}
    for ref in circuit.edge_populations():
        edges = circuit.edges(ref)
        if not len(edges):
            continue
        src = code[edges.source_population][circuit.populations[edges.source_population].rows(edges.source)]
        trg = code[edges.target_population][circuit.populations[edges.target_population].rows(edges.target)]
        scale = _scales(edges, src, groups, weight_scales, synapse_key)
        n = edges.nsyns.astype(float)
        n_groups = len(groups)
        pair = src * n_groups + trg
        sums = np.stack([np.bincount(pair, weights=w, minlength=n_groups ** 2) for w in
                         (n, n * edges.weight * scale, n * edges.delay)])
        for p in np.flatnonzero(sums[0] > 0):
            key = (int(p // n_groups), int(p % n_groups))
            totals[key] = totals.get(key, np.zeros(3)) + sums[:, p]
    out = {}
    for (s, t), (syn, weighted, delayed) in totals.items():
        out[(s, t)] = {"nsyns": syn / groups[t]["size"], "syn_weight": weighted / syn, "delay": delayed / syn / 1000.0,
                       "synapses": syn}
    return out


def _scales(edges, src: np.ndarray, groups: list[dict], weight_scales, synapse_key: str) -> np.ndarray:
    """Volts per unit syn_weight of every edge, from its synapse class (or its source group's ei)."""
    if weight_scales is None:
        inhibitory = np.array([g["ei"] == "i" for g in groups])
        return np.where(inhibitory[src], DEFAULT_INH_SCALE, DEFAULT_EXC_SCALE)
    codes, classes = edges.labels(synapse_key)
    scale_of_code = []
    for value in classes.tolist():
        if value not in weight_scales:
            used = sorted({str(v) for v in classes[np.unique(codes)].tolist()})
            raise ConfigError(f"population network: weight_scales: no entry for synapse class {value!r} "
                              f"({synapse_key} of {edges.where}); classes: {', '.join(used)}")
        scale_of_code.append(float(weight_scales[value]))
    return np.asarray(scale_of_code)[codes]


def _external_rates(groups: list[dict], rates) -> dict[str, float]:
    out = {}
    for g in groups:
        if g["internal"]:
            continue
        value = rates.get(g["key"]) if isinstance(rates, Mapping) else rates
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ConfigError(f"population network: external_rates.{g['key']}: expected a rate >= 0 (Hz) for the "
                              f"external population {g['key']}, got {show_value(value)}")
        out[g["key"]] = float(value)
    return out


def _write_network(folder: Path, groups: list[dict], pairs: dict) -> None:
    """One node per group (node_type_id 100, 101, ... across the network), one edge type per group pair."""
    from simlib.sonata.circuit import write_circuit_config
    from simlib.sonata.edges import EdgePart, write_edges
    from simlib.sonata.nodes import NodePopulationData, write_nodes
    from simlib.sonata.types_csv import write_types_csv

    folder.mkdir()
    type_id = {i: 100 + i for i in range(len(groups))}
    node_id = {}
    for name in dict.fromkeys(g["population"] for g in groups):
        mine = [i for i, g in enumerate(groups) if g["population"] == name]
        for n, i in enumerate(mine):
            node_id[i] = n
        ids = np.arange(len(mine))
        write_nodes(folder / f"{name}_nodes.h5", [NodePopulationData(
            name, ids, np.array([type_id[i] for i in mine]), np.zeros(len(mine), np.int64), ids, [{}])])
        rows = []
        for i in mine:
            g = groups[i]
            row = {"node_type_id": type_id[i], "pop_name": g["key"], "n_cells": g["size"]}
            if g["ei"] is not None:
                row["ei"] = g["ei"]
            if g["internal"]:
                row.update(model_type="population", model_template="dipde:Internal", dynamics_params=f"{g['key']}.json")
            else:
                row.update(model_type="virtual")
            rows.append(row)
        write_types_csv(folder / f"{name}_node_types.csv", rows, ["node_type_id"])
    by_files: dict[tuple[str, str], list] = {}
    for (s, t), values in sorted(pairs.items()):
        by_files.setdefault((groups[s]["population"], groups[t]["population"]), []).append((s, t, values))
    for (src_pop, trg_pop), items in by_files.items():
        parts, rows = [], []
        for edge_type, (s, t, values) in enumerate(sorted(items, key=lambda x: node_id[x[1]]), start=100):
            parts.append(EdgePart(np.array([node_id[s]]), np.array([node_id[t]]), edge_type, {}))
            rows.append({"edge_type_id": edge_type, "source_query": f"pop_name=='{groups[s]['key']}'",
                         "target_query": f"pop_name=='{groups[t]['key']}'", "syn_weight": values["syn_weight"],
                         "nsyns": values["nsyns"], "delay": values["delay"]})
        parts.sort(key=lambda p: int(p.target_node_id[0]))
        write_edges(folder / f"{src_pop}_{trg_pop}_edges.h5", f"{src_pop}_to_{trg_pop}", src_pop, trg_pop, parts)
        write_types_csv(folder / f"{src_pop}_{trg_pop}_edge_types.csv", rows, ["edge_type_id", "target_query",
                                                                                 "source_query"])
    write_circuit_config(folder)


def _write_rates(folder: Path, groups: list[dict], rates: dict[str, float]) -> dict[str, str]:
    """One pop_rates CSV per node population with external groups (gid = node_type_id, as BMTK groups by
    default, plus pop_name, which simlib reads when it groups by pop_name); ``{population: file name}``."""
    folder.mkdir()
    files = {}
    for name in dict.fromkeys(g["population"] for g in groups if not g["internal"]):
        lines = ["gid pop_name firing_rate"]
        lines += [f"{100 + i} {g['key']} {rates[g['key']]!r}" for i, g in enumerate(groups)
                  if g["population"] == name and not g["internal"]]
        (folder / f"{name}_rates.csv").write_text("\n".join(lines) + "\n")
        files[name] = f"{name}_rates.csv"
    return files


def _config(groups: list[dict], inputs: dict[str, str], tstop_ms: float, dt_s: float) -> dict:
    return {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network"},
        "target_simulator": "DiPDE",
        "run": {"tstop": float(tstop_ms), "dt": float(dt_s), "group_by": "pop_name"},
        "inputs": {f"{name}_pop_rates": {"input_type": "csv", "module": "pop_rates",
                                         "rates": f"$BASE_DIR/inputs/{file}", "node_set": name}
                   for name, file in inputs.items()},
        "output": {"output_dir": "$BASE_DIR/output", "rates_file": "spike_rates.csv", "log_file": "log.txt"},
        "components": {"population_models_dir": "$BASE_DIR/population_models"},
        "network": "$NETWORK_DIR/circuit_config.json",
    }
