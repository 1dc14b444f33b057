"""Spike raster plots, optionally grouped by a node attribute and with a rate histogram."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from simlib.errors import ConfigError


def _spike_table(spikes, population: str | None) -> pd.DataFrame:
    from simlib.spikes import SpikeTrains

    trains = spikes if isinstance(spikes, SpikeTrains) else SpikeTrains.load(spikes)
    pops = trains.populations
    if population is None:
        if len(pops) > 1:
            raise ConfigError(f"plot_raster: spikes hold populations {pops}; choose one with population=")
        population = pops[0] if pops else None
    if population is None:
        return pd.DataFrame({"timestamps": np.zeros(0), "node_ids": np.zeros(0, dtype=np.int64)}), None
    df = trains.to_dataframe(populations=[population], with_population_col=False)
    return df, population


def plot_raster(spikes, nodes: pd.DataFrame | None = None, group_by: str | None = None,
                population: str | None = None, with_histogram: bool = False, times: Sequence[float] | None = None,
                bin_ms: float = 20.0, title: str | None = None, ax=None, marker_size: float = 2.0):
    """Draw a raster (node id against time in ms).

    Parameters
    ----------
    spikes : a :class:`simlib.spikes.SpikeTrains` or a path to a SONATA/CSV/NWB spikes file.
    nodes : the population's node table (:func:`simlib.sonata.read_nodes`), needed for `group_by`.
    group_by : node attribute (node-type or per-node column) that colours and labels the groups.
    population : spike population to draw (required when the file holds several).
    with_histogram : add a population rate histogram (Hz) under the raster.
    times : ``(start_ms, stop_ms)`` x-range; default the range of the spikes.
    bin_ms : histogram bin width in ms.
    ax : Axes to draw on (a new figure when None). With a histogram the Axes is split 7:1.

    Returns
    -------
    matplotlib.axes.Axes : the raster Axes (the histogram Axes, if any, is ``ax.hist_ax``).

    Raises
    ------
    ConfigError
        `group_by` without `nodes`, or an attribute the nodes do not have.
    """
    import matplotlib.pyplot as plt

    df, population = _spike_table(spikes, population)
    if ax is None:
        fig = plt.figure(figsize=(8, 5))
        if with_histogram:
            gs = fig.add_gridspec(2, 1, height_ratios=[7, 1], hspace=0.05)
            ax = fig.add_subplot(gs[0])
            hist_ax = fig.add_subplot(gs[1], sharex=ax)
        else:
            ax = fig.add_subplot(1, 1, 1)
            hist_ax = None
    else:
        hist_ax = None
        if with_histogram:
            from mpl_toolkits.axes_grid1 import make_axes_locatable

            hist_ax = make_axes_locatable(ax).append_axes("bottom", size="14%", pad=0.05, sharex=ax)

    if group_by is not None:
        if nodes is None:
            raise ConfigError(f"plot_raster: group_by='{group_by}' needs the node table (nodes=)")
        if group_by not in nodes.columns:
            raise ConfigError(f"plot_raster: group_by '{group_by}' is not a node attribute; "
                              f"available: {sorted(c for c in nodes.columns)}")
        lookup = pd.Series(nodes[group_by].to_numpy(), index=nodes["node_id"].to_numpy())
        labels = lookup.reindex(df["node_ids"].to_numpy()).to_numpy()
        order = list(dict.fromkeys(nodes[group_by].tolist()))
        for i, label in enumerate(order):
            sel = labels == label
            ax.scatter(df["timestamps"].to_numpy()[sel], df["node_ids"].to_numpy()[sel], s=marker_size,
                       marker="|" if marker_size <= 2 else "o", color=f"C{i % 10}", label=str(label),
                       linewidths=0.8)
        if order:
            ax.legend(loc="upper right", markerscale=4, fontsize="small", title=group_by)
    else:
        ax.scatter(df["timestamps"], df["node_ids"], s=marker_size, marker="|", color="k", linewidths=0.8)

    if len(df) == 0:
        ax.text(0.5, 0.5, "no spikes", transform=ax.transAxes, ha="center", va="center")
    t0, t1 = times if times is not None else ((0.0, float(df["timestamps"].max())) if len(df) else (0.0, 1.0))
    ax.set_xlim(t0, t1)
    ax.set_ylabel(f"node id ({population})" if population else "node id")
    if title:
        ax.set_title(title)
    if hist_ax is not None:
        if bin_ms <= 0:
            raise ConfigError(f"plot_raster: bin_ms must be > 0, got {bin_ms}")
        n_nodes = len(nodes) if nodes is not None else max(1, df["node_ids"].nunique())
        edges = np.arange(t0, t1 + bin_ms, bin_ms)
        counts, _ = np.histogram(df["timestamps"], bins=edges)
        hist_ax.bar(edges[:-1], counts / n_nodes / (bin_ms / 1000.0), width=bin_ms, align="edge", color="0.4")
        hist_ax.set_ylabel("rate (Hz)")
        hist_ax.set_xlabel("time (ms)")
        ax.tick_params(labelbottom=False)
    else:
        ax.set_xlabel("time (ms)")
    ax.hist_ax = hist_ax
    return ax
