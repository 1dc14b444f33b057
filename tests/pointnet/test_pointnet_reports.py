"""Membrane reports: SONATA compartment reports whose values are NEST's multimeter samples."""

import h5py
import numpy as np
import pytest
from pnet import EXC, POINT, spike_file, spikes_input, vm_report, write_config

from simlib.builder import NetworkBuilder
from simlib.pointnet import simulate
from simlib.sonata.reports import read_compartment_report

INH = {**EXC, "tau_m": 8.0}
I_E_PA = [0.0, 200.0, 380.0]        # per node, in the nodes file's dynamics_params group
INPUT_MS = [5.0, 12.3, 12.35, 30.0, 61.2]
TSTOP, WEIGHT, NSYNS, DELAY = 80.0, 40.0, 2, 1.0


@pytest.fixture(scope="module")
def reported(tmp_path_factory, components):
    """Three cells (two node types, I_e per node) driven by one virtual node; V_m and I_syn_ex reported."""
    root = tmp_path_factory.mktemp("pointnet_reports")
    v1 = NetworkBuilder("V1", seed=1)
    v1.add_nodes(N=2, pop_name="Exc", ei="e", dynamics_params="exc.json", **POINT)
    v1.add_nodes(N=1, pop_name="Inh", ei="i", dynamics_params="inh.json", **POINT)
    v1.build()
    v1.save(str(root / "net"), compression="none")
    with h5py.File(root / "net" / "V1_nodes.h5", "r+") as h5:  # BMTK's per-node NEST parameters
        h5.create_dataset("nodes/V1/0/dynamics_params/I_e", data=np.array(I_E_PA))
    lgn = NetworkBuilder("LGN", seed=1)
    lgn.add_nodes(N=1, pop_name="tON", model_type="virtual")
    lgn.add_edges(target=v1.nodes(), connection_rule=NSYNS, syn_weight=WEIGHT, delay=DELAY,
                  model_template="static_synapse", dynamics_params="static.json")
    lgn.build()
    lgn.save(str(root / "net"), compression="none")
    spikes = spike_file(root / "in.h5", {0: INPUT_MS})
    reports = {"v": vm_report(variable=["V_m", "I_syn_ex"]),
               "sub": vm_report(cells={"population": "V1", "node_ids": [2, 0]}, file_name="sub.h5", dt=0.5)}
    config = write_config(root / "run" / "config.json", root / "net", components, TSTOP,
                          inputs={"lgn": spikes_input(spikes)}, reports=reports, edges=(("LGN", "V1"),))
    result = simulate(config)
    return root / "run" / "output", result


def nest_multimeter(variables, interval_ms=0.1):
    """The same three cells and input built by hand in NEST; samples (n_times, 3) per variable, t <= TSTOP."""
    import nest

    nest.ResetKernel()
    nest.resolution = 0.1
    cells = nest.Create("iaf_psc_alpha", 3)
    for k, params in enumerate([EXC, EXC, INH]):
        cells[k].set({**params, "I_e": I_E_PA[k]})
    gen = nest.Create("spike_generator", params={"spike_times": INPUT_MS, "precise_times": True})
    nest.Connect(gen, cells, syn_spec={"weight": WEIGHT * NSYNS, "delay": DELAY})
    meter = nest.Create("multimeter", params={"record_from": variables, "interval": interval_ms})
    nest.Connect(meter, cells)
    nest.Simulate(TSTOP + 5.0)
    events = meter.events
    keep = events["times"] <= TSTOP + 1e-9
    order = np.lexsort((events["senders"][keep], events["times"][keep]))
    n = int(keep.sum()) // 3
    return {v: events[v][keep][order].reshape(n, 3) for v in variables}


def test_report_layout(reported):
    out, result = reported
    assert sorted(p.rsplit("/", 1)[1] for p in result.files) == ["spikes.csv", "spikes.h5", "sub.h5", "v.I_syn_ex.h5",
                                                                  "v.V_m.h5"]
    rep = read_compartment_report(out / "v.V_m.h5")
    assert rep.data.shape == (800, 3) and rep.variable == "V_m" and rep.units == "mV"
    assert rep.node_ids.tolist() == [0, 1, 2] and rep.element_ids.tolist() == [0, 0, 0]
    np.testing.assert_allclose(rep.time_ms, 0.1 * np.arange(1, 801))
    with h5py.File(out / "v.V_m.h5") as h5:
        np.testing.assert_allclose(h5["report/V1/mapping/time"][()], [0.1, 80.1, 0.1])


def test_report_values_equal_the_multimeter(reported):
    out, _ = reported
    expected = nest_multimeter(["V_m", "I_syn_ex"])
    for var in ("V_m", "I_syn_ex"):
        rep = read_compartment_report(out / f"v.{var}.h5")
        assert np.array_equal(rep.data, expected[var]), var
    # the inputs did something, and the per-node I_e made the cells differ
    assert expected["I_syn_ex"].max() > 70.0
    v = expected["V_m"]
    assert v[-1, 0] < v[-1, 1] < -56.0 and v[:, 2].max() <= EXC["V_th"]


def test_subset_report_with_its_own_dt(reported):
    out, _ = reported
    rep = read_compartment_report(out / "sub.h5")
    full = read_compartment_report(out / "v.V_m.h5")
    assert rep.node_ids.tolist() == [0, 2] and rep.data.shape == (160, 2)
    np.testing.assert_allclose(rep.time_ms, 0.5 * np.arange(1, 161))
    assert np.array_equal(rep.data, full.data[4::5][:, [0, 2]])


def test_unknown_per_node_parameter(tmp_path, components):
    from simlib.errors import ConfigError

    v1 = NetworkBuilder("V1", seed=1)
    v1.add_nodes(N=2, dynamics_params="exc.json", **POINT)
    v1.build()
    v1.save(str(tmp_path / "net"), compression="none")
    with h5py.File(tmp_path / "net" / "V1_nodes.h5", "r+") as h5:
        h5.create_dataset("nodes/V1/0/dynamics_params/tau_mem", data=np.array([1.0, 2.0]))
    config = write_config(tmp_path / "run" / "config.json", tmp_path / "net", components, 10.0, populations=("V1",),
                          edges=())
    with pytest.raises(ConfigError, match="'tau_mem' of the nodes file's dynamics_params group is not a parameter "
                                          "of NEST model iaf_psc_alpha"):
        simulate(config)
