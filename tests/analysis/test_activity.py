"""rates_summary, plot_rates_boxplot, population_rate_timecourse, plot_rates: numbers by hand, BMTK, errors."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from simlib.analysis.activity import plot_rates, plot_rates_boxplot, population_rate_timecourse, rates_summary
from simlib.errors import ConfigError
from simlib.spikes import SpikeTrains


@pytest.fixture
def nodes():
    table = pd.DataFrame({"node_id": [0, 1, 2, 3, 4], "pop_name": ["e", "e", "e", "i", "i"]})
    table.attrs["population"] = "V1"
    return table


@pytest.fixture
def spikes():
    """In [0, 1000) ms: node 0 4 spikes, node 1 one, node 2 silent, node 3 every 100 ms from 50, node 4 one."""
    trains = SpikeTrains(population="V1")
    for node, times in {0: [10.0, 20.0, 30.0, 40.0], 1: [500.0], 3: 50.0 + 100.0 * np.arange(10),
                        4: [999.0, 1000.0]}.items():
        trains.add_spikes(np.full(len(times), node), np.asarray(times, dtype=float))
    return trains


def test_summary_counts_silent_cells(spikes, nodes):
    table = rates_summary(spikes, nodes, t_range=(0.0, 1000.0))         # 1000 ms is outside the window
    assert table.index.tolist() == ["e", "i"]
    e = [4.0, 1.0, 0.0]
    assert table.loc["e"].to_dict() == pytest.approx({
        "cells": 3, "mean_hz": np.mean(e), "sd_hz": np.std(e), "median_hz": 1.0, "q1_hz": np.percentile(e, 25),
        "q3_hz": np.percentile(e, 75), "silent": 1})
    assert table.loc["i"].to_dict() == pytest.approx({"cells": 2, "mean_hz": 5.5, "sd_hz": 4.5, "median_hz": 5.5,
                                                      "q1_hz": 3.25, "q3_hz": 7.75, "silent": 0})
    whole = rates_summary(spikes, nodes, None, t_range=(0.0, 500.0))   # one group: the population, 2 s⁻¹ ...
    assert whole.index.tolist() == ["V1"] and whole.loc["V1", "mean_hz"] == pytest.approx((4 + 5) / 5 / 0.5)


def test_boxplot_draws_the_summary(spikes, nodes):
    fig, ax = plt.subplots()
    assert plot_rates_boxplot(spikes, nodes, t_range=(0.0, 1000.0), ax=ax) is ax
    assert [t.get_text() for t in ax.get_xticklabels()] == ["e", "i"]
    means = [line.get_ydata()[0] for line in ax.lines if line.get_marker() == "D"]
    assert means == pytest.approx([5 / 3, 5.5])
    plt.close("all")


def test_timecourse_by_hand(spikes, nodes):
    table = population_rate_timecourse(spikes, nodes, t_range=(0.0, 1000.0), bin_ms=300.0)
    assert table.index.tolist() == [0.0, 300.0, 600.0, 900.0]          # the last bin is 100 ms long
    np.testing.assert_allclose(table["e"], [4 / 3 / 0.3, 1 / 3 / 0.3, 0.0, 0.0])
    np.testing.assert_allclose(table["i"], [3 / 2 / 0.3, 3 / 2 / 0.3, 3 / 2 / 0.3, 2 / 2 / 0.1])
    widths = np.diff(table.attrs["bin_edges_ms"]) / 1000.0
    summary = rates_summary(spikes, nodes, t_range=(0.0, 1000.0))
    np.testing.assert_allclose((table.to_numpy() * widths[:, None]).sum(axis=0), summary["mean_hz"])
    ax = plot_rates(spikes, nodes, t_range=(0.0, 1000.0), bin_ms=300.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["e (3 cells)", "i (2 cells)"]
    np.testing.assert_allclose(ax.patches[1].get_data().values, table["i"])
    plt.close("all")


@pytest.mark.parity
def test_matches_bmtk_rates_plots(tmp_path, nodes):
    plotting = pytest.importorskip("bmtk.utils.reports.spike_trains.plotting", reason="bmtk (the oracle) missing")
    rng = np.random.default_rng(3)
    trains = SpikeTrains(population="V1")
    for node in range(5):                           # every cell spikes, none on the window's edges
        trains.add_spikes(np.full(8 + 3 * node, node), np.sort(rng.uniform(1.0, 999.0, 8 + 3 * node)))
    path = tmp_path / "spikes.h5"
    trains.to_sonata(path)
    groups = [{"node_ids": [0, 1, 2], "label": "e"}, {"node_ids": [3, 4], "label": "i"}]
    fig = plotting.plot_rates_boxplot(str(path), node_groups=groups, times=(0.0, 1000.0), show=False)
    boxes = [line.get_ydata() for line in fig.axes[0].lines if len(line.get_ydata()) == 5]
    ours = rates_summary(path, nodes, t_range=(0.0, 1000.0))
    np.testing.assert_allclose([[min(b), max(b)] for b in boxes], ours[["q1_hz", "q3_hz"]].to_numpy())
    # bmtk's plot_rates: each cell's rate against its node id
    fig = plotting.plot_rates(str(path), node_groups=[dict(g) for g in groups], times=(0.0, 1000.0), show=False)
    bmtk_rates = np.concatenate([line.get_ydata() for line in fig.axes[0].lines])
    np.testing.assert_allclose(bmtk_rates, [(8 + 3 * n) for n in range(5)])
    np.testing.assert_allclose(ours["mean_hz"], [np.mean(bmtk_rates[:3]), np.mean(bmtk_rates[3:])])
    plt.close("all")


def test_bad_input_is_one_config_error(spikes, nodes):
    with pytest.raises(ConfigError, match="rates_summary: group_by: 'layer' is not a node attribute of population "
                                          "'V1'; the nodes have pop_name$"):
        rates_summary(spikes, nodes, "layer", t_range=(0.0, 1.0))
    with pytest.raises(ConfigError, match=r"t_range: expected start_ms < stop_ms, got \(5, 5\); the window is empty"):
        plot_rates_boxplot(spikes, nodes, t_range=(5.0, 5.0))
    with pytest.raises(ConfigError, match="the spikes hold no population 'LGN'; they hold V1"):
        population_rate_timecourse(spikes, nodes, t_range=(0.0, 1.0), population="LGN")
    with pytest.raises(ConfigError, match=r"spikes of node ids \[3, 4\] that population 'V1' does not have"):
        rates_summary(spikes, nodes[:3], t_range=(0.0, 1000.0))
    with pytest.raises(ConfigError, match="bin_ms: expected a width > 0 ms, got 0"):
        plot_rates(spikes, nodes, t_range=(0.0, 1.0), bin_ms=0)
    plt.close("all")
