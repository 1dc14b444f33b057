"""The NEST side of a PointNet run: cells per cell group, spike sources for virtual nodes, bulk connections.

Cells are created with one ``nest.Create`` per cell group, from a copy of the NEST model whose
defaults are the group's dynamics_params (``nest.CopyModel``: a list-valued parameter such as a GLIF
``asc_amps`` can never be mistaken for one value per node), per-node parameters set as arrays.
A virtual node that sends edges gets a ``spike_generator``. NEST lets a device drive only one synapse
type, and no plastic one, so when a virtual population's edges use any synapse model but
``static_synapse`` (or an input asks with BMTK's ``use_parrot_neurons``) its spikes pass through one
``parrot_neuron`` per node, at delay dt, as in BMTK: those edges act one dt later than their delay.
Edges are connected ``one_to_one`` with arrays of weights and delays, one call per synapse group and
block of edges, never a call per edge.
"""

from __future__ import annotations

import logging

import numpy as np

from simlib.errors import ConfigError, SimlibError
from simlib.pointnet.kernel import nest_message
from simlib.pointnet.models import CellGroup, SynapseGroup

log = logging.getLogger("simlib.pointnet")

BLOCK_EDGES = 1_000_000
DEVICE_SYNAPSES = ("static_synapse",)


def node_ids(nodes) -> np.ndarray:
    """The NEST ids of the nodes of one ``nest.Create`` call (consecutive), without asking NEST for each node.

    ``NodeCollection.tolist`` fetches every node's status: 0.7 s per 100,000 nodes.
    """
    first = int(nodes[0].get("global_id")) if len(nodes) else 1
    ids = np.arange(first, first + len(nodes), dtype=np.int64)
    if len(nodes) and int(nodes[-1].get("global_id")) != ids[-1]:
        raise SimlibError(f"NEST created nodes {first}..{int(nodes[-1].get('global_id'))} for {len(nodes)} nodes; "
                          "expected consecutive ids")
    return ids


def set_each(nest, nodes, params: list[dict]) -> None:
    """Set each node's own parameters (one dict per node, in the collection's order).

    ``NodeCollection.set`` first fetches every node's ``local`` flag (1.3 s per 100,000 nodes), which in
    one process is true for all; NEST's low-level call takes the same list of dicts in a tenth of the
    time. NEST versions without it get ``set``.
    """
    low = getattr(getattr(getattr(nest, "NestModule", None), "ll_api", None), "nestkernel", None)
    if low is not None and hasattr(low, "llapi_set_nc_status") and hasattr(nodes, "_datum"):
        low.llapi_set_nc_status(nodes._datum, params)
    else:
        nodes.set(params)


class PointNetwork:
    """NEST node ids of a circuit's nodes and the connections between them.

    Parameters
    ----------
    circuit : :class:`simlib.circuit.Circuit`
    nest : the ``nest`` module, its kernel already reset (see :func:`simlib.pointnet.kernel.reset`).
    dt_ms : the resolution, used as the delay of generator-to-parrot and device connections.
    """

    def __init__(self, circuit, nest, dt_ms: float):
        self.circuit, self.nest, self.dt_ms = circuit, nest, float(dt_ms)
        # per population: NEST id of each table row (0: none); sources: what a row's edges start from
        self.cell_ids = {name: np.zeros(pop.size, dtype=np.int64) for name, pop in circuit.populations.items()}
        self.source_ids = {name: ids.copy() for name, ids in self.cell_ids.items()}
        self.cell_model = {name: np.full(pop.size, None, dtype=object) for name, pop in circuit.populations.items()}
        self.generator_ids: dict[str, np.ndarray] = {}
        self.n_connections = 0
        self._models = 0

    # --- cells

    def create_cells(self, groups: list[CellGroup]) -> None:
        """One NEST call per cell group (ConfigError naming node types, file and NEST's message on failure)."""
        nest = self.nest
        for group in groups:
            if group.model not in nest.node_models:
                raise ConfigError(f"{group.describe()}: '{group.model}' is not a NEST model; expected one of NEST's "
                                  "neuron models, e.g. iaf_psc_alpha, iaf_psc_exp, glif_psc")
            name = f"simlib_cell_{self._models}"
            self._models += 1
            try:
                nest.CopyModel(group.model, name, group.params)
                nodes = nest.Create(name, len(group.rows))
                defaults = nest.GetDefaults(name)
                per_node = {}
                for key, values in group.per_node.items():
                    if key not in defaults:
                        raise ConfigError(f"{group.describe()}: '{key}' of the nodes file's dynamics_params group is "
                                          f"not a parameter of NEST model {group.model}")
                    per_node[key] = np.where(np.isnan(values), defaults[key], values).tolist()
                if any(np.ndim(defaults[key]) == 0 for key in per_node):
                    # NodeCollection.set's rule: lists for a scalar parameter are one value per node
                    set_each(nest, nodes, [dict(zip(per_node, row)) for row in zip(*per_node.values())])
                elif per_node:      # list-valued parameters only: NEST gives every node the whole list
                    nodes.set(per_node)
            except nest.NESTError as exc:
                message = nest_message(exc).replace(f"'{name}'", f"'{group.model}'")  # the copy's name means nothing
                raise ConfigError(f"{group.describe()}: NEST rejects the parameters: {message}") from None
            ids = node_ids(nodes)
            self.cell_ids[group.population][group.rows] = ids
            self.cell_model[group.population][group.rows] = group.model
            self.source_ids[group.population][group.rows] = ids

    def cells(self):
        """A NodeCollection of every cell (no virtual node), or None."""
        ids = np.concatenate([ids[ids > 0] for ids in self.cell_ids.values()])
        return self.nest.NodeCollection(np.sort(ids).tolist()) if ids.size else None

    def owners(self) -> tuple[np.ndarray, np.ndarray]:
        """(population index, node id) of every NEST id of a cell (-1 elsewhere), indexed by NEST id."""
        top = max((int(ids.max()) for ids in self.cell_ids.values() if ids.size), default=0)
        which, node = np.full(top + 1, -1, dtype=np.int64), np.full(top + 1, -1, dtype=np.int64)
        for k, (name, ids) in enumerate(self.cell_ids.items()):
            made = ids > 0
            which[ids[made]] = k
            node[ids[made]] = self.circuit.populations[name].node_ids[made]
        return which, node

    # --- virtual sources

    def create_sources(self, population: str, parrots: bool, precise_times: bool) -> None:
        """A spike_generator per virtual node of ``population`` (and a parrot_neuron each, if ``parrots``)."""
        nest = self.nest
        pop = self.circuit.populations[population]
        rows = np.flatnonzero(pop.model_type == "virtual")
        params = {"precise_times": bool(precise_times)}
        if not precise_times:
            params["allow_offgrid_times"] = True
        gens = nest.Create("spike_generator", rows.size, params)
        gen_ids = np.zeros(pop.size, dtype=np.int64)
        gen_ids[rows] = node_ids(gens)
        self.generator_ids[population] = gen_ids
        if parrots:
            relay = nest.Create("parrot_neuron", rows.size)
            nest.Connect(gens, relay, "one_to_one", syn_spec={"delay": self.dt_ms})
            self.source_ids[population][rows] = node_ids(relay)
            log.info("virtual population %s: %d spike generators through parrot neurons (+%g ms)", population,
                     rows.size, self.dt_ms)
        else:
            self.source_ids[population][rows] = gen_ids[rows]

    def set_spike_times(self, population: str, trains: dict, tstart_ms: float, source: str) -> int:
        """Give the generators of ``population`` their spike times ({node id: times in ms}); returns the spike count.

        Times are shifted to NEST's clock, which starts at 0 at ``tstart``; NEST cannot emit a spike at
        or before its start, so such spikes are dropped (warned).
        """
        gen_ids = self.generator_ids.get(population)
        if gen_ids is None or not trains:
            return 0
        pop = self.circuit.populations[population]
        node_ids = np.fromiter(trains, dtype=np.int64, count=len(trains))
        rows = pop.rows(node_ids)
        times = [np.asarray(trains[int(i)], dtype=float) - tstart_ms for i in node_ids.tolist()]
        early = sum(int(np.sum(t <= 0)) for t in times)
        if early:
            log.warning("%s: %d spikes at or before run.tstart (%g ms) dropped (NEST starts its clock there)", source,
                        early, tstart_ms)
        order = np.argsort(gen_ids[rows])      # a NodeCollection lists its ids in ascending order
        set_each(self.nest, self.nest.NodeCollection(gen_ids[rows][order].tolist()),
                 [{"spike_times": times[k][times[k] > 0]} for k in order.tolist()])
        return int(sum(int(np.sum(t > 0)) for t in times))

    # --- edges

    def connect(self, edges, groups: list[SynapseGroup], weights: np.ndarray) -> int:
        """Connect one edge population, one ``one_to_one`` call per synapse group and block of edges.

        Raises
        ------
        ConfigError
            A synapse model NEST does not know, or parameters it rejects (edge file, edge types, the
            dynamics_params file and NEST's message).
        """
        nest = self.nest
        src_pop = self.circuit.populations[edges.source_population]
        trg_pop = self.circuit.populations[edges.target_population]
        sources = self.source_ids[edges.source_population][src_pop.rows(edges.source)]
        targets = self.cell_ids[edges.target_population][trg_pop.rows(edges.target)]
        if np.any(targets == 0):
            raise ConfigError(f"{edges.where}: {int(np.sum(targets == 0))} edges end on virtual nodes; expected "
                              "edges onto point neurons")
        total = 0
        for group in groups:
            if group.model not in nest.synapse_models:
                raise ConfigError(f"{group.describe(edges.where)}: '{group.model}' is not a NEST synapse model; "
                                  "expected e.g. static_synapse, stdp_synapse, tsodyks2_synapse")
            every = group.rows.size == len(edges)      # the only group (its rows are 0..n-1): slices, not copies
            for beg in range(0, group.rows.size, BLOCK_EDGES):
                rows = slice(beg, beg + BLOCK_EDGES) if every else group.rows[beg:beg + BLOCK_EDGES]
                spec = {**group.params, "synapse_model": group.model, "weight": weights[rows],
                        "delay": edges.delay[rows]}
                try:
                    nest.Connect(sources[rows], targets[rows], "one_to_one", syn_spec=spec)
                except nest.NESTError as exc:
                    raise ConfigError(f"{group.describe(edges.where)}: NEST cannot connect: {nest_message(exc)}") \
                        from None
                total += len(spec["weight"])
        self.n_connections += total
        return total
