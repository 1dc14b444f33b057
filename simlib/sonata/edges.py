"""SONATA edges files (`*_edges.h5`, sorted by target, both indices) plus edge types: read and write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from simlib.errors import FormatError
from simlib.fileio import h5_compression
from simlib.sonata.chunked import ChunkWriter, compression_pool, create_chunked
from simlib.sonata.files import atomic_h5, from_h5_array, h5_errors, open_h5, population_names, read_ids
from simlib.sonata.index import find_runs, index_problem, runs_to_index
from simlib.sonata.nodes import _pick_population
from simlib.sonata.columns import data_frame, distinct_ids, fill_from_types, population_columns, type_rows
from simlib.sonata.types_csv import read_types_columns


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


@dataclass
class EdgePart:
    """Rows of one edge type, already sorted by target node id (e.g. one ConnectionMap).

    `columns` are the group properties of these rows (``nsyns``, or per-synapse properties);
    parts with the same column names and dtypes share a SONATA edge group.
    """

    source_node_id: np.ndarray
    target_node_id: np.ndarray
    edge_type_id: int
    columns: dict[str, np.ndarray]
    dtypes: dict[str, np.dtype] = field(default_factory=dict)  # stored dtype, when not the array's own

    @property
    def group_key(self) -> tuple:
        return tuple(sorted((k, np.dtype(self.dtypes.get(k, np.asarray(v).dtype)).str)
                            for k, v in self.columns.items()))


EDGE_DATASETS = ("source_node_id", "target_node_id", "edge_type_id", "edge_group_id", "edge_group_index")
"""The per-edge datasets of an edge population, in the column order of :func:`read_edges`."""
CHUNK_ROWS = 1 << 18  # rows merged at a time: bounds the writer's working memory
INDEX_WINDOW = 1 << 19  # source-index runs produced at a time


def _search(sorted_ids: np.ndarray, value: int) -> int:
    """np.searchsorted(sorted_ids, value) without converting the whole array to a wider dtype."""
    if sorted_ids.size == 0:
        return 0
    if value > int(sorted_ids[-1]):
        return int(sorted_ids.size)
    return int(np.searchsorted(sorted_ids, np.asarray(value, dtype=sorted_ids.dtype), side="left"))


def _target_chunks(parts: list[EdgePart]) -> list[int]:
    """Target-id boundaries so that each chunk holds about CHUNK_ROWS rows."""
    top = max((int(p.target_node_id[-1]) for p in parts if p.target_node_id.size), default=-1)
    # rows with target <= t, by binary search in each (sorted) part: no pass over the rows
    cum = np.zeros(top + 2, dtype=np.int64)
    for p in parts:
        trg = p.target_node_id
        if trg.size:
            last = int(trg[-1])      # queries in the part's own dtype (no widened copy of the part)
            cum[: last + 1] += np.searchsorted(trg, np.arange(last + 1, dtype=trg.dtype), side="right")
            cum[last + 1:] += trg.size
    marks = np.searchsorted(cum, np.arange(CHUNK_ROWS, cum[-1] if cum.size else 0, CHUNK_ROWS), side="left") + 1
    return sorted(set([0, *marks.tolist(), top + 1]))


def write_edges(path, name: str, source_population: str, target_population: str, parts: list[EdgePart],
                compression="gzip") -> None:
    """Write one edge population, merging parts by target, with both SONATA indices (atomically).

    Rows are sorted by target node id (stable: parts in order, rows in part order). Dtypes as
    BMTK writes them: node ids uint64 (with the ``node_population`` attribute), edge_type_id
    uint32, edge_group_id uint16, edge_group_index uint32, indices uint64. Parts are merged
    CHUNK_ROWS at a time, so the writer needs memory for the source index plus one chunk, not
    for another copy of the whole population.

    Raises
    ------
    FormatError
        A part whose targets are not sorted, or whose columns differ in length from its rows.
    """
    keys: list[tuple] = []
    for k, p in enumerate(parts):
        trg = p.target_node_id
        if trg.size > 1 and np.any(trg[1:] < trg[:-1]):
            raise FormatError(f"{path}: edge part {k} (edge type {p.edge_type_id}) is not sorted by target")
        for col, values in p.columns.items():
            if len(values) != trg.size or len(p.source_node_id) != trg.size:
                raise FormatError(f"{path}: edge type {p.edge_type_id}: column '{col}' has {len(values)} "
                                  f"values for {trg.size} rows")
        if p.group_key not in keys:
            keys.append(p.group_key)
    part_gid = [keys.index(p.group_key) for p in parts]
    group_parts = [[k for k, g in enumerate(part_gid) if g == gid] for gid in range(len(keys))]
    n_rows = sum(p.target_node_id.size for p in parts)
    group_sizes = [sum(p.target_node_id.size for p, g in zip(parts, part_gid) if g == gid) for gid in range(len(keys))]
    with atomic_h5(path) as h5, compression_pool() as pool:
        grp = h5.create_group("edges").create_group(name)
        ds = create_chunked(grp, "source_node_id", (n_rows,), np.uint64, compression)
        ds.attrs["node_population"] = source_population
        ds_src = ChunkWriter(ds, pool)
        ds = create_chunked(grp, "target_node_id", (n_rows,), np.uint64, compression)
        ds.attrs["node_population"] = target_population
        ds_trg = ChunkWriter(ds, pool)
        ds_type = ChunkWriter(create_chunked(grp, "edge_type_id", (n_rows,), np.uint32, compression), pool)
        ds_gid = ChunkWriter(create_chunked(grp, "edge_group_id", (n_rows,), np.uint16, compression), pool)
        ds_gidx = ChunkWriter(create_chunked(grp, "edge_group_index", (n_rows,), np.uint32, compression), pool)
        ds_cols = [{col: ChunkWriter(create_chunked(grp, f"{gid}/{col}", (size,), np.dtype(dt), compression), pool)
                    for col, dt in key} for gid, (key, size) in enumerate(zip(keys, group_sizes))]
        for gid in range(len(keys)):
            grp.require_group(str(gid))

        cursors = [0] * len(parts)
        group_cursor = [0] * len(keys)
        out = 0
        pos_dtype = np.uint32 if n_rows < 1 << 32 else np.uint64
        run_starts = np.empty(n_rows + 1, dtype=pos_dtype)  # pages are touched only as runs are found
        run_counts = np.zeros(_max_id(parts, "source_node_id") + 1, dtype=np.int64)  # runs per source id
        run_ids = np.empty(n_rows, dtype=np.min_scalar_type(_max_id(parts, "source_node_id")))
        n_runs, last_src = 0, -1
        trg_counts = []
        bounds = _target_chunks(parts)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            slices = []
            for k, p in enumerate(parts):
                end = _search(p.target_node_id, hi)
                slices.append((cursors[k], end))
                cursors[k] = end
            sizes = [e - b for b, e in slices]
            m = sum(sizes)
            if m == 0:
                trg_counts.append(np.zeros(hi - lo, dtype=np.int64))
                continue
            trg = np.concatenate([p.target_node_id[b:e] for p, (b, e) in zip(parts, slices)])
            order = np.argsort(trg, kind="stable")
            trg = trg[order]
            src = np.concatenate([p.source_node_id[b:e] for p, (b, e) in zip(parts, slices)])[order]
            part_of = np.repeat(np.arange(len(parts)), sizes)[order]
            gid_rows = np.asarray(part_gid, dtype=np.int64)[part_of] if parts else part_of
            ds_trg.append(trg.astype(np.uint64), owned=True)
            ds_src.append(src.astype(np.uint64), owned=True)
            ds_type.append(np.asarray([p.edge_type_id for p in parts], dtype=np.uint32)[part_of], owned=True)
            ds_gid.append(gid_rows.astype(np.uint16), owned=True)
            if len(keys) == 1:   # one edge group: its index runs on, its columns are the parts' in row order
                gidx = np.arange(group_cursor[0], group_cursor[0] + m, dtype=np.uint32)
                group_cursor[0] += m
                for col, dt in keys[0]:
                    values = np.concatenate([parts[k].columns[col][b:e] for k, (b, e) in enumerate(slices)])
                    values = values[order]
                    kind = np.dtype(dt).kind
                    ds_cols[0][col].append(values.astype(object if kind in "UO" else np.dtype(dt), copy=False),
                                           owned=kind not in "UO")
            else:
                local = (np.concatenate([np.arange(b, e) for b, e in slices]))[order]
                gidx = np.empty(m, dtype=np.uint32)
                for gid, key in enumerate(keys):
                    rows = np.flatnonzero(gid_rows == gid)
                    if rows.size == 0:
                        continue
                    gidx[rows] = group_cursor[gid] + np.arange(rows.size)
                    for col, dt in key:
                        values = np.empty(rows.size, dtype=np.dtype(dt) if np.dtype(dt).kind not in "UO" else object)
                        row_parts = part_of[rows]
                        for k in group_parts[gid]:
                            sel = row_parts == k
                            if not sel.any():
                                continue
                            values[sel] = parts[k].columns[col][local[rows[sel]]]
                        ds_cols[gid][col].append(values, owned=True)
                    group_cursor[gid] += rows.size
            ds_gidx.append(gidx, owned=True)
            starts = find_runs(src, last_src)
            run_starts[n_runs:n_runs + starts.size] = starts + out
            first_ids = src[starts]
            run_ids[n_runs:n_runs + starts.size] = first_ids
            run_counts += np.bincount(first_ids, minlength=run_counts.size)
            n_runs += starts.size
            last_src = int(src[-1])
            trg_counts.append(np.bincount(trg - lo, minlength=hi - lo))
            out += m

        for appender in (ds_src, ds_trg, ds_type, ds_gid, ds_gidx, *(a for cols in ds_cols for a in cols.values())):
            appender.close()
        # target index: rows are sorted by target, so every target with edges is one run
        counts = np.concatenate(trg_counts) if trg_counts else np.zeros(0, dtype=np.int64)
        counts = counts[: int(np.flatnonzero(counts)[-1]) + 1] if counts.any() else counts[:0]
        present = np.flatnonzero(counts)
        ends = np.cumsum(counts)[present]
        t_r2e = np.column_stack([ends - counts[present], ends]).astype(np.uint64)
        t_n2r = np.zeros((counts.size, 2), dtype=np.uint64)
        t_n2r[present, 0] = np.arange(present.size)
        t_n2r[present, 1] = np.arange(1, present.size + 1)
        _write_index(grp, "target_to_source", t_n2r, [(0, t_r2e)], len(t_r2e), compression, pool)
        del t_n2r, t_r2e, counts
        run_starts[n_runs] = n_rows   # the end of the last run
        s_n2r, pieces = runs_to_index(run_starts[:n_runs + 1], run_ids[:n_runs], n_rows,
                                      window=INDEX_WINDOW,
                                      counts=run_counts[: int(np.flatnonzero(run_counts)[-1]) + 1] if n_runs else None)
        del run_ids  # the run table needs only the starts from here on
        _write_index(grp, "source_to_target", s_n2r, pieces, n_runs, compression, pool)


def _max_id(parts: list[EdgePart], field_name: str) -> int:
    return max((int(getattr(p, field_name).max()) for p in parts if getattr(p, field_name).size), default=0)


def _write_index(grp, name: str, n2r: np.ndarray, pieces, n_runs: int, compression, pool) -> None:
    sub = grp.create_group(f"indices/{name}")
    sub.create_dataset("node_id_to_range", data=n2r, **h5_compression(compression, n2r.dtype, n2r.size))
    # the SONATA spec (and libsonata) names it node_id_to_ranges, BMTK node_id_to_range:
    # a hard link serves both readers without storing the table twice
    sub["node_id_to_ranges"] = sub["node_id_to_range"]
    table = ChunkWriter(create_chunked(sub, "range_to_edge_id", (n_runs, 2), np.uint64, compression), pool)
    for _, rows in pieces:  # pieces come in row order, fresh arrays
        table.append(rows, owned=True)
    table.close()


def edge_populations(path) -> list[str]:
    """Names of the edge populations in a SONATA edges file.

    Raises
    ------
    FormatError
        Not a readable HDF5 file, no ``/edges`` group, or no population in it.
    """
    with open_h5(path) as h5, h5_errors(path, "/edges"):
        return population_names(h5, path, "edges")


def _node_population(ds, path) -> str:
    value = ds.attrs.get("node_population")
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str) or not value:
        raise FormatError(f"{path}: '{ds.name}': attribute 'node_population' missing; expected the name of "
                          f"the node population the ids refer to")
    return value


def read_edge_population(path, population: str | None = None) -> EdgePopulationData:
    """Read and validate the raw arrays of one edge population (:func:`check_indices` checks its indices).

    Raises
    ------
    FormatError
        Not a readable (or a damaged) HDF5 file, a dataset, group or ``node_population`` attribute
        missing, ids that are not integers >= 0, lengths that disagree, group ids or indices pointing
        outside the groups.
    """
    with open_h5(path) as h5, h5_errors(path, "/edges"):
        name = _pick_population(path, population_names(h5, path, "edges"), population, "edge")
        base = f"/edges/{name}"
        grp = h5["edges"][name]
        if not isinstance(grp, h5py.Group):
            raise FormatError(f"{path}: '{base}': expected a group holding the population's datasets, got a dataset")
        arrays = {ds: read_ids(h5, path, f"{base}/{ds}") for ds in EDGE_DATASETS}
        n = len(arrays["source_node_id"])
        for ds, arr in arrays.items():
            if len(arr) != n:
                raise FormatError(f"{path}: dataset '{base}/{ds}' has {len(arr)} rows; expected {n} "
                                  f"(the length of source_node_id)")
        src_pop = _node_population(grp["source_node_id"], path)
        trg_pop = _node_population(grp["target_node_id"], path)
        gids = sorted(int(k) for k in grp.keys() if k.isdigit())
        groups = []
        for g in gids:
            if not isinstance(grp[str(g)], h5py.Group):
                raise FormatError(f"{path}: '{base}/{g}': expected an edge group (an HDF5 group), got a dataset")
            groups.append({k: from_h5_array(v, path) for k, v in grp[str(g)].items() if isinstance(v, h5py.Dataset)})
        bad = np.setdiff1d(distinct_ids(arrays["edge_group_id"]), gids)
        if bad.size:
            raise FormatError(f"{path}: '{base}/edge_group_id' refers to missing groups {bad.tolist()}; "
                              f"expected one of {gids}")
        for gid, cols in enumerate(groups):
            idx = arrays["edge_group_index"][arrays["edge_group_id"] == gid]
            for col, values in cols.items():
                if idx.size and (values.ndim == 0 or idx.max() >= len(values)):
                    raise FormatError(f"{path}: '{base}/edge_group_index' points past the end of "
                                      f"'{base}/{gid}/{col}' (value {int(idx.max())}; expected below "
                                      f"{len(values) if values.ndim else 0}, its rows)")
        return EdgePopulationData(name, src_pop, trg_pop, arrays["source_node_id"],
                                  arrays["target_node_id"], arrays["edge_type_id"], arrays["edge_group_id"],
                                  arrays["edge_group_index"], groups)


def check_indices(path, pop: EdgePopulationData) -> None:
    """Check that the ``indices/source_to_target`` and ``indices/target_to_source`` tables of an edge
    population agree with its node id columns (as read by :func:`read_edge_population`).

    Raises
    ------
    FormatError
        An index group or table missing, unreadable, of the wrong shape, or disagreeing with the data.
    """
    base = f"/edges/{pop.name}"
    with open_h5(path) as h5, h5_errors(path, f"{base}/indices"):
        for side, column in (("source_to_target", "source_node_id"), ("target_to_source", "target_node_id")):
            where = f"{base}/indices/{side}"
            if not isinstance(h5.get(where), h5py.Group):
                raise FormatError(f"{path}: group '{where}' missing; expected the SONATA index of {column}")
            # the SONATA spec names it node_id_to_ranges, BMTK node_id_to_range; either reader may be used
            tables = [t for t in ("node_id_to_range", "node_id_to_ranges") if t in h5[where]]
            if len(tables) == 2 and h5[f"{where}/{tables[0]}"] == h5[f"{where}/{tables[1]}"]:
                tables = tables[:1]         # one dataset under both names (a hard link)
            if not tables:
                raise FormatError(f"{path}: dataset '{where}/node_id_to_range' missing; expected the SONATA index "
                                  f"of {column}")
            r2e = read_ids(h5, path, f"{where}/range_to_edge_id", ndim=2, n_cols=2)
            for table in tables:
                n2r = read_ids(h5, path, f"{where}/{table}", ndim=2, n_cols=2)
                problem = index_problem(getattr(pop, column), n2r, r2e)
                if problem:
                    raise FormatError(f"{path}: '{where}': {problem}")


@dataclass
class EdgeTable:
    """One edge population as columns, the edge-types table kept per type (not yet spread over the edges).

    On millions of edges, spreading the types' string columns over every edge (an object array
    each) and building a DataFrame costs seconds and gigabytes; simulators that group edges by
    type ask :attr:`types` and :attr:`type_row` instead. :meth:`data_frame` is what
    :func:`read_edges` returns.
    """

    name: str
    source_population: str
    target_population: str
    path: str
    own: dict[str, np.ndarray]      # per-edge datasets and group properties, file order
    type_ids: np.ndarray            # the types table's edge_type_id, one per row of `types`
    types: dict[str, np.ndarray]    # the types table's columns that no edge gives itself, one value per type
    type_row: np.ndarray            # row of `types` of each edge, file order

    def __len__(self) -> int:
        return int(self.type_row.size)

    def column(self, name: str) -> np.ndarray | None:
        """One value per edge (file order): the edge's own, else its type's; None if neither has ``name``."""
        if name in self.own:
            return self.own[name]
        if name in self.types:
            return self.types[name][self.type_row]
        return None

    def data_frame(self):
        """The DataFrame of :func:`read_edges`."""
        columns = {**self.own, **{name: values[self.type_row] for name, values in self.types.items()}}
        df = data_frame(columns, keep_dtype=self.types)
        df.attrs.update(population=self.name, source_population=self.source_population,
                        target_population=self.target_population, path=self.path)
        return df


def read_edge_table(path, types_path, population: str | None = None) -> EdgeTable:
    """Read an edge population and its edge-types table as an :class:`EdgeTable`.

    Raises
    ------
    FormatError
        Missing datasets or groups, inconsistent lengths, or edge types missing from the table.
    """
    pop = read_edge_population(path, population)
    own, _ = population_columns(pop, "edge", EDGE_DATASETS, None, path)
    types = read_types_columns(types_path, "edge_type_id")
    row = type_rows(types["edge_type_id"], pop.edge_type_id, types_path, "edge_type_id", path)
    fill_from_types(own, types, row)      # edges of groups without a per-edge property: their type's value
    row = row.astype(np.min_scalar_type(max(len(types["edge_type_id"]) - 1, 0)))   # a few types: small indices
    return EdgeTable(pop.name, pop.source_population, pop.target_population, str(Path(path)), own,
                     types["edge_type_id"], {k: v for k, v in types.items() if k not in own}, row)


def read_edges(path, types_path=None, population: str | None = None):
    """Read an edge population into a DataFrame, one row per edge in file order.

    Columns: ``source_node_id``, ``target_node_id``, ``edge_type_id``, ``edge_group_id``,
    ``edge_group_index``, the group properties and, with `types_path`, the edge-types columns:
    the columns of :func:`read_edge_columns`, the types table's keeping their numpy dtypes.
    ``df.attrs`` holds ``population``, ``source_population`` and ``target_population``.

    Raises
    ------
    FormatError
        Missing datasets or groups, inconsistent lengths, or edge types missing from the table.
    """
    if types_path is not None:
        return read_edge_table(path, types_path, population).data_frame()
    pop = read_edge_population(path, population)
    columns, from_types = population_columns(pop, "edge", EDGE_DATASETS, types_path, path)
    df = data_frame(columns, keep_dtype=from_types)
    df.attrs.update(population=pop.name, source_population=pop.source_population,
                    target_population=pop.target_population, path=str(Path(path)))
    return df


def read_edge_columns(path, types_path=None, population: str | None = None) -> dict[str, np.ndarray]:
    """:func:`read_edges` without pandas: the same columns, as 1-D arrays in file order.

    A property some groups lack is NaN there if numeric (float64), else None (an object array).
    Columns of the edge-types table are joined on ``edge_type_id`` (per-edge values win).

    Raises
    ------
    FormatError
        Missing datasets or groups, inconsistent lengths, or edge types missing from the table.
    """
    pop = read_edge_population(path, population)
    return population_columns(pop, "edge", EDGE_DATASETS, types_path, path)[0]
