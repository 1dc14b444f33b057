"""plot_rates_popnet: one line per population of a PopNet rates file, on the Axes given or a new one."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from simlib.analysis.popnet import plot_rates_popnet, popnet_labels  # noqa: E402
from simlib.errors import ConfigError, FormatError  # noqa: E402
from simlib.popnet.rates_io import write_rates  # noqa: E402


@pytest.fixture
def rates_file(tmp_path):
    t = np.arange(1, 101) * 0.001
    return write_rates(tmp_path / "spike_rates.csv", ["100", "101", "102"], t,
                       np.column_stack([np.full(100, 3.0), 5.0 * t, np.sin(t)]))


def test_one_line_per_population(rates_file):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out = plot_rates_popnet(rates_file, ax=ax, labels={"100": "excitatory"})
    assert out is ax
    assert [line.get_label() for line in ax.get_lines()] == ["excitatory", "101", "102"]
    assert np.allclose(ax.get_lines()[1].get_ydata(), 5.0 * np.arange(1, 101) * 0.001)
    assert ax.get_xlabel() == "time (s)" and ax.get_ylabel() == "firing rate (Hz)"
    plt.close(fig)


def test_selected_populations_and_new_axes(rates_file):
    ax = plot_rates_popnet(rates_file, populations=["102", "100"], title="t")
    assert [line.get_label() for line in ax.get_lines()] == ["102", "100"]
    with pytest.raises(ConfigError, match="populations \\['7'\\] not in the file"):
        plot_rates_popnet(rates_file, populations=["7"])


def test_labels_from_node_types(tmp_path):
    path = tmp_path / "V1_node_types.csv"
    path.write_text("node_type_id pop_name model_type\n100 excitatory population\n101 inhibitory population\n")
    assert popnet_labels(str(path)) == {"100": "excitatory", "101": "inhibitory"}


def test_bad_rates_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("100 0.001 fast\n")
    with pytest.raises(FormatError, match="line 1: rate \"fast\" is not a number"):
        plot_rates_popnet(path)
