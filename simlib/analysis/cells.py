"""Cells of one population grouped by a node attribute, and their spikes in a time window.

What the activity statistics (:mod:`~simlib.analysis.activity`, :mod:`~simlib.analysis.isi`,
:mod:`~simlib.analysis.synchrony`) share: reading their inputs and checking them the same way, so
a wrong ``group_by``, an empty window or a spike population the nodes do not match is one
:class:`~simlib.errors.ConfigError` whatever the statistic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simlib.errors import ConfigError

# label of the cells whose node has no value of the group_by attribute (a column some node types lack)
MISSING_LABEL = "(none)"


def load_trains(spikes):
    """``spikes`` as :class:`simlib.spikes.SpikeTrains` with times in ms (a path is read; seconds are converted)."""
    from simlib.spikes import SpikeTrains
    from simlib.spikes.arrays import MS_PER

    trains = spikes if isinstance(spikes, SpikeTrains) else SpikeTrains.load(spikes)
    if trains.units() == "ms":
        return trains
    table = trains.to_dataframe()
    table["timestamps"] = table["timestamps"] * MS_PER[trains.units()]
    return SpikeTrains.from_dataframe(table, units="ms")


def check_window(t_range, where: str) -> tuple[float, float]:
    """``(start_ms, stop_ms)`` as floats, or a ConfigError naming ``where`` when the window is empty."""
    try:
        t0, t1 = (float(v) for v in t_range)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: t_range: expected (start_ms, stop_ms), got {t_range!r}") from None
    if not (np.isfinite(t0) and np.isfinite(t1) and t1 > t0):
        raise ConfigError(f"{where}: t_range: expected start_ms < stop_ms, got ({t0:g}, {t1:g}); the window is empty")
    return t0, t1


def node_table(nodes, where: str) -> pd.DataFrame:
    """The node table indexed by node id: :func:`simlib.sonata.read_nodes`' (a ``node_id`` column) or one
    already indexed by node id."""
    if not isinstance(nodes, pd.DataFrame):
        raise ConfigError(f"{where}: nodes: expected a node table (a DataFrame of simlib.sonata.read_nodes), "
                          f"got {type(nodes).__name__}")
    table = nodes.set_index("node_id") if "node_id" in nodes.columns else nodes
    if not table.index.is_unique:
        dup = table.index[table.index.duplicated()].unique()[:5].tolist()
        raise ConfigError(f"{where}: nodes: node ids {dup} appear more than once")
    table.attrs.update(nodes.attrs)
    return table


def check_group_by(nodes: pd.DataFrame, group_by: str | None, where: str, population: str | None = None) -> None:
    """ConfigError listing the node attributes when ``group_by`` is not one of them (None: no grouping)."""
    if group_by is None or group_by in nodes.columns:
        return
    of = f" of population '{population}'" if population else ""
    columns = ", ".join(sorted(map(str, nodes.columns)))
    raise ConfigError(f"{where}: group_by: '{group_by}' is not a node attribute{of}; the nodes have {columns}")


def group_labels(values) -> tuple[list, np.ndarray]:
    """Sorted distinct values and each value's index among them; missing values become ``MISSING_LABEL``."""
    values = pd.Series(values)
    if values.isna().any():
        values = values.astype(object).where(values.notna(), MISSING_LABEL)
    try:
        codes, labels = pd.factorize(values, sort=True)
    except TypeError:                       # mixed types do not sort; their text does
        codes, labels = pd.factorize(values.map(str), sort=True)
    return list(labels), codes.astype(np.int64)


@dataclass(frozen=True)
class CellGroups:
    """The cells of one population split by a node attribute.

    Attributes
    ----------
    population : str
        The spike (node) population.
    key : str
        The attribute (``group_by``), or ``"population"`` when the cells form one group.
    node_ids : numpy.ndarray
        Node ids, in the node table's order (int64).
    labels : list
        The groups, in sorted order.
    codes : numpy.ndarray
        Each cell's index into ``labels`` (int64).
    """

    population: str
    key: str
    node_ids: np.ndarray
    labels: list
    codes: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        """Number of cells of each group."""
        return np.bincount(self.codes, minlength=len(self.labels))

    def rows(self, node_ids, where: str) -> np.ndarray:
        """Each node id's position in ``node_ids`` (ConfigError naming ids that are not cells of the population)."""
        node_ids = np.asarray(node_ids, dtype=np.int64)
        order = np.argsort(self.node_ids, kind="stable")           # a population has at least one cell
        found = order[np.minimum(np.searchsorted(self.node_ids, node_ids, sorter=order), len(order) - 1)]
        bad = self.node_ids[found] != node_ids
        if np.any(bad):
            unknown = np.unique(node_ids[bad])[:5].tolist()
            raise ConfigError(f"{where}: spikes of node ids {unknown} that population '{self.population}' does not "
                              "have; are the nodes those of the spikes' population?")
        return found


def group_cells(nodes: pd.DataFrame, group_by: str | None, population: str, where: str) -> CellGroups:
    """Split the node table (indexed by node id) into the groups of ``group_by`` (None: one group, the population)."""
    check_group_by(nodes, group_by, where, population)
    node_ids = nodes.index.to_numpy(dtype=np.int64)
    if len(node_ids) == 0:
        raise ConfigError(f"{where}: nodes: the table of population '{population}' holds no nodes")
    if group_by is None:
        return CellGroups(population, "population", node_ids, [population], np.zeros(len(node_ids), dtype=np.int64))
    labels, codes = group_labels(nodes[group_by].to_numpy())
    return CellGroups(population, group_by, node_ids, labels, codes)


def spike_population(trains, nodes: pd.DataFrame, population: str | None, where: str) -> str:
    """The spike population the nodes are: ``population``, the node table's own, or the trains' only one.

    Raises
    ------
    ConfigError
        The trains hold spikes but none of that population, or several populations and none was named.
    """
    pops = trains.populations
    if population is None:
        population = nodes.attrs.get("population")
    if population is None:
        if len(pops) == 1:
            return pops[0]
        raise ConfigError(f"{where}: population: the spikes hold populations {', '.join(pops) or '(none)'}; "
                          "name the one of the nodes (population=)")
    if pops and population not in pops:
        raise ConfigError(f"{where}: population: the spikes hold no population '{population}'; they hold "
                          f"{', '.join(pops)}")
    return population


def window_spikes(trains, cells: CellGroups, t0: float, t1: float, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Row (into ``cells.node_ids``) and time (ms) of each spike of ``cells.population`` in ``[t0, t1)``."""
    if cells.population not in trains.populations:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    df = trains.to_dataframe(populations=[cells.population], with_population_col=False)
    times = df["timestamps"].to_numpy(dtype=float)
    inside = (times >= t0) & (times < t1)
    return cells.rows(df["node_ids"].to_numpy()[inside], where), times[inside]


def prepare(spikes, nodes, group_by: str | None, population: str | None, where: str):
    """Trains (ms), node table indexed by node id, and cell groups of one activity statistic's inputs."""
    table = node_table(nodes, where)
    check_group_by(table, group_by, where, population or table.attrs.get("population"))
    trains = load_trains(spikes)
    population = spike_population(trains, table, population, where)
    return trains, table, group_cells(table, group_by, population, where)
