"""simlib's BioNet on a small network of the offline cells: outputs, MPI, CoreNEURON, merging, weights."""

import json

import h5py
import numpy as np
import pytest

from simnet import (build_network, mechanisms_dir, offline_components, read_spikes, run_simlib, write_config,
                    write_poisson)

TSTOP_MS = 500.0


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("bionet")
    components = offline_components(root / "components")
    net = build_network(root / "network")
    write_poisson(root / "lgn.h5", 8, 15.0, TSTOP_MS / 1000, seed=3)
    write_poisson(root / "lgn.csv", 8, 15.0, TSTOP_MS / 1000, seed=3)
    return root, components, net


def spikes_input(path, module="sonata"):
    return {"lgn": {"input_type": "spikes", "module": module, "input_file": str(path), "node_set": "LGN"}}


REPORTS = {"soma_v": {"module": "membrane_report", "cells": {"population": "V1", "pop_name": "Exc"},
                      "variable_name": "v", "sections": "soma"}}


@pytest.fixture(scope="module")
def baseline(setup, nrnmech):
    root, components, net = setup
    config = write_config(root / "base" / "config.json", net, components, mechanisms_dir(nrnmech), TSTOP_MS,
                          inputs=spikes_input(root / "lgn.h5"), reports=REPORTS)
    proc = run_simlib(config, args=["--timings", str(root / "base" / "timings.json")])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return config.parent / "output"


def test_outputs(baseline):
    ids, times = read_spikes(baseline / "spikes.h5")
    assert ids.size > 10, "the network should spike under 15 Hz LGN input"
    assert set(np.unique(ids)) <= set(range(8))
    assert np.all(np.diff(times) >= 0), "spikes sorted by time"
    assert times.min() > 0 and times.max() < TSTOP_MS
    with h5py.File(baseline / "spikes.h5") as h5:
        assert h5["spikes/V1/timestamps"].attrs["units"] == "ms"
    csv = np.loadtxt(baseline / "spikes.csv", skiprows=1, usecols=(0, 2))
    assert csv.shape[0] == ids.size
    with h5py.File(baseline / "soma_v.h5") as h5:
        data = h5["report/V1/data"][()]
        assert list(h5["report/V1/mapping/node_ids"][()]) == list(range(6))
        assert list(h5["report/V1/mapping/time"][()]) == [0.0, TSTOP_MS, 0.1]
    assert data.shape == (int(TSTOP_MS / 0.1), 6)
    assert data[0, 0] == pytest.approx(-80.0)  # row 0 is the initial state (v_init)
    assert data.max() > 0, "recorded somatic spikes overshoot 0 mV"
    assert "simulated 500.0 ms" in (baseline / "log.txt").read_text()
    timings = json.loads((baseline.parent / "timings.json").read_text())
    assert set(timings) == {"cells", "synapses", "inputs", "setup", "simulate"}


def test_spike_times_match_membrane_threshold_crossings(baseline):
    """Every recorded soma upward crossing of -15 mV is a spike in the spikes file, and vice versa."""
    ids, times = read_spikes(baseline / "spikes.h5")
    with h5py.File(baseline / "soma_v.h5") as h5:
        v = h5["report/V1/data"][()]
    for node in range(6):
        crossings = np.flatnonzero((v[:-1, node] < -15) & (v[1:, node] >= -15))
        spikes = np.sort(times[ids == node])
        assert len(crossings) == len(spikes)
        assert np.all(np.abs(spikes - (crossings + 1) * 0.1) <= 0.1 + 1e-9)


def test_mpi_two_ranks_identical_files(setup, nrnmech, baseline):
    root, components, net = setup
    config = write_config(root / "mpi" / "config.json", net, components, mechanisms_dir(nrnmech), TSTOP_MS,
                          inputs=spikes_input(root / "lgn.h5"), reports=REPORTS)
    proc = run_simlib(config, ranks=2)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "on 2 rank(s)" in (config.parent / "output" / "log.txt").read_text()
    assert (config.parent / "output" / "spikes.h5").read_bytes() == (baseline / "spikes.h5").read_bytes()
    with h5py.File(baseline / "soma_v.h5") as one, h5py.File(config.parent / "output" / "soma_v.h5") as two:
        assert np.array_equal(one["report/V1/data"][()], two["report/V1/data"][()])


def test_csv_and_hdf5_inputs_same_as_sonata(setup, nrnmech, baseline):
    root, components, net = setup
    for name, path, module in (("csv", root / "lgn.csv", "csv"), ("hdf5", root / "lgn.h5", "hdf5")):
        config = write_config(root / name / "config.json", net, components, mechanisms_dir(nrnmech), TSTOP_MS,
                              inputs=spikes_input(path, module))
        proc = run_simlib(config)
        assert proc.returncode == 0, proc.stderr[-3000:]
        got, want = read_spikes(config.parent / "output" / "spikes.h5"), read_spikes(baseline / "spikes.h5")
        assert np.array_equal(got[0], want[0]) and np.allclose(got[1], want[1], atol=1e-9)


def test_merging_gives_identical_spikes(setup, nrnmech, baseline):
    root, components, net = setup
    config = write_config(root / "nomerge" / "config.json", net, components, mechanisms_dir(nrnmech), TSTOP_MS,
                          inputs=spikes_input(root / "lgn.h5"), run={"merge_synapses": False})
    proc = run_simlib(config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got, want = read_spikes(config.parent / "output" / "spikes.h5"), read_spikes(baseline / "spikes.h5")
    assert np.array_equal(got[0], want[0])
    assert np.allclose(got[1], want[1], atol=1e-6)
    merged_log = (baseline / "log.txt").read_text()
    assert "merging on" in merged_log and "merging off" in (config.parent / "output" / "log.txt").read_text()


def test_coreneuron_backend_same_spikes(setup, corenrnmech, baseline):
    root, components, net = setup
    config = write_config(root / "core" / "config.json", net, components, mechanisms_dir(corenrnmech), TSTOP_MS,
                          inputs=spikes_input(root / "lgn.h5"), reports=REPORTS, run={"backend": "coreneuron"})
    proc = run_simlib(config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got, want = read_spikes(config.parent / "output" / "spikes.h5"), read_spikes(baseline / "spikes.h5")
    assert np.array_equal(got[0], want[0])
    assert np.allclose(got[1], want[1], atol=1e-6)
    with h5py.File(baseline / "soma_v.h5") as a, h5py.File(config.parent / "output" / "soma_v.h5") as b:
        assert np.abs(a["report/V1/data"][()] - b["report/V1/data"][()]).max() < 1e-4


def test_coreneuron_needs_coreneuron_build(setup, nrnmech):
    root, components, net = setup
    config = write_config(root / "core_bad" / "config.json", net, components, mechanisms_dir(nrnmech), TSTOP_MS,
                          run={"backend": "coreneuron"})
    proc = run_simlib(config)
    assert proc.returncode == 1
    assert "nrnivmodl -coreneuron" in proc.stderr


def test_current_clamp_lists_and_node_set_filter(setup, nrnmech):
    """Two pulses on the Inh cells only (attribute filter); the rest of the network is silent."""
    root, components, net = setup
    clamp = {"input_type": "current_clamp", "module": "IClamp", "node_set": {"population": "V1", "pop_name": "Inh"},
             "amp": [0.6, 0.6], "delay": [50.0, 300.0], "duration": [100.0, 100.0]}
    config = write_config(root / "clamp" / "config.json", net, components, mechanisms_dir(nrnmech), TSTOP_MS,
                          inputs={"clamp": clamp})
    proc = run_simlib(config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ids, times = read_spikes(config.parent / "output" / "spikes.h5")
    assert set(ids.tolist()) == {6, 7}
    in_pulse = ((times > 50) & (times < 152)) | ((times > 300) & (times < 402))
    assert in_pulse.all() and (times < 200).any() and (times > 300).any()


def test_weight_function_from_functions_file(setup, nrnmech, baseline, tmp_path):
    """A weight function named by the edge type, defined in a file named in the config."""
    root, components, _ = setup
    net = build_network(tmp_path / "network", weight_function="set_syn_weight")
    # built-in set_syn_weight = syn_weight: the same spikes as without a weight function
    config = write_config(tmp_path / "builtin" / "config.json", net, components, mechanisms_dir(nrnmech), TSTOP_MS,
                          inputs=spikes_input(root / "lgn.h5"))
    proc = run_simlib(config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got, want = read_spikes(config.parent / "output" / "spikes.h5"), read_spikes(baseline / "spikes.h5")
    assert np.array_equal(got[0], want[0]) and np.allclose(got[1], want[1])
    # the user's set_syn_weight (the tutorial's distance rule, here x40) replaces it
    functions = tmp_path / "weights.py"
    functions.write_text(
        "import numpy as np\n"
        "from simlib.bionet import synaptic_weight\n\n"
        "@synaptic_weight\n"
        "def set_syn_weight(edge_props, source, target):\n"
        "    d = np.linalg.norm(np.array([source['x'], source['y'], source['z']]) -\n"
        "                       np.array([target['x'], target['y'], target['z']]))\n"
        "    assert source['population'] == 'V1' and isinstance(target['node_id'], int)\n"
        "    return edge_props['syn_weight'] * 40.0 * (1.0 if d > 0 else 0.0)\n")
    config = write_config(tmp_path / "user" / "config.json", net, components, mechanisms_dir(nrnmech), TSTOP_MS,
                          inputs=spikes_input(root / "lgn.h5"))
    data = json.loads(config.read_text())
    data["components"]["functions_file"] = str(functions)
    config.write_text(json.dumps(data))
    proc = run_simlib(config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ids, _ = read_spikes(config.parent / "output" / "spikes.h5")
    exc_before = np.sum(want[0] < 6)
    assert np.sum(ids < 6) > 1.5 * exc_before, "stronger E->E weights raise the excitatory rate"


def test_mechanisms_dir_with_modfiles_compiled_in_place(setup, tmp_path, bmtk_components):
    """A BMTK-style components/mechanisms folder (modfiles/ only) is compiled on first use; templates_dir
    is accepted; node sets from node_sets_file; spikes sorted by node id."""
    import platform
    import shutil

    from simlib.mechanisms import MOD_DIR

    root, components, net = setup
    mech = tmp_path / "mechanisms"
    shutil.copytree(MOD_DIR, mech / "modfiles", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (tmp_path / "node_sets.json").write_text(json.dumps({"excitatory": {"population": "V1", "ei": "e"}}))
    config = write_config(tmp_path / "config.json", net, components, mech, 200.0,
                          inputs=spikes_input(root / "lgn.h5"),
                          reports={"v": {"module": "membrane_report", "cells": "excitatory", "variable_name": "v",
                                         "sections": "soma"}},
                          node_sets_file=str(tmp_path / "node_sets.json"))
    data = json.loads(config.read_text())
    data["components"]["templates_dir"] = str(bmtk_components / "templates")
    data["output"]["spikes_sort_order"] = "node_id"
    config.write_text(json.dumps(data))
    proc = run_simlib(config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (mech / platform.machine() / "libnrnmech.so").is_file()
    ids, times = read_spikes(tmp_path / "output" / "spikes.h5")
    assert ids.size > 0 and np.all(np.diff(ids) >= 0)
    with h5py.File(tmp_path / "output" / "spikes.h5") as h5:
        assert h5["spikes/V1"].attrs["sorting"] == 1  # SONATA enum: by_id
    with h5py.File(tmp_path / "output" / "v.h5") as h5:
        assert list(h5["report/V1/mapping/node_ids"][()]) == list(range(6))
    # a second run finds the library and does not compile again
    stamp = (mech / platform.machine() / "libnrnmech.so").stat().st_mtime
    assert run_simlib(config).returncode == 0
    assert (mech / platform.machine() / "libnrnmech.so").stat().st_mtime == stamp


def test_node_ids_with_gaps_get_all_their_synapses(setup, nrnmech, tmp_path):
    """V1 node ids 0 and 5 (a gap): every cell gets its input synapses and spikes under its own id."""
    from simlib.builder import NetworkBuilder
    from simnet import BIO

    _, components, _ = setup
    net = tmp_path / "network"
    v1 = NetworkBuilder("V1")
    v1.add_nodes(N=2, node_id=[0, 5], pop_name="Exc", morphology="pyr.swc", dynamics_params="rs_fit.json",
                 x=[0.0, 20.0], y=[0.0, 0.0], z=[0.0, 0.0], **BIO)
    v1.build()
    v1.save(str(net), compression="none")
    lgn = NetworkBuilder("LGN")
    lgn.add_nodes(N=2, model_type="virtual", pop_name="tON")
    lgn.add_edges(target=v1.nodes(), connection_rule=3, syn_weight=4e-3, delay=2.0, target_sections=["basal"],
                  distance_range=[0.0, 150.0], model_template="exp2syn", dynamics_params="LGN_ExcToExc.json")
    lgn.build()
    lgn.save(str(net), compression="none")
    write_poisson(tmp_path / "lgn.h5", 2, 100.0, 0.3, seed=3)
    config = write_config(tmp_path / "gaps" / "config.json", net, components, mechanisms_dir(nrnmech), 300.0,
                          inputs=spikes_input(tmp_path / "lgn.h5"), networks=None)
    text = json.loads(config.read_text())
    text["networks"]["edges"] = [e for e in text["networks"]["edges"] if "LGN_V1" in e["edges_file"]]
    config.write_text(json.dumps(text))
    proc = run_simlib(config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (config.parent / "output" / "log.txt").read_text()
    assert "2 cells, 12 synapses" in log, log   # 2 sources x 2 targets x 3 synapses, node 5 included
    ids, _ = read_spikes(config.parent / "output" / "spikes.h5")
    assert set(ids.tolist()) == {0, 5}
