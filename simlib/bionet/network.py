"""A SONATA network on NEURON: the cells of this rank, their synapses and the virtual cells driving them.

The network itself (populations, gids, node sets, edges and their weights) is read through
:class:`simlib.circuit.Circuit`; this module adds the NEURON side. Biophysical cells are dealt to
ranks round-robin in gid order. Synapse placement draws from ``RandomState(gid)`` of the target, so
it does not depend on the number of ranks. Virtual cells are built on every rank that has a target
of theirs (no spike exchange), from the spike times an input gives them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from simlib.bionet.cells import Cell, MorphologyCache, PROCESSORS, build_cell, load_fit
from simlib.bionet.geometry import local_coordinates, node_placement, place, segment_coordinates
from simlib.bionet.synapses import (SegmentTable, SynapseModel, draw_segments, load_synapse_model, parse_range,
                                    parse_sections, segment_table)
from simlib.circuit import Circuit, Edges, Population, component_path, group_codes
from simlib.errors import ConfigError, FormatError

log = logging.getLogger("simlib.bionet")

CELL_TEMPLATES = ("ctdb:Biophys1", "ctdb:Biophys1.hoc")
MODEL_TYPES = ("biophysical", "virtual")  # what BioNet simulates


@dataclass
class EdgeSet:
    """The edges of one edge population ending on this rank's cells (a circuit :class:`Edges`, sorted by
    target), with where their synapses go and which synapse model each uses."""

    edges: Edges
    nsyns: np.ndarray           # synapses per edge: 1 for edges with an explicit section, else the file's nsyns
    explicit: np.ndarray        # bool: afferent_section_id/pos given
    sec_id: np.ndarray
    sec_x: np.ndarray
    model: np.ndarray           # index into Network.synapse_models
    placement: np.ndarray       # index into Network.placements (random placement rule)
    driver: np.ndarray | None = None  # syn_activity: index of the spontaneous source driving a row, -1 = silenced

    name = property(lambda self: self.edges.name)
    source_population = property(lambda self: self.edges.source_population)
    target_population = property(lambda self: self.edges.target_population)
    virtual = property(lambda self: self.edges.virtual)
    target = property(lambda self: self.edges.target)
    source = property(lambda self: self.edges.source)
    weight = property(lambda self: self.edges.weight)
    delay = property(lambda self: self.edges.delay)


@dataclass
class SetupTimes:
    cells: float = 0.0
    synapses: float = 0.0
    inputs: float = 0.0


class Network:
    """The network of a simulation config, instantiated on this rank.

    Parameters
    ----------
    config
        A :class:`simlib.config.SimulationConfig`.
    session
        The run's :class:`simlib.bionet.session.Session` (ParallelContext, rank, number of ranks).
    """

    def __init__(self, config, session):
        self.config = config
        self.session = session
        self.pc = session.pc
        self.rank, self.nhost = session.rank, session.nhost
        self.circuit = Circuit.from_config(config)
        self.cells: dict[int, Cell] = {}                      # gid -> cell, this rank's
        self.cell_keys: dict[int, tuple] = {}                 # gid -> (morphology, processing) for segment tables
        self._local_coordinates: dict[tuple, object] = {}     # (morphology, processing) -> unplaced coordinates
        self.spike_detectors: dict[int, object] = {}
        self.synapse_models: list[SynapseModel] = []
        self.placements: list[tuple] = []
        self.virtual_sources: dict[tuple[str, int], object] = {}
        self.synapses: dict[int, list] = {}                   # gid -> point processes
        self.netcons: dict[int, list] = {}                    # gid -> NetCons onto that cell
        self.n_synapses = 0                                   # synapses (one NetCon each) on this rank
        self.times = SetupTimes()
        self._tables: dict[tuple, SegmentTable] = {}
        self._rngs: dict[int, np.random.RandomState] = {}
        self._model_specs: list[tuple] = []
        self._merged: dict[int, dict] = {}                   # gid -> merged point processes by segment
        self._morphologies = MorphologyCache()
        self._edge_sets: list[EdgeSet] | None = None
        self._trigger = None
        self.spontaneous: list[tuple[dict, dict, np.ndarray]] = []   # syn_activity: (pre ids, post ids, times)
        self._spont_sources: list = []

    def local_node_ids(self, population: str) -> np.ndarray:
        """Node ids of this rank's cells of ``population``, sorted."""
        pop = self.circuit.populations[population]
        gids = np.array(sorted(g for g in self.cells if pop.gid_offset <= g < pop.gid_offset + pop.id_span),
                        dtype=np.int64)
        return gids - pop.gid_offset

    # --- cells

    def _cell_spec(self, pop: Population, row: int) -> tuple[Path, Path, str]:
        """(morphology path, fit path, model_processing) of one biophysical node, checked."""
        nodes, comps = pop.nodes, self.config.components
        where = f"{pop.source}: population '{pop.name}', node {int(nodes['node_id'].iat[row])}"
        template = str(nodes["model_template"].iat[row]) if "model_template" in nodes else "None"
        if template not in CELL_TEMPLATES:
            raise ConfigError(f"{where}: model_template '{template}' unknown; accepted for biophysical cells: "
                              f"{', '.join(CELL_TEMPLATES)} (built by simlib, no hoc template needed)")
        processing = str(nodes["model_processing"].iat[row]) if "model_processing" in nodes else "aibs_perisomatic"
        for step in processing.split(","):
            if step.strip() not in PROCESSORS:
                raise ConfigError(f"{where}: model_processing '{step}' unknown; accepted: {', '.join(PROCESSORS)}")
        morph = nodes["morphology"].iat[row] if "morphology" in nodes else None
        fit = nodes["dynamics_params"].iat[row] if "dynamics_params" in nodes else None
        if morph is None or (isinstance(morph, float) and np.isnan(morph)):
            raise FormatError(f"{where}: no morphology; expected an SWC file name (node or node-type column)")
        if fit is None or (isinstance(fit, float) and np.isnan(fit)):
            raise FormatError(f"{where}: no dynamics_params; expected a *_fit.json file name")
        morph_path = component_path(comps, "morphologies_dir", str(morph), where, suffix=".swc")
        fit_path = component_path(comps, "biophysical_neuron_models_dir", str(fit), where)
        return morph_path, fit_path, processing.split(",")[0].strip()

    def build_cells(self) -> None:
        """Check every biophysical cell type, then build this rank's cells and their spike detectors."""
        import time

        from neuron import h

        start = time.perf_counter()
        run = self.config.run
        specs, order = {}, []
        for name, ids in self.circuit.nodes_of_type("biophysical", MODEL_TYPES):
            pop = self.circuit.populations[name]
            for node_id, row in zip(ids, pop.rows(ids)):
                key = self._cell_spec(pop, int(row))
                specs.setdefault(key, None)
                order.append((pop.gid_offset + int(node_id), key, pop, int(row)))
        fits = {}
        for morph, fit, processing in specs:
            if fit not in fits:
                fits[fit] = load_fit(fit)
            # one prototype per cell type on every rank: a bad file or an unknown mechanism fails the
            # same way everywhere, before any cell of the network is built
            build_cell(morph, fit, processing, run["dL"], gid=-1, cache=self._morphologies, fit=fits[fit],
                       define_shape=False)
        for i, (gid, (morph, fit, processing), pop, row) in enumerate(order):
            if i % self.nhost != self.rank:
                continue
            cell = build_cell(morph, fit, processing, run["dL"], gid=gid, cache=self._morphologies,
                              fit=fits[fit], define_shape=False)
            cell.position, cell.rotation = node_placement(pop.nodes, row)
            self.cells[gid] = cell
            self.cell_keys[gid] = (str(morph), processing)
            self.pc.set_gid2node(gid, self.rank)
            detector = h.NetCon(cell.soma[0](0.5)._ref_v, None, sec=cell.soma[0])
            detector.threshold = run["spike_threshold"]
            self.pc.cell(gid, detector)
            self.spike_detectors[gid] = detector
        h.define_shape()
        self.times.cells += time.perf_counter() - start
        log.info("rank %d: built %d cells of %d (%d cell types) in %.2f s", self.rank, len(self.cells), len(order),
                 len(specs), time.perf_counter() - start)

    def segment_coordinates(self, gid: int):
        """Segment coordinates of a local cell at its node's position and rotation (see simlib.bionet.geometry).

        The unplaced coordinates are computed once per morphology and model processing.
        """
        cell = self.cells[gid]
        key = self.cell_keys.get(gid)
        if key is None:
            return segment_coordinates(cell, cell.position, cell.rotation)
        if key not in self._local_coordinates:
            self._local_coordinates[key] = local_coordinates(cell)
        return place(self._local_coordinates[key], cell.position, cell.rotation)

    # --- edges

    def _edge_sets_all(self) -> list[EdgeSet]:
        if self._edge_sets is None:
            self._edge_sets = [self._edge_set(ref) for ref in self.circuit.edge_populations()]
        return self._edge_sets

    def _edge_set(self, ref) -> EdgeSet:
        """The edges of one edge population onto this rank's cells, with synapse placement and models."""
        local = {name: self.local_node_ids(name) for name in self.circuit.populations}
        edges = self.circuit.edges(ref, targets=local)
        df, where, n = edges.table, edges.where, len(edges)
        explicit_col = next((c for c in ("afferent_section_id", "sec_id") if c in df), None)
        explicit = np.zeros(n, dtype=bool)
        sec_id = np.zeros(n, dtype=np.int64)
        sec_x = np.full(n, 0.5)
        if explicit_col is not None:
            ids = df[explicit_col].to_numpy(dtype=float)
            explicit = ~np.isnan(ids)
            sec_id[explicit] = ids[explicit].astype(np.int64)
            pos_col = "afferent_section_pos" if "afferent_section_pos" in df else "sec_x"
            if pos_col not in df and explicit.any():
                raise FormatError(f"{where}: {explicit_col} given without afferent_section_pos")
            if explicit.any():
                sec_x[explicit] = df[pos_col].to_numpy(dtype=float)[explicit]
        nsyns = np.where(explicit, 1, edges.nsyns)  # one synapse at an explicit section position
        model, placement = self._edge_models(df, explicit, where)
        return EdgeSet(edges, nsyns, explicit, sec_id, sec_x, model, placement)

    def _edge_models(self, df, explicit: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
        """Index of each edge's synapse model and (for random placement) placement rule."""
        comps = self.config.components
        n = len(df)
        model = np.zeros(n, dtype=np.int64)
        placement = np.full(n, -1, dtype=np.int64)
        for column in ("model_template", "dynamics_params"):
            if column not in df and n:
                raise FormatError(f"{where}: no {column}; expected it per edge type (e.g. exp2syn + a JSON file)")
        if not n:
            return model, placement
        codes, uniques = group_codes(df["model_template"], df["dynamics_params"])
        for code, (template, params) in enumerate(uniques):
            spec = (template, str(component_path(comps, "synaptic_models_dir", params, where)))
            if spec not in self._model_specs:
                self._model_specs.append(spec)
                self.synapse_models.append(load_synapse_model(template, spec[1], source=where))
            model[codes == code] = self._model_specs.index(spec)
        random = ~explicit
        if random.any():
            for column in ("target_sections", "distance_range"):
                if column not in df:
                    raise FormatError(f"{where}: edges without afferent_section_id need {column} (edge type) to "
                                      "place their synapses")
            codes, uniques = group_codes(df["target_sections"], df["distance_range"])
            for code, (sections, drange) in enumerate(uniques):
                rows = random & (codes == code)
                if not rows.any():
                    continue
                rule = (parse_sections(sections, f"{where}: target_sections"),
                        parse_range(drange, f"{where}: distance_range"))
                if rule not in self.placements:
                    self.placements.append(rule)
                placement[rows] = self.placements.index(rule)
        return model, placement

    def _table(self, gid: int) -> SegmentTable:
        key = self.cell_keys[gid]
        if key not in self._tables:
            self._tables[key] = segment_table(self.cells[gid])
        return self._tables[key]

    def _rng_uniforms(self, gid: int, n: int) -> np.ndarray:
        rng = self._rngs.setdefault(gid, np.random.RandomState(gid))
        return rng.random_sample(n)

    def _connect(self, edges: EdgeSet, source_of: Callable[[int], object], merge: bool) -> int:
        """Synapses and NetCons of ``edges`` onto this rank's cells; returns the number of synapses."""
        from neuron import h

        made = 0
        trg_pop = self.circuit.populations[edges.target_population]
        src_offset = self.circuit.populations[edges.source_population].gid_offset
        gid_connect, netcon = self.pc.gid_connect, h.NetCon
        create = [m.factory() for m in self.synapse_models]
        targets, starts = np.unique(edges.target, return_index=True)
        ends = np.append(starts[1:], edges.target.size)
        for node_id, a, b in zip(targets.tolist(), starts.tolist(), ends.tolist()):
            gid = trg_pop.gid_offset + node_id
            cell = self.cells[gid]
            sec_ids, xs, owner = self._place(gid, cell, edges, np.arange(a, b))
            nsecs = len(cell.all)
            if sec_ids.size and (sec_ids.min() < 0 or sec_ids.max() >= nsecs):
                bad = int(sec_ids[(sec_ids < 0) | (sec_ids >= nsecs)][0])
                raise FormatError(f"edge population '{edges.name}': afferent_section_id {bad} of target node "
                                  f"{node_id} outside its {nsecs} sections")
            merged = self._merged.setdefault(gid, {})
            syns, ncs = self.synapses.setdefault(gid, []), self.netcons.setdefault(gid, [])
            sections = cell.all
            nsegs = [sec.nseg for sec in sections]
            model_of, weight_of, delay_of = edges.model[owner].tolist(), edges.weight[owner].tolist(), \
                edges.delay[owner].tolist()
            source_ids = edges.source[owner].tolist()
            drivers = edges.driver[owner].tolist() if edges.driver is not None else None
            for i, (sec_index, x, model_index, weight, delay, src) in enumerate(zip(
                    sec_ids.tolist(), xs.tolist(), model_of, weight_of, delay_of, source_ids)):
                syn = None
                if merge:  # the node the point process sits on (see synapses.segment_key), section ends apart
                    nseg = nsegs[sec_index]
                    node = -1 if x <= 0.0 else nseg if x >= 1.0 else min(int(x * nseg), nseg - 1)
                    key = (model_index, sec_index, node)
                    syn = merged.get(key)
                if syn is None:
                    syn = create[model_index](sections[sec_index], x)
                    syns.append(syn)
                    if merge:
                        merged[key] = syn
                if drivers is not None and drivers[i] >= 0:
                    nc = netcon(self._spontaneous_source(drivers[i]), syn)
                else:
                    nc = netcon(source_of(src), syn) if edges.virtual else gid_connect(src_offset + src, syn)
                    if drivers is not None:
                        weight = 0.0  # syn_activity silences the recurrent synapses it does not drive
                nc.weight[0] = weight
                nc.delay = delay
                ncs.append(nc)
            made += len(source_ids)
        self.n_synapses += made
        return made

    def _place(self, gid: int, cell: Cell, edges: EdgeSet, rows: np.ndarray):
        """Section index and x of every synapse of ``rows`` (one cell's edges), and the edge of each."""
        explicit = edges.explicit[rows]
        counts = np.where(explicit, 1, edges.nsyns[rows])
        owner = np.repeat(rows, counts)
        sec_ids = np.repeat(edges.sec_id[rows], counts).astype(np.int64)
        xs = np.repeat(edges.sec_x[rows], counts).astype(float)
        random_rows = rows[~explicit]
        if random_rows.size:
            table = self._table(gid)
            rules = edges.placement[random_rows]
            usable = np.ones(random_rows.size, dtype=bool)
            for r in np.unique(rules):
                candidates, _ = table.candidates(*self.placements[r])
                if not candidates.size:
                    usable[rules == r] = False
                    log.warning("no segment of %s matches target_sections %s, distance_range %s; the %d edges of "
                                "cell %d with it get no synapse", self.cell_keys[gid][0], *self.placements[r],
                                int(np.sum(rules == r)), gid)
            n_draw = edges.nsyns[random_rows] * usable
            uniforms = self._rng_uniforms(gid, int(n_draw.sum()))
            draw_rule = np.repeat(rules, n_draw)
            segs = np.empty(uniforms.size, dtype=np.int64)
            for r in np.unique(draw_rule):
                candidates, cdf = table.candidates(*self.placements[r])
                sel = draw_rule == r
                segs[sel] = draw_segments(uniforms[sel], cdf, candidates)
            is_random = np.repeat(~explicit, counts)
            keep = np.ones(owner.size, dtype=bool)
            keep[is_random] = np.repeat(usable, edges.nsyns[random_rows])
            sec_ids[is_random & keep] = table.section[segs]
            xs[is_random & keep] = table.x[segs]
            owner, sec_ids, xs = owner[keep], sec_ids[keep], xs[keep]
        return sec_ids, xs, owner

    def add_spontaneous(self, pre: dict, post: dict | None, times_ms) -> None:
        """syn_activity: recurrent synapses from ``pre`` onto ``post`` cells ({population: node ids}, post None =
        all) fire at ``times_ms`` instead of when their source spikes; all other recurrent synapses are silenced
        (weight 0), as BMTK's spontaneous-synapse cells do. Call before :meth:`build_recurrent_synapses`."""
        self.spontaneous.append(({k: np.asarray(v) for k, v in pre.items()},
                                 None if post is None else {k: np.asarray(v) for k, v in post.items()},
                                 np.sort(np.asarray(times_ms, dtype=float))))

    def _drivers(self, edges: EdgeSet) -> np.ndarray:
        driver = np.full(edges.target.size, -1, dtype=np.int64)
        for k, (pre, post, _) in enumerate(self.spontaneous):
            match = np.isin(edges.source, pre.get(edges.source_population, []))
            if post is not None:
                match &= np.isin(edges.target, post.get(edges.target_population, []))
            driver[match & (driver < 0)] = k
        return driver

    def _spontaneous_source(self, k: int):
        from simlib.mechanisms.events import event_source_kind, make_trigger, spike_train_source, vecstim_source

        while len(self._spont_sources) <= k:
            times = self.spontaneous[len(self._spont_sources)][2]
            if event_source_kind() == "VecStim":
                source = vecstim_source(times)
            else:
                if self._trigger is None:
                    self._trigger = make_trigger()
                source = spike_train_source(times, self._trigger)
            self._spont_sources.append(source)
        return self._spont_sources[k].cell

    def build_recurrent_synapses(self, merge: bool = True) -> int:
        import time

        start = time.perf_counter()
        if self.spontaneous:
            for edges in self._edge_sets_all():
                if not edges.virtual:
                    edges.driver = self._drivers(edges)
        made = sum(self._connect(s, None, merge) for s in self._edge_sets_all() if not s.virtual)
        self.times.synapses += time.perf_counter() - start
        log.info("rank %d: %d recurrent synapses in %.2f s", self.rank, made, time.perf_counter() - start)
        return made

    def connect_virtual(self, population: str, times_of: Callable[[int], np.ndarray], merge: bool = True) -> int:
        """Virtual cells of ``population`` firing at ``times_of(node_id)`` (ms), connected to their targets."""
        from simlib.mechanisms.events import event_source_kind, make_trigger, spike_train_source, vecstim_source

        use_vecstim = event_source_kind() == "VecStim"
        if self._trigger is None and not use_vecstim:
            self._trigger = make_trigger()

        def source_of(node_id: int):
            key = (population, node_id)
            if key not in self.virtual_sources:
                times = times_of(node_id)
                self.virtual_sources[key] = (vecstim_source(times) if use_vecstim
                                             else spike_train_source(times, self._trigger))
            return self.virtual_sources[key].cell

        return sum(self._connect(s, source_of, merge) for s in self._edge_sets_all()
                   if s.virtual and s.source_population == population)
