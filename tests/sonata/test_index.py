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
