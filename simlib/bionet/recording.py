"""Recording during a run: spikes of the biophysical cells and membrane (compartment) reports.

Values are recorded by NEURON itself (``pc.spike_record``, ``Vector.record``), never by a Python
callback per time step, so CoreNEURON can run the same model. Between blocks of time steps each
rank hands its recorded samples to rank 0, which writes single files: spikes sorted by time
then population and node id (so files are the same for any number of ranks), and each
compartment report with its cells in node-id order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError
from simlib.morphology.sections import ACCEPTED_TEXT
from simlib.sonata.reports import VARIABLE_UNITS, report_files

SECTION_CHOICES = ("soma", "all", ACCEPTED_TEXT)


class SpikeRecorder:
    """Spike times of this rank's cells; :meth:`write` gathers them on rank 0 and writes the files."""

    def __init__(self, network, session):
        from neuron import h

        self.network, self.session = network, session
        self.times, self.gids = h.Vector(), h.Vector()
        for gid in sorted(network.cells):
            session.pc.spike_record(gid, self.times, self.gids)

    def gather(self):
        """(population names, SpikeTrains) on rank 0; None on other ranks."""
        mine = (self.times.as_numpy().copy(), self.gids.as_numpy().astype(np.int64))
        parts = self.session.gather(mine, 0)
        if parts is None:
            return None
        from simlib.spikes import SpikeTrains

        times = np.concatenate([p[0] for p in parts]) if parts else np.empty(0)
        gids = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, dtype=np.int64)
        which, node_ids = self.network.circuit.population_of_gid(gids)
        names = list(self.network.circuit.populations)
        order = np.lexsort((node_ids, which, times))  # time, then population, then node id
        trains = SpikeTrains()
        for p in np.unique(which):
            sel = order[which[order] == p]
            trains.add_spikes(node_ids[sel], times[sel], population=names[p])
        return trains

    def write(self, output: dict, compression="gzip") -> None:
        trains = self.gather()
        if trains is None:
            return
        sort_order = {"id": "node_id"}.get(output.get("spikes_sort_order"), output.get("spikes_sort_order"))
        if output.get("spikes_file"):
            trains.to_sonata(output["spikes_file"], sort_order=sort_order, compression=compression)
        if output.get("spikes_file_csv"):
            trains.to_csv(output["spikes_file_csv"], sort_order=sort_order)
        if output.get("spikes_file_nwb"):
            trains.to_nwb(output["spikes_file_nwb"])


@dataclass
class _Recorded:
    """One population's recorded elements on this rank."""

    node_ids: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    element_ids: list = field(default_factory=list)
    element_pos: list = field(default_factory=list)
    vectors: list = field(default_factory=list)


class MembraneReport:
    """A ``membrane_report``: one variable at the chosen segments of a node set, into one SONATA file."""

    def __init__(self, name: str, spec: dict, variable: str, path: Path, network, session, select,
                 tstart_ms: float, tstop_ms: float, dt_ms: float):
        from neuron import h

        self.name, self.variable, self.path = name, variable, Path(path)
        self.session = session
        source = f"{network.config.source}: reports.{name}"
        report_dt = float(spec.get("dt", dt_ms))
        ratio = report_dt / dt_ms
        if report_dt <= 0 or abs(ratio - round(ratio)) > 1e-9:
            raise ConfigError(f"{source}.dt: expected a positive multiple of run.dt ({dt_ms} ms), got {report_dt}")
        self.dt_ms, self.tstart_ms, self.tstop_ms = report_dt, tstart_ms, tstop_ms
        self._stride = int(round(ratio))
        self._seen = 0  # time steps recorded so far (row 0 = the initial state)
        self.n_steps = int(round((tstop_ms - tstart_ms) / report_dt))
        sections = spec.get("sections", "soma")
        if variable == "i_membrane_":
            h.cvode.use_fast_imem(1)  # makes i_membrane_ (nA) a range variable
        selection = select(spec.get("cells", "biophysical"), f"reports.{name}.cells")
        self.local: dict[str, _Recorded] = {}
        n_cells = 0
        for population, node_ids in selection.items():
            pop = network.circuit.populations[population]
            types = pop.model_type[pop.rows(node_ids)]
            node_ids = np.asarray(node_ids)[types == "biophysical"]
            n_cells += node_ids.size
            rec = self.local.setdefault(population, _Recorded())
            for node_id in node_ids:
                cell = network.cells.get(int(network.circuit.gids(population, [node_id])[0]))
                if cell is None:
                    continue
                segs = _segments(cell, sections, source)
                rec.node_ids.append(int(node_id))
                rec.counts.append(len(segs))
                for sec_index, seg in segs:
                    rec.element_ids.append(sec_index)
                    rec.element_pos.append(seg.x)
                    try:
                        ref = getattr(seg, f"_ref_{variable}")
                    except (AttributeError, NameError):
                        raise ConfigError(f"{source}.variable_name: '{variable}' is not a range variable of "
                                          f"{seg.sec.name()}") from None
                    # every time step (CoreNEURON records no other interval); flush() keeps every stride-th
                    rec.vectors.append(h.Vector().record(ref))
        if n_cells == 0:
            raise ConfigError(f"{source}.cells: the node set matches no biophysical cell")
        self._writer = None
        self._order = None
        self._written = 0

    def elements(self) -> int:
        """Values recorded per time step on this rank."""
        return sum(len(r.vectors) for r in self.local.values())

    def planned_bytes(self, total) -> list[tuple[str, int]]:
        """``[(file, bytes)]`` the report will hold uncompressed; `total` sums a count over the MPI ranks."""
        n_elements = total(self.elements())
        # float64 samples, plus the mapping: element ids and positions (8 + 8 bytes per element)
        return [(str(self.path), n_elements * (self.n_steps + 2) * 8)]

    def start(self) -> None:
        """Nothing to do after finitialize: NEURON records the initial state itself."""

    def open(self) -> None:
        """Gather the element mapping on rank 0 and open the file there."""
        from simlib.sonata.reports import CompartmentReportWriter, ReportMapping

        mine = {pop: (r.node_ids, r.counts, r.element_ids, r.element_pos) for pop, r in self.local.items()}
        parts = self.session.gather(mine, 0)
        if parts is None:
            return
        mappings, self._order = {}, {}
        for pop in sorted({p for part in parts for p in part}):
            node_ids, counts, eids, epos, columns = [], [], [], [], []
            offset = 0
            for rank, part in enumerate(parts):
                ids, cnt, e, x = part.get(pop, ([], [], [], []))
                starts = np.concatenate([[0], np.cumsum(cnt)]).astype(np.int64)
                for k, nid in enumerate(ids):
                    node_ids.append(nid)
                    counts.append(cnt[k])
                    eids.append(np.asarray(e[starts[k]:starts[k + 1]]))
                    epos.append(np.asarray(x[starts[k]:starts[k + 1]]))
                    columns.append(offset + np.arange(starts[k], starts[k + 1]))
                offset += int(starts[-1])
            order = np.argsort(node_ids, kind="stable")
            ptr = np.concatenate([[0], np.cumsum(np.asarray(counts)[order])]).astype(np.uint64)
            mappings[pop] = ReportMapping(np.asarray(node_ids)[order], ptr,
                                          np.concatenate([eids[i] for i in order]).astype(np.uint64),
                                          np.concatenate([epos[i] for i in order]).astype(float))
            self._order[pop] = np.concatenate([columns[i] for i in order]).astype(np.int64)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = CompartmentReportWriter(self.path, self.variable, mappings, self.tstart_ms, self.tstop_ms,
                                               self.dt_ms, units=VARIABLE_UNITS.get(self.variable))
        self._writer.__enter__()

    def flush(self) -> None:
        """Hand the samples recorded since the last flush to rank 0, which appends them to the file."""
        mine = {}
        for pop, rec in self.local.items():
            mine[pop] = (np.column_stack([v.as_numpy() for v in rec.vectors]) if rec.vectors else None)
            for v in rec.vectors:
                v.resize(0)
        parts = self.session.gather(mine, 0)
        if parts is None or self._writer is None:
            return
        n_rows = max((b.shape[0] for part in parts for b in part.values() if b is not None), default=0)
        rows = np.flatnonzero((self._seen + np.arange(n_rows)) % self._stride == 0)
        self._seen += n_rows
        rows = rows[:max(0, self.n_steps - self._written)]
        if not rows.size:
            return
        for pop, order in self._order.items():
            blocks = [part[pop] for part in parts if part.get(pop) is not None]
            block = np.concatenate(blocks, axis=1) if blocks else np.empty((n_rows, 0))
            self._writer.append(pop, block[rows][:, order])
        self._written += rows.size

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()


def _segments(cell, sections, source: str) -> list:
    """(section index in cell.all, segment) of every recorded element of a cell."""
    if sections == "soma":
        return [(0, cell.soma[0](0.5))]
    kinds = ["all"] if sections == "all" else ([sections] if isinstance(sections, str) else list(sections))
    chosen = []
    for kind in kinds:
        try:
            chosen += cell.sections(kind)
        except KeyError:
            raise ConfigError(f"{source}.sections: '{kind}' unknown; accepted: {', '.join(SECTION_CHOICES)}") from None
    index = {sec: i for i, sec in enumerate(cell.all)}
    chosen = sorted(set(chosen), key=index.get)
    return [(index[sec], seg) for sec in chosen for seg in sec]


def membrane_reports(network, session, select, run: dict, output_dir: Path) -> list[MembraneReport]:
    """The config's ``membrane_report`` reports (one file per variable); other modules are checked only."""
    reports = []
    for name, spec in network.config.reports.items():
        module = spec.get("module")
        if module not in REPORT_MODULES:
            raise ConfigError(f"{network.config.source}: reports.{name}.module: '{module}' unknown; accepted: "
                              f"{', '.join(REPORT_MODULES)}")
        if module != "membrane_report":
            continue
        for var, file in report_files(name, spec, output_dir).items():
            reports.append(MembraneReport(name, spec, var, file, network, session, select, run["tstart"],
                                          run["tstop"], run["dt"]))
    return reports


REPORT_MODULES = ("membrane_report", "extracellular")
