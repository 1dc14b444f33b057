"""Single point neurons against closed forms: the alpha-current PSP, weight x nsyns, tstart, parrot relays."""

import numpy as np
import pytest
from pnet import PASSIVE, single_cell_network, spike_file, spikes_input, vm_report, write_config

from simlib.pointnet import simulate
from simlib.sonata.reports import read_compartment_report


def alpha_psp_mV(t_ms, weight_pA: float, tau_m_ms: float, c_m_pF: float, tau_syn_ms: float) -> np.ndarray:
    """Membrane response of a leaky membrane to NEST's alpha current w·e/τs·t·exp(-t/τs) starting at t = 0.

    Solves C dv/dt = -C v/τm + I(t), v(0) = 0: with a = 1/τs, b = 1/τm, k = w·e/(τs·C),
    v(t) = k/(b-a)² (e^{-bt} - e^{-at}) + k/(b-a) · t·e^{-at}.
    """
    t = np.clip(np.asarray(t_ms, dtype=float), 0.0, None)
    a, b = 1.0 / tau_syn_ms, 1.0 / tau_m_ms
    k = weight_pA * np.e / (tau_syn_ms * c_m_pF)
    return k / (b - a) ** 2 * (np.exp(-b * t) - np.exp(-a * t)) + k / (b - a) * t * np.exp(-a * t)


def run_cell(root, name, components, weights=(50.0,), nsyns=(1,), delay=1.5, spike_ms=10.0, tstop=60.0, run=None,
             syn_model="static_synapse"):
    net = single_cell_network(root / name / "net", weights=weights, nsyns=nsyns, delay=delay, syn_model=syn_model)
    spikes = spike_file(root / name / "in.h5", {0: [spike_ms]})
    config = write_config(root / name / "config.json", net, components, tstop, inputs={"lgn": spikes_input(spikes)},
                          reports={"v": vm_report()}, edges=(("LGN", "V1"),), run=run)
    simulate(config)
    return read_compartment_report(root / name / "output" / "v.h5")


def test_single_spike_psp_matches_the_closed_form(tmp_path, components):
    rep = run_cell(tmp_path, "psp", components, weights=(50.0,), delay=1.5, spike_ms=10.0)
    assert rep.data.shape == (600, 1)
    assert np.allclose(rep.time_ms, 0.1 * np.arange(1, 601))
    v = rep.data[:, 0] - PASSIVE["E_L"]
    expected = alpha_psp_mV(rep.time_ms - 11.5, 50.0, PASSIVE["tau_m"], PASSIVE["C_m"], PASSIVE["tau_syn_ex"])
    assert np.all(v[rep.time_ms <= 11.5] == 0.0)
    assert v.max() > 0.5   # a real PSP (about 0.65 mV)
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-9 * v.max())


def test_weight_is_syn_weight_times_nsyns(tmp_path, components):
    """Two cells, same syn_weight, nsyns 1 and 2: the second PSP is twice the first (BMTK's PointNet rule)."""
    rep = run_cell(tmp_path, "nsyns", components, weights=(50.0, 50.0), nsyns=(1, 2))
    v = rep.data - PASSIVE["E_L"]
    assert v[:, 0].max() > 0.5
    np.testing.assert_allclose(v[:, 1], 2.0 * v[:, 0], rtol=1e-12, atol=1e-12)
    expected = alpha_psp_mV(rep.time_ms - 11.5, 100.0, PASSIVE["tau_m"], PASSIVE["C_m"], PASSIVE["tau_syn_ex"])
    np.testing.assert_allclose(v[:, 1], expected, rtol=0, atol=1e-9)


def test_tstart_shifts_the_clock(tmp_path, components):
    """run.tstart = 100 ms: the input at 110 ms arrives at 111.5 ms, and the report is labelled from 100.1 ms."""
    rep = run_cell(tmp_path, "tstart", components, spike_ms=110.0, tstop=160.0, run={"tstart": 100.0})
    assert rep.data.shape == (600, 1)
    assert rep.time_ms[0] == pytest.approx(100.1)
    v = rep.data[:, 0] - PASSIVE["E_L"]
    expected = alpha_psp_mV(rep.time_ms - 111.5, 50.0, PASSIVE["tau_m"], PASSIVE["C_m"], PASSIVE["tau_syn_ex"])
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-9)


def test_plastic_synapse_from_a_virtual_node_goes_through_a_parrot(tmp_path, components):
    """stdp_synapse cannot start at a device: a parrot relays the spikes, one dt later (as BMTK's parrots)."""
    static = run_cell(tmp_path, "static", components)
    stdp = run_cell(tmp_path, "stdp", components, syn_model="stdp_synapse")
    v_static, v_stdp = static.data[:, 0], stdp.data[:, 0]
    np.testing.assert_allclose(v_stdp[1:], v_static[:-1], rtol=0, atol=1e-12)
    assert v_stdp.max() > PASSIVE["E_L"] + 0.5
