"""Edge sets of a circuit: who connects to whom, with how many synapses, what weight and delay.

:func:`load_edges` reads one SONATA edge population (edges h5 + edge-types CSV), keeps the edges
ending on the requested targets, sorts them by target (stable, so file order is kept per target)
and resolves each edge's weight: its ``syn_weight``, or the value of the weight function its
``weight_function`` names (see :mod:`simlib.circuit.weights`), called once per edge with views of
the edge and of its source and target nodes, as BMTK does. What a simulator makes of the number
of synapses (BioNet: one synapse each; PointNet: weight × nsyns) is the simulator's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simlib.circuit.nodes import Population, RowView
from simlib.circuit.weights import returns_syn_weight, weight_function
from simlib.errors import ConfigError, FormatError

if TYPE_CHECKING:
    import pandas as pd

    from simlib.circuit.circuit import Circuit, EdgePopulationRef


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
    table: "pd.DataFrame"       # every edge and edge-type column, same rows (for simulator-specific columns)
    where: str                  # "<edges file>: edge population '<name>'", for messages

    def __len__(self) -> int:
        return int(self.target.size)

    def rows_of(self, node_id: int) -> slice:
        """The rows of the edges ending on ``node_id``."""
        a, b = np.searchsorted(self.target, [node_id, node_id + 1])
        return slice(int(a), int(b))

    def column(self, name: str) -> np.ndarray | None:
        """A column of the edge table as an array, None if the file has no such column."""
        return self.table[name].to_numpy() if name in self.table else None


def load_edges(circuit: "Circuit", ref: "EdgePopulationRef", targets: Mapping[str, np.ndarray] | None = None) -> Edges:
    """One edge population of ``circuit`` (see module docstring): all its edges, or those ending on
    ``targets`` ({population: node ids}; a population not named there keeps no edge).

    Raises
    ------
    ConfigError
        The edge population names a node population the circuit does not have, or a weight
        function nobody registered.
    FormatError
        Sources that mix virtual and non-virtual nodes, edges with neither syn_weight nor a
        weight function, no delay, or node ids outside their populations.
    """
    from simlib.sonata.edges import read_edges

    df = read_edges(ref.edges_file, ref.edge_types_file, population=ref.name)
    where = f"{ref.edges_file}: edge population '{ref.name}'"
    src_name, trg_name = df.attrs["source_population"], df.attrs["target_population"]
    for role, pop_name in (("source", src_name), ("target", trg_name)):
        if pop_name not in circuit.populations:
            raise ConfigError(f"{circuit.source}: {ref.key}: {where} has {role} population '{pop_name}', "
                              f"which is not in networks.nodes (populations: {', '.join(circuit.populations)})")
    src_pop, trg_pop = circuit.populations[src_name], circuit.populations[trg_name]
    src_types = src_pop.model_type[src_pop.rows(np.unique(df["source_node_id"].to_numpy()))]
    virtual = bool(np.all(src_types == "virtual"))
    if not virtual and np.any(src_types == "virtual"):
        raise FormatError(f"{where}: sources mix virtual and non-virtual nodes; expected one kind per edge "
                          "population")
    trg = df["target_node_id"].to_numpy(dtype=np.int64)
    if targets is not None:
        df = df.iloc[np.flatnonzero(np.isin(trg, targets.get(trg_name, [])))]
    order = np.argsort(df["target_node_id"].to_numpy(dtype=np.int64), kind="stable")
    df = df.iloc[order].reset_index(drop=True)
    n = len(df)
    nsyns = np.ones(n, dtype=np.int64)
    if "nsyns" in df:
        nsyns = np.nan_to_num(df["nsyns"].to_numpy(dtype=float), nan=1).astype(np.int64)
    weight = resolve_weights(df, src_pop, trg_pop, where)
    if "delay" not in df:
        raise FormatError(f"{where}: no delay; expected a delay (ms) per edge or edge type")
    delay = df["delay"].to_numpy(dtype=float)
    if np.isnan(delay).any():
        raise FormatError(f"{where}: {int(np.isnan(delay).sum())} edges have no delay; expected a delay (ms) per edge "
                          "or edge type")
    return Edges(ref.name, src_name, trg_name, virtual, df["target_node_id"].to_numpy(dtype=np.int64),
                 df["source_node_id"].to_numpy(dtype=np.int64), nsyns, weight, delay, df, where)


def resolve_weights(df: "pd.DataFrame", src_pop: Population, trg_pop: Population, where: str) -> np.ndarray:
    """Each edge's weight: ``syn_weight``, or its ``weight_function``'s value (one call per edge)."""
    n = len(df)
    weight = df["syn_weight"].to_numpy(dtype=float, copy=True) if "syn_weight" in df else np.full(n, np.nan)
    fn_names = (df["weight_function"].astype(object).to_numpy() if "weight_function" in df
                else np.full(n, None, dtype=object))
    named = np.array([isinstance(v, str) and v not in ("", "NULL", "None", "nan") for v in fn_names], dtype=bool)
    if np.any(~named & np.isnan(weight)):
        raise FormatError(f"{where}: {int(np.sum(~named & np.isnan(weight)))} edges have neither syn_weight "
                          "nor weight_function; expected one of them per edge or edge type")
    if named.any():
        columns = {c: df[c].to_numpy() for c in df.columns}
        src_ids, trg_ids = columns["source_node_id"].astype(np.int64), columns["target_node_id"].astype(np.int64)
        src_rows, trg_rows = src_pop.rows(src_ids), trg_pop.rows(trg_ids)
        for name in np.unique(fn_names[named]):
            fn = weight_function(str(name), source=f"{where}: weight_function")
            rows = np.flatnonzero(fn_names == name)
            if returns_syn_weight(fn):
                if np.isnan(weight[rows]).any():
                    raise FormatError(f"{where}: weight_function '{name}' returns syn_weight, which is missing")
                continue
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
