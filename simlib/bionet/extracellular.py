"""The ``extracellular`` report: potentials on electrodes from every segment's membrane current.

Membrane currents come from NEURON's ``i_membrane_`` (``cvode.use_fast_imem``; BMTK also
inserts the costly ``extracellular`` mechanism, which is not needed). The line-source transfer
matrix of each recorded cell (channels × segments, :mod:`simlib.bionet.line_source`) is built
once, from the segment coordinates after the node's rotation and position. During the run the
currents of a rank's segments are copied into a block each time step — on NEURON by one copy of the
span of NEURON's node storage that holds them (or, where the storage layout is unknown, one
``PtrVector.gather``), from one callback per step (BMTK calls Python once per cell per step); on
CoreNEURON, which runs no Python during a run, by NEURON's own ``Vector.record`` — and each full
block is multiplied by the transfer matrices with one matrix product per cell. Rank 0 sums the
cells' contributions in gid order, so the file is the same for any number of ranks.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError, SimlibError

log = logging.getLogger("simlib.bionet")

_BUFFER_BYTES = 32 << 20   # currents (steps × segments) held per rank before they are reduced
SPEC_KEYS = ("module", "variable_name", "cells", "cell_bounds", "electrode_positions", "electrode_channels",
             "file_name", "minimum_distance", "contributions_dir", "sigma", "by_population", "enabled")


@dataclass
class _LocalCell:
    gid: int
    population: str
    node_id: int
    group: str            # its value of the breakdown attribute (by_population), '' without one
    columns: slice        # its segments in the report's segment list
    transfer: np.ndarray  # (n_channels, n_segments), mV/nA
    buffer_columns: slice | None = None      # its columns in the recording buffer
    buffer_transfer: np.ndarray | None = None  # its transfer matrix laid out on those columns
    segments: dict | None = None  # p0, p1, diameter (µm), kept for contribution files


class ExtracellularReport:
    """One ``module: extracellular`` report of a simulation config.

    Parameters
    ----------
    name, spec : the report's key and its dict in ``reports``.
    network : the built :class:`simlib.bionet.network.Network` (cells already created).
    session : the MPI session; select : node-set selector of the simulation.
    run : the config's ``run`` dict; output_dir : where relative file names go.

    Raises
    ------
    ConfigError, FormatError
        Bad keys or values, an unreadable electrode file, unknown channels, or an electrode on a
        segment with no minimum distance — before the run starts.
    """

    def __init__(self, name: str, spec: dict, network, session, select, run: dict, output_dir):
        from simlib.sonata.ecp import read_electrodes

        self.name, self.session = name, session
        source = f"{network.config.source}: reports.{name}"
        if "file_name_nwb" in spec:
            raise ConfigError(f"{source}.file_name_nwb: an NWB copy of the ECP is not written by simlib; remove the "
                              f"key (the report's .h5 file holds the same data)")
        unknown = sorted(set(spec) - set(SPEC_KEYS))
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {', '.join(unknown)}; accepted: {', '.join(SPEC_KEYS)}")
        if "electrode_positions" not in spec:
            raise ConfigError(f"{source}.electrode_positions: missing; expected a space-separated CSV with columns "
                              f"channel x_pos y_pos z_pos")
        path = Path(spec["electrode_positions"])
        try:
            electrodes = read_electrodes(path)
            self.electrodes = electrodes.select(spec.get("electrode_channels", "all"),
                                                source=f"{source}.electrode_channels")
        except SimlibError as exc:
            raise type(exc)(f"{source}.electrode_positions: {exc}") from None
        self.sigma = _positive(spec.get("sigma", 0.3), f"{source}.sigma", "a conductivity in S/m")
        min_distance = spec.get("minimum_distance")
        if min_distance not in (None, "auto"):
            min_distance = _positive(min_distance, f"{source}.minimum_distance", "a distance in µm or 'auto'",
                                     allow_zero=True)
        by = spec.get("by_population", False)
        if by is True:
            by = "pop_name"
        if by not in (False, None) and not isinstance(by, str):
            raise ConfigError(f"{source}.by_population: expected true, false or a node attribute name, got {by!r}")
        self.by = by or None
        self.path = _output_path(spec.get("file_name", f"{name}.h5"), output_dir)
        contributions = spec.get("contributions_dir")
        self.contributions_dir = _output_path(contributions, output_dir) if contributions else None
        self.tstart_ms, self.tstop_ms, self.dt_ms = run["tstart"], run["tstop"], run["dt"]
        self.n_steps = int(round((self.tstop_ms - self.tstart_ms) / self.dt_ms))
        self.coreneuron = run["backend"] == "coreneuron"

        cells = spec.get("cells", "biophysical")
        if spec.get("cell_bounds") is not None:
            lo, hi = spec["cell_bounds"]
            cells = {"node_ids": list(range(int(lo), int(hi) + 1))}
        selection = select(cells, f"reports.{name}.cells")
        self.cells: list[_LocalCell] = []
        n_selected, groups = 0, set()
        for population, node_ids in selection.items():
            pop = network.circuit.populations[population]
            rows = pop.rows(node_ids)
            bio = pop.model_type[rows] == "biophysical"
            n_selected += int(bio.sum())
            if self.by is not None and self.by not in pop.nodes:
                raise ConfigError(f"{source}.by_population: '{self.by}' is not an attribute of population "
                                  f"'{population}'")
            labels = (pop.nodes[self.by].astype(str).to_numpy()[rows] if self.by else np.full(rows.size, ""))
            for node_id, label in zip(np.asarray(node_ids)[bio], labels[bio]):
                groups.add(str(label))
                gid = int(network.circuit.gids(population, [node_id])[0])
                if gid in network.cells:
                    self.cells.append(_LocalCell(gid, population, int(node_id), str(label), slice(0, 0), None))
        if n_selected == 0:
            raise ConfigError(f"{source}.cells: the node set matches no biophysical cell")
        self.groups = sorted(groups) if self.by else []
        self.cells.sort(key=lambda c: c.gid)
        self._segments = []
        start = 0
        for cell in self.cells:
            hoc = network.cells[cell.gid]
            coords = network.segment_coordinates(cell.gid)
            segs = [seg for sec in hoc.all for seg in sec]
            radius = np.array([seg.diam / 2.0 for seg in segs])
            try:
                from simlib.bionet.line_source import line_source_transfer

                cell.transfer = line_source_transfer(coords.p0, coords.p1, self.electrodes.positions_um, self.sigma,
                                                     radius if min_distance == "auto" else min_distance)
            except ConfigError as exc:
                raise ConfigError(f"{source}: cell {cell.population} node {cell.node_id}: {exc}") from None
            if self.contributions_dir is not None:
                cell.segments = {"p0": coords.p0, "p1": coords.p1, "diameter": 2 * radius}
            cell.columns = slice(start, start + len(segs))
            start += len(segs)
            self._segments += segs
        self.n_segments = start
        log.info("rank %d: %s: %d cells, %d segments, %d channels", session.rank, name, len(self.cells), start,
                 self.electrodes.channel_ids.size)
        self._setup_recording()
        self._writer = None
        self._contrib = {}
        self._pending: dict[int, list] = {c.gid: [] for c in self.cells}
        self._rows_done = 0      # rows of the file written by rank 0
        self._rows_taken = 0     # rows of currents taken on this rank

    # --- recording

    def _setup_recording(self) -> None:
        from neuron import h

        h.cvode.use_fast_imem(1)
        self._fill = 0
        self._vectors = []
        self._refs = [seg._ref_i_membrane_ for seg in self._segments]
        for cell in self.cells:
            cell.buffer_columns, cell.buffer_transfer = cell.columns, cell.transfer
        if self.coreneuron:
            # CoreNEURON runs no Python per step: NEURON records every segment itself
            self._vectors = [h.Vector().record(ref) for ref in self._refs]
            return
        self._ptr = h.PtrVector(max(self.n_segments, 1))
        for k, ref in enumerate(self._refs):
            self._ptr.pset(k, ref)
        self._gathered = h.Vector(max(self.n_segments, 1))
        self._view = self._gathered.as_numpy()
        self._alloc(self.n_segments)
        self._span = None   # (first ref, length) of the contiguous copy, when NEURON's storage allows it
        if self.n_segments:
            h.cvode.extra_scatter_gather(0, self._take_step)

    def _alloc(self, width: int) -> None:
        rows = max(1, min(self.n_steps, _BUFFER_BYTES // (8 * max(width, 1))))
        self._buffer = np.zeros((rows, width))

    def _map_storage(self) -> None:
        """NEURON 9 keeps every node's i_membrane_ in one array; copy the span of this rank's segments at once.

        The rows (known after finitialize, when NEURON has sorted its storage) come from the data
        handles; each cell's transfer matrix is laid out on its span of rows (zeros for rows that are
        not its segments, e.g. the root node), so a step is two memory copies instead of a gather of
        one pointer per segment. Without row information (NEURON 8) the PtrVector gather is used.
        """
        from neuron import h

        rows = _storage_rows(self._refs)
        if rows is None or not self.n_segments:
            return
        lo = int(rows.min())
        span = int(rows.max()) - lo + 1
        self._rows_at_start = rows
        self._span = (self._refs[int(rows.argmin())], span)
        self._raw = h.Vector(span)
        self._view = self._raw.as_numpy()
        self._alloc(span)
        for cell in self.cells:
            r = rows[cell.columns] - lo
            a, b = int(r.min()), int(r.max()) + 1
            wide = np.zeros((cell.transfer.shape[0], b - a))
            wide[:, r - a] = cell.transfer
            cell.buffer_columns, cell.buffer_transfer = slice(a, b), wide

    def _check_storage(self) -> None:
        """NEURON must not have moved the segments during the run (it would after a change of the model)."""
        if self._span is not None and not np.array_equal(_storage_rows(self._refs), self._rows_at_start):
            raise SimlibError(f"reports.{self.name}: NEURON reordered its node storage during the run; the "
                              f"extracellular report cannot follow it")

    def elements(self) -> int:
        """Values held per time step until a flush on this rank (bounds the run's block size).

        Each cell's contribution per channel waits for the flush (and, on CoreNEURON, each
        segment's recorded current), so many channels or cells mean shorter blocks, not more memory.
        """
        held = len(self.cells) * int(self.electrodes.channel_ids.size)
        return held + (self.n_segments if self.coreneuron else 0)

    def planned_bytes(self, total) -> list[tuple[str, int]]:
        """``[(file, bytes)]`` the report will write uncompressed; `total` sums a count over the MPI ranks."""
        per_trace = self.n_steps * int(self.electrodes.channel_ids.size) * 8   # float64 samples
        sizes = [(str(self.path), per_trace * (1 + len(self.groups)))]
        if self.contributions_dir is not None:
            sizes.append((f"{self.contributions_dir}/*.h5", per_trace * total(len(self.cells))))
        return sizes

    def open(self) -> None:
        """Open the output file(s) on rank 0."""
        from simlib.sonata.ecp import EcpWriter

        mine = [(c.gid, c.population, c.node_id, c.segments) for c in self.cells]
        parts = self.session.gather(mine, 0)
        if parts is None:
            return
        self._writer = EcpWriter(self.path, self.electrodes, self.tstart_ms, self.tstop_ms, self.dt_ms,
                                 populations=self.groups)
        if self.contributions_dir is not None:
            for gid, population, node_id, segments in sorted((c for part in parts for c in part),
                                                             key=lambda c: c[0]):
                # BMTK's layout (<gid>.h5 with /ecp/data), plus the time, channels and the cell's segments
                writer = EcpWriter(self.contributions_dir / f"{gid}.h5", self.electrodes, self.tstart_ms,
                                   self.tstop_ms, self.dt_ms, segments=segments,
                                   attrs={"population": population, "node_id": node_id})
                self._contrib[gid] = writer

    def start(self) -> None:
        """After finitialize: row 0 is the initial state."""
        if self.coreneuron:
            return
        self._map_storage()
        self._take_step()

    def _take_step(self) -> None:
        if self._rows_taken >= self.n_steps:
            return  # the state after the last step (t = tstop) is not a row of the report
        if self._span is not None:
            self._raw.from_double(self._span[1], self._span[0])
        else:
            self._ptr.gather(self._gathered)
        self._buffer[self._fill] = self._view
        self._fill += 1
        self._rows_taken += 1
        if self._fill == self._buffer.shape[0]:
            self._reduce()

    def _reduce(self, block: np.ndarray | None = None) -> None:
        """Multiply a block of currents (steps × columns; default the buffer) by each cell's transfer matrix."""
        if block is None:
            block, self._fill = self._buffer[:self._fill], 0
        for cell in self.cells:
            self._pending[cell.gid].append(block[:, cell.buffer_columns] @ cell.buffer_transfer.T)

    def _take_recorded(self) -> None:
        """CoreNEURON: reduce what NEURON recorded since the last flush (one column per segment)."""
        if not self._vectors:
            return
        n = min(int(self._vectors[0].size()), self.n_steps - self._rows_taken)
        if n > 0:
            self._reduce(np.column_stack([vec.as_numpy()[:n] for vec in self._vectors]))
        self._rows_taken += n
        for vec in self._vectors:
            vec.resize(0)

    # --- output

    def flush(self) -> None:
        """Reduce what was recorded, hand the cells' contributions to rank 0 and append them to the file."""
        if self.coreneuron:
            self._take_recorded()
        elif self._fill:
            self._reduce()
        mine = {gid: (np.concatenate(parts) if parts else None) for gid, parts in self._pending.items()}
        for parts in self._pending.values():
            parts.clear()
        group_of = {c.gid: c.group for c in self.cells}
        parts = self.session.gather((mine, group_of), 0)
        if parts is None:
            return
        contributions, groups = {}, {}
        for part, labels in parts:
            contributions.update({gid: a for gid, a in part.items() if a is not None})
            groups.update(labels)
        n_rows = max((a.shape[0] for a in contributions.values()), default=0)
        if n_rows == 0:
            return
        n_ch = self.electrodes.channel_ids.size
        total = np.zeros((n_rows, n_ch))
        shares = {g: np.zeros((n_rows, n_ch)) for g in self.groups}
        for gid in sorted(contributions):  # gid order: the same sums for any number of ranks
            part = contributions[gid]
            total += part
            if self.groups:
                shares[groups[gid]] += part
            if gid in self._contrib:
                self._contrib[gid].append(part)
        self._writer.append(total, shares)
        self._rows_done += n_rows

    def close(self) -> None:
        if not self.coreneuron:
            self._check_storage()
        for writer in [self._writer, *self._contrib.values()]:
            if writer is not None:
                writer.close()
        if not self.coreneuron and self.n_segments:
            from neuron import h

            h.cvode.extra_scatter_gather_remove(self._take_step)

    def abort(self) -> None:
        for writer in [self._writer, *self._contrib.values()]:
            if writer is not None:
                writer.abort()

    @property
    def files(self) -> list[str]:
        return [str(self.path)]


_ROW = re.compile(r"row=(\d+)/")


def _storage_rows(refs) -> np.ndarray | None:
    """Row of each data handle in NEURON's node storage (NEURON 9 prints it), or None if unknown."""
    rows = np.empty(len(refs), dtype=np.int64)
    for k, ref in enumerate(refs):
        found = _ROW.search(repr(ref))
        if found is None or "FastIMemSavRHS" not in repr(ref):
            return None
        rows[k] = int(found.group(1))
    return rows


def _output_path(name, output_dir) -> Path:
    path = Path(name)
    return path if path.is_absolute() else Path(output_dir) / path


def _positive(value, where: str, expected: str, allow_zero: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {expected}, got {value!r}") from None
    if not np.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        raise ConfigError(f"{where}: expected {expected} ({'>= 0' if allow_zero else '> 0'}), got {value!r}")
    return number
