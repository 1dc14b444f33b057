"""plot_raster: grouping by a node attribute, histogram, ax handling, empty and bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from simlib.analysis import plot_raster  # noqa: E402
from simlib.errors import ConfigError  # noqa: E402
from simlib.spikes import SpikeTrains  # noqa: E402


@pytest.fixture
def trains():
    st = SpikeTrains(population="LGN")
    st.add_spikes(node_ids=[0, 0, 1, 2, 3, 3], timestamps=[1.0, 50.0, 20.0, 30.0, 5.0, 90.0], population="LGN")
    return st


@pytest.fixture
def nodes():
    return pd.DataFrame({"node_id": [0, 1, 2, 3], "model_template": ["lgnmodel:sON", "lgnmodel:sON",
                                                                     "lgnmodel:sOFF", "lgnmodel:sOFF"]})


def test_grouped_raster_with_histogram(trains, nodes):
    ax = plot_raster(trains, nodes=nodes, group_by="model_template", with_histogram=True, bin_ms=10.0)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["lgnmodel:sON", "lgnmodel:sOFF"]
    offsets = [c.get_offsets() for c in ax.collections]
    assert [len(o) for o in offsets] == [3, 3]
    assert sorted(offsets[1][:, 1].tolist()) == [2, 3, 3]
    # histogram: 6 spikes over 4 nodes in 10 ms bins -> 25 Hz per spike
    heights = [p.get_height() for p in ax.hist_ax.patches]
    assert np.isclose(sum(heights), 6 / 4 / 0.010)
    plt.close(ax.figure)


def test_uses_given_ax_and_handles_empty(trains):
    fig, ax = plt.subplots()
    assert plot_raster(trains, ax=ax) is ax
    empty = SpikeTrains(population="LGN")
    ax2 = plot_raster(empty)
    assert any(t.get_text() == "no spikes" for t in ax2.texts)
    plt.close("all")


def test_bad_group_by(trains, nodes):
    with pytest.raises(ConfigError, match="needs the node table"):
        plot_raster(trains, group_by="pop_name")
    with pytest.raises(ConfigError, match="'pop_name' is not a node attribute"):
        plot_raster(trains, nodes=nodes, group_by="pop_name")
    plt.close("all")
