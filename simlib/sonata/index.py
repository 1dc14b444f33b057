"""SONATA edge indices: node_id_to_range and range_to_edge_id tables, vectorised."""

from __future__ import annotations

import numpy as np


def build_index(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Build the SONATA index of one node-id column of an edge population.

    Parameters
    ----------
    ids : the source or target node id of every edge, in row order.

    Returns
    -------
    node_id_to_range : uint64 (max_id + 1, 2); row `n` is ``[first_run, last_run + 1)`` into
        `range_to_edge_id`, ``[0, 0]`` for ids with no edges (as BMTK writes it).
    range_to_edge_id : uint64 (n_runs, 2); each run ``[begin, end)`` is a maximal block of
        consecutive rows with the same id, runs grouped by id and, within an id, in row order.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.size == 0:
        return np.zeros((0, 2), dtype=np.uint64), np.zeros((0, 2), dtype=np.uint64)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], ids.size]
    run_ids = ids[starts]
    order = np.argsort(run_ids, kind="stable")
    range_to_edge_id = np.column_stack([starts[order], ends[order]]).astype(np.uint64)
    counts = np.bincount(run_ids, minlength=int(ids.max()) + 1)
    last = np.cumsum(counts)
    first = last - counts
    first[counts == 0] = 0
    last[counts == 0] = 0
    node_id_to_range = np.column_stack([first, last]).astype(np.uint64)
    return node_id_to_range, range_to_edge_id


def edges_of(node_id: int, node_id_to_range: np.ndarray, range_to_edge_id: np.ndarray) -> np.ndarray:
    """Row numbers of the edges of one node, read back through an index."""
    if node_id >= len(node_id_to_range):
        return np.zeros(0, dtype=np.int64)
    beg, end = node_id_to_range[node_id]
    runs = range_to_edge_id[int(beg):int(end)]
    if len(runs) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([np.arange(int(b), int(e)) for b, e in runs])
