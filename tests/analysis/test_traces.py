"""plot_traces: individual lines, the mean line, grouping by a node attribute, windows and bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from simlib.analysis import plot_traces  # noqa: E402
from simlib.errors import ConfigError, SimlibError  # noqa: E402
from simlib.sonata.reports import ReportMapping, read_compartment_report, write_compartment_report  # noqa: E402

N_STEPS = 50


@pytest.fixture
def report_path(tmp_path):
    """Soma potential of nodes 0..5 (one element each) plus a two-element node 9, 0.1 ms steps."""
    node_ids = [0, 1, 2, 3, 4, 5, 9]
    elements = [[0]] * 6 + [[0, 4]]
    mapping = ReportMapping.from_elements(node_ids, elements, [[0.5] * len(e) for e in elements])
    t = 0.1 * np.arange(N_STEPS)
    data = np.column_stack([-65.0 + k + np.sin(t * (k + 1)) for k in range(8)])
    path = tmp_path / "v_report.h5"
    write_compartment_report(path, "v", {"cortex": mapping}, {"cortex": data}, tstart_ms=0.0, dt_ms=0.1)
    return path


@pytest.fixture
def nodes():
    return pd.DataFrame({"node_id": [0, 1, 2, 3, 4, 5, 9],
                         "pop_name": ["Scnn1a", "Scnn1a", "PV", "Scnn1a", "PV", "PV", "LIF"]})


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _means(ax):
    return [line for line in ax.lines if line.get_gid() == "mean"]


def test_individual_traces_from_path(report_path):
    ax = plot_traces(report_path, node_ids=[3, 0, 9])
    assert len(ax.lines) == 3 and not _means(ax)
    rep = read_compartment_report(report_path)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), rep.traces(3))
    np.testing.assert_allclose(ax.lines[0].get_xdata(), 0.1 * np.arange(N_STEPS))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["3", "0", "9"]
    assert ax.get_xlabel() == "time (ms)" and ax.get_ylabel() == "v (mV)"


def test_mean_line_equals_numeric_mean(report_path):
    rep = read_compartment_report(report_path)
    ax = plot_traces(rep, node_ids=[0, 1, 2, 5], average=True, title="Scnn1a soma")
    (mean,) = _means(ax)
    expected = np.mean([rep.traces(n) for n in (0, 1, 2, 5)], axis=0)
    np.testing.assert_allclose(mean.get_ydata(), expected)
    assert mean.get_linewidth() > 1.5
    background = [line for line in ax.lines if line is not mean]
    assert len(background) == 4 and all(line.get_alpha() < 1 for line in background)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mean of 4 nodes"]
    assert ax.get_title() == "Scnn1a soma"

    alone = plot_traces(rep, average=True, individual=False)
    assert len(alone.lines) == 1
    np.testing.assert_allclose(alone.lines[0].get_ydata(), rep.data[:, rep.index_pointer[:-1].astype(int)].mean(1))


def test_group_by_gives_one_colour_and_mean_per_group(report_path, nodes):
    rep = read_compartment_report(report_path)
    ax = plot_traces(report_path, group_by="pop_name", nodes=nodes, average=True)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Scnn1a", "PV", "LIF"]
    assert ax.get_legend().get_title().get_text() == "pop_name"
    means = _means(ax)
    assert len(means) == 3 and len(ax.lines) == 3 + 7
    np.testing.assert_allclose(means[1].get_ydata(), np.mean([rep.traces(n) for n in (2, 4, 5)], axis=0))
    assert len({line.get_color() for line in means}) == 3
    pv_colour = means[1].get_color()
    assert sum(line.get_color() == pv_colour for line in ax.lines) == 4

    subset = plot_traces(report_path, node_ids=[2, 3], group_by="pop_name", nodes=nodes)
    assert [t.get_text() for t in subset.get_legend().get_texts()] == ["Scnn1a", "PV"]
    assert len(subset.lines) == 2 and not _means(subset)


def test_elements_window_and_given_ax(report_path):
    _, ax = plt.subplots()
    out = plot_traces(report_path, node_ids=9, element="all", times_ms=(1.0, 2.0), ax=ax, lw=3)
    assert out is ax and len(ax.lines) == 2 and ax.lines[0].get_linewidth() == 3
    mean = plot_traces(report_path, node_ids=[0, 1], average=True, linewidth=5, color="r")
    assert _means(mean)[0].get_linewidth() == 5 and _means(mean)[0].get_color() == "r"
    x = ax.lines[0].get_xdata()
    assert x[0] == pytest.approx(1.0) and x[-1] == pytest.approx(2.0) and len(x) == 11
    assert ax.get_xlim() == pytest.approx((1.0, 2.0))
    only_4 = plot_traces(report_path, node_ids=9, element=4)
    rep = read_compartment_report(report_path)
    np.testing.assert_array_equal(only_4.lines[0].get_ydata(), rep.data[:, 7])


def test_errors(report_path, nodes):
    with pytest.raises(SimlibError, match=r"2 node id\(s\) not in the report: \[7, 8\]"):
        plot_traces(report_path, node_ids=[0, 7, 8])
    with pytest.raises(SimlibError, match="no nodes selected"):
        plot_traces(report_path, node_ids=[])
    with pytest.raises(SimlibError, match="no samples in times_ms"):
        plot_traces(report_path, times_ms=(100.0, 200.0))
    with pytest.raises(ConfigError, match="leave nothing to draw"):
        plot_traces(report_path, individual=False)
    with pytest.raises(ConfigError, match="needs the node table"):
        plot_traces(report_path, group_by="pop_name")
    with pytest.raises(ConfigError, match="'layer' is not a column of nodes"):
        plot_traces(report_path, group_by="layer", nodes=nodes)
    with pytest.raises(SimlibError, match=r"selected node id\(s\) are not in the node table: \[9\]"):
        plot_traces(report_path, group_by="pop_name", nodes=nodes[nodes.node_id < 9])
    with pytest.raises(ConfigError, match=r"node ids repeat in nodes .*: \[0\]"):
        plot_traces(report_path, group_by="pop_name", nodes=pd.concat([nodes, nodes.iloc[:1]]))
    with pytest.raises(ConfigError, match="population 'cortex', not 'lgn'"):
        plot_traces(read_compartment_report(report_path), population="lgn")


@pytest.mark.parametrize("variable, label", [("ica", "ica (mA/cm2)"), ("ki", "ki (mM)"), ("V_m", "V_m (mV)"),
                                             ("I_syn_ex", "I_syn_ex (pA)"), ("my_var", "my_var")])
def test_y_label_units_from_the_simulators_table(tmp_path, variable, label):
    """A report without units is labelled from the same table the BioNet and PointNet recorders write."""
    mapping = ReportMapping.from_elements([0], [[0]], [[0.5]])
    path = tmp_path / f"{variable}.h5"
    write_compartment_report(path, variable, {"cortex": mapping}, {"cortex": np.zeros((5, 1))}, tstart_ms=0.0,
                             dt_ms=0.1)
    assert plot_traces(path).get_ylabel() == label
