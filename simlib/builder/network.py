"""NetworkBuilder: BMTK's builder API, with array-based rule evaluation and SONATA output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from simlib.builder.connection_map import ConnectionMap, _as_pool
from simlib.builder.nodes import Node, NodePool, NodeSet, NodeTable, is_per_node, match_mask, validate_per_node
from simlib.errors import BuildError, BuildTypeError, BuildValueError, ConfigError
from simlib.sonata.edges import EdgePart, write_edges
from simlib.sonata.nodes import NodePopulationData, write_nodes
from simlib.sonata.types_csv import write_types_csv


class NetworkBuilder:
    """Describe a network population by population and save it as SONATA files.

    The API follows ``bmtk.builder.NetworkBuilder`` so a tutorial script ports by changing the
    import. Beyond BMTK, ``connection_rule`` also accepts :func:`simlib.builder.vectorized`
    rules (evaluated on blocks of pairs) and :class:`simlib.builder.DistanceRule` (KD-tree).

    Parameters
    ----------
    name : the network (node population) name.
    seed : seed of the random streams handed to vectorised and spatial rules (one stream per
        edge type, derived from ``(seed, edge_type_id)``); None draws fresh entropy.
    """

    def __init__(self, name: str, adaptor_cls=None, seed: int | None = None, **network_props):
        if name is not None and not isinstance(name, str):     # as BMTK: len(name) of a non-string is a TypeError
            raise BuildTypeError(f"NetworkBuilder: name must be a non-empty string, got {name!r}")
        if not name:
            raise BuildValueError(f"NetworkBuilder: name must be a non-empty string, got {name!r}")
        self.name = name
        self.network_props = network_props
        self.seed = seed
        self._entropy = np.random.SeedSequence(seed).entropy
        self._node_sets: list[NodeSet] = []
        self._connection_maps: list[ConnectionMap] = []
        self._next_node_type_id = 100
        self._next_edge_type_id = 100
        self._next_node_id = 0
        self._explicit_node_ids: set[int] = set()  # ids given by add_nodes(node_id=[...])
        self._version = 0
        self._table: NodeTable | None = None
        self._node_objects: list[Node] | None = None
        self._nodes_built = False       # BMTK's flags: set by build(), nodes(), edges(), save*(); see nodes_built
        self._edges_built = False

    # --- nodes --------------------------------------------------------------------------------
    def add_nodes(self, N: int = 1, **properties) -> None:
        """Add N nodes of one new node type.

        A list, array, range or generator of length N is a per-node property (stored in the
        nodes h5); anything else (scalars, strings, tuples, dicts) is shared by the node type
        (stored in the node-types CSV). ``node_type_id`` counts from 100, ``node_id`` from 0.
        """
        if not isinstance(N, (int, np.integer)) or N < 0:
            raise BuildError(f"add_nodes: N must be a whole number >= 0, got {N!r}")
        N = int(N)
        per_node, shared = {}, {}
        for key, value in properties.items():
            if is_per_node(value):
                per_node[key] = validate_per_node(N, key, value)
            else:
                shared[key] = value.item() if isinstance(value, np.generic) else value
        if "node_type_id" in per_node:
            raise BuildError("add_nodes: node_type_id must be a single value per add_nodes call, not a list")
        used_types = {ns.node_type_id for ns in self._node_sets}
        if "node_type_id" in shared:
            node_type_id = int(shared.pop("node_type_id"))
            if node_type_id in used_types:
                raise BuildError(f"add_nodes: node_type_id {node_type_id} is already used")
        else:
            while self._next_node_type_id in used_types:
                self._next_node_type_id += 1
            node_type_id = self._next_node_type_id
            self._next_node_type_id += 1
        if "node_id" in per_node:
            node_ids = per_node.pop("node_id").astype(np.int64)
            existing = np.concatenate([ns.node_ids for ns in self._node_sets]) if self._node_sets else node_ids[:0]
            clash = np.intersect1d(node_ids, existing)
            if clash.size or np.unique(node_ids).size != N or (node_ids < 0).any():
                raise BuildValueError(f"add_nodes: node_id values must be unique, >= 0 and unused; clashing: "
                                      f"{clash[:5].tolist()}")
            self._explicit_node_ids.update(node_ids.tolist())
        elif not self._explicit_node_ids or self._next_node_id > max(self._explicit_node_ids):
            node_ids = np.arange(self._next_node_id, self._next_node_id + N, dtype=np.int64)
            self._next_node_id += N
        else:  # skip ids reserved by earlier explicit node_id lists
            node_ids = np.empty(N, dtype=np.int64)
            for i in range(N):
                while self._next_node_id in self._explicit_node_ids:
                    self._next_node_id += 1
                node_ids[i] = self._next_node_id
                self._next_node_id += 1
        self._node_sets.append(NodeSet(N, node_type_id, node_ids, per_node, shared))
        self._version += 1
        self._table = None
        self._node_objects = None
        # as BMTK, whose add_nodes clears the built nodes and edges: node pools may now select other nodes
        self._nodes_built = self._edges_built = False
        for cm in self._connection_maps:
            cm.clear()

    def node_table(self) -> NodeTable:
        if self._table is None:
            self._table = NodeTable(self._node_sets)
        return self._table

    def node_objects(self) -> list[Node]:
        """One dict-like Node per node (for the per-pair rule path), built once."""
        if self._node_objects is None:
            objects = []
            for ns in self._node_sets:
                cols = {k: v.tolist() for k, v in ns.per_node.items()}
                for i in range(ns.n):
                    props = {**ns.shared, **{k: v[i] for k, v in cols.items()}}
                    props["node_id"] = int(ns.node_ids[i])
                    props["node_type_id"] = ns.node_type_id
                    objects.append(Node(props))
            self._node_objects = objects
        return self._node_objects

    def nodes(self, **properties) -> NodePool:
        """Nodes matching a filter: ``value`` means ==, a list means 'in', a callable is a predicate."""
        self._nodes_built = True
        return NodePool(self, properties)

    @property
    def nodes_built(self) -> bool:
        """True once the nodes are built (BMTK): by build(), nodes(), edges(), save() or save_nodes().

        Adding nodes makes it False again (BMTK keeps it True but forgets the nodes until a forced
        rebuild, so its ``nnodes`` then reads 0, as here).
        """
        return self._nodes_built

    @property
    def edges_built(self) -> bool:
        """True once build() (or edges(), save(), save_edges(force_build=True)) built every edge type.

        add_edges or add_nodes after a build make it False until the next build (BMTK keeps it True and
        leaves the new edge type out of edges() until build() is called again).
        """
        return self._edges_built and all(cm.is_built for cm in self._connection_maps)

    @property
    def nnodes(self) -> int:
        """Number of nodes of this network, 0 until the nodes are built (BMTK's meaning)."""
        return sum(ns.n for ns in self._node_sets) if self._nodes_built else 0

    @property
    def nedges(self) -> int:
        """Number of synapses of the built edge types: the sum of nsyns over all pairs, 0 before build().

        BMTK's meaning: it counts synapses, not SONATA rows (a pair with nsyns=3 counts 3 whether it is
        one row with an nsyns column or three rows with per-synapse properties).
        """
        return int(sum(int(cm.nsyns.sum(dtype=np.int64)) for cm in self._connection_maps if cm.is_built))

    # --- edges --------------------------------------------------------------------------------
    def add_edges(self, source=None, target=None, connection_rule=1, connection_params=None,
                  iterator: str = "one_to_one", **edge_type_properties) -> ConnectionMap:
        """Add one edge type between the nodes matching `source` and `target`.

        `connection_rule` gives the synapse count per pair: a number (every pair), a function
        ``rule(source, target, **connection_params) -> nsyns`` (per pair, as in BMTK; with the
        iterators ``one_to_all`` / ``all_to_one`` it returns a list), a list (per pair in
        source-major order, or per target/source with those iterators), an
        ``(n_sources, n_targets)`` array, a :func:`~simlib.builder.vectorized` rule or a
        :class:`~simlib.builder.DistanceRule`. ``nsyns=`` replaces the rule, as in BMTK.
        Other keywords are edge-type properties (edge-types CSV).
        """
        if "nsyns" in edge_type_properties:
            connection_rule = edge_type_properties.pop("nsyns")
        sources = _as_pool(self, source, "source")
        targets = _as_pool(self, target, "target")
        if sources.network is not self and targets.network is not self:
            raise BuildError(f"add_edges on network '{self.name}': source or target must be in this network")
        edge_type_id = int(edge_type_properties.pop("edge_type_id", self._next_edge_type_id))
        if any(cm.edge_type_id == edge_type_id for cm in self._connection_maps):
            raise BuildError(f"add_edges: edge_type_id {edge_type_id} is already used")
        self._next_edge_type_id = max(self._next_edge_type_id, edge_type_id + 1)
        rng = np.random.default_rng([self._entropy, edge_type_id])
        cm = ConnectionMap(sources, targets, connection_rule, connection_params, iterator, edge_type_id,
                           dict(edge_type_properties), rng)
        self._connection_maps.append(cm)
        return cm

    def build(self, force: bool = False) -> None:
        """Evaluate every connection rule of this network (those already built again only with `force`).

        BMTK evaluates every rule again on each call and then counts the edges twice in ``nedges``;
        here a second build() keeps the built edges.
        """
        for cm in self._connection_maps:
            if force or not cm.is_built:
                cm.build()
        self._nodes_built = self._edges_built = True

    @property
    def connection_maps(self) -> list[ConnectionMap]:
        return list(self._connection_maps)

    def edges(self, target_nodes=None, source_nodes=None, target_network=None, source_network=None,
              **properties) -> list[dict[str, Any]]:
        """Built edges (one dict per SONATA row) matching node selections and edge-type properties."""
        if not self.edges_built:
            self.build()
        out = []
        for cm in self._connection_maps:
            if source_network and cm.source_network_name != source_network:
                continue
            if target_network and cm.target_network_name != target_network:
                continue
            if any(cm.edge_type_properties.get(k) != v for k, v in properties.items()
                   if k not in cm.property_names):
                continue
            src, trg, extra, nsyns = self._rows(cm)
            keep = np.ones(src.size, dtype=bool)
            for sel, ids, role in ((source_nodes, src, "source"), (target_nodes, trg, "target")):
                if sel is not None:
                    keep &= np.isin(ids, self._selection_ids(sel, cm, role))
            for k, v in properties.items():
                if k in extra:
                    keep &= extra[k] == v
            for i in np.flatnonzero(keep):
                row = {"source_node_id": int(src[i]), "target_node_id": int(trg[i]),
                       "edge_type_id": cm.edge_type_id, **cm.edge_type_properties}
                if nsyns is not None:
                    row["nsyns"] = int(nsyns[i])
                row.update({k: v[i].item() if hasattr(v[i], "item") else v[i] for k, v in extra.items()})
                out.append(row)
        return out

    @staticmethod
    def _selection_ids(sel, cm: ConnectionMap, role: str) -> np.ndarray:
        if isinstance(sel, NodePool):
            return sel.node_ids
        if isinstance(sel, dict):
            pool = cm.source_nodes if role == "source" else cm.target_nodes
            net = pool.network
            return net.node_table().node_id[match_mask(net.node_table(), sel)]
        return np.atleast_1d(np.asarray(sel, dtype=np.int64))

    @staticmethod
    def _rows(cm: ConnectionMap):
        """SONATA rows of one connection map: one per pair (+nsyns) or, with properties, per synapse."""
        if cm.property_specs:
            return (np.repeat(cm.source_node_id, cm.nsyns), np.repeat(cm.target_node_id, cm.nsyns),
                    cm.properties, None)
        return cm.source_node_id, cm.target_node_id, {}, cm.nsyns

    # --- saving -------------------------------------------------------------------------------
    def save(self, output_dir: str = ".", force_overwrite: bool = True, compression="gzip") -> None:
        """Save nodes, node types and every edge file of this network into `output_dir`."""
        self.save_nodes(output_dir=output_dir, force_overwrite=force_overwrite, compression=compression)
        pairs = []
        for cm in self._connection_maps:
            key = (cm.source_network_name, cm.target_network_name)
            if key not in pairs:
                pairs.append(key)
        for src, trg in pairs:
            self.save_edges(output_dir=output_dir, src_network=src, trg_network=trg,
                            force_overwrite=force_overwrite, compression=compression)

    def save_nodes(self, nodes_file_name: str | None = None, node_types_file_name: str | None = None,
                   output_dir: str = ".", force_overwrite: bool = True, compression="gzip") -> None:
        """Write ``<name>_nodes.h5`` and ``<name>_node_types.csv`` (BMTK's layout)."""
        out = Path(output_dir)
        nodes_path = out / (nodes_file_name or f"{self.name}_nodes.h5")
        types_path = out / (node_types_file_name or f"{self.name}_node_types.csv")
        _check_overwrite([nodes_path, types_path], force_overwrite)
        group_keys: list[tuple[str, ...]] = []
        for ns in self._node_sets:
            if ns.group_key not in group_keys:
                group_keys.append(ns.group_key)
        group_id = np.concatenate([np.full(ns.n, group_keys.index(ns.group_key), dtype=np.int64)
                                   for ns in self._node_sets]) if self._node_sets else np.zeros(0, np.int64)
        group_index = np.zeros(group_id.size, dtype=np.int64)
        for g in range(len(group_keys)):
            rows = group_id == g
            group_index[rows] = np.arange(rows.sum())
        groups = []
        for key in group_keys:
            members = [ns for ns in self._node_sets if ns.group_key == key]
            cols = {}
            for name in key:
                try:
                    cols[name] = np.concatenate([ns.per_node[name] for ns in members])
                except ValueError:
                    raise BuildError(f"network '{self.name}': per-node property '{name}' has different "
                                     f"shapes in different add_nodes calls") from None
            groups.append(cols)
        table = self.node_table()
        type_ids = table.column("node_type_id") if table.n else np.zeros(0, np.int64)
        pop = NodePopulationData(self.name, table.node_id, type_ids, group_id, group_index, groups)
        write_nodes(nodes_path, [pop], compression=compression)
        write_types_csv(types_path, [ns.type_row() for ns in self._node_sets], ["node_type_id"])
        self._nodes_built = True

    def save_edges(self, edges_file_name: str | None = None, edge_types_file_name: str | None = None,
                   output_dir: str = ".", src_network: str | None = None, trg_network: str | None = None,
                   name: str | None = None, force_build: bool = True, force_overwrite: bool = False,
                   compression="gzip") -> None:
        """Write the edges between two networks: ``<src>_<trg>_edges.h5`` + ``_edge_types.csv``.

        Rows are sorted by target node id (stable, so ties keep rule order); both the
        target_to_source and source_to_target indices are written. Population name
        ``<src>_to_<trg>`` unless `name` is given.
        """
        maps = [cm for cm in self._connection_maps
                if (src_network is None or cm.source_network_name == src_network)
                and (trg_network is None or cm.target_network_name == trg_network)]
        if not maps:
            raise BuildError(f"save_edges: network '{self.name}' has no edges from {src_network or 'any'} "
                             f"to {trg_network or 'any'}")
        nets = {(cm.source_network_name, cm.target_network_name) for cm in maps}
        if len(nets) > 1:
            raise BuildError(f"save_edges: edges between several network pairs {sorted(nets)}; "
                             f"choose one with src_network= and trg_network=")
        src_name, trg_name = nets.pop()
        out = Path(output_dir)
        edges_path = out / (edges_file_name or f"{src_name}_{trg_name}_edges.h5")
        types_path = out / (edge_types_file_name or f"{src_name}_{trg_name}_edge_types.csv")
        _check_overwrite([edges_path, types_path], force_overwrite)
        unbuilt = [cm for cm in maps if not cm.is_built]
        if unbuilt and not force_build:
            # BMTK logs a warning and writes nothing, which leaves a network without its edges file
            raise BuildError(f"save_edges: network '{self.name}': {len(unbuilt)} edge set(s) not built; call build() "
                             f"first or pass force_build=True")
        if unbuilt:
            self.build()        # as BMTK's save_edges(force_build=True): every edge type of the network
        parts = []
        for cm in maps:
            src, trg, props, nsyns = self._rows(cm)
            if cm.property_specs:
                parts.append(EdgePart(src, trg, cm.edge_type_id, dict(props)))
            else:  # nsyns is uint32 in the file, whatever the in-memory dtype
                parts.append(EdgePart(src, trg, cm.edge_type_id, {"nsyns": nsyns}, {"nsyns": np.uint32}))
        write_edges(edges_path, name or f"{src_name}_to_{trg_name}", src_name, trg_name, parts,
                    compression=compression)
        rows = [{"edge_type_id": cm.edge_type_id, "target_query": cm.target_nodes.filter_str,
                 "source_query": cm.source_nodes.filter_str, **cm.edge_type_properties} for cm in maps]
        write_types_csv(types_path, rows, ["edge_type_id", "target_query", "source_query"])

    def clear(self) -> None:
        """Forget the built nodes and edges, keeping what add_nodes and add_edges described (as BMTK).

        The next build() evaluates every connection rule again; random rules continue their streams, so
        they draw other edges than the first build (as in BMTK, which continues numpy's global state).
        """
        self._nodes_built = self._edges_built = False
        for cm in self._connection_maps:
            cm.clear()

    def __repr__(self) -> str:
        n = sum(ns.n for ns in self._node_sets)
        return f"NetworkBuilder({self.name!r}, nodes={n}, edge_types={len(self._connection_maps)})"


def _check_overwrite(paths, force_overwrite: bool) -> None:
    if not force_overwrite:
        for p in paths:
            if Path(p).exists():
                raise ConfigError(f"{p}: file exists; pass force_overwrite=True to replace it")
