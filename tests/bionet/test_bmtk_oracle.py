"""The bmtk oracle itself: its networks, inputs and configs are well formed and bmtk runs them."""

import json

import h5py
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("bmtk", reason="bmtk is the oracle of the parity tests (pip install simlib[test])")

import bmtk_oracle as oracle  # tests/bionet is on sys.path (pytest prepends a test file's folder)


@pytest.fixture(scope="module")
def mech_dir(bmtk_nrnmech):
    """bmtk's mod files compiled once; the folder bmtk's ``components.mechanisms_dir`` wants."""
    return oracle.nrnmech_dir(bmtk_nrnmech)


@pytest.fixture(scope="module")
def explicit_network(tmp_path_factory):
    return oracle.write_explicit_synapse_network(tmp_path_factory.mktemp("explicit") / "network", seed=1)


# --- no NEURON run ---------------------------------------------------------------------------------

def test_section_names_follow_biophys1_order():
    names = oracle.section_names("Scnn1a_473845048_m.swc")
    assert names[0] == "soma[0]"
    assert names[-2:] == ("axon[0]", "axon[1]")  # fix_axon_peri's stubs, appended last
    kinds = [n.split("[")[0] for n in names[:-2]]
    assert kinds == sorted(kinds, key=["soma", "dend", "apic"].index)
    ids = oracle.dendritic_section_ids("Scnn1a_473845048_m.swc")
    assert ids.min() >= 1 and ids.max() < len(names) - 2


def test_explicit_network_has_one_row_per_placed_synapse(explicit_network):
    nodes = oracle.read_nodes(explicit_network, "cortex")
    assert len(nodes) == 5 and set(nodes["ei"]) == {"e", "i"}
    for edges_file, pop, n_sources in [("cortex_cortex_edges.h5", "cortex_to_cortex", 5),
                                       ("inputs_cortex_edges.h5", "inputs_to_cortex", 20)]:
        with h5py.File(explicit_network / edges_file, "r") as f:
            grp = f["edges"][pop]
            assert "indices/target_to_source/node_id_to_range" in grp
            group = grp["0"]
            assert set(group) == {"afferent_section_id", "afferent_section_pos", "syn_weight", "delay"}
            sec_id = group["afferent_section_id"][()][grp["edge_group_index"][()]]
            pos = group["afferent_section_pos"][()]
            targets = grp["target_node_id"][()]
            sources = grp["source_node_id"][()]
            assert set(np.unique(sources)) == set(range(n_sources))
            assert 0.05 <= pos.min() and pos.max() <= 0.95
            assert (group["syn_weight"][()] > 0).all() and (group["delay"][()] >= 1.0).all()
        for trg in range(5):
            valid = oracle.dendritic_section_ids(nodes.loc[trg, "morphology"])
            assert np.isin(sec_id[targets == trg], valid).all(), (edges_file, trg)
        if pop == "cortex_to_cortex":
            assert not (sources == targets).any()


def test_explicit_network_is_reproducible(explicit_network, tmp_path):
    again = oracle.write_explicit_synapse_network(tmp_path / "network", seed=1)
    for name in ("cortex_cortex_edges.h5", "inputs_cortex_edges.h5"):
        with h5py.File(explicit_network / name, "r") as a, h5py.File(again / name, "r") as b:
            pop = next(iter(a["edges"]))
            for key in ("source_node_id", "target_node_id", "0/afferent_section_id", "0/syn_weight"):
                np.testing.assert_array_equal(a["edges"][pop][key][()], b["edges"][pop][key][()])


def test_l4_network_is_the_tutorial_network(tmp_path):
    net = oracle.write_l4_network(tmp_path / "network", seed=0)
    v1 = oracle.read_nodes(net, "V1")
    assert v1["pop_name"].value_counts().to_dict() == {"Scnn1a": 80, "Rorb": 80, "Nr5a1": 80, "PV1": 60}
    assert v1.loc[v1["ei"] == "i", "tuning_angle"].isna().all()
    lgn = oracle.read_nodes(net, "LGN")
    assert len(lgn) == 100 and set(lgn["model_type"]) == {"virtual"}
    synapses = oracle.bmtk_components_dir() / "synaptic_models"
    for name, n_types in [("V1_V1", 4), ("LGN_V1", 2)]:
        types = pd.read_csv(net / f"{name}_edge_types.csv", sep=" ")
        assert len(types) == n_types
        assert all((synapses / p).is_file() for p in types["dynamics_params"])
    with h5py.File(net / "V1_V1_edges.h5", "r") as f:
        grp = f["edges/V1_to_V1"]
        src, trg = grp["source_node_id"][()], grp["target_node_id"][()]
        assert not (src == trg).any()  # the tutorial's rules drop autapses
        assert grp["0/nsyns"].dtype == np.uint32


def test_poisson_input_uses_bmtk_generator_and_keeps_global_state(tmp_path):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    path = oracle.write_poisson_input(tmp_path / "lgn.h5", range(100), 8.0, 2.0, seed=5)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    ids, ts = oracle.read_spikes(path)
    assert set(np.unique(ids)) <= set(range(100))
    assert ts.min() >= 0 and ts.max() <= 2000.0  # written in ms
    assert abs(len(ts) / (100 * 2.0) - 8.0) < 1.0  # 1,600 expected spikes; 1 Hz is ~4.5 sd
    again = oracle.read_spikes(oracle.write_poisson_input(tmp_path / "again.h5", range(100), 8.0, 2.0, seed=5))
    np.testing.assert_array_equal(np.sort(ts), np.sort(again[1]))


def test_config_lists_virtual_populations_last_and_checks_mechanisms(explicit_network, tmp_path):
    fake_mech = tmp_path / "mech"
    with pytest.raises(oracle.OracleError, match="libnrnmech.so"):
        oracle.write_bmtk_config(tmp_path / "c.json", explicit_network, oracle.bmtk_components_dir(), fake_mech,
                                 tmp_path / "out", 100.0)
    (fake_mech / "x86_64").mkdir(parents=True)
    (fake_mech / "x86_64" / "libnrnmech.so").touch()
    if oracle.platform.machine() != "x86_64":
        pytest.skip("the fake library above is laid out for x86_64")
    cfg = json.loads(oracle.write_bmtk_config(
        tmp_path / "c.json", explicit_network, oracle.bmtk_components_dir(), fake_mech / "x86_64" / "libnrnmech.so",
        tmp_path / "out", 100.0, run_extra={"merge_synapses": False}).read_text())
    assert [n["nodes_file"].rsplit("/", 1)[1] for n in cfg["networks"]["nodes"]] == ["cortex_nodes.h5",
                                                                                    "inputs_nodes.h5"]
    assert len(cfg["networks"]["edges"]) == 2
    assert cfg["components"]["mechanisms_dir"] == str(fake_mech.resolve())
    assert cfg["run"]["nsteps_block"] > 0 and cfg["run"]["merge_synapses"] is False
    assert cfg["run"]["dt"] == 0.1 and cfg["run"]["dL"] == 20.0 and cfg["run"]["spike_threshold"] == -15.0
    assert cfg["conditions"] == {"celsius": 34.0, "v_init": -80.0}


def test_population_rates():
    nodes = pd.DataFrame({"pop_name": ["a", "a", "b", "c"]}, index=pd.Index([0, 1, 2, 3], name="node_id"))
    spikes = (np.array([0, 0, 1, 2, 2, 2, 0]), np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 600.0]))
    rates = oracle.population_rates(spikes, nodes, tstart_ms=0.0, tstop_ms=500.0)
    assert rates == {"a": 3.0 / 2 / 0.5, "b": 3.0 / 0.5, "c": 0.0}
    with pytest.raises(oracle.OracleError, match="not in the nodes table"):
        oracle.population_rates((np.array([9]), np.array([1.0])), nodes, tstop_ms=500.0)


# --- bmtk BioNet runs --------------------------------------------------------------------------------

@pytest.mark.parity
def test_single_cell_iclamp_spikes_in_bmtk(tmp_path, mech_dir):
    net = oracle.write_single_cell(tmp_path / "network")
    cfg = oracle.write_bmtk_config(tmp_path / "config.json", net, oracle.bmtk_components_dir(), mech_dir,
                                   tmp_path / "output", 700.0,
                                   inputs={"iclamp": oracle.current_clamp_input("all", 0.3, 100.0, 500.0)})
    result = oracle.run_bmtk(cfg, timeout=300)
    ids, ts = oracle.read_spikes(result["spikes_file"])
    assert len(ts) > 0 and set(ids) == {0}
    assert ts.min() > 100.0 and ts.max() < 620.0  # only while the clamp is on
    assert set(oracle.PHASES) <= set(result["timings"])


@pytest.mark.parity
def test_explicit_network_runs_in_bmtk_serial_and_mpi(explicit_network, tmp_path, mech_dir):
    spikes_in = oracle.write_poisson_input(tmp_path / "inputs.h5", range(20), 10.0, 1.0, seed=3, population="inputs")
    nodes = oracle.read_nodes(explicit_network, "cortex")
    runs = {}
    for ranks in (1, 2):
        cfg = oracle.write_bmtk_config(tmp_path / f"config_{ranks}.json", explicit_network,
                                       oracle.bmtk_components_dir(), mech_dir, tmp_path / f"output_{ranks}", 1000.0,
                                       inputs={"inputs": oracle.spikes_input(spikes_in, "inputs")})
        result = oracle.run_bmtk(cfg, ranks=ranks, timeout=300)
        assert result["timings"]["ranks"] == ranks
        runs[ranks] = oracle.read_spikes(result["spikes_file"])
    rates = oracle.population_rates(runs[1], nodes, tstop_ms=1000.0)
    assert all(rate > 0 for rate in rates.values()), rates  # every cell, exc and inh, is driven
    # bmtk's MPI run (with bmtk_run.py's ParallelContext stand-in for mpi4py) gives the serial spikes
    serial, mpi = (np.lexsort((t, i)) for i, t in (runs[1], runs[2]))
    np.testing.assert_array_equal(runs[1][0][serial], runs[2][0][mpi])
    np.testing.assert_allclose(runs[1][1][serial], runs[2][1][mpi], atol=1e-9)
