"""Per-row columns of a SONATA node or edge population: group properties, the types-table join, a DataFrame."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from simlib.errors import FormatError
from simlib.sonata.types_csv import read_types_columns


def population_columns(pop, kind: str, datasets: Sequence[str], types_path, path
                       ) -> tuple[dict[str, np.ndarray], list[str]]:
    """The per-row columns of a node or edge population, and the names of those from its types table.

    Parameters
    ----------
    pop : NodePopulationData or EdgePopulationData
        The population's arrays.
    kind : {'node', 'edge'}
        Names the ``<kind>_type_id``, ``<kind>_group_id`` and ``<kind>_group_index`` arrays.
    datasets : sequence of str
        The population's own arrays, in column order (``node_id``, ``node_type_id``, ...).
    types_path : path-like or None
        The types table to join on ``<kind>_type_id``.
    path : path-like
        The population's file, for messages.
    """
    columns = {name: getattr(pop, name) for name in datasets}
    group_id, group_index = getattr(pop, f"{kind}_group_id"), getattr(pop, f"{kind}_group_index")
    add_group_columns(columns, len(group_id), group_id, group_index, pop.groups)
    if types_path is None:
        return columns, []
    return columns, join_types(columns, getattr(pop, f"{kind}_type_id"), types_path, f"{kind}_type_id", path)


def add_group_columns(columns: dict[str, np.ndarray], n: int, group_id: np.ndarray, group_index: np.ndarray,
                      groups: list[dict[str, np.ndarray]]) -> None:
    """Add every group property to `columns` as one value per row (rows in file order).

    A numeric property some groups lack is NaN there (float64); other properties are object arrays
    with None where missing, one array per row for per-row arrays (2-D datasets).
    """
    for gid, cols in enumerate(groups):
        if len(groups) == 1 and n and not group_id.any():     # the only group has every row: no row list
            rows, idx = slice(None), group_index
        else:
            rows = np.flatnonzero(group_id == gid)
            idx = group_index[rows]
        in_order = isinstance(rows, slice) and is_range(idx)
        for name, values in cols.items():
            if in_order and name not in columns and values.ndim == 1 and values.dtype.kind in "iuf" \
                    and len(values) == n:
                columns[name] = values      # one group holding every row in order: the dataset is the column
                continue
            if name not in columns:
                if values.ndim == 1 and values.dtype.kind in "iuf":
                    columns[name] = np.full(n, np.nan) if len(groups) > 1 else np.zeros(n, dtype=values.dtype)
                else:
                    columns[name] = np.full(n, None, dtype=object)
            if values.ndim > 1:
                for row, value in zip(np.arange(n)[rows].tolist(), values[idx]):    # one array per row
                    columns[name][row] = value
            else:
                columns[name][rows] = values[idx]


def is_range(values: np.ndarray) -> bool:
    """Whether integer `values` are 0, 1, ..., len - 1 (without building that range)."""
    return values.size == 0 or (int(values[0]) == 0 and int(values[-1]) == values.size - 1
                                and bool(np.all(values[1:] > values[:-1])))


def distinct_ids(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of integer ids (node, type or group ids), by counting them when they are small
    and non-negative, as such ids are: one pass instead of sorting or hashing millions of rows."""
    if values.size and values.dtype.kind in "iu" and int(values.min()) >= 0 \
            and int(values.max()) < 4 * values.size + (1 << 20):
        return np.flatnonzero(np.bincount(values.astype(np.intp, copy=False))).astype(values.dtype, copy=False)
    return np.unique(values)


def join_types(columns: dict[str, np.ndarray], type_ids: np.ndarray, types_path, id_column: str,
               path) -> list[str]:
    """Add the types table's columns to `columns`, one value per row by `type_ids`; returns their names.

    Columns already present (per-row values) win over the table's, except in rows whose group lacks
    the property (:func:`fill_from_types`).

    Raises
    ------
    FormatError
        The table is unreadable, or lacks type ids that `path` uses.
    """
    types = read_types_columns(types_path, id_column)
    row = type_rows(types[id_column], type_ids, types_path, id_column, path)
    fill_from_types(columns, types, row)
    added = [name for name in types if name not in columns]
    for name in added:
        columns[name] = types[name][row]
    return added


def fill_from_types(columns: dict[str, np.ndarray], types: dict[str, np.ndarray], row: np.ndarray) -> None:
    """Give the rows whose group lacks a per-row property their type's value of it, in place.

    SONATA lets one edge (or node) group store a property per row while the types table holds it for the
    rows of other groups; those rows are NaN (numeric) or None in the per-row column
    (:func:`add_group_columns`) and take the table's value. A column that cannot hold the table's
    values (numbers beside text) becomes an object array.
    """
    for name, values in list(columns.items()):
        if name not in types or values.ndim != 1:
            continue
        missing = np.isnan(values) if values.dtype.kind == "f" else (
            np.array([v is None for v in values.tolist()]) if values.dtype == object else None)
        if missing is None or not missing.any():
            continue
        fill = types[name][row[missing]]
        if values.dtype.kind == "f" and fill.dtype.kind not in "iufb":
            values = values.astype(object)
        elif not values.flags.writeable:
            values = values.copy()
        values[missing] = fill
        columns[name] = values


def type_rows(ids: np.ndarray, type_ids: np.ndarray, types_path, id_column: str, path) -> np.ndarray:
    """Row of the types table (whose type ids are `ids`) of each of `type_ids`.

    Raises
    ------
    FormatError
        `type_ids` holds ids that the table lacks (all of them named).
    """
    if ids.size and int(ids.min()) >= 0 and int(ids.max()) < (1 << 24):    # ids as small as type ids are
        lookup = np.full(int(ids.max()) + 2, -1, dtype=np.intp)
        lookup[ids] = np.arange(ids.size)
        inside = type_ids.size == 0 or (type_ids.min() >= 0 and type_ids.max() <= ids.max())
        row = lookup[type_ids if inside else np.clip(type_ids, -1, ids.max() + 1)]   # -1, max + 1: outside
        complete = row.size == 0 or row.min() >= 0
    else:
        by_id = np.argsort(ids)
        pos = np.searchsorted(ids, type_ids, sorter=by_id)
        row = by_id[np.minimum(pos, max(ids.size - 1, 0))] if ids.size else np.full(type_ids.shape, -1, dtype=np.intp)
        row[(ids[row] != type_ids) if ids.size else slice(None)] = -1
        complete = bool(np.all(row >= 0))
    if not complete:        # unique only over the few missing ids, not over every row
        missing = np.setdiff1d(np.unique(type_ids[row < 0]), ids)
        raise FormatError(f"{types_path}: {id_column} {missing.tolist()} used in {path} but not in the table")
    return row


def data_frame(columns: dict[str, np.ndarray], keep_dtype: Collection[str] = ()):
    """A pandas DataFrame of `columns`; the `keep_dtype` ones keep their numpy dtype (object stays object).

    The others get pandas' inferred dtype (object arrays of strings become string columns).
    """
    import pandas as pd

    return pd.DataFrame({name: pd.Series(values, dtype=values.dtype) if name in keep_dtype else values
                         for name, values in columns.items()})
