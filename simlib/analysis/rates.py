"""Firing rates per cell and per population, and the side-by-side comparison of runs of one network.

The comparison is the seed's "same network across different levels of resolution": the same nodes
simulated by BioNet (compartmental) and PointNet (point neurons), each cell's mean rate over the run,
summarised per population (``pop_name``): mean ± SD over cells, and the distribution of cell rates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simlib.errors import ConfigError


def cell_rates(spikes, nodes: pd.DataFrame, population: str, t_start_ms: float, t_stop_ms: float) -> pd.Series:
    """Mean firing rate (Hz) of every node of ``nodes`` between ``t_start_ms`` and ``t_stop_ms``.

    Silent cells count (rate 0): the rates are indexed by ``nodes.index`` (node ids), not by the
    cells that spiked.

    Raises
    ------
    ConfigError
        An empty window, or spikes of node ids the nodes table does not hold.
    """
    from simlib.spikes import SpikeTrains

    if not t_stop_ms > t_start_ms:
        raise ConfigError(f"cell_rates: expected t_stop_ms > t_start_ms, got {t_start_ms} and {t_stop_ms}")
    trains = spikes if isinstance(spikes, SpikeTrains) else SpikeTrains.load(spikes)
    counts = pd.Series(0, index=nodes.index, dtype=np.int64)
    if population in trains.populations:
        df = trains.to_dataframe(populations=[population], with_population_col=False)
        inside = df[(df["timestamps"] >= t_start_ms) & (df["timestamps"] < t_stop_ms)]
        per_node = inside.groupby("node_ids").size()
        unknown = per_node.index.difference(nodes.index)
        if len(unknown):
            raise ConfigError(f"cell_rates: spikes of node ids {unknown[:5].tolist()} that population '{population}' "
                              "does not have")
        counts.loc[per_node.index] = per_node.to_numpy()
    return counts / ((t_stop_ms - t_start_ms) / 1000.0)


def population_rates(rates: pd.Series, nodes: pd.DataFrame, group_by: str = "pop_name") -> pd.DataFrame:
    """Per group of ``group_by``: cells, mean rate, SD over cells, median (Hz), in the groups' sorted order."""
    if group_by not in nodes:
        raise ConfigError(f"population_rates: group_by '{group_by}' is not a node attribute; the nodes have "
                          f"{', '.join(map(str, nodes.columns))}")
    groups = rates.groupby(nodes[group_by].loc[rates.index])
    table = pd.DataFrame({"cells": groups.size(), "mean_hz": groups.mean(), "sd_hz": groups.std(ddof=0),
                          "median_hz": groups.median()})
    table.index.name = group_by
    return table


def plot_rates_comparison(runs: Sequence[tuple[str, pd.Series]], nodes: pd.DataFrame, group_by: str = "pop_name",
                          axes=None, title: str | None = None, bins: int = 20):
    """Bars of mean rate ± SD per population for each run, and each population's histogram of cell rates.

    Parameters
    ----------
    runs : ``(label, cell rates)`` pairs, e.g. ``[("BioNet", r1), ("PointNet", r2)]``; the rates of
        :func:`cell_rates`, for the same nodes.
    nodes : the population's node table (``group_by`` column).
    group_by : node attribute that forms the populations.
    axes : a sequence of 1 + number-of-groups Axes (the bar chart, then one histogram per group); a new
        figure when None.
    bins : histogram bins, shared by the runs of one group.

    Returns
    -------
    list of matplotlib.axes.Axes : the bar-chart Axes, then the histograms.
    """
    import matplotlib.pyplot as plt

    if not runs:
        raise ConfigError("plot_rates_comparison: no runs to compare")
    tables = [(label, population_rates(rates, nodes, group_by)) for label, rates in runs]
    groups = sorted(set().union(*(t.index for _, t in tables)), key=str)
    if axes is None:
        fig = plt.figure(figsize=(max(8.0, 2.6 * len(groups)), 7.5))
        grid = fig.add_gridspec(2, len(groups), height_ratios=[1.3, 1.0], hspace=0.45, wspace=0.3)
        axes = [fig.add_subplot(grid[0, :])] + [fig.add_subplot(grid[1, k]) for k in range(len(groups))]
    if len(axes) != 1 + len(groups):
        raise ConfigError(f"plot_rates_comparison: expected {1 + len(groups)} axes (bars + one per group), "
                          f"got {len(axes)}")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    width = 0.8 / len(tables)
    x = np.arange(len(groups))
    bar_ax = axes[0]
    for k, (label, table) in enumerate(tables):
        table = table.reindex(groups)
        bar_ax.bar(x + (k - (len(tables) - 1) / 2) * width, table["mean_hz"], width, yerr=table["sd_hz"],
                   capsize=3, color=colors[k % len(colors)], label=label)
    bar_ax.set_xticks(x, [str(g) for g in groups])
    bar_ax.set_ylabel("firing rate (Hz), mean ± SD over cells")
    bar_ax.legend(frameon=False)
    if title:
        bar_ax.set_title(title)
    for ax, group in zip(axes[1:], groups):
        values = [rates[(nodes[group_by].loc[rates.index] == group).to_numpy()] for _, rates in runs]
        top = max((float(v.max()) for v in values if len(v)), default=1.0) or 1.0
        edges = np.linspace(0.0, top, bins + 1)
        for k, ((label, _), v) in enumerate(zip(runs, values)):
            ax.hist(v, bins=edges, histtype="step", lw=1.5, color=colors[k % len(colors)], label=label)
        ax.set_title(str(group), fontsize=10)
        ax.set_xlabel("rate (Hz)")
    axes[1].set_ylabel("cells")
    return list(axes)


def plot_rate_vs_parameter(table: pd.DataFrame, parameter: str, group: str = "population", ax=None,
                           title: str | None = None):
    """Mean ± SD over seeds of each group's mean rate (``mean_hz``) against ``parameter`` (a sweep's tidy table)."""
    import matplotlib.pyplot as plt

    for column in (parameter, group, "mean_hz"):
        if column not in table:
            raise ConfigError(f"plot_rate_vs_parameter: the table has no column '{column}'; it has "
                              f"{', '.join(map(str, table.columns))}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, rows in table.groupby(group, sort=True):
        stats = rows.groupby(parameter)["mean_hz"].agg(["mean", "std", "count"]).sort_index()
        ax.errorbar(stats.index, stats["mean"], yerr=stats["std"].fillna(0.0), marker="o", capsize=3, label=str(name))
    ax.set_xlabel(parameter)
    ax.set_ylabel("population rate (Hz), mean ± SD over seeds")
    ax.legend(frameon=False, title=group)
    if title:
        ax.set_title(title)
    return ax
