"""Pairwise synchrony within each group: the mean Pearson correlation of binned spike counts over cell pairs.

Definition. The window ``[start, stop)`` is cut into whole bins of ``bin_ms`` from ``start`` (a
shorter last piece is dropped); each cell's spike counts per bin form a vector; the synchrony of a
group is the mean, over pairs of its cells, of the Pearson correlation coefficient of the two
count vectors. Identical trains give 1, independent trains about 0 (the SD of one pair's value is
about ``1/sqrt(bins)``). A cell whose count is the same in every bin — a silent cell, most often
— has no correlation with anything and is left out. When a group has more than ``max_pairs``
pairs of such active cells, ``max_pairs`` distinct pairs are drawn uniformly without replacement;
the draw uses numpy's default generator seeded with ``(seed, CRC-32 of the group's label)``, so a
group's sample depends on neither the other groups nor the number of processes.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from simlib.analysis.cells import CellGroups, check_window, prepare, window_spikes
from simlib.errors import ConfigError

_CHUNK = 1 << 22                    # pair × bin products computed at once (memory bound, 32 MB)


def _pair_indices(n: int, max_pairs: int | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of ``n`` cells: all of them, or ``max_pairs`` distinct ones drawn uniformly (sorted)."""
    total = n * (n - 1) // 2
    if max_pairs is None or total <= max_pairs:
        i, j = np.triu_indices(n, k=1)
        return i.astype(np.int64), j.astype(np.int64)
    k = np.sort(rng.choice(total, size=max_pairs, replace=False)).astype(np.int64)
    # invert k = offset(i) + (j - i - 1), offset(i) = i (2n - i - 1) / 2: a float root, then an exact fix-up
    b = 2 * n - 1
    i = np.floor((b - np.sqrt(np.maximum(b * b - 8.0 * k, 0.0))) / 2).astype(np.int64)
    offset = lambda r: r * (2 * n - r - 1) // 2  # noqa: E731
    i = np.where(offset(i) > k, i - 1, i)
    i = np.where(offset(i + 1) <= k, i + 1, i)
    return i, k - offset(i) + i + 1


def _group_rng(seed: int, label) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(str(label).encode("utf-8"))])


def _correlations(rows: np.ndarray, bins: np.ndarray, cell_ids: np.ndarray, n_bins: int, max_pairs, rng
                  ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Active cells, and the pairs (cell positions i, j into ``cell_ids``) with their correlations, of one group.

    ``rows``/``bins``: cell position and bin of each spike of the group's cells.
    """
    n = len(cell_ids)
    key, count = np.unique(rows * n_bins + bins, return_counts=True)      # the non-zero counts only
    cell = key // n_bins
    s1 = np.bincount(cell, weights=count, minlength=n)
    s2 = np.bincount(cell, weights=count.astype(float) ** 2, minlength=n)
    active = np.flatnonzero(n_bins * s2 - s1 * s1 > 0.5)                # exact on integers: variance > 0
    i, j = _pair_indices(len(active), max_pairs, rng)
    if len(i) == 0:
        return len(active), active[i], active[j], np.zeros(0)
    used, pos = np.unique(np.concatenate([i, j]), return_inverse=True)
    # counts of the cells in a pair only (at most 2 max_pairs rows), standardised: r = mean of z_a z_b
    dense = np.zeros((len(used), n_bins))
    place = np.full(n, -1, dtype=np.int64)
    place[active[used]] = np.arange(len(used))
    keep = place[cell] >= 0
    dense[place[cell[keep]], key[keep] % n_bins] = count[keep]
    mean = s1[active[used]] / n_bins
    sd = np.sqrt(np.maximum(s2[active[used]] / n_bins - mean ** 2, 0.0))
    z = (dense - mean[:, None]) / sd[:, None]
    a, b = pos[: len(i)], pos[len(i):]
    r = np.empty(len(i))
    step = max(1, _CHUNK // n_bins)
    for s in range(0, len(i), step):
        r[s:s + step] = np.einsum("pb,pb->p", z[a[s:s + step]], z[b[s:s + step]]) / n_bins
    return len(active), active[i], active[j], np.clip(r, -1.0, 1.0)


def _pairs(spikes, nodes, group_by, t_range, bin_ms, max_pairs, seed, population, where
           ) -> tuple[pd.DataFrame, pd.DataFrame, CellGroups]:
    t0, t1 = check_window(t_range, where)
    if not (np.isfinite(bin_ms) and bin_ms > 0):
        raise ConfigError(f"{where}: bin_ms: expected a width > 0 ms, got {bin_ms!r}")
    n_bins = int(np.floor((t1 - t0) / bin_ms + 1e-9))
    if n_bins < 2:
        raise ConfigError(f"{where}: t_range: {t1 - t0:g} ms holds fewer than two bins of {bin_ms:g} ms; "
                          "a correlation needs at least two")
    if max_pairs is not None and not (isinstance(max_pairs, (int, np.integer)) and max_pairs >= 1):
        raise ConfigError(f"{where}: max_pairs: expected an integer ≥ 1 or None (every pair), got {max_pairs!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"{where}: seed: expected an integer ≥ 0, got {seed!r}")
    trains, _, cells = prepare(spikes, nodes, group_by, population, where)
    rows, times = window_spikes(trains, cells, t0, t0 + n_bins * bin_ms, where)
    bins = np.minimum(((times - t0) // bin_ms).astype(np.int64), n_bins - 1)
    frames, summary = [], []
    for k, label in enumerate(cells.labels):
        members = np.flatnonzero(cells.codes == k)
        local = np.full(len(cells.node_ids), -1, dtype=np.int64)
        local[members] = np.arange(len(members))
        mine = local[rows] >= 0
        n_active, i, j, r = _correlations(local[rows[mine]], bins[mine], cells.node_ids[members], n_bins,
                                          max_pairs, _group_rng(seed, label))
        ids = cells.node_ids[members]
        frames.append(pd.DataFrame({cells.key: [label] * len(r), "node_a": ids[i], "node_b": ids[j], "r": r}))
        summary.append({"cells": len(members), "active_cells": n_active, "pairs": len(r),
                        "mean_r": float(r.mean()) if len(r) else np.nan,
                        "sd_r": float(r.std()) if len(r) else np.nan})
    pairs = pd.concat(frames, ignore_index=True)
    table = pd.DataFrame(summary, index=pd.Index(cells.labels, name=cells.key))
    table.attrs.update(bin_ms=float(bin_ms), bins=n_bins, t_range=(t0, t1), population=cells.population)
    return pairs, table, cells


def pairwise_correlations(spikes, nodes: pd.DataFrame, group_by: str | None = "pop_name", *,
                          t_range: Sequence[float], bin_ms: float = 5.0, max_pairs: int | None = 1000, seed: int = 0,
                          population: str | None = None) -> pd.DataFrame:
    """The correlation of binned spike counts of each pair of cells of a group (see the module's definition).

    Parameters
    ----------
    spikes : SpikeTrains or path
        Spike trains (a SONATA, CSV or NWB file is read); times in ms.
    nodes : pandas.DataFrame
        The population's node table (:func:`simlib.sonata.read_nodes`, or indexed by node id).
    group_by : str or None
        Node attribute that forms the groups (None: the whole population is one group).
    t_range : (float, float)
        Window ``[start_ms, stop_ms)``, cut into whole bins from ``start_ms``.
    bin_ms : float
        Bin width (ms); default 5.
    max_pairs : int or None
        Most pairs per group (a uniform sample beyond it); None: every pair.
    seed : int
        Seed of the pair sample.
    population : str, optional
        Spike population of the nodes (default the table's ``attrs['population']``, else the spikes' only one).

    Returns
    -------
    pandas.DataFrame
        One row per pair: the group (column named ``group_by``, or ``population``), ``node_a`` < ``node_b``
        in table order, ``r`` (Pearson correlation); groups in sorted order, pairs in index order.

    Raises
    ------
    ConfigError
        ``group_by`` not a node attribute, an empty window or one shorter than two bins, a bad ``bin_ms``,
        ``max_pairs`` or ``seed``, a population the spikes do not hold, or spikes of node ids the table lacks.
    """
    return _pairs(spikes, nodes, group_by, t_range, bin_ms, max_pairs, seed, population, "pairwise_correlations")[0]


def synchrony(spikes, nodes: pd.DataFrame, group_by: str | None = "pop_name", *, t_range: Sequence[float],
              bin_ms: float = 5.0, max_pairs: int | None = 1000, seed: int = 0,
              population: str | None = None) -> pd.DataFrame:
    """Each group's synchrony: the mean pairwise correlation of binned spike counts (module docstring).

    Parameters as :func:`pairwise_correlations`.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (sorted): ``cells``, ``active_cells`` (counts not constant), ``pairs`` (used),
        ``mean_r`` (the synchrony; NaN with fewer than two active cells), ``sd_r`` (over pairs, ddof 0).
        ``attrs``: ``bin_ms``, ``bins``, ``t_range``, ``population``.

    Raises
    ------
    ConfigError
        As :func:`pairwise_correlations`.
    """
    return _pairs(spikes, nodes, group_by, t_range, bin_ms, max_pairs, seed, population, "synchrony")[1]


def plot_synchrony(spikes, nodes: pd.DataFrame, group_by: str | None = "pop_name", *, t_range: Sequence[float],
                   bin_ms: float = 5.0, max_pairs: int | None = 1000, seed: int = 0, population: str | None = None,
                   title: str | None = None, ax=None):
    """Each group's pair correlations as a box (the mean, the synchrony, marked ◇), zero dashed.

    Parameters as :func:`pairwise_correlations`; ``ax``: Axes to draw on (a new figure when None). Each
    tick label gives the number of pairs.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ConfigError
        As :func:`pairwise_correlations`.
    """
    import matplotlib.pyplot as plt

    from simlib.analysis.activity import box_plot

    pairs, table, cells = _pairs(spikes, nodes, group_by, t_range, bin_ms, max_pairs, seed, population,
                                 "plot_synchrony")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.5, 1.1 * len(cells.labels) + 2.0), 4.5))
    codes = np.repeat(np.arange(len(cells.labels)), table["pairs"].to_numpy())
    r = pairs["r"].to_numpy()
    values = [r[codes == k] for k in range(len(cells.labels))]
    box_plot(ax, values, [f"{g}\n{len(v)} pair{'' if len(v) == 1 else 's'}" for g, v in zip(cells.labels, values)],
             f"correlation of spike counts ({bin_ms:g} ms bins)", cells.key)
    ax.axhline(0.0, color="0.5", ls="--", lw=0.8, zorder=0)
    ax.set_title(title if title is not None else f"{cells.population}: pairwise synchrony")
    return ax
