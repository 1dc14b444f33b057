"""Cell positions of a node population, drawn as two (or more) projections coloured by group.

Coordinates are the nodes' ``x``, ``y``, ``z`` properties (what simlib's and the tutorial's
builders write) or BMTK's per-node ``positions`` array (N × 3); µm as in SONATA.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.analysis.cells import check_group_by, group_labels
from simlib.errors import ConfigError

AXES = "xyz"


def _node_table(nodes, population: str | None) -> tuple[pd.DataFrame, str, str]:
    """The node table of ``population`` from a table, a Circuit, a networks mapping or a circuit config path,
    its name, and the prefix of messages (the circuit's source)."""
    if isinstance(nodes, pd.DataFrame):
        name = population or nodes.attrs.get("population") or "nodes"
        return nodes, name, "node_positions"
    from simlib.analysis.connectivity import as_circuit

    if not isinstance(nodes, (str, Path, Mapping)) and not hasattr(nodes, "populations"):
        raise ConfigError(f"node_positions: nodes: expected a node table, a Circuit or a circuit config file, "
                          f"got {type(nodes).__name__}")
    circuit = as_circuit(nodes)
    if population is None:
        if len(circuit.populations) != 1:
            raise ConfigError(f"{circuit.source}: node_positions: population: the circuit holds node populations "
                              f"{', '.join(circuit.populations)}; choose one with population= (--population)")
        population = next(iter(circuit.populations))
    where = f"{circuit.source}: node_positions"
    return circuit.population(population, where).nodes, population, where


def node_positions(nodes, population: str | None = None, group_by: str | None = "pop_name") -> pd.DataFrame:
    """The coordinates (µm) and group of every node of a population.

    Parameters
    ----------
    nodes : DataFrame, Circuit, path or mapping
        A node table (:func:`simlib.sonata.read_nodes`), a :class:`simlib.circuit.Circuit`, a circuit
        config file or a ``networks`` mapping.
    population : str, optional
        Node population (needed when the circuit holds several).
    group_by : str or None
        Node attribute that forms the groups (None: the whole population is one group).

    Returns
    -------
    pandas.DataFrame
        Indexed by node id (table order): the coordinates the nodes have among ``x``, ``y``, ``z``, and
        ``group`` (the ``group_by`` value; the population's name when None). ``attrs``: ``population``,
        ``group_by``, ``groups`` (sorted).

    Raises
    ------
    ConfigError
        An unknown population or ``group_by``, or nodes without any coordinate.
    """
    table, population, where = _node_table(nodes, population)
    check_group_by(table, group_by, where, population)
    ids = table["node_id"].to_numpy() if "node_id" in table.columns else table.index.to_numpy()
    coords = {}
    if "positions" in table.columns and not {"x", "y", "z"} & set(table.columns):
        try:
            stacked = np.stack([np.asarray(p, dtype=float).ravel() for p in table["positions"]])
        except (TypeError, ValueError):
            stacked = np.zeros((0, 0))
        if stacked.ndim != 2 or stacked.shape[0] != len(table) or not 2 <= stacked.shape[1] <= 3:
            raise ConfigError(f"{where}: population '{population}': 'positions' is not one (x, y[, z]) per node")
        coords = {axis: stacked[:, k] for k, axis in enumerate(AXES[: stacked.shape[1]])}
    else:
        coords = {axis: pd.to_numeric(table[axis], errors="coerce").to_numpy(dtype=float)
                  for axis in AXES if axis in table.columns}
    if not coords:
        raise ConfigError(f"{where}: population '{population}' has no coordinates (x, y, z or positions); the "
                          f"nodes have {', '.join(sorted(map(str, table.columns)))}")
    if group_by is None:
        labels, codes = [population], np.zeros(len(table), dtype=np.int64)
    else:
        labels, codes = group_labels(table[group_by].to_numpy())
    names = np.empty(len(labels), dtype=object)
    names[:] = labels
    out = pd.DataFrame({**coords, "group": names[codes]}, index=pd.Index(ids, name="node_id"))
    out.attrs.update(population=population, group_by=group_by, groups=list(labels))
    return out


def _check_projections(projections, available: Sequence[str], population: str) -> list[str]:
    if isinstance(projections, str) or not len(projections):
        raise ConfigError(f"plot_positions: projections: expected a sequence of axis pairs such as ('xz', 'xy'), "
                          f"got {projections!r}")
    for p in projections:
        if not (isinstance(p, str) and len(p) == 2 and p[0] != p[1] and set(p) <= set(AXES)):
            raise ConfigError(f"plot_positions: projections: '{p}' is not two different axes of x, y, z")
        missing = [a for a in p if a not in available]
        if missing:
            raise ConfigError(f"plot_positions: projections: '{p}' needs {', '.join(missing)}, which population "
                              f"'{population}' does not have; it has {', '.join(available)}")
    return list(projections)


def plot_positions(nodes, population: str | None = None, group_by: str | None = "pop_name",
                   projections: Sequence[str] = ("xz", "xy"), *, marker_size: float = 14.0, title: str | None = None,
                   ax=None) -> list:
    """Scatter the cells in each projection (``'xz'``: x across, z up), one colour per group, equal scales.

    Parameters
    ----------
    nodes, population, group_by
        As :func:`node_positions`.
    projections : sequence of str
        Axis pairs, one panel each; default ``('xz', 'xy')`` — in the tutorials' columns (y is cortical
        depth) the view from above and a side view.
    marker_size : float
        Marker area (points²).
    title : str, optional
        Figure title (default: the population).
    ax : Axes or sequence of Axes, optional
        One Axes per projection (a single Axes is accepted for one projection); None makes a figure with
        the panels side by side. The legend goes on the last panel.

    Returns
    -------
    list of matplotlib.axes.Axes
        The panels, in the order of ``projections``.

    Raises
    ------
    ConfigError
        As :func:`node_positions`; a malformed projection, one needing a coordinate the nodes lack, or a
        number of Axes other than the number of projections.
    """
    import matplotlib.pyplot as plt

    table = node_positions(nodes, population, group_by)
    population = table.attrs["population"]
    projections = _check_projections(projections, [a for a in AXES if a in table.columns], population)
    if ax is None:
        fig, axes = plt.subplots(1, len(projections), figsize=(4.8 * len(projections) + 1.2, 4.8), squeeze=False)
        axes = list(axes[0])
    else:
        axes = list(ax) if isinstance(ax, (Sequence, np.ndarray)) else [ax]
        fig = axes[0].figure
    if len(axes) != len(projections):
        raise ConfigError(f"plot_positions: ax: expected {len(projections)} Axes (one per projection "
                          f"{', '.join(projections)}), got {len(axes)}")
    groups = table.attrs["groups"]
    for panel, (h, v) in zip(axes, projections):
        for k, label in enumerate(groups):
            rows = table[table["group"] == label]
            panel.scatter(rows[h], rows[v], s=marker_size, color=f"C{k % 10}", label=f"{label} ({len(rows)})",
                          edgecolors="none")
        panel.set_xlabel(f"{h} (µm)")
        panel.set_ylabel(f"{v} (µm)")
        panel.set_aspect("equal", adjustable="datalim")
        panel.set_title(f"{h}{v} projection", fontsize=10)
    axes[-1].legend(frameon=False, fontsize="small", title=table.attrs["group_by"] or None,
                    loc="center left", bbox_to_anchor=(1.02, 0.5), markerscale=1.5)
    fig.suptitle(title if title is not None else f"{population}: cell positions")
    return axes
