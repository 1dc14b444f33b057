"""SONATA circuit (network) config: the JSON listing a network's nodes and edges files."""

from __future__ import annotations

import json
from pathlib import Path

from simlib.errors import FormatError, show_value
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
    """Read a circuit config and resolve ``$NETWORK_DIR``/``${configdir}`` to absolute paths.

    Returns ``{'nodes': [{'nodes_file', 'node_types_file'}], 'edges': [...]}``.
    """
    path = Path(path)
    config = read_json(path, required=("networks",), expected="networks {'nodes': [...], 'edges': [...]}")
    configdir = str(path.resolve().parent)
    manifest = {k.lstrip("$"): str(v).replace("${configdir}", configdir)
                for k, v in config.get("manifest", {}).items()}

    def resolve(value: str) -> str:
        for key, repl in manifest.items():
            value = value.replace(f"${{{key}}}", repl).replace(f"${key}", repl)
        value = value.replace("${configdir}", configdir)
        return value if Path(value).is_absolute() else str(Path(configdir) / value)

    networks = config["networks"]
    if not isinstance(networks, dict):
        raise FormatError(f"{path}: networks: expected an object {{'nodes': [...], 'edges': [...]}}, "
                          f"got {show_value(networks)}")
    out = {"nodes": [], "edges": []}
    for kind, keys in (("nodes", ("nodes_file", "node_types_file")), ("edges", ("edges_file", "edge_types_file"))):
        for i, entry in enumerate(networks.get(kind, [])):
            for key in keys:
                if key not in entry:
                    raise FormatError(f"{path}: networks.{kind}[{i}].{key} missing")
            out[kind].append({k: resolve(entry[k]) for k in keys})
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
