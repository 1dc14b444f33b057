"""ConnectionMap: one add_edges() call — its rule, evaluated to (source, target, nsyns) arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from simlib.builder.nodes import NodePool, node_dict_column
from simlib.builder.pair_program import Unsupported, pair_program
from simlib.builder.rules import PAIRS_PER_BLOCK, Columns, DistanceRule, VectorRule, check_counts
from simlib.errors import BuildError, BuildValueError

ITERATORS = ("one_to_one", "one_to_all", "all_to_one")


@dataclass
class PropertySpec:
    names: list[str]
    rule: Any
    params: dict
    values: Any
    dtypes: list | None
    multiple: bool


class ConnectionMap:
    """The edges of one add_edges() call; `add_properties` adds per-synapse columns."""

    def __init__(self, sources: NodePool, targets: NodePool, connector, params: dict | None, iterator: str,
                 edge_type_id: int, edge_type_properties: dict, rng: np.random.Generator):
        if iterator not in ITERATORS:
            raise BuildError(f"add_edges: iterator '{iterator}' unknown; accepted: {', '.join(ITERATORS)}")
        self.source_nodes = sources
        self.target_nodes = targets
        self.connector = connector
        self.params = dict(params or {})
        self.iterator = iterator
        self.edge_type_id = edge_type_id
        self.edge_type_properties = edge_type_properties
        self.property_specs: list[PropertySpec] = []
        self._rng = rng
        self.source_node_id: np.ndarray | None = None
        self.target_node_id: np.ndarray | None = None
        self.nsyns: np.ndarray | None = None
        self.properties: dict[str, np.ndarray] = {}

    # --- description -------------------------------------------------------------------------
    @property
    def source_network_name(self) -> str:
        return self.source_nodes.network_name

    @property
    def target_network_name(self) -> str:
        return self.target_nodes.network_name

    @property
    def rule_name(self) -> str:
        c = self.connector
        if isinstance(c, (VectorRule, DistanceRule)):
            return c.name
        return getattr(c, "__name__", type(c).__name__)

    @property
    def context(self) -> str:
        return (f"edge type {self.edge_type_id} ({self.source_network_name} "
                f"{self.source_nodes.filter_str} -> {self.target_network_name} {self.target_nodes.filter_str})")

    def add_properties(self, names, rule=None, rule_params=None, values=None, dtypes=None) -> None:
        """Add per-synapse properties (BMTK API).

        `names` is a name or a list of names; `rule` is a constant, a list/array consumed in
        edge order, a per-synapse function ``rule(source, target, **rule_params)`` (returning a
        tuple when `names` is a list), or a :func:`simlib.builder.vectorized` rule called on all
        synapses at once. `values` is an alternative to a list `rule`; give exactly one of the two.

        Raises
        ------
        BuildValueError
            Neither or both of `rule` and `values` (BMTK: ValueError); also a BuildError for mismatched
            `dtypes` or reserved names.
        """
        multiple = isinstance(names, (list, tuple, np.ndarray))
        names = [str(n) for n in names] if multiple else [str(names)]
        if (rule is None) == (values is None):
            given = "both" if rule is not None else "neither"
            raise BuildValueError(f"add_properties({', '.join(names)}): specify either the 'rule' or the 'values' "
                                  f"parameter; got {given}")
        if dtypes is not None and not isinstance(dtypes, (list, tuple)):
            dtypes = [dtypes] * len(names)
        if dtypes is not None and len(dtypes) != len(names):
            raise BuildError(f"add_properties: {len(names)} names but {len(dtypes)} dtypes")
        reserved = {"source_node_id", "target_node_id", "edge_type_id", "nsyns"} & set(names)
        if reserved:
            raise BuildError(f"add_properties: {sorted(reserved)} reserved; choose other property names")
        self.property_specs.append(PropertySpec(names, rule, dict(rule_params or {}), values, dtypes, multiple))
        self.source_node_id = None  # properties change the row layout: rebuild

    @property
    def property_names(self) -> list[str]:
        return [n for spec in self.property_specs for n in spec.names]

    @property
    def is_built(self) -> bool:
        return self.source_node_id is not None

    def clear(self) -> None:
        """Forget the built edges (the rule and properties stay); the next build evaluates them again."""
        self.source_node_id = self.target_node_id = self.nsyns = None
        self.properties = {}

    # --- evaluation ---------------------------------------------------------------------------
    def build(self) -> None:
        """Evaluate the connection rule (and property rules) into arrays, sorted by target.

        The pair arrays use the smallest unsigned dtypes that hold them (ids of up to 2**32
        nodes in 4 bytes, counts usually in 1), which keeps large networks in memory cheaply.
        """
        src_rows, trg_rows, counts = self._evaluate_rule()
        src_ids = _compact(self.source_nodes.node_ids)[src_rows]
        trg_ids = _compact(self.target_nodes.node_ids)[trg_rows]
        if trg_ids.size > 1 and np.any(trg_ids[1:] < trg_ids[:-1]):  # user-chosen, unordered node ids
            order = np.argsort(trg_ids, kind="stable")
            src_rows, trg_rows, counts = src_rows[order], trg_rows[order], counts[order]
            src_ids, trg_ids = src_ids[order], trg_ids[order]
        self.source_node_id, self.target_node_id, self.nsyns = src_ids, trg_ids, _compact(counts)
        self.properties = {}
        if self.property_specs:
            self._evaluate_properties(np.repeat(src_rows, counts), np.repeat(trg_rows, counts))

    def _evaluate_rule(self):
        c, srcs, trgs = self.connector, self.source_nodes, self.target_nodes
        n_src, n_trg = len(srcs), len(trgs)
        empty = (np.zeros(0, np.int64),) * 3
        if n_src == 0 or n_trg == 0:
            return empty
        if isinstance(c, DistanceRule):
            parts = [_nonzero(s, t, check_counts(n, c.name, self.context))
                     for s, t, n in c.pairs(srcs, trgs, self._rng, self.context)]
            return self._concat(parts)
        if isinstance(c, VectorRule):
            return self._concat(list(self._vector_blocks(c, n_src, n_trg)))
        if callable(c):
            if self.iterator == "one_to_one":
                fast = self._pair_program(c, n_src, n_trg)
                if fast is not None:
                    return fast
            return self._per_pair(c, n_src, n_trg)
        if isinstance(c, list) or (isinstance(c, np.ndarray) and c.ndim == 1):
            return self._from_list(np.asarray(c, dtype=object), n_src, n_trg)
        if isinstance(c, np.ndarray) and c.ndim == 2:
            if c.shape != (n_src, n_trg):
                raise BuildError(f"{self.context}: connection matrix has shape {c.shape}; expected "
                                 f"(n_sources, n_targets) = ({n_src}, {n_trg})")
            return _target_major(check_counts(c, "matrix", self.context))
        if c is None or isinstance(c, (int, float, np.integer, np.floating, bool)):
            value = int(check_counts([0 if c is None else c], "constant", self.context)[0])
            if value == 0:
                return empty
            t, s = np.divmod(np.arange(n_src * n_trg, dtype=np.int64), n_src)
            return s, t, np.full(s.size, value, dtype=np.int64)
        raise BuildError(f"{self.context}: connection_rule of type {type(c).__name__} not understood; expected "
                         f"an int, a function, a list, an (n_sources, n_targets) array, or a vectorized/DistanceRule")

    @staticmethod
    def _concat(parts):
        if not parts:
            return (np.zeros(0, np.int64),) * 3
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))

    def _vector_blocks(self, rule: VectorRule, n_src: int, n_trg: int):
        block = max(1, PAIRS_PER_BLOCK // n_src)
        src_base = self.source_nodes.indices
        trg_base = self.target_nodes.indices
        # pair rows in the smallest dtypes that hold them: less memory traffic per block, no later compaction
        s_type, t_type = np.min_scalar_type(max(n_src - 1, 0)), np.min_scalar_type(max(n_trg - 1, 0))
        s_row = np.arange(n_src, dtype=s_type)
        for beg in range(0, n_trg, block):
            t_local = np.arange(beg, min(n_trg, beg + block), dtype=t_type)
            s = np.tile(s_row, t_local.size)
            t = np.repeat(t_local, n_src)
            counts = rule(Columns(self.source_nodes, src_base[s]), Columns(self.target_nodes, trg_base[t]),
                          self._rng, **self.params)
            counts = check_counts(counts, rule.name, self.context)
            if counts.shape not in ((), s.shape):
                raise BuildError(f"{self.context}: vectorized rule '{rule.name}' returned shape {counts.shape}; "
                                 f"expected one count per pair of the block, shape {s.shape}")
            yield _nonzero(s, t, np.broadcast_to(counts, s.shape), compact_rows=False)

    def _pair_program(self, fn, n_src: int, n_trg: int):
        """The per-pair rule evaluated on arrays of pairs (simlib.builder.pair_program), or None.

        None when the function's code is outside what a PairProgram evaluates exactly, or when its
        first pairs, replayed through the function itself, disagree; the generators it draws from are
        then back where they were, and the per-pair calls give BMTK's results.
        """
        program = pair_program(fn, self.params)
        if program is None:
            return None
        gens = program.generators()
        before = [g.bit_generator.state for g in gens]
        table = {"source": {}, "target": {}}

        def columns(role: str, name: str) -> np.ndarray:
            if name not in table[role]:
                pool = self.source_nodes if role == "source" else self.target_nodes
                values = node_dict_column(pool.network._node_sets, name, pool.indices)
                if values is None:
                    raise Unsupported(f"node property {name}")
                table[role][name] = values
            return table[role][name]

        block = max(1, PAIRS_PER_BLOCK // n_trg)
        t_row = np.arange(n_trg)
        rows = []
        try:
            for beg in range(0, n_src, block):
                s_local = np.arange(beg, min(n_src, beg + block))
                values = program.evaluate(columns, np.repeat(s_local, n_trg), np.tile(t_row, s_local.size))
                rows.append(_compact(check_counts(values, self.rule_name, self.context)))
        except Unsupported:
            for g, state in zip(gens, before):
                g.bit_generator.state = state
            return None
        counts = np.concatenate(rows).reshape(n_src, n_trg)
        if not self._replay_agrees(fn, counts, gens, before):
            for g, state in zip(gens, before):
                g.bit_generator.state = state
            return None
        return _target_major(counts)

    def _replay_agrees(self, fn, counts: np.ndarray, gens, before, n_first: int = 8) -> bool:
        """Call the function itself on the first pairs (from the generators' saved states) and compare.

        A function without random draws is also checked on pairs spread over the whole matrix.
        """
        after = [g.bit_generator.state for g in gens]
        n_src, n_trg = counts.shape
        flat = list(range(min(n_first, counts.size)))
        if not gens:
            flat += np.linspace(0, counts.size - 1, 8).astype(int).tolist()
        nodes_s, nodes_t = self.source_nodes.network.node_objects(), self.target_nodes.network.node_objects()
        s_idx, t_idx = self.source_nodes.indices, self.target_nodes.indices
        for g, state in zip(gens, before):
            g.bit_generator.state = state
        try:
            replay = [fn(nodes_s[s_idx[k // n_trg]], nodes_t[t_idx[k % n_trg]], **self.params) for k in flat]
            expected = check_counts(replay, self.rule_name, self.context)
        except Exception:       # noqa: BLE001 - the per-pair calls then raise it where BMTK would
            return False
        finally:
            for g, state in zip(gens, after):
                g.bit_generator.state = state
        return bool(np.array_equal(expected, counts.reshape(-1)[flat]))

    def _per_pair(self, fn, n_src: int, n_trg: int):
        # The per-pair Python path, kept for BMTK scripts: rule(source, target, **params) for every pair,
        # in BMTK's order (a rule drawing from a shared random generator then draws the same numbers).
        srcs, trgs = list(self.source_nodes), list(self.target_nodes)
        kw = self.params
        if self.iterator == "one_to_one":
            # keywords in the call, not functools.partial: partial merges its keywords into a new dict per call
            values = [fn(s, t, **kw) for s in srcs for t in trgs] if kw else [fn(s, t) for s in srcs for t in trgs]
            counts = check_counts(values, self.rule_name, self.context).reshape(n_src, n_trg)
        elif self.iterator == "one_to_all":
            rows = [self._row(fn(s, trgs, **kw), n_trg) for s in srcs]
            counts = check_counts(rows, self.rule_name, self.context).reshape(n_src, n_trg)
        else:
            cols = [self._row(fn(srcs, t, **kw), n_src) for t in trgs]
            counts = check_counts(cols, self.rule_name, self.context).reshape(n_trg, n_src).T
        return _target_major(counts)

    def _row(self, values, expected: int):
        values = list(values) if not isinstance(values, np.ndarray) else values
        if len(values) != expected:
            raise BuildError(f"{self.context}: iterator '{self.iterator}' rule returned {len(values)} values; "
                             f"expected {expected}")
        return values

    def _from_list(self, values: np.ndarray, n_src: int, n_trg: int):
        expected = {"one_to_one": n_src * n_trg, "one_to_all": n_trg, "all_to_one": n_src}[self.iterator]
        if values.size != expected:
            raise BuildError(f"{self.context}: connection list has {values.size} values; iterator "
                             f"'{self.iterator}' expects {expected}")
        counts = check_counts(values, "list", self.context)
        if self.iterator == "one_to_one":
            counts = counts.reshape(n_src, n_trg)
        elif self.iterator == "one_to_all":
            counts = np.broadcast_to(counts, (n_src, n_trg))
        else:
            counts = np.broadcast_to(counts[:, None], (n_src, n_trg))
        return _target_major(counts)

    def _evaluate_properties(self, src_rows: np.ndarray, trg_rows: np.ndarray) -> None:
        n_syn = src_rows.size
        nodes_s = nodes_t = None
        for spec in self.property_specs:
            rule = spec.values if spec.values is not None else spec.rule
            if isinstance(rule, VectorRule):
                out = rule(Columns(self.source_nodes, self.source_nodes.indices[src_rows]),
                           Columns(self.target_nodes, self.target_nodes.indices[trg_rows]),
                           self._rng, **spec.params)
                columns = list(out) if spec.multiple else [out]
            elif callable(rule):
                if nodes_s is None:
                    nodes_s, nodes_t = list(self.source_nodes), list(self.target_nodes)
                results = [rule(nodes_s[s], nodes_t[t], **spec.params) for s, t in zip(src_rows, trg_rows)]
                if spec.multiple:
                    columns = [list(c) for c in zip(*results)] if results else [[] for _ in spec.names]
                else:
                    columns = [results]
            elif isinstance(rule, (list, np.ndarray)):
                columns = [np.asarray(r) for r in rule] if spec.multiple else [np.asarray(rule)]
            else:
                columns = [np.full(n_syn, r) for r in rule] if spec.multiple else [np.full(n_syn, rule)]
            if len(columns) != len(spec.names):
                raise BuildError(f"{self.context}: add_properties rule for {spec.names} returned "
                                 f"{len(columns)} columns; expected {len(spec.names)}")
            for i, (name, col) in enumerate(zip(spec.names, columns)):
                dtype = spec.dtypes[i] if spec.dtypes else None
                arr = np.asarray(col, dtype=dtype) if dtype is not None else np.asarray(col)
                arr = np.broadcast_to(arr, (n_syn,)) if arr.ndim == 0 else arr
                if arr.shape[0] != n_syn:
                    raise BuildError(f"{self.context}: property '{name}' has {arr.shape[0]} values; expected "
                                     f"{n_syn} (one per synapse)")
                self.properties[name] = np.ascontiguousarray(arr)

    def __repr__(self) -> str:
        return f"ConnectionMap({self.context})"


def _nonzero(s: np.ndarray, t: np.ndarray, counts: np.ndarray, compact_rows: bool = True):
    """Keep the pairs with synapses, in compact dtypes (rows < 2**32, small counts).

    `compact_rows=False` when `s` and `t` already come in the smallest dtypes of their ranges.
    """
    keep = counts > 0
    if compact_rows:
        return _compact(s[keep]), _compact(t[keep]), _compact(counts[keep])
    return s[keep], t[keep], _compact(counts[keep])


def _target_major(counts: np.ndarray):
    """(source row, target row, count) of the non-zero cells of an (S, T) matrix, ordered by target."""
    t, s = np.nonzero(counts.T)
    return s, t, counts[s, t]


def _compact(values: np.ndarray) -> np.ndarray:
    """The array in the smallest unsigned integer dtype that holds it."""
    values = np.asarray(values)
    top = int(values.max()) if values.size else 0
    return values.astype(np.min_scalar_type(top) if top >= 0 else np.int64, copy=False)


def _as_pool(network, selector, role: str) -> NodePool:
    """Accept a NodePool, a filter dict or None (all nodes) as add_edges source/target."""
    if isinstance(selector, NodePool):
        return selector
    if selector is None:
        return NodePool(network, {})
    if isinstance(selector, dict):
        return NodePool(network, selector)
    raise BuildError(f"add_edges: {role} must be a dict filter or net.nodes(...), got {type(selector).__name__}")


def _names(seq: Sequence) -> list[str]:
    return [str(s) for s in seq]
