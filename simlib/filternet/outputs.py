"""FilterNet outputs: firing-rate tables (BMTK's ``rates_csv``/``rates_h5``) and LGN spike files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from simlib.errors import FormatError
from simlib.fileio import atomic_path, h5_compression, require_file
from simlib.sonata.files import atomic_h5, open_h5, require_dataset
from simlib.spikes import SpikeTrains

CSV_COLUMNS = ("node_id", "population", "timestamps", "firing_rates")
RATES_GROUP = "firing_rates"
SPIKES_SORT_ORDER = "by_id"  # BMTK's FilterNet writes spikes with sort_order='node_id'
_CSV_NODES_PER_BLOCK = 256


@dataclass
class RatesTable:
    """Firing rates of one population: ``rates_hz[t, i]`` of node ``node_ids[i]`` at ``times_s[t]``."""

    node_ids: np.ndarray
    times_s: np.ndarray
    rates_hz: np.ndarray


def _checked(population: str, table) -> RatesTable:
    """A RatesTable (from any object with node_ids, times_s, rates_hz), sorted by node id."""
    node_ids = np.asarray(table.node_ids)
    times = np.asarray(table.times_s, dtype=float)
    rates = np.asarray(table.rates_hz, dtype=float)
    if node_ids.ndim != 1 or times.ndim != 1 or rates.shape != (times.size, node_ids.size):
        raise FormatError(f"rates of population '{population}': expected rates_hz of shape (n_times, n_nodes) = "
                          f"({times.size}, {node_ids.size}), got {rates.shape}")
    if node_ids.size and (node_ids.dtype.kind not in "iu" or node_ids.min() < 0):
        raise FormatError(f"rates of population '{population}': expected node ids >= 0, got {node_ids[:5]}...")
    order = np.argsort(node_ids, kind="stable")
    return RatesTable(node_ids[order].astype(np.uint64), times, rates[:, order])


def write_rates_h5(path, rates: Mapping[str, object], compression="gzip") -> None:
    """Write ``/firing_rates/<population>/{node_id, times, firing_rates_Hz}``, atomically.

    As BMTK's ``rates_h5``: node ids (uint64) sorted ascending, ``times`` in seconds and
    ``firing_rates_Hz`` of shape (n_times, n_nodes). The root also carries the SONATA magic/version
    attributes (BMTK writes none; readers ignore them).

    Parameters
    ----------
    path : path
    rates : mapping
        Population name -> object with ``node_ids``, ``times_s``, ``rates_hz`` (e.g. :class:`RatesTable`).
    compression : str, int or None
        As :func:`simlib.fileio.h5_compression`.
    """
    tables = {pop: _checked(pop, table) for pop, table in rates.items()}
    with atomic_h5(path) as h5:
        root = h5.create_group(RATES_GROUP)
        for pop, table in tables.items():
            grp = root.create_group(pop)
            for name, data in (("node_id", table.node_ids), ("times", table.times_s),
                               ("firing_rates_Hz", table.rates_hz)):
                grp.create_dataset(name, data=data, **h5_compression(compression, data.dtype, data.size))


def read_rates_h5(path) -> dict[str, RatesTable]:
    """Read a rates h5 file written by :func:`write_rates_h5` or BMTK.

    Raises
    ------
    FormatError
        A missing file, group or dataset, or inconsistent shapes.
    """
    out = {}
    with open_h5(path) as h5:
        if RATES_GROUP not in h5 or not isinstance(h5[RATES_GROUP], h5py.Group):
            raise FormatError(f"{path}: group '/{RATES_GROUP}' missing; not a FilterNet rates file")
        for pop in h5[RATES_GROUP]:
            base = f"/{RATES_GROUP}/{pop}"
            table = RatesTable(require_dataset(h5, path, f"{base}/node_id")[()],
                               require_dataset(h5, path, f"{base}/times")[()],
                               require_dataset(h5, path, f"{base}/firing_rates_Hz")[()])
            if table.rates_hz.shape != (table.times_s.size, table.node_ids.size):
                raise FormatError(f"{path}: '{base}/firing_rates_Hz' has shape {table.rates_hz.shape}; expected "
                                  f"(times, node_id) = ({table.times_s.size}, {table.node_ids.size})")
            out[pop] = table
    return out


def _csv_field(text: str) -> str:
    """Quote a field as Python's csv module does with a space delimiter (QUOTE_MINIMAL)."""
    if any(ch in text for ch in ' "\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_rates_csv(path, rates: Mapping[str, object]) -> None:
    """Write BMTK's ``rates_csv``: space-separated ``node_id population timestamps firing_rates``.

    One row per (node, time), nodes in ascending id order and times (s) ascending within a node;
    numbers are written in their shortest round-trip form, as BMTK's ``csv`` writer does. Lines end
    in ``\\n`` (BMTK's writer ends them in ``\\r\\n``; CSV readers accept both). Atomic.
    """
    tables = {pop: _checked(pop, table) for pop, table in rates.items()}
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        fh.write(" ".join(CSV_COLUMNS) + "\n")
        for pop, table in tables.items():
            # the population and time columns are the same for every node: format them once
            middles = [f" {_csv_field(pop)} {t!r} " for t in table.times_s.tolist()]
            for beg in range(0, table.node_ids.size, _CSV_NODES_PER_BLOCK):
                block = np.ascontiguousarray(table.rates_hz[:, beg:beg + _CSV_NODES_PER_BLOCK].T)  # nodes x times
                for node_id, texts in zip(table.node_ids[beg:beg + _CSV_NODES_PER_BLOCK].tolist(), _reprs(block)):
                    head = str(node_id)
                    fh.write("".join([head + mid + text + "\n" for mid, text in zip(middles, texts)]))


def _reprs(values: np.ndarray):
    """``repr`` of each value of a C-contiguous 2-D float64 array, row by row, each distinct value formatted once.

    Rates repeat a lot (0 Hz where rectified; units of one model under a full-field stimulus) and
    repr is most of the time spent writing rates_csv. Distinct means distinct bits: -0.0 stays '-0.0'.
    """
    sample = values[:, ::max(1, values.shape[1] // 16)]          # every node at 16 times
    if np.unique(sample).size > sample.size // 2:
        return (map(repr, row) for row in values.tolist())      # mostly distinct: a look-up would not pay
    distinct, index = np.unique(values.view(np.int64), return_inverse=True)
    texts = np.array(list(map(repr, distinct.view(np.float64).tolist())), dtype=object)
    return texts[index.reshape(values.shape)].tolist()


def read_rates_csv(path) -> dict[str, RatesTable]:
    """Read a ``rates_csv`` file (simlib's or BMTK's) back into one table per population.

    Raises
    ------
    FormatError
        A missing file, missing columns, or nodes without the same time points.
    """
    import pandas as pd

    path = require_file(path)
    try:
        df = pd.read_csv(path, sep=" ")
    except (ValueError, pd.errors.ParserError) as exc:
        raise FormatError(f"{path}: not a space-separated rates table ({exc})") from None
    missing = [c for c in CSV_COLUMNS if c not in df.columns]
    if missing:
        raise FormatError(f"{path}: columns {missing} missing; expected {' '.join(CSV_COLUMNS)}")
    out = {}
    for pop, sub in df.groupby("population", sort=False):
        sub = sub.sort_values(["node_id", "timestamps"], kind="stable")
        node_ids = np.unique(sub["node_id"].to_numpy())
        if len(sub) % max(1, node_ids.size):
            raise FormatError(f"{path}: population '{pop}': nodes have different numbers of time points")
        n_times = len(sub) // node_ids.size
        times = sub["timestamps"].to_numpy()[:n_times]
        rates = sub["firing_rates"].to_numpy(dtype=float).reshape(node_ids.size, n_times).T
        out[str(pop)] = RatesTable(node_ids.astype(np.uint64), times, rates)
    return out


def spike_trains(spikes: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> SpikeTrains:
    """Spike trains from ``{population: (node_ids, times_ms)}``."""
    trains = SpikeTrains()
    for pop, (node_ids, times_ms) in spikes.items():
        trains.add_spikes(np.asarray(node_ids, dtype=np.int64), np.asarray(times_ms, dtype=float), population=pop)
    return trains


def write_spikes(trains: SpikeTrains, *, h5=None, csv=None, nwb=None, compression="gzip") -> list[Path]:
    """Write the spike files that are given (SONATA h5, CSV, NWB), sorted by node id as BMTK does.

    Each file is written atomically. Returns the paths written.
    """
    written = []
    if h5:
        trains.to_sonata(h5, sort_order=SPIKES_SORT_ORDER, compression=compression)
        written.append(Path(h5))
    if csv:
        trains.to_csv(csv, sort_order=SPIKES_SORT_ORDER)
        written.append(Path(csv))
    if nwb:
        trains.to_nwb(nwb)
        written.append(Path(nwb))
    return written
