"""SONATA circuit (network) config: the JSON listing a network's nodes and edges files."""

from __future__ import annotations

import json
from pathlib import Path

from simlib.errors import ConfigError, ConfigFileNotFoundError, FormatError, show_value
from simlib.fileio import atomic_path, read_json
from simlib.sonata.nodes import node_populations


def write_circuit_config(directory, file_name: str = "circuit_config.json") -> Path:
    """Write a circuit config listing every ``*_nodes.h5`` / ``*_edges.h5`` pair of a network folder.

    The config sits in the folder and names files through the manifest variable
    ``$NETWORK_DIR = ${configdir}``, so the folder can be moved as a whole.
    """
    directory = Path(directory)
    nodes, edges = [], []
    for h5 in sorted(directory.glob("*_nodes.h5")):
        types = h5.with_name(h5.name[: -len("_nodes.h5")] + "_node_types.csv")
        if not types.exists():
            raise FormatError(f"{types}: node types table missing for {h5.name}")
        nodes.append({"nodes_file": f"$NETWORK_DIR/{h5.name}", "node_types_file": f"$NETWORK_DIR/{types.name}"})
    for h5 in sorted(directory.glob("*_edges.h5")):
        types = h5.with_name(h5.name[: -len("_edges.h5")] + "_edge_types.csv")
        if not types.exists():
            raise FormatError(f"{types}: edge types table missing for {h5.name}")
        edges.append({"edges_file": f"$NETWORK_DIR/{h5.name}", "edge_types_file": f"$NETWORK_DIR/{types.name}"})
    if not nodes:
        raise FormatError(f"{directory}: no *_nodes.h5 files; the network build wrote nothing")
    config = {"manifest": {"$NETWORK_DIR": "${configdir}"}, "networks": {"nodes": nodes, "edges": edges}}
    path = directory / file_name
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(config, indent=2) + "\n")
    return path


def read_circuit_config(path) -> dict:
    """Read a circuit config, resolve its manifest variables (``$NETWORK_DIR``, ``${configdir}``, ...)
    and make its paths absolute.

    Returns ``{'nodes': [{'nodes_file', 'node_types_file'}], 'edges': [...]}``.

    Raises
    ------
    ConfigError
        Not a JSON object, ``networks`` missing or of the wrong shape, an entry without its two
        file keys or with a value that is not a path, unknown or circular variables, a listed
        file that does not exist (the config, the key and the file are named).
    """
    from simlib.config.simulation import substitute_variables

    path = Path(path)
    config = read_json(path, required=("networks",), expected="networks {'nodes': [...], 'edges': [...]}",
                       error=ConfigError)
    configdir = path.resolve().parent
    networks = config["networks"]
    if not isinstance(networks, dict):
        raise ConfigError(f"{path}: networks: expected an object {{'nodes': [...], 'edges': [...]}}, "
                          f"got {show_value(networks)}")
    networks = substitute_variables({"manifest": config.get("manifest", {}), "networks": networks},
                                    path.resolve(), str(path))["networks"]
    out = {"nodes": [], "edges": []}
    for kind, keys in (("nodes", ("nodes_file", "node_types_file")), ("edges", ("edges_file", "edge_types_file"))):
        entries = networks.get(kind, [])
        if not isinstance(entries, list) or (kind == "nodes" and not entries):
            raise ConfigError(f"{path}: networks.{kind}: expected a list of {{{keys[0]}, {keys[1]}}} objects"
                              f"{' (at least one)' if kind == 'nodes' else ''}, got {show_value(entries)}")
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise ConfigError(f"{path}: networks.{kind}[{i}]: expected an object {{{keys[0]}, {keys[1]}}}, "
                                  f"got {show_value(entry)}")
            resolved = {}
            for key in keys:
                value = entry.get(key)
                if key not in entry:
                    raise ConfigError(f"{path}: networks.{kind}[{i}].{key} missing; expected the path of a file "
                                      f"(keys given: {', '.join(entry) or 'none'})")
                if not isinstance(value, str) or not value:
                    raise ConfigError(f"{path}: networks.{kind}[{i}].{key}: expected a file path, got "
                                      f"{show_value(value)}")
                file = value if Path(value).is_absolute() else str(configdir / value)
                if not Path(file).is_file():
                    raise ConfigFileNotFoundError(f"{path}: networks.{kind}[{i}].{key}: file not found: {file}")
                resolved[key] = file
            out[kind].append(resolved)
    return out


def find_nodes(circuit: dict, population: str, circuit_path="circuit config") -> tuple[str, str]:
    """The (nodes_file, node_types_file) of the circuit that holds `population`."""
    found = []
    for entry in circuit["nodes"]:
        pops = node_populations(entry["nodes_file"])
        found.extend(pops)
        if population in pops:
            return entry["nodes_file"], entry["node_types_file"]
    raise FormatError(f"{circuit_path}: node population '{population}' not found; available: {found}")


def network_summary(path) -> dict:
    """Read every file of a circuit config, check that they agree, and count nodes, edges and synapses.

    Beyond what each reader checks, the edge indices must agree with the edges and every edge
    must connect nodes of the circuit's node populations.

    Returns ``{'nodes': {pop: {'n_nodes', 'node_types'}}, 'edges': {pop: {'n_rows', 'n_synapses'}}}``.

    Raises
    ------
    ConfigError, FormatError
        The first problem found, naming its file and the field or row.
    """
    import numpy as np

    from simlib.sonata.columns import population_columns
    from simlib.sonata.edges import EDGE_DATASETS, check_indices, edge_populations, read_edge_population
    from simlib.sonata.nodes import read_node_columns

    circuit = read_circuit_config(path)
    summary: dict = {"nodes": {}, "edges": {}}
    node_ids = {}
    for entry in circuit["nodes"]:
        for pop in node_populations(entry["nodes_file"]):
            if pop in node_ids:
                raise FormatError(f"{path}: node population '{pop}' is in two nodes files; expected unique names")
            columns = read_node_columns(entry["nodes_file"], entry["node_types_file"], pop)
            node_ids[pop] = np.sort(columns["node_id"])
            summary["nodes"][pop] = {"n_nodes": int(columns["node_id"].size),
                                     "node_types": np.unique(columns["node_type_id"]).tolist()}
    for entry in circuit["edges"]:
        edges_file = entry["edges_file"]
        for pop in edge_populations(edges_file):
            data = read_edge_population(edges_file, pop)
            columns = population_columns(data, "edge", EDGE_DATASETS, entry["edge_types_file"], edges_file)[0]
            for column, nodes in (("source_node_id", data.source_population),
                                  ("target_node_id", data.target_population)):
                _check_edge_nodes(edges_file, f"/edges/{pop}/{column}", nodes, getattr(data, column), node_ids, path)
            check_indices(edges_file, data)
            nsyns = columns.get("nsyns")
            summary["edges"][pop] = {"n_rows": int(data.source_node_id.size),
                                     "n_synapses": int(np.nansum(nsyns)) if nsyns is not None
                                     else int(data.source_node_id.size)}
    return summary


def _check_edge_nodes(edges_file, dataset: str, population: str, ids, node_ids: dict, circuit_path) -> None:
    """Edges must name a node population of the circuit and node ids that it holds."""
    import numpy as np

    if population not in node_ids:
        raise FormatError(f"{edges_file}: '{dataset}': node_population '{population}' is not in "
                          f"{circuit_path}; expected one of {sorted(node_ids)}")
    known = node_ids[population]
    pos = np.minimum(np.searchsorted(known, ids), known.size - 1)
    bad = np.flatnonzero(known[pos] != ids)
    if bad.size:
        row = int(bad[0])
        raise FormatError(f"{edges_file}: '{dataset}': row {row}: node id {int(ids[row])} is not in node population "
                          f"'{population}'; expected ids of its {known.size} nodes ({int(known[0])}..{int(known[-1])})")
