"""Node sets (one per add_nodes call), dict-like Node objects and filtered NodePools."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

import numpy as np

from simlib.errors import BuildError


class Node(dict):
    """One node as the per-pair rule functions see it: a dict of properties with `.node_id`."""

    @property
    def node_id(self) -> int:
        return self["node_id"]

    @property
    def node_type_id(self) -> int:
        return self["node_type_id"]


def is_per_node(value) -> bool:
    """BMTK's rule: lists, arrays, ranges and generators are per-node; everything else is shared."""
    return isinstance(value, (list, np.ndarray, range)) or hasattr(value, "__next__")


class NodeSet:
    """The nodes of one add_nodes() call: N nodes of one node type."""

    def __init__(self, n: int, node_type_id: int, node_ids: np.ndarray, per_node: dict[str, np.ndarray],
                 shared: dict[str, Any]):
        self.n = n
        self.node_type_id = node_type_id
        self.node_ids = node_ids
        self.per_node = per_node
        self.shared = shared

    @property
    def group_key(self) -> tuple[str, ...]:
        """Node sets with the same per-node property names share a SONATA group."""
        return tuple(sorted(self.per_node))

    def type_row(self) -> dict[str, Any]:
        return {"node_type_id": self.node_type_id, **self.shared}


class NodeTable:
    """Column view over all nodes of a network: shared properties broadcast, missing ones NaN/None."""

    def __init__(self, node_sets: list[NodeSet]):
        self.node_sets = node_sets
        self.n = sum(ns.n for ns in node_sets)
        self.node_id = (np.concatenate([ns.node_ids for ns in node_sets]) if node_sets
                        else np.zeros(0, dtype=np.int64))
        self._columns: dict[str, np.ndarray] = {}
        self._names: list[str] = ["node_id", "node_type_id"]
        for ns in node_sets:
            for name in (*ns.per_node, *ns.shared):
                if name not in self._names:
                    self._names.append(name)

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def __contains__(self, name: str) -> bool:
        return name in self._names

    def column(self, name: str) -> np.ndarray:
        """All nodes' values of one property, in node order (cached)."""
        if name in self._columns:
            return self._columns[name]
        if name == "node_id":
            return self.node_id
        if name == "node_type_id":
            col = np.concatenate([np.full(ns.n, ns.node_type_id, dtype=np.int64) for ns in self.node_sets])
            self._columns[name] = col
            return col
        if name not in self._names:
            raise KeyError(name)
        parts = []
        for ns in self.node_sets:
            if name in ns.per_node:
                parts.append(np.asarray(ns.per_node[name]))
            elif name in ns.shared:
                value = ns.shared[name]
                if isinstance(value, (str, tuple, dict, list)) or value is None:
                    part = np.empty(ns.n, dtype=object)
                    part[:] = [value] * ns.n
                else:
                    part = np.full(ns.n, value)
                parts.append(part)
            else:
                parts.append(None)
        col = _concat_with_missing(parts, [ns.n for ns in self.node_sets])
        self._columns[name] = col
        return col


def _concat_with_missing(parts: list, sizes: list[int]) -> np.ndarray:
    present = [p for p in parts if p is not None]
    numeric = all(p.dtype.kind in "biuf" for p in present)
    if numeric and all(p is not None for p in parts):
        return np.concatenate(parts)
    if numeric and all(p.ndim == 1 for p in present):
        return np.concatenate([p.astype(float) if p is not None else np.full(n, np.nan)
                               for p, n in zip(parts, sizes)])
    out = []
    for p, n in zip(parts, sizes):
        if p is None:
            out.append(np.full(n, None, dtype=object))
        else:
            obj = np.empty(n, dtype=object)
            obj[:] = list(p) if p.ndim > 1 else p
            out.append(obj)
    return np.concatenate(out)


def node_dict_column(node_sets: list[NodeSet], name: str, rows: np.ndarray) -> np.ndarray | None:
    """One property of the nodes at `rows` (of the node table) as per-pair Node dicts hold it, or None.

    Floats come as float64 and ints as int64 (the dicts hold Python floats and ints), strings as
    str. None when a selected node lacks the property or holds anything else (a tuple, None, an int
    beyond 2**53): per-pair code sees those as Python objects that no array reproduces.
    """
    parts, offset = [], 0
    ends = np.cumsum([ns.n for ns in node_sets])
    used = set(np.searchsorted(ends, rows, side="right").tolist()) if rows.size else set()
    for k, ns in enumerate(node_sets):
        if k not in used:
            part = None                     # no selected node here: a placeholder, never read
        elif name == "node_id":
            part = np.asarray(ns.node_ids, dtype=np.int64)
        elif name == "node_type_id":
            part = np.full(ns.n, ns.node_type_id, dtype=np.int64)
        elif name in ns.per_node:
            part = np.asarray(ns.per_node[name])
            if part.ndim != 1 or part.dtype.kind not in "biufU":
                return None
        elif name in ns.shared and isinstance(ns.shared[name], (bool, int, float, str)):
            part = np.full(ns.n, ns.shared[name])
        else:
            return None
        parts.append(part)
    present = [p for p in parts if p is not None and p.size]
    kinds = {p.dtype.kind for p in present}
    if "U" in kinds and kinds != {"U"}:
        return None
    if any(p.dtype.kind in "iu" and np.abs(p.astype(np.float64)).max() >= 2 ** 53 for p in present):
        return None
    dtype = np.result_type(*[p.dtype for p in present]) if present else np.dtype(np.int64)
    dtype = {"f": np.dtype(np.float64), "i": np.dtype(np.int64), "u": np.dtype(np.int64)}.get(dtype.kind, dtype)
    full = np.concatenate([np.zeros(ns.n, dtype) if p is None else p.astype(dtype, copy=False)
                           for p, ns in zip(parts, node_sets)]) if parts else np.zeros(0, dtype)
    return full[rows]


def match_mask(table: NodeTable, filters: Mapping[str, Any]) -> np.ndarray:
    """Nodes matching every filter: scalar ==, list/tuple/array 'in', callable predicate.

    Nodes that lack a filtered property never match (as in BMTK).
    """
    mask = np.ones(table.n, dtype=bool)
    for key, wanted in filters.items():
        if key not in table:
            return np.zeros(table.n, dtype=bool)
        col = table.column(key)
        if callable(wanted):
            hit = np.fromiter((v is not None and bool(wanted(v)) for v in col), dtype=bool, count=table.n)
        elif isinstance(wanted, (list, tuple, np.ndarray, set)):
            hit = np.isin(col, list(wanted))
        else:
            hit = np.asarray(col == wanted, dtype=bool)
            if hit.shape != mask.shape:
                hit = np.fromiter((v == wanted for v in col), dtype=bool, count=table.n)
        mask &= hit
    return mask


class NodePool:
    """A filtered selection of one network's nodes (what `net.nodes(**filter)` returns)."""

    def __init__(self, network, filters: Mapping[str, Any] | None = None):
        self.network = network
        self.filters = dict(filters or {})
        self._indices: np.ndarray | None = None
        self._version = -1

    @property
    def network_name(self) -> str:
        return self.network.name

    @property
    def indices(self) -> np.ndarray:
        """Row numbers of the selected nodes in the network's node table (node order)."""
        if self._indices is None or self._version != self.network._version:
            self._indices = np.flatnonzero(match_mask(self.network.node_table(), self.filters))
            self._version = self.network._version
        return self._indices

    @property
    def node_ids(self) -> np.ndarray:
        return self.network.node_table().node_id[self.indices]

    def column(self, name: str) -> np.ndarray:
        return self.network.node_table().column(name)[self.indices]

    @property
    def filter_str(self) -> str:
        """BMTK's source_query/target_query text: ``k=='v'&k2=='v2'``, or ``*`` without a filter.

        Formatted as BMTK formats it, every value as ``'{}'.format(value)`` between single quotes
        (``x=='3'``, ``ei=='['e', 'i']'``); the edge-types CSV holds this text.
        """
        if not self.filters:
            return "*"
        return "&".join(f"{k}=='{v}'" for k, v in self.filters.items())

    def __len__(self) -> int:
        return int(self.indices.size)

    def __iter__(self) -> Iterator[Node]:
        nodes = self.network.node_objects()
        return (nodes[i] for i in self.indices)

    def __repr__(self) -> str:
        return f"NodePool({self.network.name!r}, {self.filters!r}, n={len(self)})"


def validate_per_node(n: int, name: str, value) -> np.ndarray:
    """Turn a per-node property into an array of length n, or raise BuildError."""
    if hasattr(value, "__next__") or isinstance(value, range):
        value = list(value)
    arr = np.asarray(value)
    if arr.ndim == 0 or arr.shape[0] != n:
        got = 1 if arr.ndim == 0 else arr.shape[0]
        raise BuildError(f"add_nodes(N={n}): property '{name}' has {got} values; expected {n} "
                         f"(a list or array is a per-node property and needs one value per node)")
    if arr.dtype.kind == "O":
        if all(isinstance(v, str) for v in arr.ravel()):
            arr = arr.astype(str)
        else:
            try:
                arr = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise BuildError(f"add_nodes(N={n}): property '{name}' mixes types; expected numbers or "
                                 f"strings only") from None
    return arr


PredicateT = Callable[[Any], bool]
