"""NWB spike files: one row of the ``Units`` table per (population, node), spike times in seconds."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError, FormatError, where
from simlib.fileio import atomic_path, require_file
from simlib.spikes.arrays import (MS_PER, POP_NA, as_node_ids, as_timestamps, checked_trains, kind_text,
                                  ragged_ends)

Trains = Mapping[str, tuple[np.ndarray, np.ndarray]]



def _units_rows(path: Path, trains_by_pop: Trains):
    """Flatten trains into Units-table rows: node ids, populations, per-row ends, times (s)."""
    node_parts, pop_parts, count_parts, time_parts = [], [], [], []
    for pop, ids, ts in checked_trains(path, trains_by_pop):
        order = np.lexsort((ts, ids))
        ids, ts = ids[order], ts[order]
        nodes, counts = np.unique(ids, return_counts=True)
        node_parts.append(nodes)
        pop_parts.append(np.full(nodes.size, pop, dtype=object))
        count_parts.append(counts)
        time_parts.append(ts / MS_PER["s"])  # NWB stores seconds
    if not node_parts:
        return np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0, np.int64), np.zeros(0)
    return (np.concatenate(node_parts), np.concatenate(pop_parts),
            np.cumsum(np.concatenate(count_parts)), np.concatenate(time_parts))


def write_nwb(path, trains_by_pop: Trains, session_description: str = "simlib spike trains",
              session_start_time: datetime.datetime | None = None) -> None:
    """Write spike trains to an NWB file (needs pynwb), atomically.

    The ``Units`` table has one row per (population, node) with ``spike_times`` in
    **seconds** (as NWB requires; BMTK's ``to_nwb`` stores ms there) and the extra columns
    ``node_id`` and ``population``. Nodes without spikes have no row.

    Parameters
    ----------
    path : str or path-like
        Output file; missing parent directories are created.
    trains_by_pop : mapping
        ``{population: (node_ids, timestamps in ms)}``.
    session_description : str
        Stored in the NWB file.
    session_start_time : datetime.datetime, optional
        Timezone-aware start time; default now (UTC).

    Raises
    ------
    FormatError
        On invalid spikes or population names.
    """
    from hdmf.common import VectorData, VectorIndex
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.misc import Units

    path = Path(path)
    nodes, pops, ends, times_s = _units_rows(path, trains_by_pop)
    start = session_start_time or datetime.datetime.now(datetime.timezone.utc)
    nwbfile = NWBFile(session_description=session_description, identifier=str(uuid.uuid4()),
                      session_start_time=start)
    # Built column-wise: nwbfile.add_unit per node is a slow Python loop.
    spike_times = VectorData(name="spike_times", data=times_s, description="spike times (s)")
    columns = [
        spike_times,
        VectorIndex(name="spike_times_index", data=ends, target=spike_times),
        VectorData(name="node_id", data=nodes, description="id of the node within its population"),
        VectorData(name="population", data=np.array([str(p) for p in pops], dtype=str),
                   description="node population"),
    ]
    nwbfile.units = Units(name="units", id=np.arange(nodes.size), columns=columns,
                          description="spike trains, one row per (population, node)")
    with atomic_path(path) as tmp:
        with NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwbfile)


def _column(units, name: str) -> np.ndarray:
    return np.asarray(units[name].data[:])


def read_nwb(path, population: str | None = None, time_units: str | None = None
             ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read spike trains from the ``Units`` table of an NWB file (needs pynwb).

    Reads what :func:`write_nwb` writes, and Units tables without ``node_id``/``population``
    columns (then the unit ``id`` is the node id and `population` names the population).

    Parameters
    ----------
    path : str or path-like
        The NWB file.
    population : str, optional
        Without a population column: the name given to all spikes (default
        ``'<sonata:none>'``). With one: read only this population.
    time_units : {'s', 'ms'}, optional
        Units of ``spike_times``. Default 's' (the NWB standard), except for files written by
        BMTK's ``to_nwb`` (session description starting with 'BMTK'), which store ms.

    Returns
    -------
    dict
        ``{population: (node_ids int64, timestamps float64 in ms)}``.

    Raises
    ------
    FormatError
        If the file is missing or not NWB, has no Units table or ``spike_times`` column, holds
        invalid values, or `population` is not in its population column.
    ConfigError
        On an unknown `time_units`.
    """
    from hdmf.common import VectorIndex
    from pynwb import NWBHDF5IO

    path = require_file(path)
    if time_units is not None and time_units not in MS_PER:
        raise ConfigError(f"time_units: expected {', '.join(map(repr, MS_PER))} or None, got {time_units!r}")
    io = None
    try:
        io = NWBHDF5IO(str(path), "r")
        nwbfile = io.read()
    except Exception as exc:  # pynwb/hdmf raise many types for a file that is not NWB
        if io is not None:
            io.close()
        raise FormatError(f"{path}: not a readable NWB file ({type(exc).__name__}: {exc})") from None
    with io:
        units = nwbfile.units
        if units is None:
            raise FormatError(f"{where(path, '/units')}: Units table missing; expected spike times in "
                              "nwbfile.units")
        if "spike_times" not in units.colnames:
            raise FormatError(f"{where(path, '/units/spike_times')}: column missing; expected spike times "
                              "per unit")
        column = units["spike_times"]
        if isinstance(column, VectorIndex):
            flat = np.asarray(column.target.data[:])
            ends = ragged_ends(column.data[:], flat.size, path, "/units/spike_times_index")
        else:
            raise FormatError(f"{where(path, '/units/spike_times')}: not a ragged column; expected "
                              "spike_times with spike_times_index")
        if flat.dtype.kind not in "iuf":
            raise FormatError(f"{where(path, '/units/spike_times')}: expected numbers (spike times), got "
                              f"{kind_text(flat.dtype)} values")
        node_ids = _column(units, "node_id") if "node_id" in units.colnames else np.asarray(units.id.data[:])
        if node_ids.shape != ends.shape:
            field = "/units/node_id" if "node_id" in units.colnames else "/units/id"
            raise FormatError(f"{where(path, field)}: {node_ids.size} values for {ends.size} rows of "
                              "spike_times_index; expected one per unit")
        pops = (np.array([p.decode() if isinstance(p, bytes) else str(p) for p in _column(units, "population")],
                         dtype=object)
                if "population" in units.colnames else None)
        description = str(nwbfile.session_description or "")
    if time_units is None:
        time_units = "ms" if description.startswith("BMTK") else "s"
    counts = np.diff(np.concatenate([[0], ends]))
    ids = as_node_ids(np.repeat(node_ids, counts), path, "/units/node_id")
    times = as_timestamps(flat, path, "/units/spike_times", units=time_units) * MS_PER[time_units]
    if pops is None:
        return {population or POP_NA: (ids, times)}
    spike_pops = np.repeat(pops, counts)
    names = list(dict.fromkeys(pops.tolist()))
    if population is not None:
        if population not in names:
            raise FormatError(f"{where(path, '/units/population')}: population {population!r} not found; "
                              f"the file has {', '.join(names)}")
        names = [population]
    return {name: (ids[spike_pops == name], times[spike_pops == name]) for name in names}
