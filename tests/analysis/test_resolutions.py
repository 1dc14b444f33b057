"""simlib.analysis.resolutions: PopNet rates and binned spikes as one kind of table, one panel per population."""

import numpy as np
import pandas as pd
import pytest

from simlib.analysis.resolutions import plot_rates_by_resolution, popnet_rate_timecourse
from simlib.errors import ConfigError, FormatError
from simlib.popnet.rates_io import write_rates


@pytest.fixture
def rates_file(tmp_path):
    times = np.arange(1, 6) * 0.002                                   # step ends, s
    rates = np.column_stack([np.linspace(0, 8, 5), np.full(5, 20.0)])
    return write_rates(tmp_path / "spike_rates.csv", ["100", "101"], times, rates)


def test_popnet_rates_become_a_table_of_steps(rates_file):
    table = popnet_rate_timecourse(rates_file, labels={"100": "exc", "101": "inh"})
    assert list(table.columns) == ["exc", "inh"]
    assert np.allclose(table.attrs["bin_edges_ms"], [0, 2, 4, 6, 8, 10])
    assert np.allclose(table.index, [0, 2, 4, 6, 8]) and table.index.name == "time_ms"
    assert np.allclose(table["exc"], [0, 2, 4, 6, 8]) and np.allclose(table["inh"], 20.0)
    assert list(popnet_rate_timecourse(rates_file).columns) == ["100", "101"]        # no labels: the ids


def test_popnet_rates_with_different_time_points_or_none(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a 0.001 1\na 0.002 1\nb 0.001 2\n")
    with pytest.raises(FormatError, match=r"bad.csv: population b: its time points differ from a's"):
        popnet_rate_timecourse(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(FormatError, match="empty.csv: no rates"):
        popnet_rate_timecourse(empty)


def binned(values, edges):
    table = pd.DataFrame(values, index=pd.Index(edges[:-1], name="time_ms"))
    table.attrs["bin_edges_ms"] = np.asarray(edges, float)
    return table


def test_one_panel_per_group_one_line_per_run(rates_file):
    popnet = popnet_rate_timecourse(rates_file, labels={"100": "exc", "101": "inh"})
    spikes = binned({"exc": [1.0, 3.0], "inh": [10.0, 30.0], "other": [0.0, 0.0]}, [0.0, 5.0, 10.0])
    axes = plot_rates_by_resolution([("BioNet", spikes), ("PopNet", popnet)], groups=["exc", "inh"], title="t")
    assert [ax.get_title() for ax in axes] == ["exc", "inh"]
    for ax in axes:
        assert len(ax.patches) == 2                               # a step line per run
    heights = [p.get_data().values for p in axes[1].patches]
    assert np.allclose(heights[0], [10, 30]) and np.allclose(heights[1], 20.0)
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["BioNet", "PopNet"]
    assert axes[0].figure._suptitle.get_text() == "t"
    default = plot_rates_by_resolution([("PopNet", popnet)])
    assert [ax.get_title() for ax in default] == ["exc", "inh"]


def test_missing_group_or_wrong_axes(rates_file):
    popnet = popnet_rate_timecourse(rates_file)
    spikes = binned({"exc": [1.0]}, [0.0, 10.0])
    with pytest.raises(ConfigError, match=r"run 'BioNet' has no groups \['100'\]; it has exc"):
        plot_rates_by_resolution([("PopNet", popnet), ("BioNet", spikes)], groups=["100"])
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    with pytest.raises(ConfigError, match="1 axes for 2 groups"):
        plot_rates_by_resolution([("PopNet", popnet)], axes=[ax])
    with pytest.raises(ConfigError, match="no runs"):
        plot_rates_by_resolution([])
