"""PointNet inputs: current clamps (onset and sums like NEURON's IClamp), spike files of every format, NWB units."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from pnet import EXC, PASSIVE, read_spikes, single_cell_network, spike_file, spikes_input, vm_report, write_config

from simlib.pointnet import simulate
from simlib.pointnet.inputs import ClampInput, clamp_steps
from simlib.sonata.reports import read_compartment_report
from simlib.spikes import SpikeTrains


def clamp(amp, delay, duration, node_set="V1"):
    return {"input_type": "current_clamp", "module": "IClamp", "node_set": node_set, "amp": amp, "delay": delay,
            "duration": duration}


def run(root, name, components, inputs, cell="passive.json", tstop=300.0, reports=None, run_opts=None,
        functions_file=None):
    net = single_cell_network(root / name / "net", cell_params=cell)
    config = write_config(root / name / "config.json", net, components, tstop, inputs=inputs,
                          reports={"v": vm_report()} if reports is None else reports, edges=(("LGN", "V1"),),
                          run=run_opts)
    if functions_file is not None:
        cfg = json.loads(config.read_text())
        cfg["components"]["functions_file"] = str(functions_file)
        config.write_text(json.dumps(cfg))
    return root / name / "output", simulate(config)


def test_current_clamp_makes_the_cell_fire_in_the_pulse(tmp_path, components):
    out, result = run(tmp_path, "fire", components, {"step": clamp(500.0, 100.0, 100.0)}, cell="exc.json")
    _, times = read_spikes(out / "spikes.h5")
    assert times.size >= 3 and result.n_spikes == times.size
    assert times.min() > 100.0 and times.max() <= 200.0


def test_clamp_acts_from_delay_to_delay_plus_duration(tmp_path, components):
    """Subthreshold step: V = E_L + I·τm/C·(1 - e^{-(t-delay)/τm}) from t = delay on (NEST integrates it exactly)."""
    out, _ = run(tmp_path, "onset", components, {"step": clamp(100.0, 20.0, 30.0)}, tstop=80.0)
    rep = read_compartment_report(out / "v.h5")
    t, v = rep.time_ms, rep.data[:, 0] - PASSIVE["E_L"]
    gain = PASSIVE["tau_m"] / PASSIVE["C_m"] * 100.0     # mV
    rise = gain * (1 - np.exp(-np.clip(t - 20.0, 0, None) / PASSIVE["tau_m"]))
    at_end = gain * (1 - np.exp(-30.0 / PASSIVE["tau_m"]))
    expected = np.where(t <= 50.0, rise, at_end * np.exp(-(t - 50.0) / PASSIVE["tau_m"]))
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-9)


def test_overlapping_pulses_add_up(tmp_path, components):
    """Two pulses in lists: during the overlap the currents add, as two IClamps would."""
    both, _ = run(tmp_path, "lists", components, {"steps": clamp([60.0, 40.0], [10.0, 20.0], [30.0, 30.0])}, tstop=80.0)
    one, _ = run(tmp_path, "one", components, {"a": clamp(60.0, 10.0, 30.0), "b": clamp(40.0, 20.0, 30.0)}, tstop=80.0)
    a = read_compartment_report(both / "v.h5").data
    b = read_compartment_report(one / "v.h5").data
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert a.max() > PASSIVE["E_L"] + 3.0


def test_clamp_steps():
    steps = clamp_steps(ClampInput("c", {}, [1.0, 2.0, -3.0], [1.0, 1.5, 0.0], [1.0, 0.1, 10.0]), 0.0, 0.1, 100, "c")
    times, values = steps
    # pulse 3 starts at 0 ms: NEST starts it at 2 dt; changes one dt early (the generator's connection delay)
    np.testing.assert_allclose(times, [0.1, 0.9, 1.4, 1.5, 1.9])
    np.testing.assert_allclose(values, [-3.0, -2.0, 0.0, -2.0, -3.0])
    times, values = clamp_steps(ClampInput("c", {}, [5.0], [150.0], [20.0]), 100.0, 0.5, 120, "c")
    np.testing.assert_allclose(times, [49.5])        # on at 150 ms = NEST's 50 ms; off after the run
    np.testing.assert_allclose(values, [5.0])


def trains_for_lgn(times):
    trains = SpikeTrains(population="LGN")
    trains.add_spikes(np.zeros(len(times), dtype=int), np.asarray(times, dtype=float))
    return trains


@pytest.mark.parametrize("module", ["csv", "h5", "nwb"])
def test_spike_file_formats_give_the_same_run(tmp_path, components, module):
    times = [5.0, 5.05, 17.3, 40.0]
    trains = trains_for_lgn(times)
    sonata = tmp_path / "in.h5"
    trains.to_sonata(sonata)
    other = tmp_path / {"csv": "in.csv", "h5": "in.h5", "nwb": "in.nwb"}[module]
    if module == "csv":
        trains.to_csv(other)
    elif module == "nwb":
        trains.to_nwb(other)
    ref, _ = run(tmp_path, "sonata", components, {"lgn": spikes_input(sonata)}, tstop=60.0)
    got, _ = run(tmp_path, module, components, {"lgn": spikes_input(other, module=module)}, tstop=60.0)
    assert np.array_equal(read_compartment_report(ref / "v.h5").data, read_compartment_report(got / "v.h5").data)


def test_input_spikes_before_tstart_are_dropped(tmp_path, components):
    spikes = spike_file(tmp_path / "in.h5", {0: [5.0, 150.0]})
    out, _ = run(tmp_path, "early", components, {"lgn": spikes_input(spikes)}, tstop=200.0, run_opts={"tstart": 100.0})
    rep = read_compartment_report(out / "v.h5")
    v = rep.data[:, 0] - PASSIVE["E_L"]
    assert np.all(v[rep.time_ms <= 151.5] == 0.0) and v.max() > 0.5
    assert "spikes at or before run.tstart" in (out / "log.txt").read_text()


def test_ecephys_probe_input_equals_the_same_trains_from_a_file(tmp_path, components):
    sys.path.insert(0, str(Path(__file__).parents[1] / "spikes"))
    from ecephys_sessions import write_session

    from simlib.spikes.ecephys import EcephysInput

    nwb = write_session(tmp_path / "session.nwb", 715093703, seed=2, n_units_by_area={"VISl": 10, "CA1": 4})
    spec = {"input_type": "spikes", "module": "ecephys_probe", "input_file": str(nwb), "node_set": "LGN",
            "units": {"location": "VISl"}, "mapping": "sample", "interval": [1000.0, 1400.0], "seed": 7}
    times = EcephysInput(nwb, units={"location": "VISl"}, mapping="sample", interval=[1000.0, 1400.0],
                         seed=7).trains([0])[0]
    assert times.size > 0
    trains_for_lgn(times).to_sonata(tmp_path / "same.h5")
    a, _ = run(tmp_path, "ecephys", components, {"visl": spec}, cell="exc.json", tstop=400.0)
    b, _ = run(tmp_path, "file", components, {"lgn": spikes_input(tmp_path / "same.h5")}, cell="exc.json", tstop=400.0)
    v = read_compartment_report(a / "v.h5").data
    assert np.array_equal(v, read_compartment_report(b / "v.h5").data) and v.max() > EXC["E_L"] + 0.3


def test_use_parrot_neurons_delays_by_one_step(tmp_path, components):
    spikes = spike_file(tmp_path / "in.h5", {0: [10.0]})
    direct, _ = run(tmp_path, "direct", components, {"lgn": spikes_input(spikes)}, tstop=40.0)
    relayed, _ = run(tmp_path, "parrot", components, {"lgn": spikes_input(spikes, use_parrot_neurons=True)},
                     tstop=40.0)
    a, b = (read_compartment_report(p / "v.h5").data[:, 0] for p in (direct, relayed))
    assert np.array_equal(b[1:], a[:-1]) and a.max() > EXC["E_L"] + 0.5


def test_two_inputs_on_one_node_are_merged(tmp_path, components):
    """Two spike inputs drive the same virtual node: both trains arrive (the generator gets their union)."""
    first = spike_file(tmp_path / "a.h5", {0: [10.0]})
    second = spike_file(tmp_path / "b.h5", {0: [30.0]})
    both = spike_file(tmp_path / "ab.h5", {0: [10.0, 30.0]})
    two, _ = run(tmp_path, "two", components, {"a": spikes_input(first), "b": spikes_input(second)}, tstop=60.0)
    one, _ = run(tmp_path, "one_file", components, {"ab": spikes_input(both)}, tstop=60.0)
    assert np.array_equal(read_compartment_report(two / "v.h5").data, read_compartment_report(one / "v.h5").data)


def test_function_input_equals_the_same_trains_from_a_file(tmp_path, components):
    """``module: function``: a @spikes_generator of the functions file gives each virtual node its train."""
    functions = tmp_path / "generators.py"
    functions.write_text(
        "from simlib.spikes.generators import spikes_generator\n\n"
        "@spikes_generator\n"
        "def pointnet_three_spikes(node, sim):\n"
        "    assert node.population_name == 'LGN' and sim.tstop == 60.0\n"
        "    return [5.0 + node.node_id, 17.3, 40.0]\n")
    spec = {"input_type": "spikes", "module": "function", "spikes_function": "pointnet_three_spikes",
            "node_set": "LGN"}
    a, _ = run(tmp_path, "function", components, {"gen": spec}, tstop=60.0, functions_file=functions)
    spikes = spike_file(tmp_path / "same.h5", {0: [5.0, 17.3, 40.0]})
    b, _ = run(tmp_path, "file", components, {"lgn": spikes_input(spikes)}, tstop=60.0)
    v = read_compartment_report(a / "v.h5").data
    assert np.array_equal(v, read_compartment_report(b / "v.h5").data) and v.max() > PASSIVE["E_L"] + 0.1
