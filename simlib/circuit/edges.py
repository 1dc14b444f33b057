"""Edge sets of a circuit: who connects to whom, with how many synapses, what weight and delay.

:func:`load_edges` reads one SONATA edge population (edges h5 + edge-types CSV), keeps the edges
ending on the requested targets, sorts them by target (stable, so file order is kept per target)
and resolves each edge's weight: its ``syn_weight``, or the value of the weight function its
``weight_function`` names (see :mod:`simlib.circuit.weights`), called once per edge with views of
the edge and of its source and target nodes, as BMTK does. What a simulator makes of the number
of synapses (BioNet: one synapse each; PointNet: weight × nsyns) is the simulator's business.

The edges keep the arrays as read and the edge-types table one row per type: what is decided per
type (a weight function, a synapse model) is decided once per type, and the DataFrame of every
column (:attr:`Edges.table`) is built only when asked for. On 10 M edges spreading the types'
columns over every edge and building that DataFrame took seconds and gigabytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from simlib.circuit.nodes import Population, RowView
from simlib.circuit.weights import returns_syn_weight, weight_function
from simlib.errors import ConfigError, FormatError

if TYPE_CHECKING:
    import pandas as pd

    from simlib.circuit.circuit import Circuit, EdgePopulationRef
    from simlib.sonata.edges import EdgeTable


@dataclass
class Combinations:
    """Distinct combinations of column values over some edges (see :meth:`Edges.combinations`)."""

    codes: np.ndarray           # per edge: its combination (0, 1, ... in order of first edge)
    values: list[tuple]         # per combination: the columns' values
    type_ids: list[list[int]]   # per combination: the edge type ids of its edges, sorted


@dataclass
class Edges:
    """The edges of one edge population that end on the requested targets, sorted by target (stable)."""

    name: str
    source_population: str
    target_population: str
    virtual: bool               # every source node is a virtual node
    target: np.ndarray          # target node ids (sorted)
    source: np.ndarray          # source node ids
    nsyns: np.ndarray           # synapses per edge (int; 1 where the file gives none)
    weight: np.ndarray          # resolved weight per edge (syn_weight or the weight function's value)
    delay: np.ndarray           # ms
    edge_type_id: np.ndarray    # per edge
    where: str                  # "<edges file>: edge population '<name>'", for messages
    file: "EdgeTable" = field(repr=False)           # the population as read, file order
    file_rows: np.ndarray | None = field(repr=False)  # file row of each edge here (None: every row, in order)
    type_row: np.ndarray = field(repr=False)          # row of the edge-types table of each edge here

    def __len__(self) -> int:
        return int(self.target.size)

    def rows_of(self, node_id: int) -> slice:
        """The rows of the edges ending on ``node_id``."""
        a, b = np.searchsorted(self.target, [node_id, node_id + 1])
        return slice(int(a), int(b))

    def column(self, name: str) -> np.ndarray | None:
        """One value per edge of a per-edge or edge-type property, None if the files have no such column."""
        if name in self.file.own:
            values = self.file.own[name]
            return values if self.file_rows is None else values[self.file_rows]
        if name in self.file.types:
            return self.file.types[name][self.type_row]
        return None

    def labels(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(code of each edge, value of each code) of a column, for deciding things once per distinct value.

        A column of the edge-types table is coded by edge type, with no pass over its values per
        edge; a missing column is one code whose value is None. Codes may have no edge (a type
        nobody uses) and several codes the same value.
        """
        import pandas as pd

        if name in self.file.types:
            return self.type_row, self.file.types[name]
        if name in self.file.own:
            codes, values = pd.factorize(self.column(name), use_na_sentinel=False)
            return np.asarray(codes, dtype=np.int64), np.asarray(values, dtype=object)
        return np.zeros(len(self), dtype=np.int64), np.array([None], dtype=object)

    def combinations(self, *names: str) -> "Combinations":
        """The distinct combinations of values of the columns ``names`` over these edges (in order of
        their first edge; values equal as :func:`pandas.factorize` sees them): each edge's combination,
        each combination's values and edge types.

        When every column comes from the edge-types table the types are combined, not the edges.
        """
        import pandas as pd

        n_types = self.file.type_ids.size
        if all(name not in self.file.own for name in names):
            key = np.zeros(n_types, dtype=np.int64)
            for name in names:
                values = self.file.types.get(name, np.full(n_types, None, dtype=object))
                value_code, uniques = pd.factorize(values, use_na_sentinel=False)
                key = key * (len(uniques) + 1) + np.asarray(value_code, dtype=np.int64)
            first_of_type = _first_rows(self.type_row, n_types)
            type_code, first = np.full(n_types, -1, dtype=np.int64), {}
            for t in np.argsort(first_of_type, kind="stable").tolist():
                if first_of_type[t] >= 0:
                    type_code[t] = first.setdefault(int(key[t]), (len(first), int(first_of_type[t])))[0]
            codes = type_code[self.type_row]
            rows = [row for _, row in first.values()]
            types = [self.file.type_ids[type_code == c] for c in range(len(rows))]
        else:
            combined = np.zeros(1, dtype=np.int64)
            for codes, values in (self.labels(name) for name in names):
                value_code, uniques = pd.factorize(values, use_na_sentinel=False)
                combined = combined * (len(uniques) + 1) + np.asarray(value_code, dtype=np.int64)[codes]
            codes, _ = pd.factorize(np.broadcast_to(combined, (len(self),)))
            codes = np.asarray(codes, dtype=np.int64)
            rows = _first_rows(codes).tolist()
            types = [self.file.type_ids[np.bincount(self.type_row[codes == c], minlength=n_types) > 0]
                     for c in range(len(rows))]
        return Combinations(codes, [tuple(self._value(name, row) for name in names) for row in rows],
                            [sorted(t.tolist()) for t in types])

    def _value(self, name: str, row: int):
        """One edge's value of a column (None if the files have no such column)."""
        if name in self.file.own:
            return self.file.own[name][row if self.file_rows is None else self.file_rows[row]]
        if name in self.file.types:
            return self.file.types[name][self.type_row[row]]
        return None

    @cached_property
    def table(self) -> "pd.DataFrame":
        """Every edge and edge-type column as a DataFrame, same rows (built on first use)."""
        df = self.file.data_frame()
        return df if self.file_rows is None else df.iloc[self.file_rows].reset_index(drop=True)


def load_edges(circuit: "Circuit", ref: "EdgePopulationRef", targets: Mapping[str, np.ndarray] | None = None,
               table: "EdgeTable | None" = None) -> Edges:
    """One edge population of ``circuit`` (see module docstring): all its edges, or those ending on
    ``targets`` ({population: node ids}; a population not named there keeps no edge). ``table``: the
    population already read with :func:`simlib.sonata.edges.read_edge_table` (it is not read again).

    Raises
    ------
    ConfigError
        The edge population names a node population the circuit does not have, or a weight
        function nobody registered.
    FormatError
        Sources that mix virtual and non-virtual nodes, edges with neither syn_weight nor a
        weight function, no delay, or node ids outside their populations.
    """
    from simlib.sonata.columns import distinct_ids
    from simlib.sonata.edges import read_edge_table

    if table is None:
        table = read_edge_table(ref.edges_file, ref.edge_types_file, population=ref.name)
    where = f"{ref.edges_file}: edge population '{ref.name}'"
    src_name, trg_name = table.source_population, table.target_population
    for role, pop_name in (("source", src_name), ("target", trg_name)):
        if pop_name not in circuit.populations:
            raise ConfigError(f"{circuit.source}: {ref.key}: {where} has {role} population '{pop_name}', "
                              f"which is not in networks.nodes (populations: {', '.join(circuit.populations)})")
    src_pop, trg_pop = circuit.populations[src_name], circuit.populations[trg_name]
    src_types = src_pop.model_type[src_pop.rows(distinct_ids(table.own["source_node_id"]), f"{where}, source_node_id")]
    virtual = bool(np.all(src_types == "virtual"))
    if not virtual and np.any(src_types == "virtual"):
        raise FormatError(f"{where}: sources mix virtual and non-virtual nodes; expected one kind per edge "
                          "population")
    trg = table.own["target_node_id"]
    rows = None
    if targets is not None:
        rows = np.flatnonzero(np.isin(trg, targets.get(trg_name, [])))
        trg = trg[rows]
    if trg.size > 1 and np.any(trg[1:] < trg[:-1]):
        order = np.argsort(trg, kind="stable")
        rows = order if rows is None else rows[order]
    edges = Edges(ref.name, src_name, trg_name, virtual, target=_take(table.own["target_node_id"], rows),
                  source=_take(table.own["source_node_id"], rows), nsyns=None, weight=None, delay=None,
                  edge_type_id=_take(table.own["edge_type_id"], rows), where=where, file=table, file_rows=rows,
                  type_row=_take(table.type_row, rows))
    nsyns = edges.column("nsyns")
    edges.nsyns = (np.ones(len(edges), dtype=np.int64) if nsyns is None
                   else np.nan_to_num(np.asarray(nsyns, dtype=float), nan=1).astype(np.int64))
    edges.weight = resolve_weights(edges, src_pop, trg_pop)
    delay = edges.column("delay")
    if delay is None:
        raise FormatError(f"{where}: no delay; expected a delay (ms) per edge or edge type")
    edges.delay = np.asarray(delay, dtype=float)
    if np.isnan(edges.delay).any():
        raise FormatError(f"{where}: {int(np.isnan(edges.delay).sum())} edges have no delay; expected a delay (ms) "
                          "per edge or edge type")
    return edges


def resolve_weights(edges: Edges, src_pop: Population, trg_pop: Population) -> np.ndarray:
    """Each edge's weight: ``syn_weight``, or its ``weight_function``'s value (one call per edge).

    Whether an edge names a function is decided once per distinct name (per edge type when the names
    come from the edge-types table); only a function other than the built-ins that return syn_weight
    is called per edge.
    """
    n, where = len(edges), edges.where
    syn_weight = edges.column("syn_weight")
    if syn_weight is None:
        weight = np.full(n, np.nan)
    else:       # a copy: an edge's own column may be the file's array itself
        weight = np.array(syn_weight, dtype=float, copy="syn_weight" in edges.file.own or None)
    codes, names = edges.labels("weight_function")
    used = np.bincount(codes, minlength=len(names)) > 0
    named_code = np.array([bool(u) and isinstance(v, str) and v not in ("", "NULL", "None", "nan")
                           for u, v in zip(used, names)], dtype=bool)
    named = named_code[codes]
    if np.any(~named & np.isnan(weight)):
        raise FormatError(f"{where}: {int(np.sum(~named & np.isnan(weight)))} edges have neither syn_weight "
                          "nor weight_function; expected one of them per edge or edge type")
    if not named.any():
        return weight
    src_rows, trg_rows = src_pop.rows(edges.source), trg_pop.rows(edges.target)
    columns = None
    for name in sorted({str(v) for v, ok in zip(names, named_code) if ok}):
        fn = weight_function(name, source=f"{where}: weight_function")
        rows = np.flatnonzero(np.isin(codes, [k for k, v in enumerate(names) if named_code[k] and str(v) == name]))
        if returns_syn_weight(fn):
            if np.isnan(weight[rows]).any():
                raise FormatError(f"{where}: weight_function '{name}' returns syn_weight, which is missing")
            continue
        if columns is None:     # what the function sees of an edge: every column of the table
            columns = {c: edges.table[c].to_numpy() for c in edges.table.columns}
        src_ids, trg_ids = edges.source, edges.target
        for i in rows.tolist():
            src = src_pop.row_view(int(src_rows[i]), int(src_ids[i]))
            trg = trg_pop.row_view(int(trg_rows[i]), int(trg_ids[i]))
            weight[i] = float(fn(RowView(columns, i), src, trg))
    return weight


def group_codes(*columns) -> tuple[np.ndarray, list[tuple]]:
    """Integer code of each row's combination of values (as text), and the combinations (first-seen order).

    For grouping edges by edge-type model (e.g. ``model_template`` + ``dynamics_params``).
    """
    import pandas as pd

    joined = columns[0].astype(str)
    for column in columns[1:]:
        joined = joined + "\x1f" + column.astype(str)
    codes, uniques = pd.factorize(joined.to_numpy(dtype=object))
    return np.asarray(codes, dtype=np.int64), [tuple(u.split("\x1f")) for u in uniques]


def _take(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return values if rows is None else values[rows]


def _first_rows(codes: np.ndarray, k: int | None = None) -> np.ndarray:
    """Row of the first occurrence of each code 0..k-1 (-1 for a code no row has)."""
    k = (int(codes.max()) + 1 if codes.size else 0) if k is None else k
    first = np.full(k, -1, dtype=np.int64)
    if k <= 64:     # a few codes: one comparison pass each beats sorting millions of rows
        for c in range(k):
            hit = codes == c
            row = int(np.argmax(hit))
            if hit.size and hit[row]:
                first[c] = row
        return first
    present, rows = np.unique(codes, return_index=True)
    first[present] = rows
    return first
