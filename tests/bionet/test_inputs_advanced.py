"""Generator-function spike inputs and spontaneous synaptic activity (syn_activity), run on NEURON."""

import json

import h5py
import numpy as np
import pytest

from simlib.bionet.inputs import read_timestamps
from simlib.errors import ConfigError, FormatError
from simnet import build_network, mechanisms_dir, offline_components, read_spikes, run_simlib, write_config

TSTOP_MS = 400.0
SOMA_V = {"v": {"module": "membrane_report", "cells": {"population": "V1"}, "variable_name": "v", "sections": "soma"}}

GENERATORS = '''
import numpy as np
from simlib.bionet import spikes_generator

CALLS = []

@spikes_generator
def regular(node, sim):
    CALLS.append(node.node_id)
    assert node.population_name == "LGN" and node["pop_name"] == "tON" and sim.tstop == 400.0
    return np.arange(20.0 + 5 * node.node_id, sim.tstop, step=sim.dt * 250)

@spikes_generator(name="unsorted")
def _unsorted(node, sim):
    return [30.0, 10.0]

@spikes_generator
def negative(node, sim):
    return [-1.0]

@spikes_generator
def words(node, sim):
    return ["soon"]
'''


@pytest.fixture(scope="module")
def setup(tmp_path_factory, nrnmech):
    root = tmp_path_factory.mktemp("inputs_advanced")
    components = offline_components(root / "components")
    net = build_network(root / "network", lgn_weight=4e-3)
    (root / "generators.py").write_text(GENERATORS)
    return root, components, net, mechanisms_dir(nrnmech)


def run(setup, name, inputs, reports=SOMA_V, functions=True, tstop=TSTOP_MS):
    root, components, net, mech = setup
    config = write_config(root / name / "config.json", net, components, mech, tstop, inputs=inputs, reports=reports)
    if functions:
        data = json.loads(config.read_text())
        data["components"]["functions_file"] = str(root / "generators.py")
        config.write_text(json.dumps(data))
    return config, run_simlib(config)


def soma_v(config):
    with h5py.File(config.parent / "output" / "v.h5") as h5:
        return h5["report/V1/data"][()]


def test_generator_input_equals_the_same_trains_from_a_file(setup):
    """The function module delivers exactly the events of the equivalent SONATA spike file."""
    from simlib.spikes import SpikeTrains

    gen = {"lgn": {"input_type": "spikes", "module": "function", "spikes_function": "regular", "node_set": "LGN"}}
    config, proc = run(setup, "generated", gen)
    assert proc.returncode == 0, proc.stderr[-3000:]
    trains = SpikeTrains(population="LGN")
    for node in range(8):
        times = np.arange(20.0 + 5 * node, TSTOP_MS, step=25.0)
        trains.add_spikes(np.full(times.size, node), times)
    trains.to_sonata(setup[0] / "same.h5")
    filed = {"lgn": {"input_type": "spikes", "module": "sonata", "input_file": str(setup[0] / "same.h5"),
                     "node_set": "LGN"}}
    config_file, proc = run(setup, "from_file", filed, functions=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert np.array_equal(soma_v(config), soma_v(config_file))
    assert np.ptp(soma_v(config)) > 5.0, "the generated events drive the cells"
    ids, times = read_spikes(config.parent / "output" / "spikes.h5")
    ids_f, times_f = read_spikes(config_file.parent / "output" / "spikes.h5")
    assert ids.size > 0 and np.array_equal(ids, ids_f) and np.array_equal(times, times_f)


def test_generator_on_two_ranks_same_as_one(setup):
    gen = {"lgn": {"input_type": "spikes", "module": "function", "spikes_function": "regular", "node_set": "LGN"}}
    root, components, net, mech = setup
    one = root / "generated" / "output" / "spikes.h5"
    if not one.exists():
        assert run(setup, "generated", gen)[1].returncode == 0
    config, _ = run(setup, "generated_mpi", gen)
    proc = run_simlib(config, ranks=2)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (config.parent / "output" / "spikes.h5").read_bytes() == one.read_bytes()


@pytest.mark.parametrize("function, expected", [
    ("unsorted", "not sorted (t[0] = 30.0 > t[1] = 10.0)"),
    ("negative", "returned times [-1.0]; expected finite times >= 0 ms"),
    ("words", "returned ['soon']; expected a list or array of times in ms"),
    ("missing", "no spikes generator named 'missing'; registered:"),
])
def test_bad_generators(setup, function, expected):
    gen = {"lgn": {"input_type": "spikes", "module": "function", "spikes_function": function, "node_set": "LGN"}}
    config, proc = run(setup, f"bad_{function}", gen, reports={})
    assert proc.returncode == 1
    assert expected in proc.stderr and "Traceback" not in proc.stderr
    assert not (config.parent / "output" / "spikes.h5").exists()


def test_syn_activity_fires_only_the_matching_synapses(setup):
    """exc -> inh synapses fire at the timestamps: EPSPs in the Inh cells only, at t + delay."""
    times = [100.0, 250.0]
    spont = {"spont": {"input_type": "syn_activity", "module": "syn_activity",
                       "precell_filter": {"population": "V1", "ei": "e"},
                       "postcell_filter": {"population": "V1", "ei": "i"}, "timestamps": times}}
    config, proc = run(setup, "spont_ei", spont, functions=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    v = soma_v(config)
    exc, inh = v[:, :6], v[:, 6:]
    for t in times:
        k = int((t + 2.0) / 0.1)  # delay 2 ms
        assert np.all(inh[k + 5] - inh[k - 5] > 0.2), f"EPSP in every Inh cell after {t} ms"
        assert np.all(np.abs(exc[k + 5] - exc[k - 5]) < 0.05), "no synapse onto excitatory cells fires"
        assert np.all(np.abs(inh[k - 5] - inh[k - 15]) < 0.05), "nothing in the Inh cells just before"


def test_syn_activity_all_targets_from_a_timestamps_file(setup):
    root = setup[0]
    (root / "times.txt").write_text("# spontaneous release times (ms)\n150\n300.5\n")
    spont = {"spont": {"input_type": "syn_activity", "module": "syn_activity",
                       "precell_filter": {"population": "V1", "ei": "e"}, "timestamps": str(root / "times.txt")}}
    config, proc = run(setup, "spont_file", spont, functions=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    v = soma_v(config)
    k = int(152.0 / 0.1)
    assert np.all(v[k + 5, :6] > v[k - 5, :6]), "exc -> exc synapses fire too without a postcell_filter"
    assert np.all(v[k + 5, 6:] > v[k - 5, 6:])


def test_read_timestamps(tmp_path):
    assert read_timestamps([3.0, 1.0], "t").tolist() == [1.0, 3.0]
    assert read_timestamps(5, "t").tolist() == [5.0]
    bad = tmp_path / "bad.txt"
    bad.write_text("10\n20\ntwenty\n")
    with pytest.raises(FormatError, match="bad.txt: line 3: 'twenty' is not a time"):
        read_timestamps(str(bad), "t")
    with pytest.raises(ConfigError, match="not found"):
        read_timestamps(str(tmp_path / "none.txt"), "t")
    with pytest.raises(ConfigError, match=">= 0 ms"):
        read_timestamps([-2.0], "t")


def test_ecephys_probe_input_delivers_the_sampled_units(setup):
    """NWB units sampled onto the LGN population drive the network exactly as the same trains from a file."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "spikes"))
    from ecephys_sessions import write_session

    from simlib.spikes import SpikeTrains
    from simlib.spikes.ecephys import EcephysInput

    root = setup[0]
    nwb = write_session(root / "session.nwb", 715093703, seed=2, n_units_by_area={"VISl": 10, "CA1": 4})
    spec = {"input_type": "spikes", "module": "ecephys_probe", "input_file": str(nwb), "node_set": "LGN",
            "units": {"location": "VISl"}, "mapping": "sample", "interval": [1000.0, 1400.0], "seed": 5}
    config, proc = run(setup, "ecephys", {"visl": spec}, functions=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = EcephysInput(nwb, units={"location": "VISl"}, mapping="sample", interval=[1000.0, 1400.0],
                            seed=5).trains(range(8))
    trains = SpikeTrains(population="LGN")
    for node, times in expected.items():
        trains.add_spikes(np.full(times.size, node), times)
    assert len(trains) > 20
    trains.to_sonata(root / "ecephys_same.h5")
    filed = {"lgn": {"input_type": "spikes", "module": "sonata", "input_file": str(root / "ecephys_same.h5"),
                     "node_set": "LGN"}}
    config_file, proc = run(setup, "ecephys_file", filed, functions=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert np.array_equal(soma_v(config), soma_v(config_file))
    # a filter matching no unit: one clear error before the run
    spec_bad = dict(spec, units={"location": "Mars"})
    config_bad, proc = run(setup, "ecephys_bad", {"visl": spec_bad}, functions=False, reports={})
    assert proc.returncode == 1 and "matches no unit" in proc.stderr and "Traceback" not in proc.stderr
