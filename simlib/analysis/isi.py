"""Irregularity of firing: the coefficient of variation of each cell's inter-spike intervals, per group.

CV = SD / mean of a cell's inter-spike intervals (ISIs) in the window, the SD over intervals with
ddof 0. A regular (periodic) train has CV 0, a Poisson train CV 1, bursting trains CV > 1.
Cells with fewer than ``min_spikes`` spikes in the window have no CV (NaN) and are left out of
their group's summary.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simlib.analysis.activity import box_plot
from simlib.analysis.cells import CellGroups, check_window, prepare, window_spikes
from simlib.errors import ConfigError


def isi_cv(spikes, nodes: pd.DataFrame, group_by: str | None = "pop_name", *, t_range: Sequence[float] | None = None,
           min_spikes: int = 3, population: str | None = None) -> pd.DataFrame:
    """Each cell's ISI coefficient of variation (SD / mean of its inter-spike intervals).

    Parameters
    ----------
    spikes : SpikeTrains or path
        Spike trains (a SONATA, CSV or NWB file is read); times in ms.
    nodes : pandas.DataFrame
        The population's node table (:func:`simlib.sonata.read_nodes`, or indexed by node id).
    group_by : str or None
        Node attribute that forms the groups (None: the whole population is one group).
    t_range : (float, float), optional
        Window ``[start_ms, stop_ms)``; default every spike.
    min_spikes : int
        Fewest spikes (≥ 2, i.e. one interval) for a cell to have a CV; default 3.
    population : str, optional
        Spike population of the nodes (default the table's ``attrs['population']``, else the spikes' only one).

    Returns
    -------
    pandas.DataFrame
        One row per cell, indexed by node id in the table's order: the group (column named ``group_by``, or
        ``population``), ``spikes`` (in the window) and ``isi_cv`` (NaN below ``min_spikes``).

    Raises
    ------
    ConfigError
        ``group_by`` not a node attribute, an empty window, ``min_spikes`` < 2, a population the spikes do
        not hold, or spikes of node ids the table lacks.
    """
    return _isi_cv(spikes, nodes, group_by, t_range, min_spikes, population, "isi_cv")[0]


def _isi_cv(spikes, nodes, group_by, t_range, min_spikes, population, where) -> tuple[pd.DataFrame, CellGroups]:
    t0, t1 = check_window(t_range, where) if t_range is not None else (-np.inf, np.inf)
    if not (isinstance(min_spikes, (int, np.integer)) and min_spikes >= 2):
        raise ConfigError(f"{where}: min_spikes: expected an integer ≥ 2 (one interval), got {min_spikes!r}")
    trains, _, cells = prepare(spikes, nodes, group_by, population, where)
    rows, times = window_spikes(trains, cells, t0, t1, where)
    n = len(cells.node_ids)
    order = np.lexsort((times, rows))
    rows, times = rows[order], times[order]
    n_spikes = np.bincount(rows, minlength=n)
    same = rows[1:] == rows[:-1]
    intervals, owner = np.diff(times)[same], rows[1:][same]
    n_isi = np.bincount(owner, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(owner, weights=intervals, minlength=n) / n_isi
        # two passes (mean, then squared deviations) keep a periodic train's CV at 0 exactly
        sd = np.sqrt(np.bincount(owner, weights=(intervals - mean[owner]) ** 2, minlength=n) / n_isi)
        cv = sd / mean
    cv[(n_spikes < min_spikes) | ~(mean > 0)] = np.nan
    labels = np.empty(len(cells.labels), dtype=object)
    labels[:] = cells.labels
    table = pd.DataFrame({cells.key: labels[cells.codes], "spikes": n_spikes, "isi_cv": cv},
                         index=pd.Index(cells.node_ids, name="node_id"))
    return table, cells


def population_isi_cv(spikes, nodes: pd.DataFrame, group_by: str | None = "pop_name", *,
                      t_range: Sequence[float] | None = None, min_spikes: int = 3,
                      population: str | None = None) -> pd.DataFrame:
    """Each group's ISI CV: the cells' CVs (:func:`isi_cv`) summarised per group.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (sorted): ``cells``, ``cells_with_cv`` (cells with ≥ ``min_spikes`` spikes),
        ``mean_cv``, ``sd_cv`` (over those cells, ddof 0), ``median_cv``; NaN where no cell has a CV.

    Raises
    ------
    ConfigError
        As :func:`isi_cv`.
    """
    table, cells = _isi_cv(spikes, nodes, group_by, t_range, min_spikes, population, "population_isi_cv")
    by_group = table["isi_cv"].groupby(cells.codes)
    out = pd.DataFrame({"cells": by_group.size(), "cells_with_cv": by_group.count(), "mean_cv": by_group.mean(),
                        "sd_cv": by_group.std(ddof=0), "median_cv": by_group.median()})
    out.index = pd.Index(cells.labels, name=cells.key)
    return out


def plot_isi_cv(spikes, nodes: pd.DataFrame, group_by: str | None = "pop_name", *,
                t_range: Sequence[float] | None = None, min_spikes: int = 3, population: str | None = None,
                title: str | None = None, ax=None):
    """Box plot of the cells' ISI CV per group, the mean marked (◇), with the Poisson value (CV = 1) dashed.

    Parameters as :func:`isi_cv`; ``ax``: Axes to draw on (a new figure when None). Each tick label
    gives how many of the group's cells have a CV.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ConfigError
        As :func:`isi_cv`.
    """
    import matplotlib.pyplot as plt

    table, cells = _isi_cv(spikes, nodes, group_by, t_range, min_spikes, population, "plot_isi_cv")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.5, 1.1 * len(cells.labels) + 2.0), 4.5))
    cv = table["isi_cv"].to_numpy()
    values = [cv[(cells.codes == k) & ~np.isnan(cv)] for k in range(len(cells.labels))]
    ticks = [f"{g}\n{len(v)}/{n}" for g, v, n in zip(cells.labels, values, cells.sizes.tolist())]
    box_plot(ax, values, ticks, f"ISI CV per cell (cells with ≥ {min_spikes} spikes)", cells.key)
    ax.axhline(1.0, color="0.5", ls="--", lw=0.8, zorder=0)
    ax.set_title(title if title is not None else f"{cells.population}: ISI CV")
    return ax
