"""Spike trains from extracellular-electrophysiology NWB files (Allen Visual Coding Neuropixels layout).

Units come from ``/units`` (``spike_times`` in seconds, ``peak_channel_id``) joined with the
electrodes table (``location`` etc.) on the channel id; they are filtered, mapped onto the nodes of
a virtual population (``sample``, ``sample_with_replacement`` or an explicit ``units_map``), cut to
a time window (``[start_ms, stop_ms]`` or a stimulus-table selection such as
``{"interval_name": "drifting_gratings", "orientation": 90}``) and shifted so the window starts at
the simulation's start (plus ``interval_offset`` ms). Files are read with h5py (the DynamicTable
layout NWB defines), so the Allen extensions need not be installed.
"""

from __future__ import annotations

import logging
import operator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError, FormatError, where
from simlib.spikes.arrays import kind_text, ragged_ends

log = logging.getLogger("simlib.spikes")

MAPPINGS = ("sample", "sample_without_replacement", "sample_with_replacement", "units_map")
MISSING_IDS = ("fail", "warn", "ignore")
_OPERATIONS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
               ">=": operator.ge}


def _integers(ds, path, what: str) -> np.ndarray:
    """A dataset of whole numbers as int64, FormatError naming the dataset if it holds anything else."""
    from simlib.sonata.files import read_data

    if ds.dtype.kind not in "iu":
        raise FormatError(f"{where(path, ds.name)}: expected {what} (integers), got {kind_text(ds.dtype)} values")
    return read_data(ds, path).astype(np.int64)


def _ragged(values: np.ndarray, index_ds, path) -> np.ndarray:
    """Split the flat `values` of a ragged column at the end offsets of `index_ds` (one array per row)."""
    from simlib.sonata.files import read_data

    if not hasattr(index_ds, "dtype"):
        raise FormatError(f"{where(path, index_ds.name)}: a group; expected a dataset of end offsets")
    ends = ragged_ends(read_data(index_ds, path), len(values), path, index_ds.name)
    starts = np.concatenate([[0], ends[:-1]])
    column = np.empty(len(ends), dtype=object)
    column[:] = [values[a:b] for a, b in zip(starts, ends)]
    return column


def _table(h5, group_path: str, path, numeric: tuple[str, ...] = ()) -> "object":
    """A NWB DynamicTable as a DataFrame (ragged columns as object arrays), indexed by its ``id``.

    The columns named in `numeric` must hold numbers (FormatError naming the dataset otherwise).
    """
    import pandas as pd

    from simlib.sonata.files import h5_errors, read_data

    if group_path not in h5:
        raise FormatError(f"{path}: no table '{group_path}'")
    grp = h5[group_path]
    if "id" not in grp:
        raise FormatError(f"{path}: table '{group_path}' has no 'id' dataset; not an NWB DynamicTable")
    with h5_errors(path, group_path):
        ids = _integers(grp["id"], path, "row ids")
        columns = {}
        for name, ds in grp.items():
            if name == "id" or name.endswith("_index") or not hasattr(ds, "shape") or ds.ndim != 1:
                continue
            values = read_data(ds, path)
            if name in numeric and values.dtype.kind not in "iuf":
                raise FormatError(f"{where(path, ds.name)}: expected numbers, got {kind_text(values.dtype)} values")
            if f"{name}_index" in grp:  # ragged column: flat values + end offsets per row
                columns[name] = _ragged(values, grp[f"{name}_index"], path)
            elif len(values) == len(ids):
                if values.dtype.kind in "SO":
                    values = np.array([v.decode() if isinstance(v, bytes) else v for v in values], dtype=object)
                columns[name] = values
    return pd.DataFrame(columns, index=pd.Index(ids, name="id"))


def read_units(path) -> "object":
    """Units of one file joined with their electrodes: index ``unit_id``; ``spike_times`` (s), electrode columns.

    Raises
    ------
    FormatError
        No units table, no ``spike_times`` or ``peak_channel_id``, or a channel not in the electrodes table.
    """
    from simlib.sonata.files import open_h5

    with open_h5(path) as h5:
        if "units" not in h5:
            raise FormatError(f"{path}: no units table (/units); expected sorted units with spike_times")
        units = _table(h5, "units", path, numeric=("spike_times", "peak_channel_id"))
        for column in ("spike_times", "peak_channel_id"):
            if column not in units:
                raise FormatError(f"{path}: /units has no '{column}' column; expected the Allen ecephys layout")
        electrodes = _table(h5, "general/extracellular_ephys/electrodes", path)
    units = units.rename_axis("unit_id")
    electrodes = electrodes.drop(columns=[c for c in electrodes.columns if c in units.columns])
    missing = np.setdiff1d(units["peak_channel_id"].to_numpy(np.int64), electrodes.index.to_numpy())
    if missing.size:
        raise FormatError(f"{path}: units' peak_channel_id {missing[:5].tolist()} not in the electrodes table")
    joined = units.join(electrodes, on="peak_channel_id")
    joined.index = units.index
    return joined


def read_intervals(path, name: str) -> "object":
    """A stimulus table (``name`` or ``name + '_presentations'`` under ``/intervals``)."""
    from simlib.sonata.files import open_h5

    with open_h5(path) as h5:
        intervals = h5.get("intervals")
        names = list(intervals.keys()) if intervals is not None else []
        for candidate in (name, f"{name}_presentations"):
            if candidate in names:
                return _table(h5, f"intervals/{candidate}", path)
    raise ConfigError(f"{path}: no stimulus table '{name}' (nor '{name}_presentations'); tables: {names}")


def filter_table(table, filters: dict | None, source: str):
    """Rows matching every filter: a value (==), a list (membership) or ``{column?, operation, value}``."""
    if not filters:
        return table
    mask = np.ones(len(table), dtype=bool)
    for key, wanted in filters.items():
        column = wanted.get("column", key) if isinstance(wanted, dict) else key
        if column not in table:
            raise ConfigError(f"{source}: column '{column}' not in the table; columns: {', '.join(map(str, table.columns))}")
        values = table[column].to_numpy()
        if isinstance(wanted, dict):
            op = wanted.get("operation")
            if op not in _OPERATIONS or "value" not in wanted:
                raise ConfigError(f"{source}.{key}: expected {{operation: one of {', '.join(_OPERATIONS)}, value}}")
            mask &= np.asarray(_OPERATIONS[op](values, wanted["value"]), dtype=bool)
        elif isinstance(wanted, (list, tuple)):
            mask &= np.isin(values, wanted)
        else:
            mask &= values == wanted
    return table[mask]


@dataclass
class EcephysInput:
    """The spike trains an ``ecephys_probe`` input gives the nodes of a virtual population."""

    input_files: list
    units: object = None                 # filter dict, or (units_map) a CSV path / DataFrame
    mapping: str = "sample"
    interval: object = None              # [start_ms, stop_ms], a list of those (one per file), or a table filter
    interval_offset_ms: float = 0.0
    missing_ids: str = "fail"
    seed: int = 0
    source: str = "ecephys_probe"
    _tables: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        files = [self.input_files] if isinstance(self.input_files, (str, Path)) else list(self.input_files or [])
        if not files:
            raise ConfigError(f"{self.source}.input_file: expected an NWB file or a list of them")
        self.input_files = [Path(f) for f in files]
        if self.mapping not in MAPPINGS:
            raise ConfigError(f"{self.source}.mapping: '{self.mapping}' unknown; accepted: {', '.join(MAPPINGS)}")
        if self.missing_ids not in MISSING_IDS:
            raise ConfigError(f"{self.source}.missing_ids: '{self.missing_ids}' unknown; accepted: "
                              f"{', '.join(MISSING_IDS)}")

    def units_table(self):
        """Units of every file (filtered unless units_map), with columns ``spike_times``, ``file`` (index)."""
        import pandas as pd

        tables = []
        for i, path in enumerate(self.input_files):
            units = read_units(path)
            if self.mapping != "units_map":
                units = filter_table(units, self.units if isinstance(self.units, dict) else None,
                                     f"{self.source}.units")
            units = units.assign(file=i)
            tables.append(units)
        table = pd.concat(tables) if tables else None
        if table is None or not len(table):
            raise ConfigError(f"{self.source}.units: the filter {self.units!r} matches no unit in "
                              f"{', '.join(str(p) for p in self.input_files)}")
        return table

    def trains(self, node_ids) -> dict[int, np.ndarray]:
        """Spike times (ms, sorted) of each node id."""
        table = self.units_table()
        node_ids = np.asarray(node_ids, dtype=np.int64)
        mapping = self._map(node_ids, table)
        windows = [self._window(i, path) for i, path in enumerate(self.input_files)]
        trains = {}
        for node in node_ids.tolist():
            key = mapping.get(node)
            if key is None:
                trains[node] = np.empty(0)
                continue
            row = table.iloc[key]
            times_s = np.asarray(row["spike_times"], dtype=float)
            window = self._unit_window(row) or windows[int(row["file"])]
            if window is not None:
                start, stop = window
                times_s = times_s[(times_s >= start) & (times_s <= stop)] - start
            trains[node] = np.sort(times_s * 1000.0 + self.interval_offset_ms)
        return trains

    def _map(self, node_ids: np.ndarray, table) -> dict[int, int]:
        """node id -> row of ``table``."""
        if self.mapping == "units_map":
            return self._units_map(node_ids, table)
        n_units = len(table)
        replace = self.mapping == "sample_with_replacement"
        nodes = node_ids
        if not replace and node_ids.size > n_units:
            message = (f"{self.source}: mapping '{self.mapping}' needs at least as many units as nodes; "
                       f"{n_units} units for {node_ids.size} nodes")
            if self.missing_ids == "fail":
                raise ConfigError(message + " (use sample_with_replacement, or missing_ids: warn/ignore)")
            if self.missing_ids == "warn":
                log.warning("%s; nodes after the first %d get no spikes", message, n_units)
            nodes = node_ids[:n_units]
        rng = np.random.default_rng(self.seed)
        rows = rng.choice(n_units, size=nodes.size, replace=replace)
        return dict(zip(nodes.tolist(), rows.tolist()))

    def _units_map(self, node_ids: np.ndarray, table) -> dict[int, int]:
        import pandas as pd

        units = self.units
        if isinstance(units, (str, Path)):
            path = Path(units)
            if not path.is_file():
                raise ConfigError(f"{self.source}.units: units_map file not found: {path}")
            units = pd.read_csv(path, sep=r"\s+")
        if not isinstance(units, pd.DataFrame) or not {"node_ids", "unit_ids"} <= set(units.columns):
            raise ConfigError(f"{self.source}.units: expected a space-separated CSV with columns node_ids, unit_ids "
                              "(optional start_times, stop_times in s)")
        self._per_unit = units.set_index("unit_ids") if {"start_times", "stop_times"} <= set(units.columns) else None
        position = {int(u): k for k, u in enumerate(table.index.to_numpy())}
        bad = [int(u) for u in units["unit_ids"] if int(u) not in position]
        if bad:
            raise ConfigError(f"{self.source}.units: unit ids {bad[:5]} are not in the NWB files")
        mapping = {int(n): position[int(u)] for n, u in zip(units["node_ids"], units["unit_ids"])}
        missing = [n for n in node_ids.tolist() if n not in mapping]
        if missing:
            message = f"{self.source}: nodes {missing[:5]} ({len(missing)}) have no unit in the units_map"
            if self.missing_ids == "fail":
                raise ConfigError(message + " (missing_ids: warn or ignore gives them no spikes)")
            if self.missing_ids == "warn":
                log.warning(message)
        return mapping

    def _unit_window(self, row):
        per_unit = getattr(self, "_per_unit", None)
        if per_unit is None or row.name not in per_unit.index:
            return None
        entry = per_unit.loc[row.name]
        return float(entry["start_times"]), float(entry["stop_times"])

    def _window(self, index: int, path) -> tuple[float, float] | None:
        """The time window (s) of one file's spikes, or None for all of them."""
        interval = self.interval
        if interval is None:
            return None
        if isinstance(interval, list) and interval and isinstance(interval[0], (list, tuple, dict)):
            if len(interval) != len(self.input_files):
                raise ConfigError(f"{self.source}.interval: {len(interval)} intervals for {len(self.input_files)} "
                                  "files; expected one per file")
            interval = interval[index]
        if isinstance(interval, dict):
            selection = dict(interval)
            name = selection.pop("interval_name", None)
            which = selection.pop("interval_index", "all")
            if name is None:
                raise ConfigError(f"{self.source}.interval: a stimulus-table filter needs interval_name")
            table = filter_table(read_intervals(path, name), selection, f"{self.source}.interval")
            if not len(table):
                raise ConfigError(f"{self.source}.interval: no presentation of '{name}' in {path} matches {selection}")
            if which == "all":
                return float(table["start_time"].min()), float(table["stop_time"].max())
            try:
                row = table.iloc[int(which)]
            except (IndexError, ValueError):
                raise ConfigError(f"{self.source}.interval.interval_index: {which!r}; {len(table)} presentations "
                                  "match") from None
            return float(row["start_time"]), float(row["stop_time"])
        try:
            start_ms, stop_ms = (float(v) for v in interval)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.source}.interval: expected [start_ms, stop_ms] or a stimulus-table filter, "
                              f"got {interval!r}") from None
        if not stop_ms > start_ms:
            raise ConfigError(f"{self.source}.interval: stop {stop_ms} ms must be after start {start_ms} ms")
        return start_ms / 1000.0, stop_ms / 1000.0
