"""The point-neuron version of a built network: the same SONATA h5 files, re-typed for PointNet.

The seed's comparison of one network "across different levels of resolution": the nodes and
edges files are kept (hard-linked, else copied) and only the types tables change. Every
biophysical node type becomes a ``point_process`` with the NEST model and parameter file given for
its group (by default its ``pop_name``); every edge type onto such cells gets a NEST synapse model,
its parameter file, and its ``syn_weight`` times a scale given for its synapse class (by default
the edge type's ``dynamics_params``, e.g. ``ExcToExc.json``) — conductances in µS for NEURON's
Exp2Syn become currents in pA (or conductances in nS) for NEST. Compartment-only columns
(``morphology``, ``model_processing``, ``target_sections``, ``distance_range``) are dropped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from simlib.errors import ConfigError, FormatError
from simlib.fileio import atomic_dir

DROPPED_NODE_COLUMNS = ("morphology", "model_processing")
DROPPED_EDGE_COLUMNS = ("target_sections", "distance_range")


def derive_point_network(circuit_config, output_dir, cells: Mapping[str, Mapping], synapses: Mapping[str, Mapping],
                         cell_key: str = "pop_name", synapse_key: str = "dynamics_params") -> Path:
    """Write the point version of the network of ``circuit_config`` to ``output_dir``; return its circuit config.

    Parameters
    ----------
    circuit_config
        The built network's circuit config.
    output_dir
        The new network folder (replaced only when complete).
    cells
        ``{group: {"model_template": "nest:<model>", "dynamics_params": "<file>.json"}}`` for every
        value of ``cell_key`` among the biophysical node types.
    synapses
        ``{class: {"syn_weight_scale": s, "model_template": "<NEST synapse model>", "dynamics_params":
        "<file>.json"}}`` for every value of ``synapse_key`` among the edge types onto those cells.
    cell_key, synapse_key
        Node-type and edge-type columns naming the groups.

    Raises
    ------
    ConfigError
        A group or synapse class of the network has no entry, or an entry misses a key.
    FormatError
        A types table lacks the columns the conversion needs (e.g. ``model_type`` only per node).
    """
    from simlib.sonata.circuit import read_circuit_config, write_circuit_config

    source = Path(circuit_config)
    circuit = read_circuit_config(source)
    output_dir = Path(output_dir)
    with atomic_dir(output_dir) as tmp:
        for entry in circuit["nodes"]:
            _link(entry["nodes_file"], tmp)
            _retype_nodes(Path(entry["node_types_file"]), tmp, cells, cell_key)
        for entry in circuit["edges"]:
            _link(entry["edges_file"], tmp)
            _retype_edges(Path(entry["edge_types_file"]), tmp, synapses, synapse_key)
        write_circuit_config(tmp)
    return output_dir / "circuit_config.json"


def _link(path, folder: Path) -> None:
    path = Path(path)
    try:
        os.link(path, folder / path.name)
    except OSError:  # another filesystem, or no hard links
        shutil.copyfile(path, folder / path.name)


def _rows(path: Path, id_column: str) -> list[dict]:
    from simlib.sonata.types_csv import parse_value, read_types_csv

    df = read_types_csv(path, id_column)
    return [{c: parse_value(v) for c, v in row.items()} for row in df.to_dict(orient="records")]


def _entry(table: Mapping, group, keys: tuple, what: str, source: str) -> Mapping:
    if group not in table:
        raise ConfigError(f"{source}: no entry for {what} '{group}' (from the network's types); entries: "
                          f"{', '.join(map(str, table)) or 'none'}")
    entry = table[group]
    missing = [k for k in keys if k not in entry]
    if missing:
        raise ConfigError(f"{source}: {what} '{group}': missing {', '.join(missing)}")
    return entry


def _retype_nodes(path: Path, folder: Path, cells: Mapping, key: str) -> None:
    from simlib.sonata.types_csv import write_types_csv

    rows = _rows(path, "node_type_id")
    out = []
    for row in rows:
        if "model_type" not in row:
            raise FormatError(f"{path}: no model_type column; the point version re-types node types, so "
                              "model_type must be a node-type property")
        if row["model_type"] == "biophysical":
            if row.get(key) is None:
                raise FormatError(f"{path}: node type {row['node_type_id']} has no {key}; expected it to pick "
                                  "the point model")
            entry = _entry(cells, row[key], ("model_template", "dynamics_params"), f"cells {key}", "point network")
            row = {k: v for k, v in row.items() if k not in DROPPED_NODE_COLUMNS}
            row.update(model_type="point_process", model_template=entry["model_template"],
                       dynamics_params=entry["dynamics_params"])
        out.append(row)
    write_types_csv(folder / path.name, out, ["node_type_id"])


def _retype_edges(path: Path, folder: Path, synapses: Mapping, key: str) -> None:
    from simlib.sonata.types_csv import write_types_csv

    rows = _rows(path, "edge_type_id")
    out = []
    for row in rows:
        if row.get(key) is None:
            raise FormatError(f"{path}: edge type {row['edge_type_id']} has no {key}; expected it to pick the "
                              "point synapse")
        if not isinstance(row.get("syn_weight"), (int, float)):
            raise FormatError(f"{path}: edge type {row['edge_type_id']}: syn_weight is not an edge-type number "
                              f"({row.get('syn_weight')!r}); the point version scales it per edge type")
        entry = _entry(synapses, row[key], ("syn_weight_scale", "model_template", "dynamics_params"),
                       f"synapses {key}", "point network")
        row = {k: v for k, v in row.items() if k not in DROPPED_EDGE_COLUMNS}
        row.update(syn_weight=float(row["syn_weight"]) * float(entry["syn_weight_scale"]),
                   model_template=entry["model_template"], dynamics_params=entry["dynamics_params"])
        out.append(row)
    write_types_csv(folder / path.name, out, ["edge_type_id", "target_query", "source_query"])
