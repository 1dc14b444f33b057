"""The network of a SONATA config, for any simulator: populations, gids, node sets and edge sets.

gid = the population's offset (populations in ``networks.nodes`` order, each taking max node_id + 1
ids) + node_id, as BMTK numbers them. Nothing here imports a simulator: BioNet (NEURON), PointNet
(NEST) and PopNet read the network through a :class:`Circuit` and add their own wiring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simlib.circuit.edges import Edges, load_edges
from simlib.circuit.nodes import Population
from simlib.errors import ConfigError


@dataclass(frozen=True)
class EdgePopulationRef:
    """Where one edge population is: its files, its name and the config key that lists it."""

    edges_file: str
    edge_types_file: str
    name: str
    key: str                    # e.g. "networks.edges[1]", for messages


class Circuit:
    """Node populations (with gid offsets) and edge populations of a config's ``networks``.

    Parameters
    ----------
    networks
        The config's ``networks`` section (``nodes``: list of {nodes_file, node_types_file},
        ``edges``: list of {edges_file, edge_types_file}), paths resolved.
    source
        The config file, for messages.
    components
        The config's ``components`` (component folders), used to resolve model files.
    """

    def __init__(self, networks: Mapping, source: str = "config", components: Mapping | None = None):
        self.source = str(source)
        self.networks = networks
        self.components = dict(components or {})
        self.populations: dict[str, Population] = {}
        self._load_populations()

    @classmethod
    def from_config(cls, config) -> "Circuit":
        """The circuit of a :class:`simlib.config.SimulationConfig` (or any object with ``networks``,
        ``source`` and ``components``)."""
        return cls(config.networks, config.source, config.components)

    # --- nodes

    def _load_populations(self) -> None:
        from simlib.sonata.nodes import node_populations, read_nodes

        offset = 0
        for i, entry in enumerate(self.networks.get("nodes", [])):
            nodes_file, types_file = entry["nodes_file"], entry["node_types_file"]
            for name in node_populations(nodes_file):
                if name in self.populations:
                    raise ConfigError(f"{self.source}: networks.nodes[{i}]: node population '{name}' "
                                      f"defined twice (also in {self.populations[name].source})")
                pop = Population(name, read_nodes(nodes_file, types_file, population=name), offset, str(nodes_file))
                self.populations[name] = pop
                offset += pop.id_span

    def population(self, name: str, source: str = "config") -> Population:
        """The population ``name`` (ConfigError listing the populations if there is none)."""
        try:
            return self.populations[name]
        except KeyError:
            raise ConfigError(f"{source}: node population '{name}' is not in the network; populations: "
                              f"{', '.join(self.populations)}") from None

    def gids(self, population: str, node_ids) -> np.ndarray:
        """Global ids of nodes of one population."""
        return self.populations[population].gid_offset + np.asarray(node_ids, dtype=np.int64)

    def population_of_gid(self, gids) -> tuple[np.ndarray, np.ndarray]:
        """(population index in insertion order, node id) of each gid."""
        gids = np.asarray(gids, dtype=np.int64)
        offsets = np.array([p.gid_offset for p in self.populations.values()], dtype=np.int64)
        which = np.searchsorted(offsets, gids, side="right") - 1
        return which, gids - offsets[which]

    def nodes_of_type(self, model_type: str, accepted: tuple[str, ...]) -> list[tuple[str, np.ndarray]]:
        """(population, sorted node ids) of the nodes whose model_type is ``model_type``, in gid order; every
        node's model_type must be one of ``accepted`` (FormatError otherwise)."""
        out = []
        for name, pop in self.populations.items():
            ids = pop.node_ids[pop.model_types(accepted) == model_type]
            if ids.size:
                out.append((name, np.sort(ids)))
        return out

    def selector(self, node_sets: Mapping | None = None):
        """A function ``select(node_set, label) -> {population: node ids}`` resolving node sets against this
        circuit (``node_sets``: the config's definitions); ConfigError when a node set matches no node."""
        from simlib.config.node_sets import select_nodes

        tables = {name: pop.nodes for name, pop in self.populations.items()}

        def select(node_set, label: str) -> dict:
            selection = select_nodes(node_set, tables, node_sets, source=f"{self.source}: {label}")
            if not selection or all(len(v) == 0 for v in selection.values()):
                raise ConfigError(f"{self.source}: {label}: node set {node_set!r} matches no node")
            return selection

        return select

    # --- edges

    def edge_populations(self) -> list[EdgePopulationRef]:
        """Every edge population of ``networks.edges``, in order."""
        from simlib.sonata.edges import edge_populations

        refs = []
        for i, entry in enumerate(self.networks.get("edges", [])):
            for name in edge_populations(entry["edges_file"]):
                refs.append(EdgePopulationRef(str(entry["edges_file"]), str(entry["edge_types_file"]), name,
                                              f"networks.edges[{i}]"))
        return refs

    def edges(self, ref: EdgePopulationRef, targets: Mapping[str, np.ndarray] | None = None) -> Edges:
        """The edges of one edge population (those ending on ``targets``, {population: node ids}, if given),
        sorted by target (stable), with resolved weights; see :func:`simlib.circuit.edges.load_edges`."""
        return load_edges(self, ref, targets)
