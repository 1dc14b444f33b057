import numpy as np

from simlib.sonata.index import build_index, edges_of


def test_index_matches_bmtk_example():
    # 4 lgn sources x 3 targets, rows sorted by target (the inventory's verified example)
    trg = np.repeat([0, 1, 2], 4)
    src = np.tile([0, 1, 2, 3], 3)
    n2r, r2e = build_index(trg)
    assert n2r.tolist() == [[0, 1], [1, 2], [2, 3]]
    assert r2e.tolist() == [[0, 4], [4, 8], [8, 12]]
    n2r, r2e = build_index(src)
    assert n2r.tolist() == [[0, 3], [3, 6], [6, 9], [9, 12]]
    assert r2e[:4].tolist() == [[0, 1], [4, 5], [8, 9], [1, 2]]
    assert n2r.dtype == np.uint64 and r2e.dtype == np.uint64


def test_index_covers_every_edge_and_missing_ids_are_empty():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50, size=2000)
    ids[ids == 7] = 8  # id 7 has no edges
    n2r, r2e = build_index(ids)
    assert len(n2r) == ids.max() + 1
    assert n2r[7].tolist() == [0, 0]
    seen = np.zeros(ids.size, dtype=int)
    for node in range(len(n2r)):
        rows = edges_of(node, n2r, r2e)
        assert np.all(ids[rows] == node)
        seen[rows] += 1
    assert np.all(seen == 1)


def test_empty_index():
    n2r, r2e = build_index(np.zeros(0, dtype=int))
    assert n2r.shape == (0, 2) and r2e.shape == (0, 2)


def test_windowed_and_whole_run_tables_agree():
    """The source index of write_edges (windows of runs, caller's counts, run_starts with the end
    appended) equals the one made at once from the runs alone."""
    from simlib.sonata.index import find_runs, runs_to_index

    rng = np.random.default_rng(3)
    ids = rng.integers(0, 40, size=5000)
    ids[100:300] = 7                                    # long runs too
    starts = find_runs(ids)
    run_ids = ids[starts]
    n2r, pieces = runs_to_index(starts, run_ids, ids.size)
    whole = np.concatenate([rows for _, rows in pieces])
    extended = np.append(starts, ids.size).astype(np.uint32)
    n2r_w, pieces_w = runs_to_index(extended, run_ids.astype(np.uint16), ids.size, block=333, window=97,
                                    counts=np.bincount(run_ids))
    parts = list(pieces_w)
    assert [lo for lo, _ in parts] == list(range(0, starts.size, 97))
    assert all(rows.dtype == np.uint64 and rows.shape[1] == 2 for _, rows in parts)
    np.testing.assert_array_equal(np.concatenate([rows for _, rows in parts]), whole)
    np.testing.assert_array_equal(n2r_w, n2r)
    # every row of node 7, in row order, through the index
    np.testing.assert_array_equal(edges_of(7, n2r, whole), np.flatnonzero(ids == 7))
