"""Black-box parity of simlib's mechanisms with BMTK's compiled mod files (protocols in mech_protocols.py)."""

import numpy as np
import pytest
from mech_protocols import CASES, RECORD_DT_MS, SPIKING, TEMPERATURES_C

pytestmark = [pytest.mark.slow, pytest.mark.parity]

VCLAMP_TOL = 0.02    # of the peak of BMTK's trace
ICLAMP_TOL_MV = 0.5


def traces(parity_traces, key):
    return parity_traces["simlib"][key], parity_traces["bmtk"][key]


def spike_times_ms(v_mv: np.ndarray, threshold_mv: float = 0.0) -> np.ndarray:
    """Upward threshold crossings, linearly interpolated between samples."""
    k = np.flatnonzero((v_mv[:-1] < threshold_mv) & (v_mv[1:] >= threshold_mv))
    return (k + (threshold_mv - v_mv[k]) / (v_mv[k + 1] - v_mv[k])) * RECORD_DT_MS


@pytest.mark.parametrize("celsius", TEMPERATURES_C)
@pytest.mark.parametrize("name", CASES)
def test_voltage_clamp_current_matches_bmtk(parity_traces, name, celsius):
    ours, theirs = traces(parity_traces, f"{name}@{celsius:g}/vclamp")
    peak = np.abs(theirs[:, 1]).max()
    assert peak > 0
    assert np.abs(ours[:, 1] - theirs[:, 1]).max() <= VCLAMP_TOL * peak


@pytest.mark.parametrize("celsius", TEMPERATURES_C)
@pytest.mark.parametrize("name", CASES)
def test_current_clamp_matches_bmtk(parity_traces, name, celsius):
    ours, theirs = traces(parity_traces, f"{name}@{celsius:g}/iclamp")
    assert np.abs(ours[0] - theirs[0]).max() < ICLAMP_TOL_MV
    assert np.abs(ours[1] - theirs[1]).max() <= VCLAMP_TOL * np.abs(theirs[1]).max()


@pytest.mark.parametrize("celsius", TEMPERATURES_C)
@pytest.mark.parametrize("name", SPIKING)
def test_spiking_soma_matches_bmtk(parity_traces, name, celsius):
    ours, theirs = traces(parity_traces, f"{name}@{celsius:g}/iclamp")
    ours_ms, theirs_ms = spike_times_ms(ours[0]), spike_times_ms(theirs[0])
    assert len(theirs_ms) >= 3 and len(ours_ms) == len(theirs_ms)
    assert np.abs(ours_ms - theirs_ms).max() < 0.01
    assert np.abs(ours[0] - theirs[0]).max() < ICLAMP_TOL_MV


@pytest.mark.parametrize("celsius", TEMPERATURES_C)
def test_nav_starts_at_steady_state(parity_traces, celsius):
    # Deliberate difference: BMTK's NaV starts away from the steady state of its own kinetics
    # and relaxes within ~2 ms; simlib's INITIAL solves for the steady state exactly.
    ours, theirs = traces(parity_traces, f"NaV@{celsius:g}/vclamp")
    hold = slice(0, int(19.0 / RECORD_DT_MS))
    ina = ours[:, 1, hold]
    assert np.abs(ina - ina[:, :1]).max() <= 1e-6 * np.abs(ina).max()
    settled = slice(int(5.0 / RECORD_DT_MS), None)
    assert np.abs(ours[:, 1, settled] - theirs[:, 1, settled]).max() <= 1e-6 * np.abs(theirs[:, 1]).max()
