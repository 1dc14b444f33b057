"""SONATA edges files (`*_edges.h5`, sorted by target, both indices) plus edge types: read and write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from simlib.errors import FormatError
from simlib.sonata.files import atomic_h5, compression_options, from_h5_array, open_h5, require_dataset, to_h5_array
from simlib.sonata.index import build_index
from simlib.sonata.nodes import _pick_population
from simlib.sonata.types_csv import read_types_csv


@dataclass
class EdgePopulationData:
    """The arrays of one edge population, rows already in file order."""

    name: str
    source_population: str
    target_population: str
    source_node_id: np.ndarray
    target_node_id: np.ndarray
    edge_type_id: np.ndarray
    edge_group_id: np.ndarray
    edge_group_index: np.ndarray
    groups: list[dict[str, np.ndarray]] = field(default_factory=list)


def _dataset(group, name, data, compression):
    data = to_h5_array(data)
    opts = compression_options(compression) if np.size(data) > 0 else {}
    return group.create_dataset(name, data=data, **opts)


def write_edges(path, populations: list[EdgePopulationData], compression="gzip") -> None:
    """Write edge populations with both SONATA indices (atomically).

    Dtypes as BMTK writes them: node ids uint64 (with the ``node_population`` attribute),
    edge_type_id uint32, edge_group_id uint16, edge_group_index uint32, indices uint64.
    """
    with atomic_h5(path) as h5:
        root = h5.create_group("edges")
        for pop in populations:
            grp = root.create_group(pop.name)
            ds = _dataset(grp, "source_node_id", np.asarray(pop.source_node_id, dtype=np.uint64), compression)
            ds.attrs["node_population"] = pop.source_population
            ds = _dataset(grp, "target_node_id", np.asarray(pop.target_node_id, dtype=np.uint64), compression)
            ds.attrs["node_population"] = pop.target_population
            _dataset(grp, "edge_type_id", np.asarray(pop.edge_type_id, dtype=np.uint32), compression)
            _dataset(grp, "edge_group_id", np.asarray(pop.edge_group_id, dtype=np.uint16), compression)
            _dataset(grp, "edge_group_index", np.asarray(pop.edge_group_index, dtype=np.uint32), compression)
            for gid, columns in enumerate(pop.groups):
                sub = grp.create_group(str(gid))
                for name, values in columns.items():
                    try:
                        _dataset(sub, name, values, compression)
                    except TypeError as exc:
                        raise FormatError(f"{path}: edge property '{name}' of population '{pop.name}' "
                                          f"cannot be stored in HDF5 ({exc})") from None
            for index_name, ids in (("target_to_source", pop.target_node_id),
                                    ("source_to_target", pop.source_node_id)):
                n2r, r2e = build_index(np.asarray(ids, dtype=np.int64))
                sub = grp.create_group(f"indices/{index_name}")
                _dataset(sub, "node_id_to_range", n2r, compression)
                # the SONATA spec (and libsonata) names it node_id_to_ranges, BMTK node_id_to_range:
                # a hard link serves both readers without storing the table twice
                sub["node_id_to_ranges"] = sub["node_id_to_range"]
                _dataset(sub, "range_to_edge_id", r2e, compression)


def edge_populations(path) -> list[str]:
    """Names of the edge populations in a SONATA edges file."""
    with open_h5(path) as h5:
        if "edges" not in h5:
            raise FormatError(f"{path}: group '/edges' missing; not a SONATA edges file")
        return list(h5["edges"].keys())


def read_edge_population(path, population: str | None = None) -> EdgePopulationData:
    """Read and validate the raw arrays of one edge population."""
    with open_h5(path) as h5:
        if "edges" not in h5:
            raise FormatError(f"{path}: group '/edges' missing; not a SONATA edges file")
        name = _pick_population(path, list(h5["edges"].keys()), population, "edge")
        grp = h5["edges"][name]
        base = f"/edges/{name}"
        arrays = {}
        for ds in ("source_node_id", "target_node_id", "edge_type_id", "edge_group_id", "edge_group_index"):
            arrays[ds] = require_dataset(h5, path, f"{base}/{ds}")[()].astype(np.int64)
        n = len(arrays["source_node_id"])
        for ds, arr in arrays.items():
            if len(arr) != n:
                raise FormatError(f"{path}: dataset '{base}/{ds}' has {len(arr)} rows; expected {n} "
                                  f"(the length of source_node_id)")
        src_pop = grp["source_node_id"].attrs.get("node_population", "")
        trg_pop = grp["target_node_id"].attrs.get("node_population", "")
        gids = sorted(int(k) for k in grp.keys() if k.isdigit())
        groups = [{k: from_h5_array(v) for k, v in grp[str(g)].items() if isinstance(v, h5py.Dataset)}
                  for g in gids]
        bad = np.setdiff1d(np.unique(arrays["edge_group_id"]), gids)
        if bad.size:
            raise FormatError(f"{path}: '{base}/edge_group_id' refers to missing groups {bad.tolist()}")
        return EdgePopulationData(name, str(src_pop), str(trg_pop), arrays["source_node_id"],
                                  arrays["target_node_id"], arrays["edge_type_id"], arrays["edge_group_id"],
                                  arrays["edge_group_index"], groups)


def read_edges(path, types_path=None, population: str | None = None) -> pd.DataFrame:
    """Read an edge population into a DataFrame, one row per edge in file order.

    Columns: ``source_node_id``, ``target_node_id``, ``edge_type_id``, ``edge_group_id``,
    ``edge_group_index``, the group properties and, with `types_path`, the edge-types columns.
    ``df.attrs`` holds ``population``, ``source_population`` and ``target_population``.
    """
    pop = read_edge_population(path, population)
    n = len(pop.source_node_id)
    df = pd.DataFrame({"source_node_id": pop.source_node_id, "target_node_id": pop.target_node_id,
                       "edge_type_id": pop.edge_type_id, "edge_group_id": pop.edge_group_id,
                       "edge_group_index": pop.edge_group_index})
    for gid, cols in enumerate(pop.groups):
        rows = np.flatnonzero(pop.edge_group_id == gid)
        idx = pop.edge_group_index[rows]
        for name, values in cols.items():
            if len(idx) and idx.max() >= len(values):
                raise FormatError(f"{path}: '/edges/{pop.name}/edge_group_index' points past the end of "
                                  f"'/edges/{pop.name}/{gid}/{name}' ({len(values)} rows)")
            if name not in df.columns:
                df[name] = (np.full(n, np.nan) if values.dtype.kind in "iuf" and len(pop.groups) > 1
                            else np.zeros(n, dtype=values.dtype) if values.dtype.kind in "iuf"
                            else pd.Series([None] * n, dtype=object))
            col = df[name].to_numpy(copy=True)
            col[rows] = values[idx]
            df[name] = col
    if types_path is not None:
        types = read_types_csv(types_path, "edge_type_id")
        missing = np.setdiff1d(np.unique(pop.edge_type_id), types["edge_type_id"].to_numpy())
        if missing.size:
            raise FormatError(f"{types_path}: edge_type_id {missing.tolist()} used in {path} but not in the table")
        shared = [c for c in types.columns if c != "edge_type_id" and c not in df.columns]
        df = df.merge(types[["edge_type_id", *shared]], on="edge_type_id", how="left", sort=False)
    df.attrs.update(population=pop.name, source_population=pop.source_population,
                    target_population=pop.target_population, path=str(Path(path)))
    return df
