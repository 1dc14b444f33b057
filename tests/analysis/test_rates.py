"""Cell and population firing rates, and the comparison figure of two runs of the same nodes."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from simlib.analysis.rates import cell_rates, plot_rates_comparison, population_rates
from simlib.errors import ConfigError
from simlib.spikes import SpikeTrains


@pytest.fixture
def nodes():
    return pd.DataFrame({"pop_name": ["e", "e", "e", "i"]}, index=pd.Index([0, 1, 2, 3], name="node_id"))


def trains(times_by_node, population="V1"):
    t = SpikeTrains(population=population)
    for node, times in times_by_node.items():
        t.add_spikes(np.full(len(times), node), np.asarray(times, dtype=float))
    return t


def test_cell_rates_count_silent_cells_and_the_window(nodes):
    spikes = trains({0: [10.0, 20.0, 1500.0], 1: [999.9], 3: [0.0, 1000.0]})
    rates = cell_rates(spikes, nodes, "V1", 0.0, 1000.0)
    assert rates.to_dict() == {0: 2.0, 1: 1.0, 2: 0.0, 3: 1.0}   # 1500 and 1000 ms are outside [0, 1000)
    assert cell_rates(spikes, nodes, "other", 0.0, 500.0).to_dict() == {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0}


def test_population_rates(nodes):
    table = population_rates(pd.Series([2.0, 4.0, 0.0, 7.0], index=nodes.index), nodes)
    assert table.loc["e"].to_dict() == {"cells": 3, "mean_hz": 2.0, "sd_hz": pytest.approx(np.std([2, 4, 0])),
                                        "median_hz": 2.0}
    assert table.loc["i", "mean_hz"] == 7.0


def test_errors_name_the_problem(nodes):
    with pytest.raises(ConfigError, match="t_stop_ms > t_start_ms"):
        cell_rates(trains({0: [1.0]}), nodes, "V1", 5.0, 5.0)
    with pytest.raises(ConfigError, match=r"node ids \[9\] that population 'V1' does not have"):
        cell_rates(trains({9: [1.0]}), nodes, "V1", 0.0, 10.0)
    with pytest.raises(ConfigError, match="group_by 'layer' is not a node attribute"):
        population_rates(pd.Series([1.0] * 4, index=nodes.index), nodes, "layer")


def test_comparison_bars_are_the_population_means(nodes):
    a = pd.Series([2.0, 4.0, 0.0, 7.0], index=nodes.index)
    b = pd.Series([1.0, 1.0, 1.0, 3.0], index=nodes.index)
    axes = plot_rates_comparison([("BioNet", a), ("PointNet", b)], nodes, title="t")
    assert len(axes) == 3                                     # bars, then one histogram per population
    heights = [patch.get_height() for patch in axes[0].patches]
    assert heights == [2.0, 7.0, 1.0, 3.0]                    # run by run, populations in sorted order
    assert [tick.get_text() for tick in axes[0].get_xticklabels()] == ["e", "i"]
    assert [ax.get_title() for ax in axes[1:]] == ["e", "i"]
    assert [len(ax.patches) for ax in axes[1:]] == [2, 2]    # step histograms: one outline per run
    with pytest.raises(ConfigError, match="expected 3 axes"):
        plot_rates_comparison([("a", a)], nodes, axes=[axes[0]])
