"""Node-types and edge-types tables: space-separated CSV with NULL for missing values."""

from __future__ import annotations

import ast
import csv
import io
import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from simlib.errors import FormatError, show_value
from simlib.fileio import atomic_path, require_file

NULL = "NULL"


def format_value(value) -> str:
    """Format one table cell the way BMTK does: NULL for None, Python repr for lists."""
    if value is None:
        return NULL
    if isinstance(value, float) and np.isnan(value):
        return NULL
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, tuple):
        value = list(value)  # a list repr stays JSON-readable (BMTK reads distance_range with json.loads)
    if isinstance(value, (list, dict)):
        return repr(value)
    return str(value)


def write_types_csv(path, rows: Sequence[Mapping], id_columns: Sequence[str]) -> None:
    """Write a node- or edge-types table.

    Parameters
    ----------
    path : output file (written atomically).
    rows : one mapping per type; keys become columns.
    id_columns : columns written first (``node_type_id`` or ``edge_type_id target_query source_query``);
        the other columns follow in order of first appearance (BMTK's order depends on PYTHONHASHSEED).
    """
    columns = list(id_columns)
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=" ", lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([format_value(row.get(c)) for c in columns])
    with atomic_path(path) as tmp:
        Path(tmp).write_text(buf.getvalue())


def parse_value(value):
    """Turn a table cell back into a Python value (numbers, lists, dicts, strings, None)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if not isinstance(value, str):
        return value.item() if isinstance(value, np.generic) else value
    if value == NULL:
        return None
    text = value.strip()
    if text[:1] in "[{(":
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            try:
                return json.loads(text)
            except ValueError:
                return value
    return value


def read_types_csv(path, id_column: str):
    """Read a node- or edge-types table into a DataFrame indexed by nothing, one row per type.

    The columns of :func:`read_types_columns`, with their numpy dtypes (lists and strings as objects).

    Raises
    ------
    FormatError
        If the file is missing, unreadable, lacks `id_column`, has duplicate type ids or column
        names, or a row with more cells than the header.
    """
    import pandas as pd

    return pd.DataFrame({name: pd.Series(values, dtype=values.dtype)
                         for name, values in read_types_columns(path, id_column).items()})


def read_types_columns(path, id_column: str) -> dict[str, np.ndarray]:
    """Read a node- or edge-types table as columns: int64 type ids, and each other column parsed and narrowed.

    The file is split as ``pandas.read_csv(sep=' ', quotechar='"', skipinitialspace=True)`` splits
    it (repeated spaces count as one, blank lines are skipped, short rows end in empty cells).

    Raises
    ------
    FormatError
        If the file is missing, unreadable, lacks `id_column`, has duplicate type ids or column
        names, or a row with more cells than the header.
    """
    path = require_file(path)
    rows, lines = [], []
    expected = "expected a space-separated types table"
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh, delimiter=" ", quotechar='"', skipinitialspace=True)
            for row in reader:
                if any("\n" in cell or "\r" in cell for cell in row):
                    raise FormatError(f"{path}: line {lines[-1] + 1 if lines else 1}: a quoted cell runs past the end "
                                      f"of the line; expected a closing '\"' on the same line")
                if row:
                    rows.append(row)
                    lines.append(reader.line_num)
    except csv.Error as exc:
        raise FormatError(f"{path}: line {reader.line_num}: {exc}; {expected}") from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: byte {exc.start + 1}: not UTF-8 text; {expected}") from None
    header = [name.strip() for name in rows[0]] if rows else []
    if len(set(header)) < len(header):
        raise FormatError(f"{path}: line 1: repeated column names in {header}; expected each name once")
    long = [line for line, row in zip(lines[1:], rows[1:]) if len(row) > len(header)]
    if long:
        raise FormatError(f"{path}: line {long[0]} has more cells than the {len(header)} column names")
    body = [row + [""] * (len(header) - len(row)) for row in rows[1:]]
    cells = {name: [row[j] for row in body] for j, name in enumerate(header)}
    return _typed_columns(path, cells, id_column, lines[1:])


def _typed_columns(path: Path, cells: dict[str, list[str]], id_column: str, lines=None) -> dict[str, np.ndarray]:
    """Columns of a types table from its text cells: int64 ids, and each other column parsed and narrowed.

    `lines` holds the file's line number of each row (for messages).
    """
    if id_column not in cells:
        raise FormatError(f"{path}: column '{id_column}' missing; found columns {list(cells)}")
    ids = []
    for i, value in enumerate(cells[id_column]):
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            line = lines[i] if lines else i + 2
            raise FormatError(f"{path}: line {line}, column '{id_column}': {show_value(value)} is not an integer; "
                              f"expected integer type ids") from None
    try:
        ids = np.array(ids, dtype=np.int64)
    except OverflowError:
        raise FormatError(f"{path}: column '{id_column}': an id beyond 64 bits; expected integer type ids "
                          f"below 2^63") from None
    unique, counts = np.unique(ids, return_counts=True)
    if np.any(counts > 1):
        raise FormatError(f"{path}: column '{id_column}' has duplicate ids {unique[counts > 1].tolist()}")
    out = {id_column: ids}
    for name, values in cells.items():
        if name != id_column:
            out[name] = _narrow([_parse_scalar(v) for v in values])
    return out


def _parse_scalar(value: str):
    parsed = parse_value(value)
    if isinstance(parsed, str):
        for cast in (int, float):
            try:
                return cast(parsed)
            except ValueError:
                pass
    return parsed


def _narrow(values: list) -> np.ndarray:
    """A column as int64 when every value is an int, float64 (NaN for NULL) when every non-NULL value is a
    number, else as objects."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        if len(present) == len(values) and all(isinstance(v, int) for v in present):
            return np.array(values, dtype=np.int64)
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):      # one by one: list values stay lists
        out[i] = value
    return out
