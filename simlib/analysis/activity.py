"""Population firing rates: the distribution of cell rates per group, and each group's rate over time.

BMTK draws the first as ``plot_rates_boxplot`` (over the cells that spiked) and the population rate
as the histogram under its raster; here both count silent cells, take an explicit time window and
group the cells by any node attribute (``pop_name`` by default).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simlib.analysis.cells import CellGroups, check_window, prepare, window_spikes
from simlib.analysis.rates import cell_rates, population_rates
from simlib.errors import ConfigError


def _group_table(cells: CellGroups) -> pd.DataFrame:
    """One column, the group of each cell, indexed by node id (what :func:`population_rates` groups by)."""
    labels = np.empty(len(cells.labels), dtype=object)
    labels[:] = cells.labels
    return pd.DataFrame({cells.key: labels[cells.codes]}, index=pd.Index(cells.node_ids, name="node_id"))


def _cell_rates(spikes, nodes, group_by, t_range, population, where) -> tuple[pd.Series, pd.DataFrame, CellGroups]:
    t0, t1 = check_window(t_range, where)
    trains, table, cells = prepare(spikes, nodes, group_by, population, where)
    groups = _group_table(cells)
    window_spikes(trains, cells, t0, t1, where)          # names spikes of unknown node ids with `where`
    return cell_rates(trains, groups, cells.population, t0, t1), groups, cells


def rates_summary(spikes, nodes: pd.DataFrame, group_by: str | None = "pop_name", *, t_range: Sequence[float],
                  population: str | None = None) -> pd.DataFrame:
    """Each group's distribution of cell firing rates in a window, silent cells included.

    Parameters
    ----------
    spikes : SpikeTrains or path
        Spike trains (a SONATA, CSV or NWB file is read); times in ms.
    nodes : pandas.DataFrame
        The population's node table (:func:`simlib.sonata.read_nodes`, or indexed by node id).
    group_by : str or None
        Node attribute that forms the groups (None: the whole population is one group).
    t_range : (float, float)
        Window ``[start_ms, stop_ms)``; a cell's rate is its spikes in it over its length.
    population : str, optional
        Spike population of the nodes (default the table's ``attrs['population']``, else the spikes' only one).

    Returns
    -------
    pandas.DataFrame
        Indexed by group (sorted): ``cells``, ``mean_hz``, ``sd_hz`` (over cells, ddof 0), ``median_hz``,
        ``q1_hz``, ``q3_hz`` (quartiles, linear interpolation as :func:`numpy.percentile`) and ``silent``
        (cells without a spike in the window).

    Raises
    ------
    ConfigError
        ``group_by`` not a node attribute, an empty window, a population the spikes do not hold, or
        spikes of node ids the table lacks.
    """
    rates, groups, cells = _cell_rates(spikes, nodes, group_by, t_range, population, "rates_summary")
    table = population_rates(rates, groups, cells.key)
    by_group = rates.groupby(groups[cells.key])
    table["q1_hz"] = by_group.quantile(0.25)
    table["q3_hz"] = by_group.quantile(0.75)
    table["silent"] = (rates == 0).groupby(groups[cells.key]).sum().astype(np.int64)
    return table


def box_plot(ax, values: Sequence[np.ndarray], labels: Sequence, ylabel: str, xlabel: str | None = None):
    """Boxes (quartiles, whiskers at 1.5 IQR) with the mean as a white diamond, one per group."""
    ax.boxplot([np.asarray(v, dtype=float) for v in values], tick_labels=[str(g) for g in labels], showmeans=True,
               meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "k", "markersize": 5},
               medianprops={"color": "C1"}, flierprops={"marker": ".", "markersize": 3})
    ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel(xlabel)
    return ax


def plot_rates_boxplot(spikes, nodes: pd.DataFrame, group_by: str | None = "pop_name", *,
                       t_range: Sequence[float], population: str | None = None, title: str | None = None, ax=None):
    """Box plot of the cell firing rates (Hz) of each group, silent cells included, the mean marked (◇).

    BMTK's ``plot_rates_boxplot`` leaves out the cells that did not spike, which raises every box of a
    sparsely firing population; these boxes count them (at 0 Hz). Parameters as :func:`rates_summary`.

    Parameters
    ----------
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a new figure when None).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ConfigError
        As :func:`rates_summary`.
    """
    import matplotlib.pyplot as plt

    t0, t1 = check_window(t_range, "plot_rates_boxplot")
    rates, groups, cells = _cell_rates(spikes, nodes, group_by, (t0, t1), population, "plot_rates_boxplot")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.5, 1.1 * len(cells.labels) + 2.0), 4.5))
    by_group = rates.groupby(groups[cells.key])
    box_plot(ax, [by_group.get_group(g).to_numpy() for g in cells.labels], cells.labels,
             "firing rate (Hz) per cell", cells.key)
    ax.set_title(title if title is not None else f"{cells.population}: rates over {t0:g}–{t1:g} ms")
    return ax


def _bin_edges(t0: float, t1: float, bin_ms: float, where: str) -> np.ndarray:
    """Edges ``t0, t0 + bin_ms, ..., t1``: the last bin is shorter when the window is not a whole number of bins."""
    if not (np.isfinite(bin_ms) and bin_ms > 0):
        raise ConfigError(f"{where}: bin_ms: expected a width > 0 ms, got {bin_ms!r}")
    n = max(1, int(np.ceil((t1 - t0) / bin_ms - 1e-9)))
    edges = t0 + bin_ms * np.arange(n + 1, dtype=float)
    edges[-1] = t1
    return edges


def population_rate_timecourse(spikes, nodes: pd.DataFrame, group_by: str | None = "pop_name", *,
                               t_range: Sequence[float], bin_ms: float = 10.0,
                               population: str | None = None) -> pd.DataFrame:
    """Each group's firing rate over time: spikes per bin over the group's cells and the bin's length.

    Parameters
    ----------
    spikes, nodes, group_by, t_range, population
        As :func:`rates_summary`.
    bin_ms : float
        Bin width (ms); bins start at ``t_range[0]`` and the last one ends at ``t_range[1]`` (shorter when the
        window is not a whole number of bins; its rate uses its own length).

    Returns
    -------
    pandas.DataFrame
        Rows: bins, indexed by their start ``time_ms``; columns: the groups (sorted); values: Hz per cell
        (silent cells count in the denominator). ``attrs``: ``bin_edges_ms``, ``cells`` (per group),
        ``population``, ``group_by``. The time-average of a column is the group's mean cell rate.

    Raises
    ------
    ConfigError
        As :func:`rates_summary`, and a ``bin_ms`` that is not > 0.
    """
    where = "population_rate_timecourse"
    t0, t1 = check_window(t_range, where)
    edges = _bin_edges(t0, t1, bin_ms, where)
    trains, _, cells = prepare(spikes, nodes, group_by, population, where)
    rows, times = window_spikes(trains, cells, t0, t1, where)
    n_bins, n_groups = len(edges) - 1, len(cells.labels)
    bins = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, n_bins - 1)
    counts = np.bincount(bins * n_groups + cells.codes[rows], minlength=n_bins * n_groups).reshape(n_bins, n_groups)
    width_s = np.diff(edges)[:, None] / 1000.0
    rates = counts / (cells.sizes[None, :] * width_s)
    out = pd.DataFrame(rates, index=pd.Index(edges[:-1], name="time_ms"),
                       columns=pd.Index(cells.labels, name=cells.key))
    out.attrs.update(bin_edges_ms=edges, cells=dict(zip(cells.labels, cells.sizes.tolist())),
                     population=cells.population, group_by=cells.key)
    return out


def plot_rates(spikes, nodes: pd.DataFrame, group_by: str | None = "pop_name", *, t_range: Sequence[float],
               bin_ms: float = 10.0, population: str | None = None, title: str | None = None, ax=None):
    """Each group's firing rate (Hz per cell) against time, one step line per group.

    Parameters as :func:`population_rate_timecourse`; ``ax``: Axes to draw on (a new figure when None).
    (BMTK's ``plot_rates`` draws each cell's mean rate against its node id; the per-cell rates are
    :func:`plot_rates_boxplot`'s.)

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ConfigError
        As :func:`population_rate_timecourse`.
    """
    import matplotlib.pyplot as plt

    table = population_rate_timecourse(spikes, nodes, group_by, t_range=t_range, bin_ms=bin_ms, population=population)
    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 4.0))
    edges = table.attrs["bin_edges_ms"]
    for k, label in enumerate(table.columns):
        ax.stairs(table[label].to_numpy(), edges, color=f"C{k % 10}", lw=1.3,
                  label=f"{label} ({table.attrs['cells'][label]} cells)")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"rate (Hz per cell, {bin_ms:g} ms bins)")
    ax.legend(frameon=False, fontsize="small", title=table.attrs["group_by"], loc="center left",
              bbox_to_anchor=(1.01, 0.5))
    ax.set_title(title if title is not None else f"{table.attrs['population']}: population rates")
    return ax
