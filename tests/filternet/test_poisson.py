"""Spikes from rates: inhomogeneous Poisson trains, one seeded stream per node."""

import numpy as np
import pytest
import scipy.stats

from simlib.errors import ConfigError
from simlib.filternet import RatesResult, rates_to_spikes


def rates(times_s, values, node_ids=None):
    values = np.asarray(values, dtype=float)
    return RatesResult(np.asarray(times_s, float), values,
                       np.arange(values.shape[1]) if node_ids is None else np.asarray(node_ids))


def test_reproducible_sorted_and_in_the_window():
    r = rates(np.arange(1001) / 1000.0, np.full((1001, 5), 40.0), node_ids=[9, 3, 7, 1, 5])
    ids, times = rates_to_spikes(r, seed=0, start_ms=100.0)
    again = rates_to_spikes(r, seed=0, start_ms=100.0)
    assert np.array_equal(ids, again[0]) and np.array_equal(times, again[1])
    other = rates_to_spikes(r, seed=1, start_ms=100.0)
    assert not np.array_equal(times, other[1][:times.size]) or ids.size != other[0].size
    assert ids.dtype == np.int64 and np.all(np.diff(ids) >= 0)
    for node in [1, 3, 5, 7, 9]:
        t = times[ids == node]
        assert np.all(np.diff(t) > 0)
        assert t.min() >= 100.0 and t.max() < 1100.0   # rates hold on [t_k, t_k+1): spikes before the last sample


def test_a_node_train_does_not_depend_on_the_other_nodes():
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 50, (500, 6))
    everything = rates_to_spikes(rates(np.arange(500) / 1000.0, values), seed=4)
    subset = rates_to_spikes(rates(np.arange(500) / 1000.0, values[:, [4, 1]], node_ids=[4, 1]), seed=4)
    for node in (1, 4):
        np.testing.assert_array_equal(subset[1][subset[0] == node], everything[1][everything[0] == node])


def test_constant_rate_counts_and_intervals():
    n_nodes, rate_hz = 2000, 20.0
    ids, times = rates_to_spikes(rates(np.arange(1001) / 1000.0, np.full((1001, n_nodes), rate_hz)), seed=11)
    counts = np.bincount(ids, minlength=n_nodes)
    # Poisson counts: mean 20, variance 20 (dispersion index ~ chi-square with n - 1 dof)
    assert abs(counts.mean() - 20.0) < 4 * np.sqrt(20.0 / n_nodes)
    dispersion = ((counts - counts.mean()) ** 2).sum() / counts.mean()
    assert scipy.stats.chi2.sf(dispersion, n_nodes - 1) > 1e-3 and scipy.stats.chi2.cdf(dispersion, n_nodes - 1) > 1e-3
    # intervals: exponential with mean 1 / rate (Neo/Elephant-style KS test)
    isi_s = np.concatenate([np.diff(times[ids == i]) for i in range(200)]) / 1000.0
    assert scipy.stats.kstest(isi_s, "expon", args=(0, 1 / rate_hz)).pvalue > 1e-3


def test_inhomogeneous_rate_counts_in_windows_and_time_rescaling():
    t = np.arange(2001) / 1000.0
    profile = 30.0 * (1 + np.sin(2 * np.pi * 2.0 * t)) * (t > 0.25)          # zero, then a 2 Hz modulation
    n_nodes = 400
    ids, times = rates_to_spikes(rates(t, np.repeat(profile[:, None], n_nodes, axis=1)), seed=3)
    assert np.all(times >= 250.0)                                             # never where the rate is 0
    # spikes per 50 ms window (all nodes) against the integrated rate: chi-square goodness of fit
    edges = np.arange(0, 2001, 50)
    observed = np.histogram(times, edges)[0]
    cumulative = np.concatenate([[0.0], np.cumsum(profile[:-1] * np.diff(t))])
    expected = n_nodes * np.diff(np.interp(edges / 1000.0, t, cumulative))
    used = expected > 0
    chi2 = (((observed - expected) ** 2)[used] / expected[used]).sum()
    assert scipy.stats.chi2.sf(chi2, used.sum() - 1) > 1e-3
    # time rescaling: the integrated rate between spikes is exponential with mean 1
    rescaled = np.interp(times / 1000.0, t, cumulative)
    gaps = np.concatenate([np.diff(rescaled[ids == i]) for i in range(100)])
    assert scipy.stats.kstest(gaps, "expon").pvalue > 1e-3


def test_zero_rates_give_no_spikes():
    ids, times = rates_to_spikes(rates(np.arange(100) / 1000.0, np.zeros((100, 3))), seed=0)
    assert ids.size == times.size == 0


@pytest.mark.parametrize("change, message", [
    (dict(seed=-1), "seed: expected an integer >= 0"),
    (dict(seed=1.5), "seed: expected an integer >= 0"),
    (dict(values=-1.0), r"node 0: rate -1.0 Hz .*expected finite rates >= 0"),
    (dict(values=np.nan), "expected finite rates"),
    (dict(times=[0.0, 0.002, 0.001, 0.003]), "strictly increasing"),
    (dict(shape=(4, 3)), r"rates_hz has shape \(4, 3\); expected \(n_times, n_nodes\) = \(4, 2\)"),
])
def test_bad_inputs(change, message):
    values = np.full(change.get("shape", (4, 2)), 10.0)
    if "values" in change:
        values[1, 0] = change["values"]
    r = RatesResult(np.asarray(change.get("times", [0.0, 0.001, 0.002, 0.003])), values, np.array([0, 1]))
    with pytest.raises(ConfigError, match=message):
        rates_to_spikes(r, seed=change.get("seed", 0))
