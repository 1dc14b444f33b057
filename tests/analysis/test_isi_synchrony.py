"""ISI CV (periodic 0, Poisson 1, by hand) and pairwise synchrony (identical 1, independent 0, by hand, sampling)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from simlib.analysis.isi import isi_cv, plot_isi_cv, population_isi_cv
from simlib.analysis.synchrony import _pair_indices, pairwise_correlations, plot_synchrony, synchrony
from simlib.errors import ConfigError
from simlib.spikes import SpikeTrains


def make(trains_by_node, groups):
    """SpikeTrains of population V1 and its node table (``groups``: pop_name per node id 0..n-1)."""
    trains = SpikeTrains(population="V1")
    for node, times in trains_by_node.items():
        trains.add_spikes(np.full(len(times), node), np.asarray(times, dtype=float))
    nodes = pd.DataFrame({"node_id": np.arange(len(groups)), "pop_name": groups})
    nodes.attrs["population"] = "V1"
    return trains, nodes


def poisson(rng, rate_hz, stop_ms):
    times = np.cumsum(rng.exponential(1000.0 / rate_hz, int(rate_hz * stop_ms / 1000.0 * 1.5) + 20))
    return times[times < stop_ms]


def test_cv_periodic_poisson_and_by_hand():
    rng = np.random.default_rng(11)
    periodic = {n: 3.0 * n + 10.0 * np.arange(200) for n in range(5)}                # every 10 ms: CV 0
    irregular = {n: poisson(rng, 50.0, 20000.0) for n in range(5, 25)}                 # ~1000 spikes each: CV 1
    hand = {25: [0.0, 10.0, 30.0], 26: [5.0, 6.0]}                                     # ISIs 10, 20: CV 5 / 15
    trains, nodes = make({**periodic, **irregular, **hand}, ["reg"] * 5 + ["poisson"] * 20 + ["hand"] * 3)
    cells = isi_cv(trains, nodes)
    assert cells.columns.tolist() == ["pop_name", "spikes", "isi_cv"]
    assert cells.loc[:4, "isi_cv"].tolist() == [0.0] * 5
    assert cells.loc[5:24, "isi_cv"].mean() == pytest.approx(1.0, abs=0.05)
    assert cells.loc[25, "isi_cv"] == pytest.approx(1 / 3)
    assert np.isnan(cells.loc[26, "isi_cv"]) and np.isnan(cells.loc[27, "isi_cv"])  # 2 spikes; silent
    assert isi_cv(trains, nodes, min_spikes=2).loc[26, "isi_cv"] == 0.0               # one interval: SD 0
    for node in range(5, 25):
        isi = np.diff(trains.get_times(node))
        assert cells.loc[node, "isi_cv"] == pytest.approx(isi.std() / isi.mean(), rel=1e-12)
    windowed = isi_cv(trains, nodes, t_range=(0.0, 25.0))                             # 0, 10 of node 25: 1 ISI
    assert np.isnan(windowed.loc[25, "isi_cv"]) and windowed.loc[25, "spikes"] == 2
    table = population_isi_cv(trains, nodes)
    assert table.index.tolist() == ["hand", "poisson", "reg"]
    assert table.loc["hand"].to_dict() == pytest.approx({"cells": 3, "cells_with_cv": 1, "mean_cv": 1 / 3,
                                                         "sd_cv": 0.0, "median_cv": 1 / 3})
    assert table.loc["reg", "mean_cv"] == 0.0 and table.loc["poisson", "cells_with_cv"] == 20
    ax = plot_isi_cv(trains, nodes)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["hand\n1/3", "poisson\n20/20", "reg\n5/5"]
    plt.close("all")


def test_synchrony_identical_independent_and_by_hand():
    rng = np.random.default_rng(4)
    shared = poisson(rng, 20.0, 10000.0)
    same = {n: shared for n in range(4)}                                          # identical trains: r = 1
    independent = {n: poisson(rng, 20.0, 10000.0) for n in range(4, 34)}          # 2000 bins: r ≈ 0 ± 0.02
    trains, nodes = make({**same, **independent}, ["same"] * 4 + ["indep"] * 30 + ["indep"])   # node 34 silent
    table = synchrony(trains, nodes, t_range=(0.0, 10000.0), bin_ms=5.0)
    assert table.loc["same"].to_dict() == pytest.approx({"cells": 4, "active_cells": 4, "pairs": 6, "mean_r": 1.0,
                                                         "sd_r": 0.0}, abs=1e-12)
    assert table.loc["indep", ["cells", "active_cells", "pairs"]].tolist() == [31, 30, 435]   # the silent one out
    assert abs(table.loc["indep", "mean_r"]) < 0.01
    # two cells, four 10-ms bins of [0, 45): counts (1, 0, 2, 0) and (1, 1, 1, 0); the 5 ms piece is dropped
    trains, nodes = make({0: [1.0, 21.0, 29.0, 44.0], 1: [2.0, 12.0, 22.0]}, ["g", "g"])
    pairs = pairwise_correlations(trains, nodes, t_range=(0.0, 45.0), bin_ms=10.0)
    assert pairs[["node_a", "node_b"]].values.tolist() == [[0, 1]]
    assert pairs.loc[0, "r"] == pytest.approx(np.corrcoef([1, 0, 2, 0], [1, 1, 1, 0])[0, 1])
    ax = plot_synchrony(trains, nodes, t_range=(0.0, 45.0), bin_ms=10.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["g\n1 pair"]
    plt.close("all")


def test_pair_sample_is_uniform_distinct_and_seeded():
    rng = np.random.default_rng(0)
    i, j = _pair_indices(30, 434, rng)                              # all but one of the 435 pairs
    assert len(set(zip(i.tolist(), j.tolist()))) == 434 and np.all((0 <= i) & (i < j) & (j < 30))
    i, j = _pair_indices(5000, 20000, rng)
    assert len(set(zip(i.tolist(), j.tolist()))) == 20000 and np.all((0 <= i) & (i < j) & (j < 5000))
    trains, nodes = make({n: poisson(np.random.default_rng(n), 30.0, 2000.0) for n in range(60)}, ["a"] * 60)
    args = dict(t_range=(0.0, 2000.0), max_pairs=50)
    first = pairwise_correlations(trains, nodes, seed=1, **args)
    assert len(first) == 50 and not first.duplicated(["node_a", "node_b"]).any()
    pd.testing.assert_frame_equal(first, pairwise_correlations(trains, nodes, seed=1, **args))
    assert not first.equals(pairwise_correlations(trains, nodes, seed=2, **args))
    every = pairwise_correlations(trains, nodes, max_pairs=None, t_range=(0.0, 2000.0)).set_index(["node_a", "node_b"])
    np.testing.assert_allclose(first["r"], every.loc[list(zip(first["node_a"], first["node_b"])), "r"], rtol=1e-12)


def test_bad_input_is_one_config_error():
    trains, nodes = make({0: [1.0, 2.0, 3.0]}, ["a", "a"])
    with pytest.raises(ConfigError, match="isi_cv: min_spikes: expected an integer ≥ 2"):
        isi_cv(trains, nodes, min_spikes=1)
    with pytest.raises(ConfigError, match="isi_cv: group_by: 'layer' is not a node attribute"):
        isi_cv(trains, nodes, "layer")
    with pytest.raises(ConfigError, match="t_range: expected start_ms < stop_ms"):
        population_isi_cv(trains, nodes, t_range=(3.0, 1.0))
    with pytest.raises(ConfigError, match="the spikes hold no population 'LGN'"):
        synchrony(trains, nodes, t_range=(0.0, 100.0), population="LGN")
    with pytest.raises(ConfigError, match="9 ms holds fewer than two bins of 5 ms"):
        synchrony(trains, nodes, t_range=(0.0, 9.0))
    with pytest.raises(ConfigError, match="max_pairs: expected an integer ≥ 1 or None"):
        synchrony(trains, nodes, t_range=(0.0, 100.0), max_pairs=0)
    with pytest.raises(ConfigError, match="bin_ms: expected a width > 0 ms"):
        plot_synchrony(trains, nodes, t_range=(0.0, 100.0), bin_ms=-1.0)
