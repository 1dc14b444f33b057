"""Validation of spike arrays (node ids and times) shared by the container and the file readers."""

from __future__ import annotations

import numpy as np

from simlib.errors import ConfigError, FormatError, where

POP_NA = "<sonata:none>"
"""Population name used when none is given (the name BMTK uses, for compatibility)."""

MS_PER = {"ms": 1.0, "s": 1000.0}
"""Milliseconds per unit of every accepted spike-time unit."""
UNITS_TEXT = " or ".join(repr(u) for u in MS_PER)

_INT64_MAX = np.iinfo(np.int64).max


def _position(index: int, positions: np.ndarray | None, position_name: str) -> str:
    label = index if positions is None else int(positions[index])
    return f"{position_name} {label}"


def as_timestamps(values, source, field: str = "timestamps", positions: np.ndarray | None = None,
                  position_name: str = "index", units: str = "ms") -> np.ndarray:
    """Convert spike times to a float64 array and check that they are finite and >= 0.

    Parameters
    ----------
    values : array_like
        Spike times (in `units`).
    source : str or path-like
        The file (or API call) the values come from; named in error messages.
    field : str
        The column or dataset name; named in error messages.
    positions : numpy.ndarray, optional
        Label of each value for messages (e.g. CSV line numbers); default: the array index.
    position_name : str
        What a position is called in messages ("index", "line").
    units : str
        Units of the times, only for messages.

    Returns
    -------
    numpy.ndarray
        1-D float64 array of spike times.

    Raises
    ------
    FormatError
        If a value is not a number, is NaN or infinite, or is negative.
    """
    try:
        times = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"{where(source, field)}: expected numeric spike times in {units} ({exc})") from None
    bad = ~np.isfinite(times)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FormatError(f"{where(source, field)}: {int(bad.sum())} NaN or infinite value(s), first "
                          f"{float(times[i])!r} at {_position(i, positions, position_name)}; "
                          f"expected finite spike times >= 0 {units}")
    neg = times < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise FormatError(f"{where(source, field)}: {int(neg.sum())} negative value(s), first "
                          f"{float(times[i])!r} at {_position(i, positions, position_name)}; "
                          f"expected spike times >= 0 {units}")
    return times


def as_node_ids(values, source, field: str = "node_ids", positions: np.ndarray | None = None,
                position_name: str = "index") -> np.ndarray:
    """Convert node ids to an int64 array and check that they are integers >= 0.

    Accepts signed or unsigned integer input (SONATA files use both int64 and uint64) and
    floats that hold whole numbers (as parsed from text).

    Parameters
    ----------
    values : array_like
        Node ids.
    source, field, positions, position_name
        As for :func:`as_timestamps`.

    Returns
    -------
    numpy.ndarray
        1-D int64 array of node ids.

    Raises
    ------
    FormatError
        If a value is not a whole number, is negative or does not fit in int64.
    """
    try:
        arr = np.asarray(values).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"{where(source, field)}: expected integer node ids ({exc})") from None
    if arr.dtype.kind not in "iuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise FormatError(f"{where(source, field)}: expected integer node ids >= 0, "
                              f"got values of type {arr.dtype}") from None
    if arr.dtype.kind == "u":
        too_big = arr > _INT64_MAX
        if too_big.any():
            i = int(np.flatnonzero(too_big)[0])
            raise FormatError(f"{where(source, field)}: node id {int(arr[i])} at "
                              f"{_position(i, positions, position_name)} does not fit in int64")
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (np.abs(arr) > 2.0**63)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FormatError(f"{where(source, field)}: {float(arr[i])!r} at {_position(i, positions, position_name)} "
                              "is not a whole number; expected integer node ids >= 0")
    ids = arr.astype(np.int64)
    neg = ids < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise FormatError(f"{where(source, field)}: {int(neg.sum())} negative value(s), first {int(ids[i])} "
                          f"at {_position(i, positions, position_name)}; expected node ids >= 0")
    return ids


def kind_text(dtype) -> str:
    """What kind of values a numpy dtype holds, for messages ("floating-point", "string", ...)."""
    return {"i": "integer", "u": "integer", "f": "floating-point", "b": "boolean", "c": "complex"}.get(
        np.dtype(dtype).kind, "string")


def ragged_ends(ends, n_values: int, source, field: str) -> np.ndarray:
    """Check the end offsets of a ragged column (NWB ``<column>_index``): row k holds values ends[k-1]:ends[k].

    Parameters
    ----------
    ends : array_like
        One end offset per row.
    n_values : int
        Number of flat values the offsets index.
    source, field
        As for :func:`as_timestamps`.

    Returns
    -------
    numpy.ndarray
        1-D int64 array of the offsets.

    Raises
    ------
    FormatError
        If the offsets are not integers, fall outside 0..`n_values`, or decrease.
    """
    arr = np.asarray(ends).reshape(-1)
    if arr.dtype.kind not in "iu":
        raise FormatError(f"{where(source, field)}: expected integer end offsets of the rows, got "
                          f"{kind_text(arr.dtype)} values")
    bad = np.flatnonzero((arr < 0) | (arr > n_values))
    if bad.size:
        raise FormatError(f"{where(source, field)}: row {bad[0]}: end offset {arr[bad[0]]} is outside the "
                          f"{n_values} values; expected offsets 0..{n_values}")
    arr = arr.astype(np.int64)
    bad = np.flatnonzero(np.diff(arr) < 0)
    if bad.size:
        raise FormatError(f"{where(source, field)}: row {bad[0] + 1}: end offset {arr[bad[0] + 1]} is below the "
                          f"previous {arr[bad[0]]}; expected non-decreasing offsets")
    return arr


def check_population_name(name, source) -> str:
    """Return `name` if it can name a population in every spike format, else raise.

    Raises
    ------
    FormatError
        If the name is not a non-empty string, or contains '/' or whitespace (which the
        HDF5 group path and the space-separated CSV cannot hold).
    """
    if not isinstance(name, str) or not name:
        raise FormatError(f"{where(source, 'population')}: expected a non-empty string, got {name!r}")
    if "/" in name or any(c.isspace() for c in name):
        raise FormatError(f"{where(source, 'population')}: {name!r} contains '/' or whitespace; "
                          "expected a name usable as an HDF5 group and a CSV field")
    return name


def check_units(units, source) -> str:
    """Return the time units (a key of :data:`MS_PER`: 'ms' or 's'), else raise ConfigError."""
    if units not in MS_PER:
        raise ConfigError(f"{where(source, 'units')}: expected {UNITS_TEXT}, got {units!r}")
    return units


def checked_trains(path, trains_by_pop):
    """Yield ``(population, node_ids, timestamps)`` of a trains mapping, validated for writing.

    Raises
    ------
    FormatError
        A bad population name, invalid ids or times, or ids and times of different lengths.
    """
    for pop, (node_ids, timestamps) in trains_by_pop.items():
        check_population_name(pop, path)
        ids = as_node_ids(node_ids, path, "node_ids")
        ts = as_timestamps(timestamps, path, "timestamps")
        if ids.size != ts.size:
            raise FormatError(f"{where(path, pop)}: {ids.size} node_ids but {ts.size} timestamps; "
                              "expected equal lengths")
        yield pop, ids, ts
