"""In-memory spike trains per population, with BMTK's ``SpikeTrains`` API and file I/O."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np

from simlib.errors import ConfigError, FormatError, FormatValueError, SimlibError
from simlib.spikes.arrays import MS_PER, POP_NA, as_node_ids, as_timestamps, check_units
from simlib.spikes.csv import read_csv, write_csv
from simlib.spikes.formats import spike_file_type
from simlib.spikes.nwb import read_nwb, write_nwb
from simlib.spikes.sonata import read_sonata, write_sonata
from simlib.spikes.sorting import sort_index

if TYPE_CHECKING:
    import pandas as pd

_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_TIMES = np.zeros(0, dtype=np.float64)


class SpikeTrains:
    """Spike trains of several populations, held in memory.

    Spikes are stored per population as int64 node ids and float64 timestamps (in
    :meth:`units`, normally ms). Added arrays are kept in a list and concatenated when first
    read, so many small additions stay cheap.

    Parameters
    ----------
    population : str, optional
        Population used by ``add_*`` when none is given, and by queries when the trains hold
        several populations. Without it spikes go to ``'<sonata:none>'`` (BMTK's name).
    units : {'ms', 's'}
        Units of the timestamps.

    Examples
    --------
    >>> st = SpikeTrains(population="V1")
    >>> st.add_spikes([0, 0, 2], [0.5, 1.5, 3.0])
    >>> st.get_times(0)
    array([0.5, 1.5])
    """

    def __init__(self, population: str | None = None, units: str = "ms"):
        if population is not None and (not isinstance(population, str) or not population):
            raise ConfigError(f"SpikeTrains: population: expected a non-empty string or None, got {population!r}")
        self._default_population = population
        self._units = check_units(units, "SpikeTrains")
        self._chunks: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._pending: dict[str, tuple[list[int], list[float]]] = {}
        self._by_node: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # ----------------------------------------------------------------------------------- loading
    @classmethod
    def load(cls, path, file_type: str | None = None, population: str | None = None, **kw) -> "SpikeTrains":
        """Read a SONATA (.h5), CSV or NWB spike file; the type comes from the extension by default.

        Extra keywords go to the reader (:func:`read_nwb` accepts ``time_units``).

        Raises
        ------
        ConfigError, FormatError
            See :func:`spike_file_type` and the readers.
        """
        kind = spike_file_type(path, file_type)
        readers = {"sonata": cls.from_sonata, "csv": cls.from_csv, "nwb": cls.from_nwb}
        return readers[kind](path, population=population, **kw)

    @classmethod
    def from_sonata(cls, path, population: str | None = None) -> "SpikeTrains":
        """Read a SONATA spike file (see :func:`simlib.spikes.read_sonata`)."""
        return cls._from_dict(read_sonata(path, population=population), population)

    @classmethod
    def from_csv(cls, path, population: str | None = None) -> "SpikeTrains":
        """Read a spike CSV file (see :func:`simlib.spikes.read_csv`)."""
        return cls._from_dict(read_csv(path, population=population), population)

    @classmethod
    def from_nwb(cls, path, population: str | None = None, time_units: str | None = None) -> "SpikeTrains":
        """Read the Units table of an NWB file (see :func:`simlib.spikes.read_nwb`)."""
        return cls._from_dict(read_nwb(path, population=population, time_units=time_units), population)

    @classmethod
    def from_dataframe(cls, table: pd.DataFrame, population: str | None = None, units: str = "ms") -> "SpikeTrains":
        """Build trains from a table with columns ``timestamps``, ``node_ids`` (or ``gids``) and
        optionally ``population`` (otherwise all spikes go to `population`).

        Raises
        ------
        FormatError
            If a column is missing or values are invalid.
        """
        id_col = "node_ids" if "node_ids" in table.columns else "gids"
        for col in ("timestamps", id_col):
            if col not in table.columns:
                raise FormatError(f"dataframe: column {col!r} missing; expected columns timestamps, "
                                  "node_ids[, population]")
        trains = cls(population=population, units=units)
        if "population" not in table.columns:
            trains.add_spikes(table[id_col].to_numpy(), table["timestamps"].to_numpy(), population=population)
            return trains
        import pandas as pd

        pops = table["population"].to_numpy(dtype=object)
        for pop in pd.unique(pops):
            mask = pops == pop
            trains.add_spikes(table[id_col].to_numpy()[mask], table["timestamps"].to_numpy()[mask],
                              population=str(pop))
        return trains

    @classmethod
    def _from_dict(cls, trains_by_pop: Mapping[str, tuple[np.ndarray, np.ndarray]],
                   population: str | None) -> "SpikeTrains":
        trains = cls(population=population)
        for pop, (ids, times) in trains_by_pop.items():
            trains._chunks[pop] = [(ids, times)]
        return trains

    # ----------------------------------------------------------------------------------- adding
    def _target(self, population: str | None) -> str:
        pop = population if population is not None else (self._default_population or POP_NA)
        if not isinstance(pop, str) or not pop:
            raise ConfigError(f"population: expected a non-empty string, got {pop!r}")
        return pop

    def _flush(self, pop: str) -> None:
        pending = self._pending.pop(pop, None)
        if pending is not None:
            self._chunks[pop].append((np.array(pending[0], dtype=np.int64),
                                      np.array(pending[1], dtype=np.float64)))

    def add_spike(self, node_id: int, timestamp: float, population: str | None = None) -> None:
        """Add one spike of `node_id` at `timestamp` (in :meth:`units`).

        Raises
        ------
        FormatError
            If the node id is negative or not an integer, or the time is negative or NaN.
        """
        pop = self._target(population)
        node = int(as_node_ids([node_id], "add_spike", "node_id")[0])
        time = float(as_timestamps([timestamp], "add_spike", "timestamp", units=self._units)[0])
        self._chunks.setdefault(pop, [])
        ids, times = self._pending.setdefault(pop, ([], []))
        ids.append(node)
        times.append(time)
        self._by_node.pop(pop, None)

    def add_spikes(self, node_ids, timestamps, population: str | None = None) -> None:
        """Add spikes; a scalar `node_id` applies to every timestamp.

        Parameters
        ----------
        node_ids : int or array_like of int
            Node id of each spike (>= 0).
        timestamps : array_like of float
            Spike times in :meth:`units` (>= 0).
        population : str, optional
            Default: the constructor's population, else ``'<sonata:none>'``.

        Raises
        ------
        FormatError
            If the lengths differ (a FormatValueError, also a ValueError as in BMTK), or on invalid values.
        """
        pop = self._target(population)
        n_times = np.size(timestamps)
        if np.ndim(node_ids) != 0 and np.size(node_ids) != n_times:
            raise FormatValueError(f"add_spikes: node_ids, timestamps: Length of node_ids and timestamps must match, "
                                   f"but {np.size(node_ids)} != {n_times}")
        times = np.array(as_timestamps(timestamps, "add_spikes", units=self._units), dtype=np.float64, copy=True)
        if np.ndim(node_ids) == 0:
            ids = np.full(times.size, as_node_ids([node_ids], "add_spikes")[0], dtype=np.int64)
        else:
            ids = np.array(as_node_ids(node_ids, "add_spikes"), dtype=np.int64, copy=True)
        self._chunks.setdefault(pop, [])
        self._flush(pop)
        self._chunks[pop].append((ids, times))
        self._by_node.pop(pop, None)

    def merge(self, other) -> None:
        """Add all spikes of `other` (SpikeTrains, or any object with BMTK's ``to_dataframe``),
        converting its units to ours."""
        other = _as_trains(other)
        scale = MS_PER[other.units()] / MS_PER[self._units]
        for pop in other.populations:
            ids, times = other._arrays(pop)
            self._chunks.setdefault(pop, [])
            self._flush(pop)
            self._chunks[pop].append((ids.copy(), times * scale))
            self._by_node.pop(pop, None)

    # ----------------------------------------------------------------------------------- queries
    def _arrays(self, pop: str) -> tuple[np.ndarray, np.ndarray]:
        """All spikes of `pop` in insertion order (node ids, timestamps); empty if unknown."""
        if pop not in self._chunks:
            return _EMPTY_IDS, _EMPTY_TIMES
        self._flush(pop)
        chunks = self._chunks[pop]
        if len(chunks) != 1:
            merged = (np.concatenate([c[0] for c in chunks]) if chunks else _EMPTY_IDS,
                      np.concatenate([c[1] for c in chunks]) if chunks else _EMPTY_TIMES)
            self._chunks[pop] = chunks = [merged]
        return chunks[0]

    def _sorted_by_node(self, pop: str) -> tuple[np.ndarray, np.ndarray]:
        """Spikes of `pop` sorted by node id, then time (cached until the next addition)."""
        if pop not in self._by_node:
            ids, times = self._arrays(pop)
            order = np.lexsort((times, ids))
            self._by_node[pop] = (ids[order], times[order])
        return self._by_node[pop]

    def _resolve(self, population: str | None) -> str:
        """The population a query refers to; see :meth:`get_times`."""
        if population is not None:
            return population
        pops = self.populations
        if len(pops) == 1:
            return pops[0]
        if not pops or self._default_population in pops:
            return self._default_population or POP_NA
        raise SimlibError(f"population: the spike trains hold several populations ({', '.join(pops)}); "
                          "pass population= one of them")

    @property
    def populations(self) -> list[str]:
        """Names of the populations, in the order they were first added."""
        return list(self._chunks)

    def units(self, population: str | None = None) -> str:
        """Units of the timestamps ('ms' or 's'), the same for every population (BMTK takes `population` too)."""
        return self._units

    def flush(self) -> None:
        """Nothing to do: spikes are kept in memory (BMTK's API, for its file-backed buffers)."""

    def close(self) -> None:
        """Nothing to do (BMTK's API, for its file-backed buffers)."""

    def node_ids(self, population: str | None = None) -> np.ndarray:
        """Sorted unique ids of the nodes that spiked.

        `population` may be omitted when there is one population (or the constructor's
        population is among several); otherwise a SimlibError lists the populations.
        """
        return np.unique(self._arrays(self._resolve(population))[0])

    def n_spikes(self, population: str | None = None) -> int:
        """Number of spikes of a population (see :meth:`node_ids` for `population`)."""
        return int(self._arrays(self._resolve(population))[0].size)

    def __len__(self) -> int:
        return sum(self._arrays(pop)[0].size for pop in self.populations)

    def time_range(self, population: str | None = None) -> tuple[float, float]:
        """(first, last) spike time of a population, in :meth:`units` (BMTK's generators have it).

        Raises
        ------
        SimlibError
            The population holds no spike (see :meth:`node_ids` for `population`).
        """
        pop = self._resolve(population)
        times = self._arrays(pop)[1]
        if times.size == 0:
            raise SimlibError(f"time_range: population {pop!r} holds no spike")
        return float(times.min()), float(times.max())

    def get_times(self, node_id: int, population: str | None = None, time_window=None) -> np.ndarray:
        """Sorted spike times of one node, in :meth:`units`.

        Parameters
        ----------
        node_id : int
        population : str, optional
            May be omitted when there is one population (or the constructor's population is
            among several); otherwise a SimlibError lists the populations.
        time_window : (float, float), optional
            Keep times t with ``start <= t <= stop`` (inclusive, as BMTK).
        """
        ids, times = self._sorted_by_node(self._resolve(population))
        lo, hi = np.searchsorted(ids, node_id, side="left"), np.searchsorted(ids, node_id, side="right")
        selected = times[lo:hi].copy()
        if time_window is not None:
            start, stop = time_window
            selected = selected[(selected >= start) & (selected <= stop)]
        return selected

    def _table(self, populations=None, sort_order=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if populations is None:
            pops = self.populations
        elif isinstance(populations, str):
            pops = [populations]
        else:
            pops = list(populations)
        parts = [self._arrays(pop) for pop in pops]
        ids = np.concatenate([p[0] for p in parts]) if parts else _EMPTY_IDS
        times = np.concatenate([p[1] for p in parts]) if parts else _EMPTY_TIMES
        names = np.concatenate([np.full(p[0].size, pop, dtype=object) for pop, p in zip(pops, parts)]) \
            if parts else np.zeros(0, dtype=object)
        index = sort_index(ids, times, sort_order)
        if index is not None:
            ids, times, names = ids[index], times[index], names[index]
        return ids, times, names

    def to_dataframe(self, populations=None, sort_order=None, with_population_col: bool = True) -> pd.DataFrame:
        """Spikes as a table with columns ``timestamps, node_ids[, population]``.

        Parameters
        ----------
        populations : str or list of str, optional
            Default all.
        sort_order : str, optional
            'by_time', 'by_id' (node id, then time) or 'none' (default: insertion order).
        with_population_col : bool
        """
        import pandas as pd

        ids, times, names = self._table(populations, sort_order)
        columns = {"timestamps": times, "node_ids": ids}
        if with_population_col:
            columns["population"] = names
        return pd.DataFrame(columns)

    def spikes(self, populations=None, time_window=None, sort_order=None) -> Iterator[tuple[float, str, int]]:
        """Iterate over spikes as ``(timestamp, population, node_id)`` tuples.

        `time_window` ``(start, stop)`` keeps ``start <= t <= stop`` (inclusive, as BMTK).
        """
        ids, times, names = self._table(populations, sort_order)
        if time_window is not None:
            keep = (times >= time_window[0]) & (times <= time_window[1])
            ids, times, names = ids[keep], times[keep], names[keep]
        return zip(times.tolist(), names.tolist(), ids.tolist())

    # ----------------------------------------------------------------------------------- comparing
    def is_equal(self, other, populations=None, err: float = 1e-5, time_window=None) -> bool:
        """True if both hold the same spikes: the same populations, nodes and spike counts, and each
        node's sorted times within `err` (in our units). BMTK's ``is_equal``, with its arguments.

        Parameters
        ----------
        other : SpikeTrains, or any object with BMTK's ``to_dataframe()`` (e.g. bmtk's SpikeTrains)
        populations : str or list of str, optional
            Compare only these populations (each must hold spikes in both or in neither); default all.
        err : float
            Largest difference of two matching timestamps.
        time_window : (float, float), optional
            Compare only the spikes with ``start <= t <= stop``.

        Populations without spikes are ignored: BMTK counts a population its buffer knows without
        spikes, which depends on how the trains were made.
        """
        other = _as_trains(other)
        scale_a, scale_b = 1.0, MS_PER[other.units()] / MS_PER[self._units]
        mine = {p for p in self.populations if self._arrays(p)[0].size}
        theirs = {p for p in other.populations if other._arrays(p)[0].size}
        if populations is not None:
            wanted = {populations} if isinstance(populations, str) else set(populations)
            mine, theirs = mine & wanted, theirs & wanted
        if mine != theirs:
            return False
        for pop in sorted(mine):
            ids_a, times_a = _windowed(*self._sorted_by_node(pop), time_window, scale_a)
            ids_b, times_b = _windowed(*other._sorted_by_node(pop), time_window, scale_b)
            if not np.array_equal(ids_a, ids_b) or not np.allclose(times_a, times_b, rtol=0.0, atol=err):
                return False
        return True

    def is_subset(self, other, err: float = 1e-5, strict: bool = False) -> bool:
        """True if every spike (population, node, time within `err`) of these trains is in `other`.

        BMTK's ``is_subset``, which ``<=`` and ``<`` call. With `strict`, also False when both hold
        the same populations with the same number of spikes each (BMTK's test for "equal"). As in
        BMTK, a population holding more spikes here than in `other` is not a subset, and a spike
        matches any spike of its node in `other` within `err` (repeated times are not counted).
        """
        other = _as_trains(other)
        scale = MS_PER[other.units()] / MS_PER[self._units]
        same_counts = set(self.populations) == set(other.populations)
        for pop in self.populations:
            ids_a, times_a = self._sorted_by_node(pop)
            ids_b, times_b = other._sorted_by_node(pop) if pop in other.populations else (_EMPTY_IDS, _EMPTY_TIMES)
            same_counts &= ids_a.size == ids_b.size
            if ids_a.size == 0:
                continue
            if ids_a.size > ids_b.size:
                return False
            # per node: the nearest spike of that node in `other` to each of ours (both sorted by node, time)
            times_b = times_b * scale
            nodes, first = np.unique(ids_a, return_index=True)
            lo, hi = np.searchsorted(ids_b, nodes, side="left"), np.searchsorted(ids_b, nodes, side="right")
            if np.any(lo == hi):
                return False                            # a node that does not spike in `other`
            bounds = np.append(first, ids_a.size)
            for k in range(nodes.size):
                ours, node_times = times_a[bounds[k]:bounds[k + 1]], times_b[lo[k]:hi[k]]
                j = np.searchsorted(node_times, ours)
                before = node_times[np.maximum(j - 1, 0)]
                after = node_times[np.minimum(j, node_times.size - 1)]
                if np.any(np.minimum(np.abs(ours - before), np.abs(ours - after)) > err):
                    return False
        return not (strict and same_counts)

    def __eq__(self, other) -> bool:
        if not isinstance(other, SpikeTrains) and not hasattr(other, "to_dataframe"):
            return NotImplemented
        return self.is_equal(other)

    def __ne__(self, other) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __le__(self, other) -> bool:
        """BMTK: "is a subset of" (:meth:`is_subset`)."""
        if not isinstance(other, SpikeTrains) and not hasattr(other, "to_dataframe"):
            return NotImplemented
        return self.is_subset(other)

    def __lt__(self, other) -> bool:
        """BMTK: "is a strict subset of" (:meth:`is_subset` with ``strict=True``)."""
        if not isinstance(other, SpikeTrains) and not hasattr(other, "to_dataframe"):
            return NotImplemented
        return self.is_subset(other, strict=True)

    def __ge__(self, other) -> bool:
        """BMTK: `other` is a subset of these trains."""
        if not isinstance(other, SpikeTrains) and not hasattr(other, "to_dataframe"):
            return NotImplemented
        return _as_trains(other).is_subset(self)

    def __gt__(self, other) -> bool:
        """BMTK: `other` is a strict subset of these trains."""
        if not isinstance(other, SpikeTrains) and not hasattr(other, "to_dataframe"):
            return NotImplemented
        return _as_trains(other).is_subset(self, strict=True)

    __hash__ = None

    def __repr__(self) -> str:
        counts = ", ".join(f"{pop}: {self._arrays(pop)[0].size}" for pop in self.populations)
        return f"{type(self).__name__}({{{counts}}} spikes, units={self._units!r})"

    # ----------------------------------------------------------------------------------- writing
    def _trains_by_pop(self, units: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        scale = MS_PER[self._units] / MS_PER[units]
        return {pop: (ids, times * scale if scale != 1.0 else times)
                for pop, (ids, times) in ((p, self._arrays(p)) for p in self.populations)}

    def to_sonata(self, path, mode: str = "w", sort_order=None, compression="gzip") -> None:
        """Write a SONATA spike file (see :func:`simlib.spikes.write_sonata`); timestamps keep
        :meth:`units`, recorded in their ``units`` attribute."""
        write_sonata(path, self._trains_by_pop(self._units), sort_order=sort_order, compression=compression,
                     mode=mode, units=self._units)

    def to_csv(self, path, sort_order=None) -> None:
        """Write a space-separated spike CSV with timestamps in ms (see :func:`simlib.spikes.write_csv`)."""
        # sort_order is honoured; BMTK's to_csv drops it (it passes `sort_orders=`, a typo).
        write_csv(path, self._trains_by_pop("ms"), sort_order=sort_order)

    def to_nwb(self, path) -> None:
        """Write an NWB file with spike times in seconds (see :func:`simlib.spikes.write_nwb`)."""
        write_nwb(path, self._trains_by_pop("ms"))

    def save(self, path, file_type: str | None = None, **kw) -> None:
        """Write a SONATA (.h5), CSV or NWB spike file; the type comes from the extension by default.

        Extra keywords go to the writer (:meth:`to_sonata` and :meth:`to_csv` accept ``sort_order``).

        Raises
        ------
        ConfigError, FormatError
            See :func:`spike_file_type` and the writers.
        """
        kind = spike_file_type(path, file_type)
        writers = {"sonata": self.to_sonata, "csv": self.to_csv, "nwb": self.to_nwb}
        writers[kind](path, **kw)


def _windowed(ids: np.ndarray, times: np.ndarray, window, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Spikes sorted by node and time, times scaled by `scale`, kept in the inclusive `window` if given."""
    times = times * scale
    if window is None:
        return ids, times
    start, stop = window
    keep = (times >= start) & (times <= stop)
    return ids[keep], times[keep]


def _as_trains(other) -> SpikeTrains:
    """`other` as SpikeTrains; other objects (e.g. BMTK's) are read through ``to_dataframe()``."""
    if isinstance(other, SpikeTrains):
        return other
    if hasattr(other, "to_dataframe"):
        units = other.units() if callable(getattr(other, "units", None)) else "ms"
        return SpikeTrains.from_dataframe(other.to_dataframe(), units=units if units in MS_PER else "ms")
    raise SimlibError(f"expected SpikeTrains or an object with to_dataframe(), got {type(other).__name__}")
