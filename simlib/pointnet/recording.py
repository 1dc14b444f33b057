"""PointNet recording: spikes of every point neuron and ``membrane_report`` through NEST multimeters.

NEST records into memory; between blocks of the run the events are taken out (and cleared), so a
long run holds one block of samples. Spikes are written like BioNet's: sorted by time, then
population, then node id, so files do not depend on the number of threads. A membrane report is a
SONATA compartment report with one element per cell (element id 0, position 0.0, as BMTK's
PointNet writes). NEST samples a variable after each step and never the initial state, so row k
holds NEST's sample at ``tstart + (k+1)*dt`` and ``mapping/time`` is ``[tstart + dt, tstop + dt, dt]``
(BioNet's row 0 is the initial state): the time labels of the file are exact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simlib.errors import ConfigError
from simlib.sonata.reports import VARIABLE_UNITS, report_files

REPORT_MODULES = ("membrane_report", "multimeter_report")


class SpikeRecorder:
    """One ``spike_recorder`` on every cell, read block by block.

    NEST keeps each neuron's connections to devices in a connector of its own, which starts with room
    for 1,024 connections: recording 100,000 cells took 3.1 GB and 2.5 s with ``static_synapse``,
    2.4 GB and 2.1 s with ``static_synapse_hom_w``, whose connections hold no weight (a recorder has no
    use for one; the spike times it records are the same).
    """

    SYNAPSE = "static_synapse_hom_w"

    def __init__(self, network, stop_ms: float):
        self.network = network
        nest = network.nest
        self.recorder = nest.Create("spike_recorder", params={"record_to": "memory", "stop": float(stop_ms)})
        cells = network.cells()
        if cells is not None:
            nest.Connect(cells, self.recorder, syn_spec={"synapse_model": self.SYNAPSE})
        self._senders, self._times = [], []

    def flush(self) -> None:
        """Take the spikes recorded so far out of NEST."""
        events = self.recorder.get("events")
        if len(events["times"]):
            self._senders.append(np.asarray(events["senders"], dtype=np.int64))
            self._times.append(np.asarray(events["times"], dtype=float))
            self.recorder.set(n_events=0)

    def trains(self, tstart_ms: float):
        """SpikeTrains of the run (times in the simulation's clock), sorted by time, population, node id."""
        from simlib.spikes import SpikeTrains

        self.flush()
        senders = np.concatenate(self._senders) if self._senders else np.empty(0, dtype=np.int64)
        times = np.concatenate(self._times) + tstart_ms if self._times else np.empty(0)
        which, owners = self.network.owners()
        pops, node_ids = which[senders], owners[senders]
        order = np.lexsort((node_ids, pops, times))
        names = list(self.network.circuit.populations)
        trains = SpikeTrains()
        for p in np.unique(pops):
            sel = order[pops[order] == p]
            trains.add_spikes(node_ids[sel], times[sel], population=names[p])
        return trains


class MultimeterReport:
    """A membrane report: one NEST multimeter on a node set, its variables written to SONATA files.

    Raises
    ------
    ConfigError
        A node set without point neurons, a report dt that is not a multiple of run.dt, a variable
        that the cells' NEST models do not record (the message lists what they record).
    """

    def __init__(self, name: str, spec: dict, network, select, run: dict, output_dir, source: str):
        nest = network.nest
        where = f"{source}: reports.{name}"
        self.name, self.network = name, network
        dt_ms, tstart = float(run["dt"]), float(run["tstart"])
        self.dt_ms = float(spec.get("dt", spec.get("interval", dt_ms)))
        ratio = self.dt_ms / dt_ms
        if self.dt_ms <= 0 or abs(ratio - round(ratio)) > 1e-9:
            raise ConfigError(f"{where}.dt: expected a positive multiple of run.dt ({dt_ms} ms), got {self.dt_ms}")
        duration = float(run["tstop"]) - tstart
        self.n_steps = int(np.floor(duration / self.dt_ms + 1e-9))
        self.files = report_files(name, spec, output_dir)
        self.variables = list(self.files)
        selection = select(spec.get("cells", "all"), f"reports.{name}.cells")
        self.populations, self.node_ids, ids, models = [], [], [], set()
        for population, node_ids in selection.items():
            pop = network.circuit.populations[population]
            rows = pop.rows(node_ids)
            keep = network.cell_ids[population][rows] > 0
            if keep.any():
                self.populations.append(population)
                self.node_ids.append(np.asarray(node_ids)[keep])
                ids.append(network.cell_ids[population][rows[keep]])
                models |= set(network.cell_model[population][rows[keep]].tolist())
        if not ids:
            raise ConfigError(f"{where}.cells: the node set matches no point neuron")
        for model in sorted(models):
            recordables = [str(r) for r in nest.GetDefaults(model, "recordables")]
            missing = [v for v in self.variables if v not in recordables]
            if missing:
                raise ConfigError(f"{where}.variable_name: {missing} not recorded by NEST model {model}; it records "
                                  f"{', '.join(recordables)}")
        self.cell_ids = np.concatenate(ids)
        self.widths = [a.size for a in self.node_ids]
        # column of each cell's NEST id (report columns: populations in selection order, node ids sorted)
        self._column = np.full(int(self.cell_ids.max()) + 1, -1, dtype=np.int64)
        self._column[self.cell_ids] = np.arange(self.cell_ids.size)
        self.multimeter = nest.Create("multimeter", params={
            "record_from": self.variables, "interval": self.dt_ms, "stop": self.n_steps * self.dt_ms,
            "record_to": "memory"})
        nest.Connect(self.multimeter, nest.NodeCollection(np.sort(self.cell_ids).tolist()))
        self.tstart_ms = tstart
        self._writers, self._written = {}, 0
        self._pending = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64),
                         {v: np.empty(0) for v in self.variables})

    def columns(self) -> int:
        """Values recorded per sample (cells × variables)."""
        return int(self.cell_ids.size * len(self.variables))

    def planned_bytes(self) -> list[tuple[str, int]]:
        """``[(file, bytes)]`` the report will hold uncompressed (float64 samples and the mapping)."""
        return [(str(path), self.cell_ids.size * (self.n_steps + 3) * 8) for path in self.files.values()]

    @property
    def complete(self) -> bool:
        return self._written >= self.n_steps

    def open(self) -> None:
        from simlib.sonata.reports import CompartmentReportWriter, ReportMapping

        mappings = {}
        for population, node_ids in zip(self.populations, self.node_ids):
            ones = np.ones(node_ids.size, dtype=np.int64)
            mappings[population] = ReportMapping(node_ids, np.concatenate([[0], np.cumsum(ones)]),
                                                 np.zeros(node_ids.size), np.zeros(node_ids.size))
        start = self.tstart_ms + self.dt_ms
        for var, path in self.files.items():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            writer = CompartmentReportWriter(path, var, mappings, start, start + self.n_steps * self.dt_ms, self.dt_ms,
                                             n_steps=self.n_steps, units=VARIABLE_UNITS.get(var))
            self._writers[var] = writer.__enter__()

    def flush(self) -> None:
        """Move the samples NEST holds into the files: every row whose cells have all been sampled."""
        events = self.multimeter.get("events")
        if len(events["times"]):
            self.multimeter.set(n_events=0)
        steps = np.rint(np.asarray(events["times"]) / self.dt_ms).astype(np.int64)   # sample k is at (k+1)*dt
        rows = np.concatenate([self._pending[0], steps - 1])
        cols = np.concatenate([self._pending[1], self._column[np.asarray(events["senders"], dtype=np.int64)]])
        values = {v: np.concatenate([self._pending[2][v], np.asarray(events[v], dtype=float)]) for v in self.variables}
        n_cols = self.cell_ids.size
        counts = np.bincount(rows - self._written, minlength=1) if rows.size else np.zeros(1, dtype=np.int64)
        short = np.flatnonzero(counts < n_cols)
        ready = int(short[0]) if short.size else counts.size
        ready = min(ready, self.n_steps - self._written)
        now = rows < self._written + ready
        if ready:
            for var in self.variables:
                block = np.empty((ready, n_cols))
                block[rows[now] - self._written, cols[now]] = values[var][now]
                for population, start, width in zip(self.populations, np.cumsum([0, *self.widths]), self.widths):
                    self._writers[var].append(population, block[:, start:start + width])
            self._written += ready
        self._pending = (rows[~now], cols[~now], {v: values[v][~now] for v in self.variables})

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()

    def abort(self) -> None:
        for writer in self._writers.values():
            writer.abort()


def membrane_reports(config, network, select, output_dir) -> list[MultimeterReport]:
    """The config's membrane reports (``membrane_report`` or BMTK's ``multimeter_report``); others are errors."""
    reports = []
    for name, spec in config.reports.items():
        module = spec.get("module")
        if module not in REPORT_MODULES:
            raise ConfigError(f"{config.source}: reports.{name}.module: '{module}' is not supported by PointNet; "
                              f"accepted: {', '.join(REPORT_MODULES)}")
        reports.append(MultimeterReport(name, spec, network, select, config.run, output_dir, config.source))
    return reports
