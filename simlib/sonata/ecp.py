"""Extracellular potential (ECP) reports in BMTK's layout, and the electrode positions CSV.

File layout (what BMTK's ``EcpMod`` writes and its analyzer reads)::

    /ecp/data          float64 (n_steps, n_channels), attr units = 'mV'
    /ecp/time          [tstart, tstop, dt] (ms), attr units = 'ms'
    /ecp/channel_id    the recorded channels' ids

BMTK's data are (time × channels), transposed relative to the SONATA spec's extracellular report;
simlib writes BMTK's orientation so BMTK's tools read simlib's files. simlib adds (readers that do
not know them ignore them) ``/ecp/electrode_positions`` (n_channels, 3) in µm, so LFP and CSD can
be computed from the file alone, and, on request, ``/ecp/populations/<name>/data``: one
population's share of the potential (the shares add up to ``/ecp/data``). Row k is the potential
at ``tstart + k·dt`` (row 0 = the initial state), as in simlib's compartment reports.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simlib.errors import FormatError, SimlibError
from simlib.fileio import require_file
from simlib.sonata.files import IncrementalH5Writer, open_h5

ELECTRODE_COLUMNS = ("channel", "x_pos", "y_pos", "z_pos")


@dataclass
class Electrodes:
    """Recording sites: channel ids and their positions (µm, the cells' coordinate space)."""

    channel_ids: np.ndarray    # int64 (n_channels,)
    positions_um: np.ndarray   # float64 (n_channels, 3)

    def select(self, channels, source: str = "electrode_channels") -> Electrodes:
        """The sites of ``channels`` (``'all'``/None or a list of channel ids), in the order given.

        Raises
        ------
        FormatError
            A channel id that the electrode file does not define, or a repeated one.
        """
        if channels is None or (isinstance(channels, str) and channels == "all"):
            return self
        if isinstance(channels, (int, np.integer)) and not isinstance(channels, bool):
            channels = [channels]
        if isinstance(channels, str) or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool)
                                                for c in channels):
            raise FormatError(f"{source}: expected 'all' or a list of channel ids, got {channels!r}")
        index = {int(c): i for i, c in enumerate(self.channel_ids)}
        unknown = [int(c) for c in channels if int(c) not in index]
        if unknown:
            raise FormatError(f"{source}: channel id(s) {unknown} not in the electrode file; "
                              f"its channels: {self.channel_ids.tolist()}")
        if len(set(int(c) for c in channels)) != len(channels):
            raise FormatError(f"{source}: channel ids repeated in {list(channels)}")
        rows = [index[int(c)] for c in channels]
        return Electrodes(self.channel_ids[rows], self.positions_um[rows])


def read_electrodes(path) -> Electrodes:
    """Read an electrode file: space-separated CSV with header ``channel x_pos y_pos z_pos``.

    Extra columns (BMTK's files may carry e.g. ``location``) are ignored.

    Raises
    ------
    FormatError
        Missing file, missing columns, a row of the wrong length, a value that is not a number,
        a non-integer or repeated channel id, or no channel at all.
    """
    path = require_file(path)
    try:
        with open(path, newline="") as fh:
            lines = [line for line in fh.read().splitlines() if line.strip()]
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not a text file; expected a space-separated CSV with columns "
                          f"{' '.join(ELECTRODE_COLUMNS)}") from None
    if not lines:
        raise FormatError(f"{path}: empty; expected a header '{' '.join(ELECTRODE_COLUMNS)}' and one row per channel")
    rows = list(csv.reader(lines, delimiter=" ", skipinitialspace=True))
    header = [h.strip() for h in rows[0] if h.strip()]
    missing = [c for c in ELECTRODE_COLUMNS if c not in header]
    if missing:
        raise FormatError(f"{path}: line 1: column(s) {', '.join(missing)} missing; expected a space-separated header "
                          f"'{' '.join(ELECTRODE_COLUMNS)}', got {header}")
    cols = [header.index(c) for c in ELECTRODE_COLUMNS]
    ids, xyz = [], []
    for lineno, row in enumerate(rows[1:], start=2):
        row = [v for v in row if v != ""]
        if len(row) != len(header):
            raise FormatError(f"{path}: line {lineno}: {len(row)} values, expected {len(header)} ({' '.join(header)})")
        values = []
        for name, col in zip(ELECTRODE_COLUMNS, cols):
            try:
                value = float(row[col])
            except ValueError:
                raise FormatError(f"{path}: line {lineno}, column '{name}': {row[col]!r} is not a number") from None
            if not np.isfinite(value):
                raise FormatError(f"{path}: line {lineno}, column '{name}': {row[col]!r} is not a finite number")
            values.append(value)
        if values[0] != int(values[0]):
            raise FormatError(f"{path}: line {lineno}, column 'channel': {row[cols[0]]!r} is not an integer id")
        ids.append(int(values[0]))
        xyz.append(values[1:])
    if not ids:
        raise FormatError(f"{path}: no channels; expected one row per channel after the header")
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise FormatError(f"{path}: column 'channel': id(s) {dup} repeated")
    return Electrodes(np.asarray(ids, dtype=np.int64), np.asarray(xyz, dtype=np.float64).reshape(-1, 3))


def write_electrodes(path, channel_ids, positions_um) -> Path:
    """Write an electrode file in BMTK's layout (space-separated ``channel x_pos y_pos z_pos``)."""
    from simlib.fileio import atomic_path

    positions_um = np.asarray(positions_um, dtype=float).reshape(-1, 3)
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="\n") as fh:
            fh.write(" ".join(ELECTRODE_COLUMNS) + "\n")
            for cid, (x, y, z) in zip(channel_ids, positions_um):
                fh.write(f"{int(cid)} {float(x)!r} {float(y)!r} {float(z)!r}\n")
    return Path(path)


class EcpWriter(IncrementalH5Writer):
    """Write an ECP report block by block (on the rank that gathers the blocks), atomically.

    The file appears at ``path`` only when :meth:`close` finds every row written; :meth:`abort`
    (or an exception inside ``with``) removes the temporary file and keeps any older one.

    Parameters
    ----------
    path : output .h5 file.
    electrodes : the recorded channels.
    tstart_ms, tstop_ms, dt_ms : rows are the potential at ``tstart + k·dt``, k = 0..n_steps-1.
    populations : names whose shares are written to ``/ecp/populations/<name>/data`` (optional).
    segments : for one cell's contribution file: its segments' ``p0``, ``p1`` (n_segments, 3) and
        ``diameter`` (n_segments,) in µm, written to ``/ecp/segments/`` (as the transfer used them).
    attrs : attributes of the ``/ecp`` group (e.g. a cell's population and node id).
    """

    def __init__(self, path, electrodes: Electrodes, tstart_ms: float, tstop_ms: float, dt_ms: float,
                 populations=(), segments: dict | None = None, attrs: dict | None = None):
        self.path = Path(path)
        if not dt_ms > 0 or not tstop_ms > tstart_ms:
            raise SimlibError(f"{self.path}: cannot write ECP report: need dt > 0 and tstop > tstart, got "
                              f"tstart={tstart_ms}, tstop={tstop_ms}, dt={dt_ms}")
        self.n_steps = int(round((tstop_ms - tstart_ms) / dt_ms))
        self.n_channels = int(electrodes.channel_ids.size)
        self._rows = 0
        h5 = self._create(self.path)
        try:
            grp = h5.create_group("ecp")
            shape = (self.n_steps, self.n_channels)
            chunks = (max(1, min(self.n_steps, (1 << 16) // max(self.n_channels, 1))), self.n_channels)
            self._data = grp.create_dataset("data", shape=shape, dtype=np.float64, chunks=chunks)
            self._data.attrs["units"] = "mV"
            grp.create_dataset("time", data=np.array([tstart_ms, tstop_ms, dt_ms], dtype=np.float64))
            grp["time"].attrs["units"] = "ms"
            grp.create_dataset("channel_id", data=electrodes.channel_ids.astype(np.int64))
            grp.create_dataset("electrode_positions", data=electrodes.positions_um.astype(np.float64))
            grp["electrode_positions"].attrs["units"] = "um"
            for key, value in (attrs or {}).items():
                grp.attrs[key] = value
            for key, value in (segments or {}).items():
                grp.create_dataset(f"segments/{key}", data=np.asarray(value, dtype=np.float64))
                grp[f"segments/{key}"].attrs["units"] = "um"
            self._pops = {}
            for name in populations:
                ds = grp.create_dataset(f"populations/{name}/data", shape=shape, dtype=np.float64, chunks=chunks)
                ds.attrs["units"] = "mV"
                self._pops[name] = ds
        except BaseException as exc:
            self._fail(exc)
            raise

    def append(self, total: np.ndarray, shares: dict | None = None) -> None:
        """Write the next rows: ``total`` (k, n_channels) and each population's share."""
        if self._stack is None:
            raise SimlibError(f"{self.path}: ECP writer is closed")
        total = np.asarray(total, dtype=np.float64)
        k = total.shape[0]
        if total.ndim != 2 or total.shape[1] != self.n_channels or self._rows + k > self.n_steps:
            raise SimlibError(f"{self.path}: ECP block of shape {total.shape} after {self._rows} rows does not fit "
                              f"({self.n_steps}, {self.n_channels})")
        with self._writing():
            self._data[self._rows:self._rows + k] = total
            for name, ds in self._pops.items():
                ds[self._rows:self._rows + k] = (shares or {}).get(name, np.zeros_like(total))
        self._rows += k

    def _incomplete(self) -> str | None:
        return None if self._rows == self.n_steps else f"ECP report incomplete: {self._rows} of {self.n_steps} rows"


@dataclass
class EcpReport:
    """An ECP report read into memory."""

    data_mv: np.ndarray                 # (n_steps, n_channels)
    tstart_ms: float
    tstop_ms: float
    dt_ms: float
    channel_ids: np.ndarray
    positions_um: np.ndarray | None = None   # (n_channels, 3), when the file has them
    populations: dict = field(default_factory=dict)  # name -> (n_steps, n_channels) share

    @property
    def times_ms(self) -> np.ndarray:
        return self.tstart_ms + np.arange(self.data_mv.shape[0]) * self.dt_ms


def read_ecp(path, electrodes=None) -> EcpReport:
    """Read an ECP report written by simlib or BMTK.

    Parameters
    ----------
    path : the report .h5 file.
    electrodes : an electrode CSV (or :class:`Electrodes`) giving positions when the file has none
        (BMTK's files); ignored when the file stores them.

    Raises
    ------
    FormatError
        Not an HDF5 file, a dataset missing, or shapes that disagree.
    """
    with open_h5(path) as h5:
        try:
            missing = [d for d in ("ecp/data", "ecp/time") if d not in h5]
            if missing:
                raise FormatError(f"{path}: dataset(s) {', '.join('/' + m for m in missing)} missing; expected an "
                                  f"extracellular report (/ecp/data, /ecp/time, /ecp/channel_id)")
            data = np.asarray(h5["ecp/data"][()], dtype=np.float64)
            time = np.asarray(h5["ecp/time"][()], dtype=np.float64).ravel()
            if data.ndim != 2 or time.size != 3 or not time[2] > 0:
                raise FormatError(f"{path}: /ecp/data must be 2-D (time, channel) and /ecp/time [tstart, tstop, dt] "
                                  f"with dt > 0; got shapes {data.shape} and {time.tolist()}")
            ids = (np.asarray(h5["ecp/channel_id"][()], dtype=np.int64) if "ecp/channel_id" in h5
                   else np.arange(data.shape[1], dtype=np.int64))
            if ids.size != data.shape[1]:
                raise FormatError(f"{path}: /ecp/channel_id has {ids.size} ids but /ecp/data {data.shape[1]} channels")
            positions = (np.asarray(h5["ecp/electrode_positions"][()], dtype=np.float64)
                         if "ecp/electrode_positions" in h5 else None)
            pops = {}
            if "ecp/populations" in h5:
                for name, grp in h5["ecp/populations"].items():
                    pops[name] = np.asarray(grp["data"][()], dtype=np.float64)
        except (OSError, KeyError, ValueError) as exc:
            raise FormatError(f"{path}: unreadable extracellular report ({exc}); expected numeric datasets "
                              f"/ecp/data, /ecp/time, /ecp/channel_id") from None
    if positions is None and electrodes is not None:
        sites = electrodes if isinstance(electrodes, Electrodes) else read_electrodes(electrodes)
        source = electrodes if not isinstance(electrodes, Electrodes) else "the electrode positions"
        positions = sites.select([int(c) for c in ids], source=f"{source}: channels of {path} (/ecp/channel_id)"
                                 ).positions_um
    return EcpReport(data, float(time[0]), float(time[1]), float(time[2]), ids, positions, pops)
