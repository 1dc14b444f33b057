"""Sort orders of spike tables ('by_time', 'by_id', 'none') and the aliases BMTK accepts."""

from __future__ import annotations

import numpy as np

from simlib.errors import ConfigError

SORT_ORDERS = ("by_time", "by_id", "none")

_ALIASES = {
    "by_time": "by_time", "time": "by_time",
    "by_id": "by_id", "id": "by_id", "node_id": "by_id", "gid": "by_id",
    "none": "none", "na": "none", "unknown": "none",
}


def sort_order(value) -> str:
    """Normalise a sort order to 'by_time', 'by_id' or 'none'.

    Parameters
    ----------
    value : str, None or enum
        One of 'by_time'/'time', 'by_id'/'id'/'node_id'/'gid', 'none'/'na'/'unknown', or None
        (= 'none'). An enum member (such as BMTK's ``SortOrder``) is read through its ``value``.

    Returns
    -------
    str
        The canonical name.

    Raises
    ------
    ConfigError
        If the value is not a known sort order; the message lists the accepted ones.
    """
    if value is None:
        return "none"
    key = getattr(value, "value", value)
    if isinstance(key, str) and key.lower() in _ALIASES:
        return _ALIASES[key.lower()]
    raise ConfigError(f"sort_order: unknown value {value!r}; expected one of "
                      f"{', '.join(_ALIASES)} or None")


def sort_index(node_ids: np.ndarray, timestamps: np.ndarray, order: str) -> np.ndarray | None:
    """Permutation that puts spikes in `order`, or None when the order is 'none'.

    'by_time' sorts by time (stable, so equal times keep their input order); 'by_id' sorts by
    node id, then by time within a node.
    """
    order = sort_order(order)
    if order == "by_time":
        return np.argsort(timestamps, kind="stable")
    if order == "by_id":
        return np.lexsort((timestamps, node_ids))
    return None
