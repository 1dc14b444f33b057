"""Spike CSV files: space-separated columns ``timestamps population node_ids`` (BMTK's layout)."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simlib.errors import FormatError, where
from simlib.fileio import atomic_path, require_file
from simlib.spikes.arrays import POP_NA, as_node_ids, as_timestamps, checked_trains
from simlib.spikes.sorting import sort_index, sort_order as normalise_sort_order

WRITE_COLUMNS = ("timestamps", "population", "node_ids")
_ALIASES = {"timestamps": "timestamps", "population": "population", "node_ids": "node_ids", "gids": "node_ids"}
_EXPECTED = "expected columns timestamps, node_ids[, population]"
_NO_HEADER_COLUMNS = {2: ["timestamps", "node_ids"], 3: ["timestamps", "population", "node_ids"]}

Trains = Mapping[str, tuple[np.ndarray, np.ndarray]]

if TYPE_CHECKING:
    import pandas as pd


def _first_line(path: Path) -> tuple[int, str] | None:
    """Line number (1-based) and text of the first non-blank line, or None if there is none."""
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                return number, line.strip()
    return None


def _not_utf8(path: Path) -> FormatError:
    """The error for a file pandas could not decode, naming its first line that is not UTF-8."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return FormatError(f"{where(path, f'line {number}')}, byte {exc.start + 1}: not UTF-8 text "
                                   f"({line[max(exc.start - 10, 0):exc.start + 10]!r}); expected a UTF-8 text file "
                                   f"with {_EXPECTED[len('expected '):]}")
    return FormatError(f"{path}: not UTF-8 text; expected a UTF-8 text file with {_EXPECTED[len('expected '):]}")


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _columns(path: Path, tokens: list[str]) -> tuple[list[str], bool]:
    """Column names and whether the first line is a header."""
    if any(t in _ALIASES for t in tokens):
        names = [_ALIASES.get(t, t) for t in tokens]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise FormatError(f"{where(path, 'header')}: column {duplicated[0]!r} given twice; {_EXPECTED}")
        for required in ("timestamps", "node_ids"):
            if required not in names:
                raise FormatError(f"{where(path, 'header')}: column {required!r} missing "
                                  f"(found {' '.join(tokens)}); {_EXPECTED}")
        return names, True
    if not _is_number(tokens[0]):
        raise FormatError(f"{where(path, 'header')}: unrecognised header {' '.join(tokens)!r}; {_EXPECTED}")
    if len(tokens) not in _NO_HEADER_COLUMNS:
        raise FormatError(f"{where(path, 'line 1')}: {len(tokens)} columns without a header; expected 2 "
                          "(timestamps node_ids) or 3 (timestamps population node_ids)")
    return _NO_HEADER_COLUMNS[len(tokens)], False


def _numeric(path: Path, values: pd.Series, column: str, lines: np.ndarray) -> np.ndarray:
    """Parse a text column as float64, naming the first line holding a non-number."""
    import pandas as pd

    parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    nan_rows = np.flatnonzero(np.isnan(parsed))
    bad = nan_rows[values.iloc[nan_rows].str.lower().to_numpy() != "nan"] if nan_rows.size else nan_rows
    if bad.size:
        i = int(bad[0])
        text = values.iloc[i]
        problem = "missing value" if text == "" else f"{text!r} is not a number"
        raise FormatError(f"{where(path, f'line {lines[i]}')}, column {column!r}: {problem}; {_EXPECTED}")
    return parsed


def read_csv(path, population: str | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read a spike CSV file.

    Columns are found by the header names (any order; ``gids`` is accepted for ``node_ids``;
    other columns are ignored). Without a header, 2 columns are ``timestamps node_ids`` and 3
    are ``timestamps population node_ids``. Fields are separated by whitespace, or by commas
    if the first line has one.

    Parameters
    ----------
    path : str or path-like
        The CSV file; timestamps in ms.
    population : str, optional
        Without a population column: the name given to all spikes (default
        ``'<sonata:none>'``). With one: read only this population.

    Returns
    -------
    dict
        ``{population: (node_ids int64, timestamps float64 in ms)}`` in order of first
        appearance.

    Raises
    ------
    FormatError
        If the file is missing, a required column is missing, a value is missing or not a
        number (the line is named), times are negative or NaN, node ids are negative or not
        integers, or `population` is not in the file's population column.
    """
    import pandas as pd

    path = require_file(path)
    first = _first_line(path)
    if first is None:
        return {}
    first_number, first_text = first
    sep = "," if "," in first_text else r"\s+"
    tokens = [t.strip() for t in first_text.split(",")] if sep == "," else first_text.split()
    columns, has_header = _columns(path, tokens)
    skip = first_number if has_header else first_number - 1
    try:
        table = pd.read_csv(path, sep=sep, header=None, skiprows=skip, dtype=str, keep_default_na=False,
                            skip_blank_lines=False, engine="c")
    except pd.errors.EmptyDataError:
        return {}
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found is None:
            raise FormatError(f"{path}: cannot parse ({str(exc).strip()}); {_EXPECTED}") from None
        expected, line, saw = (int(g) for g in found.groups())
        raise FormatError(f"{where(path, f'line {line}')}: {saw} fields but {expected} in the first line; "
                          f"{_EXPECTED}") from None
    if table.shape[1] != len(columns):
        raise FormatError(f"{path}: {table.shape[1]} columns of data but the header names {len(columns)}; "
                          f"{_EXPECTED}")
    table.columns = columns
    lines = np.arange(skip + 1, skip + 1 + len(table))
    blank = (table == "").all(axis=1).to_numpy()
    if blank.any():
        table, lines = table[~blank], lines[~blank]
    if table.empty:
        return {}
    if sep == ",":
        table = table.apply(lambda col: col.str.strip())

    times = as_timestamps(_numeric(path, table["timestamps"], "timestamps", lines), path, "timestamps",
                          positions=lines, position_name="line")
    ids = as_node_ids(_numeric(path, table["node_ids"], "node_ids", lines), path, "node_ids",
                      positions=lines, position_name="line")
    if "population" not in table.columns:
        return {population or POP_NA: (ids, times)}
    pops = table["population"].to_numpy(dtype=object)
    missing = pops == ""
    if missing.any():
        line = lines[int(np.flatnonzero(missing)[0])]
        raise FormatError(f"{where(path, f'line {line}')}, column 'population': missing value; {_EXPECTED}")
    names = list(pd.unique(pops))
    if population is not None:
        if population not in names:
            raise FormatError(f"{where(path, 'population')}: population {population!r} not found; "
                              f"the file has {', '.join(map(str, names))}")
        names = [population]
    result = {}
    for name in names:
        mask = pops == name
        result[str(name)] = (ids[mask], times[mask])
    return result


def write_csv(path, trains_by_pop: Trains, sort_order=None) -> None:
    """Write spike trains as a space-separated CSV with header ``timestamps population node_ids``.

    Parameters
    ----------
    path : str or path-like
        Output file, written atomically; missing parent directories are created.
    trains_by_pop : mapping
        ``{population: (node_ids, timestamps)}``; timestamps written as given (normally ms).
    sort_order : str, optional
        'by_time', 'by_id' or 'none' (default, insertion order), applied across populations.

    Raises
    ------
    ConfigError
        On an unknown sort order.
    FormatError
        On invalid spikes, or a population name that is empty or contains whitespace or '/'.
    """
    path = Path(path)
    order = normalise_sort_order(sort_order)
    id_parts, ts_parts, pop_parts = [], [], []
    for pop, ids, ts in checked_trains(path, trains_by_pop):
        id_parts.append(ids)
        ts_parts.append(ts)
        pop_parts.append(np.full(ids.size, pop, dtype=object))
    ids = np.concatenate(id_parts) if id_parts else np.zeros(0, dtype=np.int64)
    ts = np.concatenate(ts_parts) if ts_parts else np.zeros(0)
    pops = np.concatenate(pop_parts) if pop_parts else np.zeros(0, dtype=object)
    index = sort_index(ids, ts, order)
    if index is not None:
        ids, ts, pops = ids[index], ts[index], pops[index]
    # the text of pandas' DataFrame.to_csv(sep=" ", index=False), without importing pandas: numbers as
    # numpy's str(), minimal quoting, "\n" line ends
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=" ", lineterminator="\n")
        writer.writerow(WRITE_COLUMNS)
        writer.writerows(zip(ts.astype(str).tolist(), pops.tolist(), ids.astype(str).tolist()))
