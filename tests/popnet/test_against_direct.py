"""The density solver against a direct simulation of the same LIF model, and against the diffusion limit.

The direct simulation (:func:`simlib.popnet.simulate_direct`) follows N neurons each receiving
Poisson jumps, exactly (continuous input times, exact leak); only the input rates are held per step,
as in the solver. The numbers each test measures are printed (pytest -s) for the report.
"""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import erfcx

from simlib.popnet import Connection, LIFPopulation, PopulationNetwork, simulate_direct, solve

DT = 1e-4
N_NEURONS = 30_000
STEP_AT = 0.2          # s: the external drive steps up here
TSTOP = 0.4


def binned(result, width_s):
    """(bin start times, rates averaged over bins of width_s) of every population."""
    k = int(round(width_s / result.dt_s))
    n = result.rates_hz.shape[0] // k
    return (np.arange(n) * width_s, result.rates_hz[:n * k].reshape(n, k, -1).mean(axis=1))


def relative_rms(pde, direct, t0, t1, width_s=0.005):
    """RMS of (solver - direct) over [t0, t1) in bins of width_s, over the direct rate's mean there."""
    t, a = binned(pde, width_s)
    _, b = binned(direct, width_s)
    inside = (t >= t0 - 1e-12) & (t < t1 - 1e-12)
    return np.sqrt(np.mean((a[inside] - b[inside]) ** 2, axis=0)) / b[inside].mean(axis=0)


@pytest.fixture(scope="module")
def single():
    """One population, excitatory and inhibitory Poisson input; the excitatory rate steps 1.5 -> 2.2 kHz."""
    pop = LIFPopulation(tau_m=0.02, v_min=-0.02, v_max=0.02, dv=1e-4, v_reset=0.0)
    drive = lambda t: np.where(t < STEP_AT, 1500.0, 2200.0)   # noqa: E731
    net = PopulationNetwork([pop], [drive, 500.0], [Connection(1, 0, 0.001, 1.0), Connection(2, 0, -0.002, 1.0)])
    return solve(net, TSTOP, DT), simulate_direct(net, N_NEURONS, TSTOP, DT, seed=11)


@pytest.fixture(scope="module")
def pair():
    """E and I populations coupled recurrently (1-2 ms delays, jumps that are not whole bins, a damped
    oscillation after the step), external drive onto both stepping up from 0.9 to 1.15 kHz."""
    exc = LIFPopulation(tau_m=0.02, v_min=-0.02, v_max=0.02, dv=1e-4, v_reset=0.005)
    inh = LIFPopulation(tau_m=0.02, v_min=-0.02, v_max=0.02, dv=1e-4, v_reset=0.0)
    drive = lambda t: np.where(t < STEP_AT, 900.0, 1150.0)   # noqa: E731
    conns = [Connection(2, 0, 0.001, 1.6, 0.0), Connection(2, 1, 0.001, 1.5, 0.0),
             Connection(0, 0, 0.00035, 20.0, 0.002), Connection(0, 1, 0.00055, 20.0, 0.002),
             Connection(1, 0, -0.00125, 10.0, 0.002), Connection(1, 1, -0.0008, 5.0, 0.001)]
    net = PopulationNetwork([exc, inh], [drive], conns, ["E", "I"], ["ext"])
    return solve(net, TSTOP, DT), simulate_direct(net, N_NEURONS, TSTOP, DT, seed=12)


def check_steady_and_step(pde, direct, names):
    for t0, t1 in ((0.1, STEP_AT), (STEP_AT + 0.1, TSTOP)):
        a, b = pde.mean_rates(t0, t1), direct.mean_rates(t0, t1)
        error = np.abs(a - b) / b
        print(f"steady state {t0:.2f}-{t1:.2f} s: solver {np.round(a, 3)} Hz, direct {np.round(b, 3)} Hz, "
              f"error {np.round(100 * error, 2)} %")
        assert np.all(b > 2.0), "the test regime should fire"
        assert np.all(error < 0.03), names
    rms = relative_rms(pde, direct, STEP_AT, STEP_AT + 0.1)
    print(f"step response {STEP_AT:.2f}-{STEP_AT + 0.1:.2f} s, 5 ms bins: relative RMS {np.round(100 * rms, 2)} %")
    assert np.all(rms < 0.05), names


def test_single_population_matches_direct_simulation(single):
    check_steady_and_step(*single, ["single"])


def test_ei_pair_matches_direct_simulation(pair):
    check_steady_and_step(*pair, ["E", "I"])


def test_mass_is_conserved_at_every_step(single, pair):
    for pde, _ in (single, pair):
        error = np.abs(pde.mass - 1.0).max()
        print(f"largest |mass - 1| over {pde.mass.shape[0]} steps: {error:.2e}")
        assert error < 1e-9


def siegert_rate_hz(tau_s, theta_v, reset_v, mu_v, sigma_v):
    """Diffusion-approximation rate of a LIF neuron (no refractory period): 1 / (tau sqrt(pi) int e^u^2 (1+erf u))."""
    integral, _ = quad(lambda u: erfcx(-u), (reset_v - mu_v) / sigma_v, (theta_v - mu_v) / sigma_v, limit=200)
    return 1.0 / (tau_s * np.sqrt(np.pi) * integral)


def test_small_jumps_agree_with_the_diffusion_approximation():
    tau, w = 0.02, 5e-5                      # jumps of 0.05 mV; the threshold is 400 jumps above rest
    rate_e, rate_i = 38_000.0, 20_000.0
    mu = tau * (rate_e - rate_i) * w         # 18 mV
    sigma = np.sqrt(tau * (rate_e + rate_i) * w * w)
    pop = LIFPopulation(tau_m=tau, v_min=-0.01, v_max=0.02, dv=1e-5, v_reset=0.01)
    net = PopulationNetwork([pop], [rate_e, rate_i], [Connection(1, 0, w, 1.0), Connection(2, 0, -w, 1.0)])
    rate = solve(net, 0.25, DT).mean_rates(0.15)[0]
    expected = siegert_rate_hz(tau, 0.02, 0.01, mu, sigma)
    print(f"small jumps: solver {rate:.4f} Hz, Siegert {expected:.4f} Hz, error {100 * abs(rate / expected - 1):.2f} %")
    assert abs(rate / expected - 1) < 0.05
