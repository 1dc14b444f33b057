"""SONATA spike files (HDF5): read and write ``/spikes/<population>/{timestamps,node_ids}``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import h5py
import numpy as np

from simlib.errors import ConfigError, FormatError, where
from simlib.fileio import atomic_path, h5_compression
from simlib.sonata.files import SONATA_MAGIC, SONATA_VERSION, h5_errors, open_h5, read_data
from simlib.spikes.arrays import (MS_PER, POP_NA, UNITS_TEXT, as_node_ids, as_timestamps, check_population_name,
                                  check_units)
from simlib.spikes.sorting import sort_index, sort_order as normalise_sort_order

SORTING_ENUM_VALUES = {"none": 0, "by_id": 1, "by_time": 2}
SORTING_ENUM = h5py.enum_dtype(SORTING_ENUM_VALUES, basetype=np.uint8)

Trains = Mapping[str, tuple[np.ndarray, np.ndarray]]


def _attr_str(value) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.size == 1:
        return _attr_str(value.reshape(-1)[0])
    return str(value)


def _require(group: h5py.Group, name: str, path: Path, expected: str) -> h5py.Dataset:
    if name not in group or not isinstance(group[name], h5py.Dataset):
        raise FormatError(f"{where(path, f'{group.name}/{name}')}: dataset missing; expected {expected}")
    return group[name]


def _read_arrays(group: h5py.Group, id_name: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    expected = f"datasets {group.name}/timestamps and {group.name}/{id_name}"
    ts_ds = _require(group, "timestamps", path, expected)
    id_ds = _require(group, id_name, path, expected)
    units = _attr_str(ts_ds.attrs.get("units", "ms"))
    if units not in MS_PER:
        raise FormatError(f"{where(path, ts_ds.name)}: attribute units={units!r}; expected {UNITS_TEXT}")
    if id_ds.shape != ts_ds.shape:
        raise FormatError(f"{where(path, id_ds.name)}: {id_ds.shape[0] if id_ds.ndim else 0} values but "
                          f"{ts_ds.name} has {ts_ds.shape[0] if ts_ds.ndim else 0}; expected equal lengths")
    for ds in (id_ds, ts_ds):
        if ds.dtype.kind not in "iuf" or ds.ndim != 1:
            raise FormatError(f"{where(path, ds.name)}: expected a 1-D dataset of numbers, got "
                              f"{'strings' if ds.dtype.kind in 'SOU' else ds.dtype} of shape {ds.shape}")
    node_ids = as_node_ids(read_data(id_ds, path), path, id_ds.name)
    timestamps = as_timestamps(read_data(ts_ds, path), path, ts_ds.name, units=units) * MS_PER[units]
    return node_ids, timestamps


def read_sonata(path, population: str | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read a SONATA spike file.

    Reads the population layout ``/spikes/<pop>/{timestamps,node_ids}`` (node ids int64 or
    uint64) and the old layout ``/spikes/{gids,timestamps}``. Times stored in seconds
    (``timestamps.attrs['units'] == 's'``) are converted to ms; BMTK reads but ignores that
    attribute.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file.
    population : str, optional
        Read only this population. For the old layout, the name given to its spikes
        (default ``'<sonata:none>'``).

    Returns
    -------
    dict
        ``{population: (node_ids int64, timestamps float64 in ms)}`` in file order; empty if
        the file has a ``/spikes`` group but no spikes.

    Raises
    ------
    FormatError
        If the file is missing or not HDF5, ``/spikes`` or a dataset is missing, the lengths
        differ, or values are invalid (negative or NaN times, negative node ids), ``/spikes`` holds
        neither population groups nor the old layout, or `population` is not in a file that has
        populations.
    """
    path = Path(path)
    with open_h5(path) as h5, h5_errors(path, "/spikes"):
        if "spikes" not in h5 or not isinstance(h5["spikes"], h5py.Group):
            raise FormatError(f"{where(path, '/spikes')}: group missing; expected a SONATA spike file with "
                              "/spikes/<population>/timestamps and /spikes/<population>/node_ids")
        root = h5["spikes"]
        groups = [name for name, obj in root.items() if isinstance(obj, h5py.Group)]
        if groups:
            if population is not None and population not in groups:
                raise FormatError(f"{where(path, '/spikes')}: population {population!r} not found; "
                                  f"the file has {', '.join(groups)}")
            selected = groups if population is None else [population]
            return {name: _read_arrays(root[name], "node_ids", path) for name in selected}
        if "gids" in root or "timestamps" in root:
            return {population or POP_NA: _read_arrays(root, "gids", path)}
        if len(root):   # neither layout: e.g. a population written as a dataset instead of a group
            name = next(iter(root))
            raise FormatError(f"{where(path, f'/spikes/{name}')}: a {type(root[name]).__name__.lower()}, not a "
                              "group; expected population groups /spikes/<population> holding timestamps and "
                              "node_ids")
        return {}


def _write_population(root: h5py.Group, population: str, node_ids: np.ndarray, timestamps: np.ndarray,
                      order: str, units: str, compression) -> None:
    group = root.create_group(population)
    # The SONATA spec (and libsonata) wants an HDF5 enum; bmtk writes a string and reads an enum
    # as an unknown order, which only costs it a re-sort. The enum serves both readers.
    group.attrs.create("sorting", SORTING_ENUM_VALUES[order], dtype=SORTING_ENUM)
    index = sort_index(node_ids, timestamps, order)
    if index is not None:
        node_ids, timestamps = node_ids[index], timestamps[index]
    # int64 like BMTK's writer, although the SONATA spec says uint64; both are read.
    group.create_dataset("node_ids", data=node_ids.astype(np.int64),
                         **h5_compression(compression, np.int64, node_ids.size))
    ts = group.create_dataset("timestamps", data=timestamps.astype(np.float64),
                              **h5_compression(compression, np.float64, timestamps.size))
    ts.attrs["units"] = units


def write_sonata(path, trains_by_pop: Trains, sort_order=None, compression="gzip", mode: str = "w",
                 units: str = "ms") -> None:
    """Write spike trains to a SONATA HDF5 file, atomically.

    Parameters
    ----------
    path : str or path-like
        Output file; missing parent directories are created.
    trains_by_pop : mapping
        ``{population: (node_ids, timestamps)}``; timestamps in `units`.
    sort_order : str, optional
        'by_time', 'by_id' or 'none' (or an alias, see :func:`simlib.spikes.sort_order`);
        stored in the group attribute ``sorting``. Default 'none' (insertion order).
    compression : str, int or None
        'gzip' (default), 'lzf', a gzip level 0-9, or None/'none'.
    mode : {'w', 'a'}
        'w' replaces the file; 'a' adds populations to an existing file.
    units : {'ms', 's'}
        Written to the ``units`` attribute of each timestamps dataset.

    Raises
    ------
    ConfigError
        On an unknown mode, sort order, compression or units.
    FormatError
        On invalid spikes or population names, or (mode 'a') a population already in the file.
    """
    path = Path(path)
    order = normalise_sort_order(sort_order)
    h5_compression(compression)  # validates the argument up front
    options = compression
    check_units(units, path)
    if mode not in ("w", "a"):
        raise ConfigError(f"{where(path, 'mode')}: expected 'w' or 'a', got {mode!r}")
    checked = {}
    for pop, (node_ids, timestamps) in trains_by_pop.items():
        check_population_name(pop, path)
        ids = as_node_ids(node_ids, path, f"/spikes/{pop}/node_ids")
        ts = as_timestamps(timestamps, path, f"/spikes/{pop}/timestamps", units=units)
        if ids.size != ts.size:
            raise FormatError(f"{where(path, f'/spikes/{pop}')}: {ids.size} node_ids but {ts.size} timestamps; "
                              "expected equal lengths")
        checked[pop] = (ids, ts)
    appending = mode == "a" and path.exists()
    with atomic_path(path, copy_existing=appending) as tmp:
        try:
            h5 = h5py.File(tmp, "a" if appending else "w")
        except OSError as exc:
            raise FormatError(f"{path}: cannot append, not a readable HDF5 file ({exc})") from None
        with h5:
            if not appending or "magic" not in h5.attrs:
                h5.attrs["magic"] = SONATA_MAGIC
                h5.attrs["version"] = SONATA_VERSION
            root = h5.require_group("spikes")
            for pop, (ids, ts) in checked.items():
                if pop in root:
                    raise FormatError(f"{where(path, f'/spikes/{pop}')}: population already exists; "
                                      "use mode='w' to replace the file")
                _write_population(root, pop, ids, ts, order, units, options)
