"""SONATA nodes files (`*_nodes.h5`) plus their node-types table: read and write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from simlib.errors import FormatError
from simlib.fileio import h5_compression
from simlib.sonata.files import atomic_h5, from_h5_array, h5_errors, open_h5, population_names, read_ids, to_h5_array
from simlib.sonata.columns import data_frame, is_range, population_columns

RESERVED_NODE_DATASETS = ("node_id", "node_type_id", "node_group_id", "node_group_index")


@dataclass
class NodePopulationData:
    """The arrays of one node population, as stored in a SONATA nodes file."""

    name: str
    node_id: np.ndarray
    node_type_id: np.ndarray
    node_group_id: np.ndarray
    node_group_index: np.ndarray
    groups: list[dict[str, np.ndarray]] = field(default_factory=list)


def _dataset(group: h5py.Group, name: str, data, compression) -> None:
    data = to_h5_array(data)
    group.create_dataset(name, data=data, **h5_compression(compression, data.dtype, np.size(data)))


def write_nodes(path, populations: list[NodePopulationData], compression="gzip") -> None:
    """Write one or more node populations to a SONATA nodes file (atomically).

    Dtypes follow BMTK: ids uint64, group ids uint32, group index uint64; group columns keep
    their numpy dtype (strings become variable-length UTF-8).
    """
    with atomic_h5(path) as h5:
        root = h5.create_group("nodes")
        for pop in populations:
            grp = root.create_group(pop.name)
            _dataset(grp, "node_id", np.asarray(pop.node_id, dtype=np.uint64), compression)
            _dataset(grp, "node_type_id", np.asarray(pop.node_type_id, dtype=np.uint64), compression)
            _dataset(grp, "node_group_id", np.asarray(pop.node_group_id, dtype=np.uint32), compression)
            _dataset(grp, "node_group_index", np.asarray(pop.node_group_index, dtype=np.uint64), compression)
            for gid, columns in enumerate(pop.groups):
                sub = grp.create_group(str(gid))
                for name, values in columns.items():
                    try:
                        _dataset(sub, name, values, compression)
                    except TypeError as exc:
                        raise FormatError(f"{path}: node property '{name}' of population '{pop.name}' "
                                          f"cannot be stored in HDF5 ({exc}); expected numbers or strings") from None


def node_populations(path) -> list[str]:
    """Names of the node populations in a SONATA nodes file.

    Raises
    ------
    FormatError
        Not a readable HDF5 file, no ``/nodes`` group, or no population in it.
    """
    with open_h5(path) as h5, h5_errors(path, "/nodes"):
        return population_names(h5, path, "nodes")


def _pick_population(path, available: list[str], population: str | None, kind: str) -> str:
    if population is None:
        if len(available) != 1:
            raise FormatError(f"{path}: holds {kind} populations {available}; name one with population=")
        return available[0]
    if population not in available:
        raise FormatError(f"{path}: {kind} population '{population}' not found; available: {available}")
    return population


def read_node_population(path, population: str | None = None) -> NodePopulationData:
    """Read and validate the raw arrays of one node population.

    Raises
    ------
    FormatError
        Not a readable (or a damaged) HDF5 file, a dataset or group missing, ids that are not
        integers >= 0, lengths that disagree, duplicate node ids, an empty population, group ids or
        indices pointing outside the groups.
    """
    with open_h5(path) as h5, h5_errors(path, "/nodes"):
        name = _pick_population(path, population_names(h5, path, "nodes"), population, "node")
        base = f"/nodes/{name}"
        grp = h5["nodes"][name]
        if not isinstance(grp, h5py.Group):
            raise FormatError(f"{path}: '{base}': expected a group holding the population's datasets, got a dataset")
        arrays = {}
        for ds in RESERVED_NODE_DATASETS:
            if ds == "node_id" and ds not in grp:
                continue  # optional in SONATA: implicit 0..N-1
            arrays[ds] = read_ids(h5, path, f"{base}/{ds}")
        n = len(arrays["node_type_id"])
        if n == 0:
            raise FormatError(f"{path}: '{base}/node_type_id': the population holds no node; expected at least one")
        arrays.setdefault("node_id", np.arange(n, dtype=np.int64))
        for ds, arr in arrays.items():
            if len(arr) != n:
                raise FormatError(f"{path}: dataset '{base}/{ds}' has {len(arr)} rows; expected {n} "
                                  f"(the length of node_type_id)")
        ids = arrays["node_id"]
        if not is_range(ids) and np.unique(ids).size < n:
            repeated = np.unique(ids)[np.bincount(np.searchsorted(np.unique(ids), ids)) > 1]
            raise FormatError(f"{path}: '{base}/node_id': ids {repeated[:5].tolist()} repeated; expected unique ids")
        groups = []
        gids = sorted(int(k) for k in grp.keys() if k.isdigit())
        if gids != list(range(len(gids))):
            raise FormatError(f"{path}: node groups of '{base}' are {gids}; expected 0..{len(gids) - 1}")
        for gid in gids:
            sub = grp[str(gid)]
            if not isinstance(sub, h5py.Group):
                raise FormatError(f"{path}: '{base}/{gid}': expected a node group (an HDF5 group), got a dataset")
            cols = {k: from_h5_array(v, path) for k, v in sub.items() if isinstance(v, h5py.Dataset)}
            size = int(np.sum(arrays["node_group_id"] == gid))
            for k, v in cols.items():
                if v.ndim == 0 or len(v) < size:
                    raise FormatError(f"{path}: dataset '{base}/{gid}/{k}' has {len(v) if v.ndim else 0} rows; "
                                      f"group {gid} holds {size} nodes")
            groups.append(cols)
        bad = np.setdiff1d(np.unique(arrays["node_group_id"]), np.arange(len(groups)))
        if bad.size:
            raise FormatError(f"{path}: '{base}/node_group_id' refers to missing groups {bad.tolist()}; "
                              f"expected group ids 0..{len(groups) - 1}")
        for gid in range(len(groups)):
            idx = arrays["node_group_index"][arrays["node_group_id"] == gid]
            nrows = max((len(v) for v in groups[gid].values()), default=None)
            if nrows is not None and idx.size and idx.max() >= nrows:
                raise FormatError(f"{path}: '{base}/node_group_index' points outside group {gid} "
                                  f"(value {int(idx.max())}; expected below {nrows}, the group's rows)")
        return NodePopulationData(name, arrays["node_id"], arrays["node_type_id"], arrays["node_group_id"],
                                  arrays["node_group_index"], groups)


def read_nodes(path, types_path=None, population: str | None = None):
    """Read a node population into a DataFrame, one row per node, in file order.

    Columns: ``node_id``, ``node_type_id``, ``node_group_id``, ``node_group_index``, every group
    property (missing in other groups → NaN/None) and, when `types_path` is given, every column of
    the node-types table joined on ``node_type_id`` (per-node values win over shared ones): the
    columns of :func:`read_node_columns`, the types table's keeping their numpy dtypes.
    The population name is stored in ``df.attrs['population']``.

    Raises
    ------
    FormatError
        Missing datasets or groups, inconsistent lengths, or node types missing from the table.
    """
    pop = read_node_population(path, population)
    columns, from_types = population_columns(pop, "node", RESERVED_NODE_DATASETS, types_path, path)
    df = data_frame(columns, keep_dtype=from_types)
    df.attrs["population"] = pop.name
    df.attrs["path"] = str(Path(path))
    return df


def read_node_columns(path, types_path=None, population: str | None = None) -> dict[str, np.ndarray]:
    """:func:`read_nodes` without pandas (a quicker start): the same columns, as 1-D arrays in file order.

    A property some groups lack is NaN there if numeric (float64), else None (an object array, also
    for strings and per-node lists). Columns of the node-types table are joined on ``node_type_id``
    (per-node values win over shared ones).

    Raises
    ------
    FormatError
        Missing datasets or groups, inconsistent lengths, or node types missing from the table.
    """
    pop = read_node_population(path, population)
    return population_columns(pop, "node", RESERVED_NODE_DATASETS, types_path, path)[0]
