"""PopNet's rate files: the ``pop_rates`` input CSV (external populations) and the output rates file.

Input (BMTK's ``module: pop_rates``), whitespace- or comma-separated with a header::

    gid firing_rate            one constant rate (Hz) per external population
    100 15.0

``gid`` is the population's id: its value of the grouping attribute (``node_type_id`` by default,
as in BMTK). A column named after the grouping attribute (e.g. ``pop_name``) is read first when
present, so one file can serve BMTK (gid = node_type_id) and a run grouped by ``pop_name``. simlib also
reads rates that change in time: a ``time`` column (seconds, PopNet's unit) with several rows per
population, strictly increasing, linear in between and held before the first and after the last.

Output (BMTK's layout, what ``bmtk.analyzer.firing_rates.plot_rates_popnet`` reads): no header,
one line per population and step, space-separated ``<population id> <time (s)> <rate (Hz)>``,
population by population; the time is the end of the step, the rate the mean over the step.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from simlib.errors import FormatError, show_value
from simlib.fileio import atomic_path, require_file
from simlib.popnet.model import RateFunction, constant_rate, table_rate

ID_COLUMNS = ("gid", "population", "pop_id")


def read_pop_rates(path, group_by: str = "node_type_id") -> dict[str, RateFunction]:
    """The rates of a ``pop_rates`` CSV, as ``{population id (text): rate function of time (s)}``.

    Raises
    ------
    FormatError
        ``<path>: ...`` naming the line and column of the first problem: no id or ``firing_rate``
        column, a rate that is not a number >= 0, a time that is not a number, or times of one
        population that do not increase.
    """
    import pandas as pd

    path = require_file(path)
    try:
        table = pd.read_csv(path, sep=r"[\s,]+", engine="python", dtype=str, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: not a rates table ({str(exc).splitlines()[0]}); expected columns "
                          "gid firing_rate [time]") from None
    table.columns = [str(c).strip() for c in table.columns]
    id_col = next((c for c in (group_by, *ID_COLUMNS) if c in table.columns), None)
    if id_col is None or "firing_rate" not in table.columns:
        raise FormatError(f"{path}: columns {list(table.columns)}; expected gid (or {group_by}), firing_rate and "
                          "optionally time (s)")
    ids = table[id_col].astype(str).str.strip().to_numpy()
    rates = _numbers(table["firing_rate"], path, "firing_rate")
    bad = np.flatnonzero(rates < 0)
    if bad.size:
        raise FormatError(f"{path}: line {bad[0] + 2}, column 'firing_rate': {rates[bad[0]]} is negative; expected "
                          "a rate >= 0 (Hz)")
    times = _numbers(table["time"], path, "time") if "time" in table.columns else None
    out: dict[str, RateFunction] = {}
    for pop in dict.fromkeys(ids):
        rows = np.flatnonzero(ids == pop)
        if times is None:
            if rows.size > 1:
                raise FormatError(f"{path}: line {rows[1] + 2}: population {pop} has several rates and no time "
                                  "column; expected one row per population, or a column time (s)")
            out[pop] = constant_rate(rates[rows[0]])
            continue
        t = times[rows]
        step = np.flatnonzero(np.diff(t) <= 0)
        if step.size:
            line = rows[step[0] + 1] + 2
            raise FormatError(f"{path}: line {line}, column 'time': population {pop}: {t[step[0] + 1]} s does not "
                              f"follow {t[step[0]]} s; expected strictly increasing times per population")
        out[pop] = table_rate(t, rates[rows])
    if not out:
        raise FormatError(f"{path}: no rows; expected one rate per external population")
    return out


def _numbers(column, path, name: str) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise FormatError(f"{path}: line {bad[0] + 2}, column '{name}': {show_value(column.iloc[bad[0]])} is not a "
                          "number")
    return values


def write_rates(path, ids: Sequence, times_s: np.ndarray, rates_hz: np.ndarray) -> Path:
    """Write rates ((steps, populations) Hz at ``times_s``) in BMTK's PopNet layout, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for j, pop in enumerate(ids):
        block = np.column_stack([times_s, rates_hz[:, j]])
        lines.append("\n".join(f"{pop} {t:.10g} {r:.10g}" for t, r in block.tolist()))
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + ("\n" if lines else ""))
    return path


def read_rates(path):
    """A PopNet rates file (BMTK's layout) as a DataFrame with columns ``id`` (text), ``time`` (s), ``rate`` (Hz).

    Raises
    ------
    FormatError
        The file is missing, or a line does not hold an id and two numbers.
    """
    import pandas as pd

    path = require_file(path)
    try:
        df = pd.read_csv(path, sep=r"\s+", header=None, names=["id", "time", "rate"], dtype={"id": str},
                         engine="python")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: not a PopNet rates file ({str(exc).splitlines()[0]}); expected lines "
                          "'<population id> <time (s)> <rate (Hz)>'") from None
    except pd.errors.EmptyDataError:
        return pd.DataFrame({"id": pd.Series(dtype=str), "time": pd.Series(dtype=float),
                             "rate": pd.Series(dtype=float)})
    for name in ("time", "rate"):
        values = pd.to_numeric(df[name], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            raise FormatError(f"{path}: line {bad[0] + 1}: {name} {show_value(df[name].iloc[bad[0]])} is not a "
                              "number; expected '<population id> <time (s)> <rate (Hz)>'")
        df[name] = values.astype(float)
    return df
