"""Membrane traces from a compartment report: individual nodes, their mean, or one mean per node group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simlib.errors import ConfigError, SimlibError


def _load(report, population: str | None):
    from simlib.sonata.reports import CompartmentReport, read_compartment_report

    if isinstance(report, CompartmentReport):
        if population is not None and population != report.population:
            raise ConfigError(f"plot_traces: the report given is population '{report.population}', "
                              f"not '{population}'")
        return report
    return read_compartment_report(report, population)


def _node_groups(node_ids: np.ndarray, group_by: str | None, nodes: pd.DataFrame | None) -> list[tuple]:
    """[(label, node ids)] in the order the groups first appear in `nodes`; one unlabelled group without group_by."""
    if group_by is None:
        return [(None, node_ids)]
    if nodes is None:
        raise ConfigError(f"plot_traces: group_by='{group_by}' needs the node table (nodes=)")
    for column in ("node_id", group_by):
        if column not in nodes.columns:
            raise ConfigError(f"plot_traces: '{column}' is not a column of nodes; available: "
                              f"{sorted(str(c) for c in nodes.columns)}")
    repeated = nodes["node_id"][nodes["node_id"].duplicated()].unique()
    if repeated.size:
        raise ConfigError(f"plot_traces: node ids repeat in nodes (several populations?): {repeated[:20].tolist()}")
    lookup = pd.Series(nodes[group_by].to_numpy(), index=nodes["node_id"].to_numpy())
    unknown = node_ids[~np.isin(node_ids, lookup.index.to_numpy())]
    if unknown.size:
        raise SimlibError(f"plot_traces: {unknown.size} selected node id(s) are not in the node table: "
                          f"{unknown[:20].tolist()}")
    labels = lookup.reindex(node_ids).to_numpy()
    order = [label for label in dict.fromkeys(nodes[group_by].tolist()) if np.any(labels == label)]
    return [(label, node_ids[labels == label]) for label in order]


def _y_label(variable: str, units: str | None) -> str:
    from simlib.sonata.reports import VARIABLE_UNITS

    units = units or VARIABLE_UNITS.get(variable)  # BMTK writes no units by default
    return f"{variable} ({units})" if units else variable


def plot_traces(report, node_ids=None, *, population: str | None = None, average: bool = False,
                individual: bool = True, group_by: str | None = None, nodes: pd.DataFrame | None = None,
                times_ms: Sequence[float] | None = None, element: str | int = "origin", title: str | None = None,
                ax=None, **kw):
    """Plot the time course of a report variable for selected nodes, optionally with their mean.

    Parameters
    ----------
    report : a :class:`simlib.sonata.reports.CompartmentReport` or the path of a report file.
    node_ids : node id or ids to draw; default every node of the report.
    population : report population (required for a path holding several).
    average : draw the mean over the selected traces as a thick line; the individual traces
        then become thin and semi-transparent.
    individual : draw each node's trace (set False with `average` for the mean alone).
    group_by : node attribute whose values split the nodes into groups, each with its own
        colour, mean and legend entry; needs `nodes`.
    nodes : node table with a ``node_id`` column and the `group_by` column
        (e.g. from :func:`simlib.sonata.read_nodes`).
    times_ms : ``(start_ms, stop_ms)`` window; default the whole report.
    element : 'origin' (each node's first element, the soma for BMTK reports), 'all', or an
        element (section) id; with several columns per node each is a trace of its own and the
        mean is over all of them.
    title : Axes title.
    ax : Axes to draw on (a new figure when None).
    **kw : extra keywords for the main lines (the means when `average`, else the traces).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    SimlibError
        Node ids not in the report (or not in `nodes`), an empty selection or time window.
    ConfigError
        Nothing to draw, `group_by` without `nodes`, or a column `nodes` lacks.
    """
    import matplotlib.pyplot as plt
    from matplotlib.cbook import normalize_kwargs
    from matplotlib.lines import Line2D

    if not (average or individual):
        raise ConfigError("plot_traces: average=False and individual=False leave nothing to draw")
    kw = normalize_kwargs(kw, Line2D)  # 'lw' -> 'linewidth' etc., so user keywords override the defaults
    rep = _load(report, population)
    if node_ids is None:
        ids = rep.node_ids.astype(np.int64)
    else:
        ids = np.asarray(node_ids).reshape(-1)
        ids = ids[np.sort(np.unique(ids, return_index=True)[1])]  # drop repeats, keep the given order
    if ids.size == 0:
        raise SimlibError(f"plot_traces: no nodes selected (the report population '{rep.population}' "
                          f"holds {rep.node_ids.size} nodes)")
    rep.node_index(ids)  # raises listing every id that is not in the report

    rows = np.arange(rep.time_ms.size)
    if times_ms is not None:
        t0, t1 = times_ms
        rows = np.flatnonzero((rep.time_ms >= t0) & (rep.time_ms <= t1))
        if rows.size == 0:
            raise SimlibError(f"plot_traces: no samples in times_ms={tuple(times_ms)}; the report covers "
                              f"{rep.time_ms[0]:g}-{rep.time_ms[-1]:g} ms")
    time = rep.time_ms[rows]

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    for i, (label, members) in enumerate(_node_groups(ids, group_by, nodes)):
        columns, owners = rep.columns(members, element)
        values = rep.data[np.ix_(rows, columns)]
        colour = f"C{i % 10}" if group_by is not None else None
        if individual:
            if average:
                line_kw = {"linewidth": 0.6, "alpha": 0.4, "color": colour or "0.5"}
            else:
                line_kw = ({"color": colour} if colour else {}) | kw
            lines = ax.plot(time, values, **line_kw)
            if not average:
                names = owners if group_by is None else [label] + [None] * (len(lines) - 1)
                for line, name in zip(lines, names):
                    line.set_label("_nolegend_" if name is None else str(name))
        if average:
            name = str(label) if group_by is not None else f"mean of {len(members)} nodes"
            ax.plot(time, values.mean(axis=1), **({"linewidth": 2.0, "color": colour or "k", "label": name, "zorder": 3,
                                                   "gid": "mean"} | kw))

    if time.size > 1:
        ax.set_xlim(time[0], time[-1])
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(_y_label(rep.variable, rep.units))
    if group_by is not None:
        ax.legend(loc="upper right", fontsize="small", title=group_by)
    elif average or ids.size <= 10:
        ax.legend(loc="upper right", fontsize="small")
    if title:
        ax.set_title(title)
    return ax
