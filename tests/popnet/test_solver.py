"""The solver's operators and update methods: conservation, agreement between methods, delays, validation."""

import numpy as np
import pytest

from simlib.errors import ConfigError
from simlib.popnet import Connection, LIFPopulation, PopulationNetwork, solve
from simlib.popnet import grid
from simlib.popnet.solver import poisson_weights


def network(method="approx", **extra):
    pop = LIFPopulation(tau_m=0.02, v_min=-0.01, v_max=0.02, dv=2e-4, update_method=method, **extra)
    return PopulationNetwork([pop], [1500.0, 400.0], [Connection(1, 0, 0.0011, 1.0), Connection(2, 0, -0.0013, 1.0)])


@pytest.mark.parametrize("method", ["approx", "exact", "gmres"])
def test_every_method_conserves_mass(method):
    result = solve(network(method), 0.05, 2e-4)
    assert np.abs(result.mass - 1.0).max() < 1e-9
    assert np.all(result.rates_hz >= -1e-9)


def test_series_equals_the_matrix_exponential():
    approx = solve(network("approx"), 0.1, 2e-4).rates_hz
    exact = solve(network("exact"), 0.1, 2e-4).rates_hz
    assert np.abs(approx - exact).max() < 1e-6 * exact.max()


def test_backward_euler_is_close_at_small_steps():
    exact = solve(network("exact"), 0.1, 2e-4).mean_rates(0.05)
    implicit = solve(network("gmres"), 0.1, 2e-4).mean_rates(0.05)
    assert abs(implicit[0] / exact[0] - 1) < 0.03


def test_a_fixed_order_series_still_conserves_mass():
    result = solve(network("approx", approx_order=1), 0.05, 5e-4)
    assert np.abs(result.mass - 1.0).max() < 1e-9


def test_jump_split_is_exact_in_the_mean():
    pop = LIFPopulation(v_min=-0.01, v_max=0.02, dv=1e-4)
    for w in (0.0025, -0.002, 0.00055, -0.00125, 3e-5):
        k, f = grid.jump_split(pop, w)
        assert (k + f) * pop.dv == pytest.approx(w, abs=1e-12)
        assert 0.0 <= f < 1.0


def test_operators_move_whole_bins():
    pop = LIFPopulation(v_min=-0.005, v_max=0.005, dv=1e-3, v_reset=0.0)
    for entries in (grid.shift_entries(pop, 3), grid.shift_entries(pop, -4), grid.leak_entries(pop, 0.003)):
        to, frm, frac = entries[:3]
        assert np.allclose(np.bincount(frm, weights=frac, minlength=pop.n_bins), 1.0)
        assert to.min() >= 0 and to.max() < pop.n_bins
    fires = grid.shift_entries(pop, 3)[3]
    assert fires.tolist() == [False] * 7 + [True] * 3


def test_reset_on_a_bin_edge_is_split_evenly():
    pop = LIFPopulation(v_min=-0.01, v_max=0.02, dv=1e-3, v_reset=0.0)
    bins, fracs = grid.point_mass(pop, 0.0)
    assert bins.tolist() == [9, 10] and fracs.tolist() == [0.5, 0.5]


def test_delay_shifts_the_response():
    def run(delay):
        exc = LIFPopulation(v_min=-0.01, v_max=0.02, dv=2e-4)
        drive = lambda t: np.where(t < 0.02, 0.0, 3000.0)   # noqa: E731
        conns = [Connection(2, 0, 0.001, 1.0), Connection(0, 1, 0.002, 50.0, delay)]
        return solve(PopulationNetwork([exc, LIFPopulation(v_min=-0.01, v_max=0.02, dv=2e-4)], [drive], conns),
                     0.06, 1e-4)
    early, late = run(0.001), run(0.011)
    lag = np.argmax(late.rates_hz[:, 1] > 1.0) - np.argmax(early.rates_hz[:, 1] > 1.0)
    assert lag == 100     # 10 ms at 0.1 ms steps


def test_poisson_weights_sum_to_one():
    for mean, order in ((0.01, None), (3.0, None), (25.0, None), (0.5, 2)):
        weights, tails = poisson_weights(mean, 1e-12, order)
        assert weights.sum() == pytest.approx(1.0, abs=1e-15)
        assert tails[0] == pytest.approx(1.0 - weights[0])
        if order:
            assert weights.size == order + 1


def test_connections_are_checked():
    pop = LIFPopulation()
    with pytest.raises(ConfigError, match="internal target"):
        PopulationNetwork([pop], [10.0], [Connection(0, 1, 0.001, 1.0)])
    with pytest.raises(ConfigError, match="nsyns"):
        PopulationNetwork([pop], [10.0], [Connection(1, 0, 0.001, -2.0)])
    with pytest.raises(ConfigError, match="delay"):
        PopulationNetwork([pop], [10.0], [Connection(1, 0, 0.001, 2.0, -0.001)])
