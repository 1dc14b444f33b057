"""simlib's BioNet against bmtk's on the same networks, configs, Allen components and mod library."""

import h5py
import numpy as np
import pytest

pytest.importorskip("bmtk", reason="bmtk is the oracle of the parity tests (pip install simlib[test])")

import bmtk_oracle as oracle  # noqa: E402  (tests/bionet is on sys.path)
from simnet import run_simlib  # noqa: E402

pytestmark = pytest.mark.parity


@pytest.fixture(scope="module")
def mech_dir(bmtk_nrnmech):
    return oracle.nrnmech_dir(bmtk_nrnmech)


def run_both(tmp_path, network, mech_dir, tstop_ms, inputs, reports=None, timeout=900):
    """The same config run by bmtk and by simlib; (bmtk spikes, simlib spikes) as (node_ids, times)."""
    out = {}
    for who in ("bmtk", "simlib"):
        cfg = oracle.write_bmtk_config(tmp_path / f"config_{who}.json", network, oracle.bmtk_components_dir(),
                                       mech_dir, tmp_path / f"output_{who}", tstop_ms, inputs=inputs,
                                       reports=reports)
        if who == "bmtk":
            out[who] = oracle.read_spikes(oracle.run_bmtk(cfg, timeout=timeout)["spikes_file"])
        else:
            proc = run_simlib(cfg, timeout=timeout)
            assert proc.returncode == 0, proc.stderr[-3000:]
            out[who] = oracle.read_spikes(tmp_path / "output_simlib" / "spikes.h5")
    return out["bmtk"], out["simlib"]


def by_node(spikes):
    ids, times = spikes
    return {int(n): np.sort(times[ids == n]) for n in np.unique(ids)}


@pytest.mark.parametrize("fit,morphology,processing", [
    ("472363762_fit.json", "Scnn1a_473845048_m.swc", "aibs_perisomatic"),
    ("472912177_fit.json", "Pvalb_470522102_m.swc", "aibs_perisomatic"),
    ("318331342_fit.json", "Rorb_325404214_m.swc", "aibs_allactive"),  # an all-active fit, any morphology
])
def test_single_allen_cell_iclamp_same_spike_times(tmp_path, mech_dir, fit, morphology, processing):
    net = oracle.write_single_cell(tmp_path / "network", fit=fit, morphology=morphology, model_processing=processing)
    amp_nA = 0.3 if processing == "aibs_perisomatic" else 1.0  # the all-active fit needs more current
    clamp = {"iclamp": oracle.current_clamp_input("all", amp_nA, 100.0, 500.0)}
    report = {"soma_v": {"module": "membrane_report", "cells": "all", "variable_name": "v", "sections": "soma"}}
    bmtk, ours = run_both(tmp_path, net, mech_dir, 700.0, clamp, reports=report)
    assert bmtk[1].size >= 2
    assert ours[1].size == bmtk[1].size
    np.testing.assert_allclose(np.sort(ours[1]), np.sort(bmtk[1]), atol=0.1)
    with h5py.File(tmp_path / "output_bmtk" / "soma_v.h5") as a, h5py.File(tmp_path / "output_simlib" / "soma_v.h5") as b:
        theirs, mine = a["report/cell/data"][()][:, 0], b["report/cell/data"][()][:, 0]
    # simlib's row k is the state at k*dt (row 0 = v_init); bmtk's row k is one step later
    assert mine[0] == pytest.approx(-80.0)
    np.testing.assert_allclose(mine[1:], theirs[:-1], atol=1e-6)


def test_explicit_synapse_network_same_spikes(tmp_path, mech_dir):
    net = oracle.write_explicit_synapse_network(tmp_path / "network", seed=1)
    spikes_in = oracle.write_poisson_input(tmp_path / "inputs.h5", range(20), 10.0, 1.0, seed=3, population="inputs")
    bmtk, ours = run_both(tmp_path, net, mech_dir, 1000.0, {"inputs": oracle.spikes_input(spikes_in, "inputs")})
    want, got = by_node(bmtk), by_node(ours)
    assert set(got) == set(want) == set(range(5)), "every cell fires in both"
    for node in want:
        assert got[node].size == want[node].size, node
        np.testing.assert_allclose(got[node], want[node], atol=0.1)


@pytest.mark.slow
def test_l4_network_population_rates_within_10_percent(tmp_path, mech_dir):
    """The seed L4 network built by bmtk (random synapse placement, set_syn_weight), 8 Hz LGN, 1 s."""
    tstop_ms = 1000.0
    net = oracle.write_l4_network(tmp_path / "network", seed=0)
    lgn = oracle.write_poisson_input(tmp_path / "lgn.h5", range(100), 8.0, tstop_ms / 1000, seed=1)
    bmtk, ours = run_both(tmp_path, net, mech_dir, tstop_ms, {"LGN_spikes": oracle.spikes_input(lgn, "LGN")},
                          timeout=1800)
    nodes = oracle.read_nodes(net, "V1")
    want = oracle.population_rates(bmtk, nodes, tstop_ms=tstop_ms)
    got = oracle.population_rates(ours, nodes, tstop_ms=tstop_ms)
    assert set(want) == {"Scnn1a", "Rorb", "Nr5a1", "PV1"}
    for pop, rate in want.items():
        assert rate > 1.0, (pop, rate)
        assert got[pop] == pytest.approx(rate, rel=0.10), (pop, got, want)
    # synapse placement follows bmtk's RandomState(gid) draws, so most spikes coincide too
    matched = np.mean([np.isin(np.round(t, 1), np.round(by_node(bmtk).get(n, []), 1)).mean()
                       for n, t in by_node(ours).items()])
    assert matched > 0.5


def test_syn_activity_same_as_bmtk(tmp_path, mech_dir):
    """Spontaneous exc -> all synapses at given times (bmtk implements precell_filter): same soma traces."""
    from simnet import build_network, offline_components

    components = offline_components(tmp_path / "components")
    net = build_network(tmp_path / "network")
    spont = {"spont": {"input_type": "syn_activity", "module": "syn_activity",
                       "precell_filter": {"population": "V1", "ei": "e"}, "timestamps": [50.0, 120.0, 200.0]}}
    report = {"soma_v": {"module": "membrane_report", "cells": {"population": "V1"}, "variable_name": "v",
                         "sections": "soma"}}
    traces = {}
    for who in ("bmtk", "simlib"):
        cfg = oracle.write_bmtk_config(tmp_path / f"config_{who}.json", net, components, mech_dir,
                                       tmp_path / f"output_{who}", 300.0, inputs=spont, reports=report)
        if who == "bmtk":
            oracle.run_bmtk(cfg, timeout=600)
        else:
            proc = run_simlib(cfg)
            assert proc.returncode == 0, proc.stderr[-3000:]
        with h5py.File(tmp_path / f"output_{who}" / "soma_v.h5") as h5:
            traces[who] = h5["report/V1/data"][()]
    theirs, mine = traces["bmtk"], traces["simlib"]
    np.testing.assert_allclose(mine[1:], theirs[:-1], atol=1e-6)
    k = int(52.0 / 0.1)
    assert np.all(mine[k + 10] - mine[k - 5] > 0.05), "every cell gets the spontaneous EPSPs"


def test_csv_spike_input_same_spikes_as_bmtk(tmp_path, mech_dir):
    """module csv (the advanced-inputs tutorial's CSV example) on the explicit-synapse network."""
    from simlib.spikes import PoissonSpikeGenerator

    net = oracle.write_explicit_synapse_network(tmp_path / "network", seed=2)
    psg = PoissonSpikeGenerator(population="inputs", seed=4)
    psg.add(node_ids=range(20), firing_rate=10.0, times=(0.0, 1.0))
    psg.to_csv(tmp_path / "inputs.csv")
    inputs = {"csv_spikes": {"input_type": "spikes", "module": "csv", "input_file": str(tmp_path / "inputs.csv"),
                             "node_set": "inputs"}}
    bmtk, ours = run_both(tmp_path, net, mech_dir, 1000.0, inputs)
    want, got = by_node(bmtk), by_node(ours)
    assert want and set(got) == set(want)
    for node in want:
        np.testing.assert_allclose(got[node], want[node], atol=0.1)
