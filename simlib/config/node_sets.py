"""SONATA node sets: select node ids from node populations by name, filter or id list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from simlib.errors import ConfigError, show_value

if TYPE_CHECKING:
    import pandas as pd

IMPLICIT_MODEL_TYPES = ("biophysical", "virtual", "point_process")
_POPULATION_KEYS = ("population", "populations")
_NODE_ID_KEYS = ("node_id", "node_ids")


def select_nodes(node_set, populations: Mapping[str, pd.DataFrame],
                 node_sets: Mapping[str, object] | None = None, source: str = "node_set") -> dict[str, np.ndarray]:
    """Node ids of every population matched by a node set.

    Parameters
    ----------
    node_set : str, dict or list
        A node-set name (defined in `node_sets`, or implicit: ``"all"``, a population name, or
        ``"biophysical"``/``"virtual"``/``"point_process"`` meaning that ``model_type``); a filter
        dict (``population``/``populations`` restrict the populations, ``node_id``/``node_ids``
        select ids, any other key is a property: a scalar means equality, a list membership);
        a list of node-set names (their union); or a list of node ids (in every population).
    populations : mapping of population name to the DataFrame of ``read_nodes``.
    node_sets : the config's ``node_sets`` (user definitions override implicit names).
    source : where the node set came from (e.g. ``"sim.json: inputs.lgn.node_set"``), for messages.

    Returns
    -------
    dict of str to numpy.ndarray
        Sorted unique int64 node ids per population, only for populations with matches.

    Raises
    ------
    ConfigError
        Unknown node-set name, population or property, a malformed node set, or a compound
        node set that refers to itself.
    """
    selected = _Selector(populations, dict(node_sets or {}), source).select(node_set, (), _label(node_set))
    return {name: selected[name] for name in populations if name in selected}


class _Selector:
    """Evaluates node sets against a fixed set of populations."""

    def __init__(self, populations: Mapping, node_sets: dict, source: str):
        self.populations = dict(populations)
        self.node_sets = node_sets
        self.source = source

    def error(self, label: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: node set {label}: {message}")

    def select(self, node_set, stack: tuple, label: str) -> dict[str, np.ndarray]:
        if isinstance(node_set, str):
            return self.select_named(node_set, stack)
        if isinstance(node_set, Mapping):
            return self.select_filter(node_set, label)
        if isinstance(node_set, (list, tuple, np.ndarray)):
            items = list(node_set)
            if all(isinstance(item, str) for item in items):
                return _union([self.select_named(name, stack) for name in items])
            if all(_is_int(item) for item in items):
                return self.select_filter({"node_id": items}, label)
            raise self.error(label, "expected a list of node-set names or a list of node ids, "
                                    f"got {show_value(items, limit=80)}")
        raise self.error(label, "expected a node-set name, a filter object or a list, "
                                f"got {type(node_set).__name__}")

    def select_named(self, name: str, stack: tuple) -> dict[str, np.ndarray]:
        label = repr(name)
        if name in stack:
            chain = " -> ".join([*stack, name])
            raise self.error(label, f"refers to itself ({chain})")
        if name in self.node_sets:
            return self.select(self.node_sets[name], (*stack, name), label)
        if name == "all":
            return self.select_filter({}, label)
        if name in self.populations:
            return self.select_filter({"population": name}, label)
        if name in IMPLICIT_MODEL_TYPES:
            return self.select_filter({"model_type": name}, label, required=False)
        available = sorted({"all", *IMPLICIT_MODEL_TYPES, *self.populations, *self.node_sets})
        raise self.error(label, f"not found; available: {', '.join(available)}")

    def select_filter(self, conditions: Mapping, label: str, required: bool = True) -> dict[str, np.ndarray]:
        """Nodes matching every condition; `required` False lets a property be absent everywhere."""
        names = list(self.populations)
        pop_keys = [k for k in _POPULATION_KEYS if k in conditions]
        for key in pop_keys:
            wanted = _as_list(conditions[key])
            unknown = [p for p in wanted if p not in self.populations]
            if unknown:
                raise self.error(label, f"{key}: population {', '.join(map(repr, unknown))} not found; "
                                        f"available: {', '.join(self.populations)}")
            names = [n for n in names if n in wanted]
        properties = {k: v for k, v in conditions.items() if k not in _POPULATION_KEYS}
        if required:
            columns = set().union(*(self.populations[n].columns for n in names)) if names else set()
            missing = [k for k in properties if k not in _NODE_ID_KEYS and k not in columns]
            if missing:
                raise self.error(label, f"property {', '.join(map(repr, missing))} not found in populations "
                                        f"{', '.join(names)}; available: {', '.join(sorted(map(str, columns)))}")
        selected = {}
        for name in names:
            df = self.populations[name]
            mask = np.ones(len(df), dtype=bool)
            for key, value in properties.items():
                column = df["node_id"] if key in _NODE_ID_KEYS else df.get(key)
                if column is None:  # the property exists in other populations only
                    mask[:] = False
                    break
                mask &= self.match(column, value, key, label)
            ids = np.unique(df["node_id"].to_numpy()[mask].astype(np.int64))
            if ids.size:
                selected[name] = ids
        return selected

    def match(self, column, value, key: str, label: str) -> np.ndarray:
        """Rows of `column` equal to `value` (a scalar) or in it (a list), as a boolean array."""
        if isinstance(value, Mapping):
            raise self.error(label, f"{key}: expected a value or a list of values, got an object "
                                    f"{show_value(value, limit=80)}")
        wanted = _as_list(value)
        if column.dtype.kind in "iufb":
            numbers = [n for n in (_to_number(v) for v in wanted) if n is not None]
            return np.isin(column.to_numpy(dtype=float, na_value=np.nan), numbers)
        # A number in the config also matches its text in a string column (e.g. layer "4").
        wanted += [str(v) for v in wanted if _is_number(v)]
        try:
            return column.isin(wanted).to_numpy()
        except TypeError:
            raise self.error(label, f"{key}: the property holds arrays and cannot be compared") from None


def _union(selections: list[dict]) -> dict[str, np.ndarray]:
    merged: dict[str, np.ndarray] = {}
    for selection in selections:
        for name, ids in selection.items():
            merged[name] = np.union1d(merged[name], ids) if name in merged else ids
    return merged


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def _to_number(value) -> float | None:
    """A number, bool or numeric string as a float; None when it cannot equal a number."""
    if isinstance(value, (bool, np.bool_)) or _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _label(node_set) -> str:
    return repr(node_set) if isinstance(node_set, str) else show_value(node_set, limit=80)
