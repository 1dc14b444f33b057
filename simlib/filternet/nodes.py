"""The LGN node table as FilterNet reads it, with BMTK's look-up rules.

A node table is a pandas DataFrame or a mapping of column name -> 1-D array, one row per node,
built in memory or read from a SONATA nodes h5 file joined with its node-types CSV
(:func:`read_node_table`). :class:`NodeTable` answers column look-ups as BMTK's FilterNet cell
loader does: a missing column, None, NaN or ``NULL`` means absent, lists may arrive as text from
the CSV (:func:`parse_value`), numbers are checked per node, and the JSON files named in a column
are read once from ``filter_models_dir``. Data problems raise :class:`NodeTableError`, whose
message names the file holding the column (the nodes h5 file or the node-types CSV, when the
table came from files, see :class:`NodeSource`), the nodes and column concerned, and what was
expected.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError, FormatError
from simlib.fileio import read_json

SHOWN_NODES = 10
"""Nodes named per problem in error messages (the others are counted)."""


class NodeTableError(FormatError, ConfigError):
    """A data problem in a FilterNet node table: a bad, missing or inconsistent value of a column.

    A :class:`~simlib.errors.FormatError`, since the table is read from data files; also a
    :class:`~simlib.errors.ConfigError`, the class these problems had before, so code catching
    either still catches them.
    """


@dataclass(frozen=True)
class NodeSource:
    """The files a node table was read from, named in its error messages.

    Attributes
    ----------
    nodes_file : Path or None
        The SONATA nodes h5 file; None for a table built in memory (messages then name no file).
    node_types_file : Path or None
        The node-types CSV joined to it.
    population : str or None
        The node population inside `nodes_file`.
    type_columns : frozenset of str
        Columns taken from `node_types_file`; the others come from `nodes_file`.
    """

    nodes_file: Path | None = None
    node_types_file: Path | None = None
    population: str | None = None
    type_columns: frozenset[str] = frozenset()

    def _nodes_file(self) -> str | None:
        if self.nodes_file is None:
            return None
        return f"{self.nodes_file} (population '{self.population}')" if self.population else str(self.nodes_file)

    def files(self, columns: Iterable[str], present: Iterable[str]) -> list[str]:
        """The files holding `columns` (those in `present`); both files if none of them is present."""
        present = set(present)
        held = [name for name in columns if name in present]
        if not held:
            candidates = [self._nodes_file(), None if self.node_types_file is None else str(self.node_types_file)]
        else:
            candidates = [str(self.node_types_file) if name in self.type_columns and self.node_types_file is not None
                          else self._nodes_file() for name in held]
        return list(dict.fromkeys(name for name in candidates if name is not None))


@dataclass
class NodeColumns:
    """A node population read from files: its columns, and where they came from.

    Attributes
    ----------
    columns : dict of str -> 1-D array
        One value per node, node-type columns joined (see
        :func:`simlib.sonata.nodes.read_node_columns`).
    source : NodeSource
    """

    columns: dict[str, np.ndarray]
    source: NodeSource = field(default_factory=NodeSource)


def read_node_table(nodes_file, node_types_file, population: str) -> NodeColumns:
    """Read a node population's columns (node-type columns joined), remembering which file holds each.

    The columns are those of :func:`simlib.sonata.nodes.read_node_columns`, read without pandas.

    Raises
    ------
    FormatError
        Unreadable or inconsistent node files.
    """
    from simlib.sonata.columns import population_columns
    from simlib.sonata.nodes import RESERVED_NODE_DATASETS, read_node_population

    data = read_node_population(nodes_file, population)
    columns, type_columns = population_columns(data, "node", RESERVED_NODE_DATASETS, node_types_file, nodes_file)
    source = NodeSource(Path(nodes_file), None if node_types_file is None else Path(node_types_file), population,
                        frozenset(type_columns))
    return NodeColumns(columns, source)


def parse_value(value):
    """A cell value as a number or list (lists may arrive as text from a node-types CSV); None if missing."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text in ("", "NULL", "None"):
            return None
        if text[:1] in "[(":
            try:
                return ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return text
        return text
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _array(column, dtype) -> np.ndarray:
    """A node-table column (a pandas Series or a 1-D array) as a numpy array of `dtype`."""
    if hasattr(column, "to_numpy"):
        return column.to_numpy(dtype=dtype)
    return np.asarray(column, dtype=dtype)


def describe_nodes(ids) -> str:
    """``node 3`` or ``nodes 1, 2, 5`` (the first :data:`SHOWN_NODES`, then how many more)."""
    ids = list(np.asarray(ids).tolist())
    more = f" and {len(ids) - SHOWN_NODES} more" if len(ids) > SHOWN_NODES else ""
    return f"node{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids[:SHOWN_NODES]))}{more}"


def _node_ids(nodes, source: NodeSource) -> tuple[object, np.ndarray]:
    """The node table (a DataFrame, or a mapping turned into a dict of 1-D arrays) and its int64 node ids
    (``node_id``, else a DataFrame's index)."""
    pandas = sys.modules.get("pandas")       # not imported here: a DataFrame exists only if pandas was imported
    if pandas is not None and isinstance(nodes, pandas.DataFrame):
        ids = (nodes["node_id"] if "node_id" in nodes.columns else nodes.index.to_series()).to_numpy()
        names = nodes.columns
    elif isinstance(nodes, Mapping):
        nodes = {name: np.asarray(column) for name, column in nodes.items()}
        if "node_id" not in nodes:
            raise ConfigError(f"build_units: the node columns have no node_id (got {list(nodes)})")
        ids = nodes["node_id"]
        shapes = {name: column.shape for name, column in nodes.items() if column.shape != ids.shape or ids.ndim != 1}
        if shapes:
            raise ConfigError(f"build_units: expected node columns of one value per node, like node_id, got shapes "
                              f"{shapes}")
        names = nodes
    else:
        raise ConfigError("build_units: expected a pandas DataFrame of nodes or a mapping of column name -> "
                          f"array, got {type(nodes).__name__}")
    try:
        return nodes, ids.astype(np.int64)
    except (TypeError, ValueError):
        files = source.files(("node_id",), names)
        prefix = f"{' and '.join(files)}: " if files else ""
        raise NodeTableError(f"{prefix}build_units: node_id: expected integer node ids") from None


class NodeTable:
    """Column access with BMTK's look-up rules: a missing column, None or NaN means absent.

    Parameters
    ----------
    nodes : pandas.DataFrame or mapping of column name -> 1-D array
        Both answer ``name in nodes`` and ``nodes[name]``; node ids are ``node_id``, else a
        DataFrame's index.
    filter_models_dir : path or None
        Folder of the JSON files named in columns such as ``dynamics_params``.
    source : NodeSource, optional
        The files the table was read from, named in error messages.

    Raises
    ------
    ConfigError
        `nodes` is not a table, or a mapping of unequal or missing columns.
    NodeTableError
        Node ids that are not integers.
    """

    def __init__(self, nodes, filter_models_dir=None, source: NodeSource | None = None):
        self.source = source if source is not None else NodeSource()
        self.nodes, self.node_ids = _node_ids(nodes, self.source)
        self.n = self.node_ids.size
        self.dir = None if filter_models_dir is None else Path(filter_models_dir)
        self._json: dict = {}
        self._json_paths: dict[str, list] = {}

    # --- messages ----------------------------------------------------------------------------

    def where(self, columns: Iterable[str]) -> str:
        """``<file>: `` for the file(s) holding `columns`, or ``""`` for a table built in memory."""
        columns = tuple(columns)
        files = self.source.files(columns, [name for name in columns if name in self.nodes])
        return f"{' and '.join(files)}: " if files else ""

    def error(self, columns: Iterable[str], message: str) -> NodeTableError:
        """A :class:`NodeTableError` of `message`, prefixed with the file(s) holding `columns`."""
        return NodeTableError(self.where(columns) + message)

    def nodes_at(self, rows) -> str:
        """:func:`describe_nodes` of the nodes at `rows` (indices or a boolean mask)."""
        return describe_nodes(self.node_ids[rows])

    def require_finite(self, values: np.ndarray, rows: np.ndarray, columns: Iterable[str], what: str) -> None:
        """Raise, naming the nodes, unless every value of `values` at `rows` is finite.

        Parameters
        ----------
        values : (n,) or (n, k) array
        rows : index array of the nodes to check
        columns : names of the columns the values come from (for the file in the message)
        what : the message after the nodes, e.g. ``"x, y: expected ..."``
        """
        if rows.size == 0:
            return
        bad = rows[~np.isfinite(values[rows].reshape(rows.size, -1)).all(axis=1)]
        if bad.size:
            raise self.error(columns, f"{self.nodes_at(bad)}: {what}")

    # --- columns -----------------------------------------------------------------------------

    def values(self, name: str) -> list:
        """The parsed values of a column (:func:`parse_value`), None for every node if it is missing."""
        if name not in self.nodes:
            return [None] * self.n
        return [parse_value(v) for v in _array(self.nodes[name], object)]

    def numbers(self, name: str, width: int = 1, scalar_fills: bool = True) -> np.ndarray:
        """(n, width) floats, NaN where absent; a scalar fills all `width` entries if `scalar_fills`
        (BMTK's isotropic sizes), else it is an error."""
        out = np.full((self.n, width), np.nan)
        if name not in self.nodes:
            return out
        column = self.nodes[name]
        if column.dtype.kind in "iuf" and (width == 1 or scalar_fills):
            out[:] = _array(column, np.float64)[:, None]
            return out
        bad = []
        for i, value in enumerate(self.values(name)):
            if value is None:
                continue
            try:
                row = np.asarray(value, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                row = np.zeros(0)
            if row.size == 1 and (width == 1 or scalar_fills):
                out[i] = row[0]
            elif row.size == width:
                out[i] = row
            else:
                bad.append(i)
        if bad:
            expected = "a number" if width == 1 else f"1 or {width} numbers" if scalar_fills else f"{width} numbers"
            raise self.error((name,), f"{name}: expected {expected} per node, "
                                      f"got {self.values(name)[bad[0]]!r} for {self.nodes_at(bad)}")
        return out

    def first(self, names, width: int = 2, scalar_fills: bool = True) -> np.ndarray:
        """(n, width) values of the first present column among `names` (a tuple = scalar columns), per node."""
        out = np.full((self.n, width), np.nan)
        for name in names:
            if isinstance(name, tuple):
                value = np.concatenate([self.numbers(part) for part in name], axis=1)
            else:
                value = self.numbers(name, width, scalar_fills)
            fill = np.isnan(out).all(axis=1) & ~np.isnan(value).any(axis=1)
            out[fill] = value[fill]
        return out

    def json_files(self, column: str) -> list:
        """The JSON named in `column` for each node (dict or None), read once per file from filter_models_dir."""
        out, paths = [], []
        for i, value in enumerate(self.values(column)):
            if value is None or isinstance(value, dict):
                out.append(value)
                paths.append(None)
                continue
            paths.append(self.dir / str(value) if self.dir is not None else None)
            out.append(self._read_json(str(value), column, i))
        self._json_paths[column] = paths
        return out

    def json_path(self, column: str, i: int) -> Path | None:
        """The file the JSON of node `i` in `column` was read from by :meth:`json_files` (None: given in memory)."""
        paths = self._json_paths.get(column)
        return None if paths is None else paths[i]

    def _read_json(self, name: str, column: str, i: int) -> dict:
        if self.dir is None:
            raise ConfigError(f"{self.where((column,))}LGN node {self.node_ids[i]}: {column}={name!r}, but no "
                              "filter_models_dir was given")
        path = self.dir / name
        if path not in self._json:
            if not path.is_file():
                held = sorted(p.name for p in self.dir.glob("*.json")) if self.dir.is_dir() else []
                raise self.error((column,), f"LGN node {self.node_ids[i]}: {column}: unknown filter model {name!r} "
                                            f"({path} not found); filter_models_dir {self.dir} holds "
                                            f"{held or 'no .json files'}")
            self._json[path] = read_json(path, error=ConfigError)
        return self._json[path]
