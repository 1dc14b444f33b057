"""SONATA edge indices: node_id_to_range and range_to_edge_id tables, vectorised."""

from __future__ import annotations

import numpy as np


def find_runs(ids: np.ndarray, previous_id: int = -1) -> np.ndarray:
    """Row numbers where a run of equal ids begins (`previous_id` is the id before row 0)."""
    ids = np.asarray(ids)
    if ids.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[ids[0] != previous_id, ids[1:] != ids[:-1]])


def runs_to_index(run_starts: np.ndarray, run_ids: np.ndarray, n_rows: int, block: int = 1 << 19,
                  window: int | None = None, counts: np.ndarray | None = None):
    """Index tables from the runs of an id column (a counting sort, block by block).

    Parameters
    ----------
    run_starts : first row of every run, in row order; or that plus ``n_rows`` at the end (one
        element more than ``run_ids``), which spares a copy.
    run_ids : the id of every run.
    n_rows : number of rows of the column (end of the last run).
    window : produce the run table this many rows at a time (one pass over the runs each),
        keeping 4 bytes per run meanwhile; None: the whole table at once (16 bytes per run, and
        faster: every run's bounds are read while its block is in cache).
    counts : the number of runs of each id (``np.bincount(run_ids)``), when the caller has it.

    Returns
    -------
    node_id_to_range : uint64 (max_id + 1, 2); row `n` is ``[first_run, last_run + 1)`` into the
        run table, ``[0, 0]`` for ids with no edges (as BMTK writes it).
    table : an iterator of ``(first_row, rows)`` pieces of the run table ``range_to_edge_id``
        (``rows``: uint64 (k, 2), ``[begin, end)`` per run): runs grouped by id and, within an
        id, in row order.
    """
    n_runs = len(run_ids)
    if n_runs == 0:
        return np.zeros((0, 2), dtype=np.uint64), iter(())
    if counts is None:
        counts = np.bincount(run_ids, minlength=int(run_ids.max()) + 1)
    if len(run_starts) == n_runs:
        run_starts = np.append(run_starts, n_rows)
    first = np.cumsum(counts) - counts
    node_id_to_range = np.column_stack([first, first + counts]).astype(np.uint64)
    node_id_to_range[counts == 0] = 0
    if window is None:
        table = np.empty((n_runs, 2), dtype=np.uint64)
        for a, slots, runs in _counting_sort(run_ids, first, block):
            table[slots, 0] = run_starts[runs]
            table[slots, 1] = run_starts[runs + 1]   # a run ends where the next begins
        return node_id_to_range, iter([(0, table)])
    # slot -> run permutation (4 bytes a run)
    perm = np.empty(n_runs, dtype=np.uint32 if n_runs < (1 << 32) - 1 else np.uint64)
    for a, slots, runs in _counting_sort(run_ids, first, block):
        perm[slots] = runs

    def pieces():
        for lo in range(0, n_runs, max(1, window)):
            runs = perm[lo:lo + window]
            rows = np.empty((runs.size, 2), dtype=np.uint64)
            rows[:, 0] = run_starts[runs]
            rows[:, 1] = run_starts[runs + 1]
            yield lo, rows

    return node_id_to_range, pieces()


def _counting_sort(run_ids: np.ndarray, first: np.ndarray, block: int):
    """Block by block, ``(a, slots, runs)``: the runs ``a + ...`` of the block and their slots in the
    table sorted by id (stable), ``first[id]`` being the first slot of each id."""
    next_slot = first.copy()
    for a in range(0, len(run_ids), block):
        ids = run_ids[a:a + block]
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        heads = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
        sizes = np.diff(np.r_[heads, sorted_ids.size])
        slots = next_slot[sorted_ids] + (np.arange(sorted_ids.size) - np.repeat(heads, sizes))
        next_slot[sorted_ids[heads]] += sizes
        yield a, slots, a + order


def build_index(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Build the SONATA index of one node-id column of an edge population (see `runs_to_index`)."""
    ids = np.asarray(ids, dtype=np.int64)
    starts = find_runs(ids)
    n2r, pieces = runs_to_index(starts, ids[starts], ids.size)
    table = np.zeros((starts.size, 2), dtype=np.uint64)
    for lo, rows in pieces:
        table[lo:lo + len(rows)] = rows
    return n2r, table


def edges_of(node_id: int, node_id_to_range: np.ndarray, range_to_edge_id: np.ndarray) -> np.ndarray:
    """Row numbers of the edges of one node, read back through an index."""
    if node_id >= len(node_id_to_range):
        return np.zeros(0, dtype=np.int64)
    beg, end = node_id_to_range[node_id]
    runs = range_to_edge_id[int(beg):int(end)]
    if len(runs) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([np.arange(int(b), int(e)) for b, e in runs])


def index_problem(ids: np.ndarray, node_id_to_range: np.ndarray, range_to_edge_id: np.ndarray) -> str | None:
    """What is wrong with the SONATA index of one node-id column (None: it agrees with the column).

    The index must list every row exactly once, under the row's own node id: node `n`'s runs are
    ``range_to_edge_id[node_id_to_range[n, 0]:node_id_to_range[n, 1]]`` and each run ``[begin, end)``
    holds rows of `ids` equal to `n`. All arguments are int64 arrays (tables of shape (k, 2)).
    """
    n_rows, n_runs = ids.size, len(range_to_edge_id)
    top = int(ids.max()) + 1 if n_rows else 0
    if len(node_id_to_range) < top:
        return f"node_id_to_range has {len(node_id_to_range)} rows; expected at least {top} (the largest node id + 1)"
    first, last = node_id_to_range[:, 0], node_id_to_range[:, 1]
    bad = np.flatnonzero((first > last) | (last > n_runs))
    if bad.size:
        return (f"node_id_to_range row {int(bad[0])} is {node_id_to_range[bad[0]].tolist()}; expected "
                f"[first, end) within the {n_runs} rows of range_to_edge_id")
    begin, end = range_to_edge_id[:, 0], range_to_edge_id[:, 1]
    bad = np.flatnonzero((begin > end) | (end > n_rows))
    if bad.size:
        return (f"range_to_edge_id row {int(bad[0])} is {range_to_edge_id[bad[0]].tolist()}; expected "
                f"[begin, end) within the {n_rows} edges")
    counts = last - first
    if counts.sum() != n_runs:
        return f"node_id_to_range covers {int(counts.sum())} runs; expected each of the {n_runs} runs once"
    runs = np.repeat(first, counts) + (np.arange(n_runs) - np.repeat(np.cumsum(counts) - counts, counts))
    owner = np.repeat(np.arange(len(node_id_to_range)), counts)
    if np.unique(runs).size != n_runs:
        return "node_id_to_range lists a run of range_to_edge_id twice; expected each run once"
    lengths = end[runs] - begin[runs]
    if lengths.sum() != n_rows:
        return f"range_to_edge_id covers {int(lengths.sum())} edges; expected each of the {n_rows} edges once"
    rows = np.repeat(begin[runs], lengths) + (np.arange(n_rows) - np.repeat(np.cumsum(lengths) - lengths, lengths))
    row_owner = np.repeat(owner, lengths)
    wrong = np.flatnonzero(ids[rows] != row_owner)
    if wrong.size:
        row = int(rows[wrong[0]])
        return (f"edge {row} is indexed under node {int(row_owner[wrong[0]])}; expected node {int(ids[row])}, "
                f"its id in the data")
    if np.unique(rows).size != n_rows:
        return "range_to_edge_id lists an edge twice; expected each edge once"
    return None
