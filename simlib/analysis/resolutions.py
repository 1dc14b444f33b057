"""One network at several resolutions: each population's rate over time from every run, one panel per population.

The seed's comparison "of the same network across different levels of resolution": BioNet
(compartmental cells) and PointNet (point neurons) give spikes, binned into a rate per cell
(:func:`simlib.analysis.activity.population_rate_timecourse`); PopNet gives the population's rate
directly (:func:`popnet_rate_timecourse`). Every run becomes the same kind of table (rows: time,
columns: populations, values: Hz per cell) and :func:`plot_rates_by_resolution` draws them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from simlib.errors import ConfigError

MS_PER_S = 1000.0


def popnet_rate_timecourse(rates_file, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A PopNet rates file as a table: rows the steps, indexed by their start ``time_ms``; columns the
    populations (renamed by ``labels``, e.g. id -> pop_name); values Hz.

    ``attrs['bin_edges_ms']`` holds the step edges, so the table reads like a spike histogram's.

    Raises
    ------
    FormatError
        An unreadable rates file, or populations whose time points differ.
    """
    from simlib.errors import FormatError
    from simlib.popnet.rates_io import read_rates

    df = read_rates(rates_file)
    labels = dict(labels or {})
    ids = list(dict.fromkeys(df["id"].tolist()))
    columns, times = {}, None
    for pop in ids:
        rows = df[df["id"] == pop]
        t = rows["time"].to_numpy() * MS_PER_S
        if times is not None and (t.shape != times.shape or not np.allclose(t, times)):
            raise FormatError(f"{rates_file}: population {pop}: its time points differ from {ids[0]}'s; expected "
                              "one rate per step for every population")
        times = t
        columns[labels.get(pop, pop)] = rows["rate"].to_numpy()
    if times is None or times.size == 0:
        raise FormatError(f"{rates_file}: no rates; expected lines '<population id> <time (s)> <rate (Hz)>'")
    step = times[1] - times[0] if times.size > 1 else times[0]
    edges = np.concatenate([[times[0] - step], times])
    out = pd.DataFrame(columns, index=pd.Index(edges[:-1], name="time_ms"))
    out.attrs.update(bin_edges_ms=edges)
    return out


def plot_rates_by_resolution(runs: Sequence[tuple[str, pd.DataFrame]], groups: Sequence[str] | None = None,
                             axes=None, title: str | None = None, ncols: int = 2):
    """Each group's rate over time from every run: one panel per group, one line per run, shared axes.

    Parameters
    ----------
    runs : ``(label, table)`` per run; a table as :func:`popnet_rate_timecourse` or
        :func:`simlib.analysis.activity.population_rate_timecourse` returns (``attrs['bin_edges_ms']``).
    groups : the panels, in order (default every group of the first run).
    axes : one Axes per group (a new figure of ``ncols`` columns when None).
    title : figure title (on the figure of the first Axes).

    Returns
    -------
    numpy.ndarray of Axes
        The panels, one per group.

    Raises
    ------
    ConfigError
        No runs, a group a run does not hold, or a number of axes that differs from the groups'.
    """
    import matplotlib.pyplot as plt

    if not runs:
        raise ConfigError("plot_rates_by_resolution: no runs to draw")
    groups = list(runs[0][1].columns) if groups is None else [str(g) for g in groups]
    for label, table in runs:
        missing = [g for g in groups if g not in table.columns]
        if missing:
            raise ConfigError(f"plot_rates_by_resolution: run '{label}' has no groups {missing}; it has "
                              f"{', '.join(map(str, table.columns))}")
    if axes is None:
        nrows = int(np.ceil(len(groups) / ncols))
        fig, grid = plt.subplots(nrows, ncols, figsize=(5.0 * ncols, 2.6 * nrows), sharex=True, sharey=True,
                                 squeeze=False)
        for ax in grid.ravel()[len(groups):]:
            ax.set_visible(False)
        axes = grid.ravel()[:len(groups)]
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != len(groups):
        raise ConfigError(f"plot_rates_by_resolution: {axes.size} axes for {len(groups)} groups")
    for ax, group in zip(axes, groups):
        for k, (label, table) in enumerate(runs):
            ax.stairs(table[group].to_numpy(), table.attrs["bin_edges_ms"], color=f"C{k % 10}", lw=1.2,
                      label=label)
        ax.set_title(group, fontsize="medium")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("rate (Hz per cell)")
        ax.label_outer()
    axes[0].legend(frameon=False, fontsize="small", loc="upper right")
    if title:
        axes[0].figure.suptitle(title)
    return axes
