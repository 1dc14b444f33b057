"""Spike trains from LGN firing rates: inhomogeneous Poisson processes, one seeded stream per node."""

from __future__ import annotations

import zlib

import numpy as np

from simlib.errors import ConfigError

_SPIKE_STREAM = zlib.crc32(b"simlib.filternet.poisson")


def _rng(entropy: int, node_id: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(_SPIKE_STREAM, int(node_id))))


def rates_to_spikes(rates_result, seed: int, start_ms: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Inhomogeneous Poisson spike trains from sampled rates.

    As BMTK, the rate sample at ``times_s[k]`` holds on ``[times_s[k], times_s[k + 1])``, so
    spikes fall in ``[times_s[0], times_s[-1])``. For each node the spike count is drawn from
    a Poisson distribution with mean the integrated rate, then the spikes are placed by
    inverting the cumulative rate at sorted uniform draws (exact for piecewise-constant rates,
    no bins, no cap on the probability per bin).

    Parameters
    ----------
    rates_result : RatesResult or any object with ``times_s`` (n_times,), ``rates_hz``
        (n_times, n_nodes) and ``node_ids`` (n_nodes,)
    seed : int
        Seed (>= 0; 0 is a seed). Node ``i`` uses
        ``SeedSequence(seed, spawn_key=(tag, node_id))``, so its train does not depend on which
        other nodes are generated or on how nodes are split across MPI ranks.
    start_ms : float
        Added to every spike time (ms).

    Returns
    -------
    node_ids : (n_spikes,) int64
    times_ms : (n_spikes,) float64, sorted by node id, then time

    Raises
    ------
    ConfigError
        On a bad seed, negative or non-finite rates, decreasing times or mismatched shapes.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"rates_to_spikes: seed: expected an integer >= 0, got {seed!r}")
    times_s = np.asarray(rates_result.times_s, dtype=np.float64).reshape(-1)
    rates = np.asarray(rates_result.rates_hz, dtype=np.float64)
    node_ids = np.asarray(rates_result.node_ids).astype(np.int64).reshape(-1)
    if rates.ndim != 2 or rates.shape != (times_s.size, node_ids.size):
        raise ConfigError(f"rates_to_spikes: rates_hz has shape {rates.shape}; expected (n_times, n_nodes) = "
                          f"({times_s.size}, {node_ids.size})")
    if not np.all(np.isfinite(times_s)) or np.any(np.diff(times_s) <= 0):
        raise ConfigError("rates_to_spikes: times_s: expected finite, strictly increasing times (s)")
    bad = ~np.isfinite(rates) | (rates < 0)
    if bad.any():
        k, j = (int(v[0]) for v in np.nonzero(bad))
        raise ConfigError(f"rates_to_spikes: node {node_ids[j]}: rate {float(rates[k, j])!r} Hz at "
                          f"t={float(times_s[k])!r} s; expected finite rates >= 0")
    if not np.isfinite(start_ms):
        raise ConfigError(f"rates_to_spikes: start_ms: expected a finite time (ms), got {start_ms!r}")

    order = np.argsort(node_ids, kind="stable")
    if times_s.size < 2 or node_ids.size == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    widths_s = np.diff(times_s)
    by_node = np.ascontiguousarray(rates[:-1].T)              # (n_nodes, n_intervals), one row per node
    entropy = int(seed)
    ids_out, times_out = [], []
    for j in order:                                            # one random stream per node
        cumulative = np.concatenate([[0.0], np.cumsum(by_node[j] * widths_s)])
        rng = _rng(entropy, node_ids[j])
        n = rng.poisson(cumulative[-1])
        if n == 0:
            continue
        marks = np.sort(rng.random(n)) * cumulative[-1]
        k = np.clip(np.searchsorted(cumulative, marks, side="right") - 1, 0, widths_s.size - 1)
        # within interval k the rate is constant and > 0 (a mark cannot land on a zero-rate interval)
        rate = by_node[j, k]
        spikes = times_s[k] + (marks - cumulative[k]) / np.where(rate > 0, rate, np.inf)
        ids_out.append(np.full(n, node_ids[j]))
        times_out.append(spikes * 1000.0 + start_ms)
    if not ids_out:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(ids_out), np.concatenate(times_out)
