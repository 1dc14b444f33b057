"""simlib.workflow.simulation and the config writers: a workflow entry -> its rule's inputs -> the config written.

The inputs are made by the tasks the rules run (networks, components, spikes of config/tiny.yaml,
in a temporary workflow folder); nothing is simulated.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from workflow_configs import load_config

from simlib.config import SimulationConfig
from simlib.errors import ConfigError
from simlib.mechanisms import MOD_DIR
from simlib.tasks import build_network, make_spikes, write_cell_models
from simlib.workflow import paths, specs
from simlib.workflow.filternet_writer import write_filternet_config
from simlib.workflow.simulation import sim_inputs, figure_report_file, sim_config_inputs, write_sim_config


@pytest.fixture(scope="module")
def workflow_dir(repo, tmp_path_factory) -> Path:
    """The networks, components and spike files of config/tiny.yaml, as the workflow lays them out."""
    root = tmp_path_factory.mktemp("workflow")
    shutil.copytree(repo / "examples", root / "examples")
    config = load_config(repo, "tiny.yaml")
    for net in config["networks"]:
        build_network(specs.network_spec(config, net), root / paths.network_dir(net))
    write_cell_models(config["components"]["offline"], root / paths.components_dir("offline"))
    mechanisms = root / paths.mechanisms_dir(paths.mechanism_library())   # mod files: what write_sim_config's
    mechanisms.mkdir(parents=True)                                         # validation reads (nothing compiled)
    for mod in MOD_DIR.glob("*.mod"):
        shutil.copy(mod, mechanisms / mod.name)
    for name, spec in config["spikes"].items():
        make_spikes(spec, root / paths.circuit_config(spec["network"]), root / paths.spikes_file(name, "h5"),
                    root / paths.spikes_file(name, "csv"))
    return root


@pytest.fixture
def in_workflow(workflow_dir, monkeypatch) -> Path:
    monkeypatch.chdir(workflow_dir)
    return workflow_dir


def test_rule_inputs_of_each_kind_of_input(repo, tiny):
    base = {"circuit": "results/networks/l4/circuit_config.json", "lib": "results/mechanisms/arm64/libnrnmech.so",
            "components": "results/components/offline/components.json"}
    assert sim_config_inputs(tiny, "l4_poisson", repo, arch="arm64") == {
        **base, "spikes_LGN_spikes": "results/inputs/lgn_poisson.h5"}
    assert sim_config_inputs(tiny, "l4_flash", repo, arch="arm64") == {
        **base, "spikes_LGN_spikes": "results/filternet/flash/output/spikes.h5"}
    assert sim_config_inputs(tiny, "csv_ramp", repo, arch="arm64") == {
        **base, "circuit": "results/networks/l4_inputs/circuit_config.json",
        "spikes_csv_spikes": "results/inputs/inputs_ramp.csv"}
    assert sim_config_inputs(tiny, "spikes_function", repo, arch="arm64") == {
        **base, "functions_file": str(repo / "examples/spikes_generators.py")}
    assert sim_config_inputs(tiny, "syn_activity_exc_inh", repo, arch="arm64") == base
    nwb = sim_config_inputs(load_config(repo, "tiny.yaml", "nwb.yaml"), "nwb_inputs", repo)
    assert nwb["nwb_hippo_spikes_2"] == "resources/ecephys/session_754829445/session_754829445.nwb"
    assert len([key for key in nwb if key.startswith("nwb_")]) == 6


def test_sim_inputs_name_the_files_of_the_rule():
    spec = {"inputs": {"a": {"input_type": "spikes", "module": "sonata", "spikes": "lgn", "node_set": "LGN"},
                       "b": {"input_type": "spikes", "module": "csv", "filternet": "flash", "node_set": "LGN"},
                       "c": {"input_type": "current_clamp", "module": "IClamp", "amp": 1.0}}}
    files = {"spikes_a": "a.h5", "spikes_b": "b.csv"}
    assert sim_inputs(spec, files) == {
        "a": {"input_type": "spikes", "module": "sonata", "node_set": "LGN", "input_file": "a.h5"},
        "b": {"input_type": "spikes", "module": "csv", "node_set": "LGN", "input_file": "b.csv"},
        "c": {"input_type": "current_clamp", "module": "IClamp", "amp": 1.0}}
    assert spec["inputs"]["a"]["spikes"] == "lgn"  # the spec is left as it was


@pytest.mark.parametrize("sim", ["l4_poisson", "l4_ecp", "l4_perturbation", "csv_ramp", "spikes_function",
                                 "syn_activity_exc_inh"])
def test_written_config_is_portable_and_accepted(tiny, in_workflow, sim):
    spec = tiny["simulations"][sim]
    files = sim_config_inputs(tiny, sim, in_workflow)
    path = write_sim_config(spec, files, paths.sim_config(sim))
    assert path == Path(paths.sim_config(sim))
    data = json.loads(path.read_text())
    text = path.read_text()
    assert str(in_workflow) not in text  # every path relative to ${configdir}
    assert data["run"] == {"tstart": 0.0, "tstop": spec["tstop_ms"], "dt": 0.1, "dL": 20.0, "spike_threshold": -15.0,
                           "nsteps_block": 5000, "backend": "neuron", "merge_synapses": True}
    assert data["conditions"] == {"celsius": 34.0, "v_init": -80.0}
    assert data["components"]["mechanisms_dir"] == "${configdir}/../../mechanisms"
    assert data["components"]["morphologies_dir"] == "${configdir}/../../components/offline/morphologies"
    assert data["networks"]["nodes"][0]["nodes_file"].startswith("${configdir}/../../networks/")
    assert data["output"]["output_dir"] == "${configdir}/output"
    config = SimulationConfig.from_json(path)
    for name, inp in spec["inputs"].items():
        if "spikes" in inp:
            fmt = "csv" if inp["module"] == "csv" else "h5"
            assert Path(config.inputs[name]["input_file"]).resolve() == (
                in_workflow / paths.spikes_file(inp["spikes"], fmt)).resolve()
    if "functions_file" in spec:
        assert Path(config.components["functions_file"]).resolve() == (in_workflow / spec["functions_file"]).resolve()
    if sim == "l4_ecp":  # a bare file name is a device of the components
        assert Path(config.reports["ecp"]["electrode_positions"]).resolve() == (
            in_workflow / paths.components_dir("offline") / "devices/linear_electrode.csv").resolve()


def test_pointnet_config_of_the_point_network_runs(tiny, in_workflow):
    """point_networks.l4_point and simulations.l4_point: the derived network, its PointNet config, a NEST run."""
    from simlib.models.point_network import derive_point_network
    from simlib.pointnet import simulate
    from simlib.workflow.simulation import simulator

    spec = specs.point_network_spec(tiny, "l4_point")
    derive_point_network(paths.circuit_config(spec["network"]), paths.network_dir("l4_point"), spec["cells"],
                         spec["synapses"], cell_key=spec["cell_key"], synapse_key=spec["synapse_key"])
    write_cell_models(tiny["components"]["point"], paths.components_dir("point"))
    sim = tiny["simulations"]["l4_point"]
    assert simulator(sim) == "pointnet"
    files = sim_config_inputs(tiny, "l4_point", in_workflow)
    assert "lib" not in files                                   # no NEURON mechanisms for a NEST run
    path = write_sim_config(sim, files, paths.sim_config("l4_point"))
    data = json.loads(path.read_text())
    assert str(in_workflow) not in path.read_text()
    assert data["target_simulator"] == "NEST"
    assert data["run"] == {"tstart": 0.0, "tstop": 300.0, "dt": 0.1, "nthreads": 2}   # no seed: NEST's default
    assert data["components"] == {"point_neuron_models_dir": "${configdir}/../../components/point/point_neuron_models",
                                  "synaptic_models_dir": "${configdir}/../../components/point/synaptic_models"}
    assert data["inputs"]["LGN_spikes"]["module"] == "sonata"
    result = simulate(path, threads=1)
    assert result.n_spikes > 0 and result.n_cells == 30
    spec_seeded = {**sim, "seed": 17}
    seeded = json.loads(write_sim_config(spec_seeded, files, "results/sims/seeded/config.json").read_text())
    assert seeded["run"]["seed"] == 17



def test_popnet_config_of_the_population_network_runs(tiny, in_workflow):
    """population_networks.l4_population and simulations.l4_population: the derived population network, its
    PopNet config (dt in seconds, the network's rate files), a run, the rates table, both figures' tasks."""
    from simlib.popnet.simulation import simulate
    from simlib.tasks import popnet_rates_table, population_network, resolutions_figure

    spec = specs.population_network_spec(tiny, "l4_population")
    assert spec["group_by"] == "pop_name" and spec["populations"] == {}
    derived = population_network(spec, paths.circuit_config(spec["network"]), paths.network_dir("l4_population"))
    assert derived == Path(paths.population_network_config("l4_population"))
    sim = tiny["simulations"]["l4_population"]
    files = sim_config_inputs(tiny, "l4_population", in_workflow)
    assert files == {"population_network": "results/networks/l4_population/config.json"}
    path = write_sim_config(sim, files, paths.sim_config("l4_population"))
    data = json.loads(path.read_text())
    assert str(in_workflow) not in path.read_text()
    assert data["target_simulator"] == "DiPDE"
    assert data["run"] == {"tstop": 300.0, "dt": 0.001, "group_by": "pop_name"}      # BMTK's PopNet: dt in s
    assert data["network"] == "${configdir}/../../networks/l4_population/network/circuit_config.json"
    assert data["components"] == {"population_models_dir": "${configdir}/../../networks/l4_population/population_models"}
    assert data["inputs"]["LGN_pop_rates"]["rates"] == "${configdir}/../../networks/l4_population/inputs/LGN_rates.csv"
    result = simulate(path)
    assert result.ids == ["Scnn1a", "Rorb", "Nr5a1", "PV1"]
    assert result.rates_file == in_workflow / "results/sims/l4_population/output/spike_rates.csv"
    table = pd.read_csv(popnet_rates_table(result.rates_file, derived, "results/sims/l4_population/rates.csv"))
    assert list(table.columns) == ["population", "node_population", "cells", "mean_hz", "sd_time_hz", "min_hz",
                                   "max_hz"]
    assert table["population"].tolist() == result.ids and table["cells"].tolist() == [8, 8, 8, 6]
    means = dict(zip(result.ids, result.rates.mean_rates()))
    assert np.allclose(table["mean_hz"], [means[p] for p in table["population"]], rtol=1e-5)
    assert (table["min_hz"] <= table["mean_hz"]).all() and (table["mean_hz"] <= table["max_hz"]).all()
    # the three-resolution figure from any spikes of the same cells (here: a made-up train per pop)
    from simlib.spikes import SpikeTrains

    trains = SpikeTrains()
    trains.add_spikes(np.arange(30), np.linspace(1.0, 299.0, 30), population="V1")
    trains.to_sonata("spikes.h5")
    png = resolutions_figure(("PopNet", result.rates_file, derived),
                             [("BioNet", "spikes.h5", paths.circuit_config("l4"), 300.0)], "resolutions.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_electrode_file_is_named(repo, tiny, in_workflow):
    spec = tiny["simulations"]["l4_ecp"]
    spec["reports"]["ecp"]["electrode_positions"] = "no_such_probe.csv"
    with pytest.raises(ConfigError, match="reports.ecp.electrode_positions: no_such_probe.csv not found"):
        write_sim_config(spec, sim_config_inputs(tiny, "l4_ecp", repo), paths.sim_config("bad_ecp"))
    assert not Path(paths.sim_config("bad_ecp")).exists()


def test_filternet_config(tiny, in_workflow):
    from simlib.filternet.config import read_filternet_config

    spec = tiny["filternet"]["flash"]
    files = specs.filternet_inputs(tiny, "flash")
    path = write_filternet_config(paths.filternet_config("flash"), circuit_config=files["circuit"],
                                  population=spec["population"], components_dir=Path(files["components"]).parent,
                                  stimulus=spec["stimulus"], tstop_ms=spec["tstop_ms"], seed=spec["seed"])
    assert str(in_workflow) not in path.read_text()
    config = read_filternet_config(path)
    assert (config.seed, config.tstop_ms, config.dt_ms) == (1, 300.0, 1.0)
    assert config.output.spikes_h5.resolve() == (in_workflow / paths.filternet_output("flash", "spikes.h5")).resolve()
    components = in_workflow / paths.components_dir("offline")
    assert config.filter_models_dir.resolve() == (components / "filter_models").resolve()
    assert config.inputs["stimulus"]["module"] == "full_field_flash"


@pytest.mark.parametrize("figure, report, expected", [
    ({"report": "vm"}, {"module": "membrane_report", "variable_name": "v"}, "out/vm.h5"),
    ({"report": "vm"}, {"module": "membrane_report"}, "out/vm.h5"),
    ({"report": "vm"}, {"module": "membrane_report", "variable_name": ["v", "cai"]}, "out/vm.v.h5"),
    ({"report": "vm", "variable": "cai"}, {"module": "membrane_report", "variable_name": ["v", "cai"]},
     "out/vm.cai.h5"),
    ({"report": "vm"}, {"module": "membrane_report", "file_name": "/abs/v.h5"}, "/abs/v.h5"),
    ({"report": "ecp"}, {"module": "extracellular", "file_name": "ecp.h5"}, "out/ecp.h5"),
    ({"report": "lfp"}, {"module": "extracellular", "variable_name": ["v", "i"]}, "out/lfp.h5"),
])
def test_figure_report_file(figure, report, expected):
    assert figure_report_file(figure, report, "out") == Path(expected)


def test_figure_of_an_unrecorded_variable():
    with pytest.raises(ConfigError, match=r"figures.traces.variable: 'ik' is not recorded by report 'vm' \(v, cai\)"):
        figure_report_file({"report": "vm", "variable": "ik"}, {"variable_name": ["v", "cai"]}, "out")
