"""Node-types and edge-types tables: space-separated CSV with NULL for missing values."""

from __future__ import annotations

import ast
import csv
import io
import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from simlib.errors import FormatError
from simlib.fileio import atomic_path

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

    Raises
    ------
    FormatError
        If the file is missing, unreadable, lacks `id_column`, or has duplicate type ids.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: file not found")
    try:
        df = pd.read_csv(path, sep=" ", quotechar='"', keep_default_na=False, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: not a space-separated types table ({exc})") from None
    df.columns = [c.strip() for c in df.columns]
    if id_column not in df.columns:
        raise FormatError(f"{path}: column '{id_column}' missing; found columns {list(df.columns)}")
    try:
        ids = df[id_column].astype(np.int64)
    except ValueError:
        raise FormatError(f"{path}: column '{id_column}' must hold integers") from None
    if ids.duplicated().any():
        raise FormatError(f"{path}: column '{id_column}' has duplicate ids {sorted(set(ids[ids.duplicated()]))}")
    out = {id_column: ids.to_numpy()}
    for col in df.columns:
        if col == id_column:
            continue
        parsed = [_parse_scalar(v) for v in df[col]]
        out[col] = pd.Series(parsed, dtype=object)
    result = pd.DataFrame(out)
    for col in result.columns:
        if col != id_column:
            result[col] = _narrow(result[col])
    return result


def _parse_scalar(value: str):
    parsed = parse_value(value)
    if isinstance(parsed, str):
        for cast in (int, float):
            try:
                return cast(parsed)
            except ValueError:
                pass
    return parsed


def _narrow(col):
    """Give a column a numeric dtype when every non-NULL value is a number."""
    import pandas as pd

    values = [v for v in col if v is not None]
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        if len(values) == len(col) and all(isinstance(v, int) for v in values):
            return col.astype(np.int64)
        return pd.Series([np.nan if v is None else float(v) for v in col], dtype=float)
    return col
