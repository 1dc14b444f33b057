"""Node populations of a circuit: node tables, honest sizes and id spans, and row views.

A population's table holds each node's own and node-type properties (the DataFrame of
:func:`simlib.sonata.nodes.read_nodes`). Node ids may have gaps, so the number of nodes
(:attr:`Population.size`) and the number of ids the population takes in a global numbering
(:attr:`Population.id_span`, largest id + 1, BMTK's gid rule) differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from simlib.errors import FormatError


@dataclass
class Population:
    """One node population: its table (node and node-type properties) and gid offset."""

    name: str
    nodes: "object"            # pandas DataFrame from simlib.sonata.nodes.read_nodes
    gid_offset: int
    source: str                # the nodes file, for messages
    _row_of: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        ids = self.nodes["node_id"].to_numpy(dtype=np.int64)
        self._row_of = np.full(int(ids.max()) + 1 if ids.size else 0, -1, dtype=np.int64)
        self._row_of[ids] = np.arange(ids.size)
        self._cols = None

    @property
    def size(self) -> int:
        """Number of nodes."""
        return int(len(self.nodes))

    @property
    def id_span(self) -> int:
        """Largest node id + 1: how many gids the population takes (BMTK's numbering)."""
        return int(self._row_of.size)

    @property
    def node_ids(self) -> np.ndarray:
        """The node ids, in table order."""
        return self.nodes["node_id"].to_numpy(dtype=np.int64)

    def contains(self, node_ids) -> np.ndarray:
        """Whether each node id is a node of the population (ids may have gaps)."""
        node_ids = np.asarray(node_ids, dtype=np.int64)
        inside = (node_ids >= 0) & (node_ids < self._row_of.size)
        found = np.zeros(node_ids.shape, dtype=bool)
        found[inside] = self._row_of[node_ids[inside]] >= 0
        return found

    def model_types(self, accepted: tuple[str, ...]) -> np.ndarray:
        """Each node's ``model_type``, all of them in ``accepted``.

        Raises
        ------
        FormatError
            If the table has no model_type or a node's is not accepted.
        """
        if "model_type" not in self.nodes:
            raise FormatError(f"{self.source}: population '{self.name}' has no model_type; expected one of "
                              f"{', '.join(accepted)} per node or node type")
        types = self.nodes["model_type"].astype(str).to_numpy()
        unknown = sorted(set(types) - set(accepted))
        if unknown:
            raise FormatError(f"{self.source}: population '{self.name}': model_type {unknown} not supported; "
                              f"accepted: {', '.join(accepted)}")
        return types

    @property
    def model_type(self) -> np.ndarray:
        """Each node's ``model_type`` as text (FormatError if the table has none)."""
        if "model_type" not in self.nodes:
            raise FormatError(f"{self.source}: population '{self.name}' has no model_type; expected it per node "
                              "or node type")
        return self.nodes["model_type"].astype(str).to_numpy()

    def rows(self, node_ids, where: str | None = None) -> np.ndarray:
        """Table row of each node id (FormatError naming the first missing ids, and `where` they come from)."""
        node_ids = np.asarray(node_ids, dtype=np.int64)
        if node_ids.size and 0 <= node_ids.min() and node_ids.max() < self._row_of.size:
            rows = self._row_of[node_ids]       # ids in range (the usual case): one pass, no temporaries
            if rows.min() >= 0:
                return rows
        bad = (node_ids < 0) | (node_ids >= self._row_of.size)
        rows = np.where(bad, -1, self._row_of[np.clip(node_ids, 0, max(self._row_of.size - 1, 0))])
        if np.any(rows < 0):
            missing = node_ids[rows < 0]
            raise FormatError(f"{where or self.source}: node ids {missing[:5].tolist()} not in population "
                              f"'{self.name}' ({self.source}); expected ids of its nodes")
        return rows

    def view(self, node_id: int) -> "RowView":
        """The properties of one node (what weight functions receive as source and target)."""
        return self.row_view(int(self.rows([node_id])[0]), int(node_id))

    def row_view(self, row: int, node_id: int) -> "RowView":
        return RowView(self.columns(), row, {"node_id": node_id, "population": self.name,
                                             "population_name": self.name})

    def columns(self) -> dict[str, np.ndarray]:
        """The table as a dict of numpy columns (built once)."""
        if self._cols is None:
            self._cols = {c: self.nodes[c].to_numpy() for c in self.nodes.columns}
        return self._cols

    def value(self, column: str, row: int, default=None):
        """One node's value of ``column`` (``default`` when the column is absent or the value is missing)."""
        if column not in self.nodes:
            return default
        value = self.nodes[column].iat[row]
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return default
        return value


class RowView(Mapping):
    """Read-only dict-like view of one row of a table of columns (what weight functions receive)."""

    def __init__(self, columns: dict, row: int, extra: dict | None = None):
        self._columns, self._row, self._extra = columns, row, extra or {}

    def __getitem__(self, key):
        if key in self._extra:
            return self._extra[key]
        value = self._columns[key][self._row]
        return value.item() if isinstance(value, np.generic) else value

    def __iter__(self):
        return iter({**self._columns, **self._extra})

    def __len__(self) -> int:
        return len({**self._columns, **self._extra})
