"""simlib.workflow.specs: each rule's inputs and spec from the workflow config; the schema defaults they rely on."""

import platform
from pathlib import Path

from workflow_configs import load_config

from simlib.workflow import specs


def test_schema_fills_the_defaults_the_scripts_use(tiny):
    assert tiny["spikes"]["lgn_poisson"]["kind"] == "poisson"
    assert tiny["spikes"]["inputs_ramp"]["start_s"] == 0.0
    raster = tiny["simulations"]["l4_poisson"]["figures"]["raster"]
    assert raster["population"] == "V1" and raster["with_histogram"] is True
    traces = tiny["simulations"]["l4_poisson"]["figures"]["traces"]
    assert traces["population"] == "V1" and traces["average"] is True
    assert tiny["simulations"]["l4_ecp"]["figures"]["spectrum"]["cutoff_hz"] == 300.0
    assert tiny["figures"]["rasters"]["lgn_flash"]["with_histogram"] is False
    assert tiny["mechanisms"] == {"mod_dir": None, "coreneuron": False}
    sim = tiny["simulations"]["l4_flash"]
    assert (sim["ranks"], sim["dt_ms"], sim["backend"], sim["merge_synapses"], sim["reports"]) == (
        1, 0.1, "neuron", True, {})


def test_network_spec(tiny, tmp_path, monkeypatch):
    assert specs.network_spec(tiny, "l4") == {"model": "l4_tutorial", "seed": 7, "params": {"scale": 0.1},
                                              "compression": "gzip", "positions_population": "V1"}
    del tiny["networks"]["l4"]["seed"]
    tiny["seed"] = 3
    assert specs.network_spec(tiny, "l4")["seed"] == 3  # the config's seed stands in
    assert "seed" not in tiny["networks"]["l4"]  # the config is left as it was
    monkeypatch.chdir(tmp_path)
    tiny["networks"]["l4"] = {"script": "net.py", "seed": 1}
    assert specs.network_spec(tiny, "l4")["script"] == str(tmp_path / "net.py")


def test_rule_inputs(repo, tiny):
    assert specs.spikes_inputs(tiny, "inputs_ramp") == {"circuit": "results/networks/l4_inputs/circuit_config.json"}
    assert specs.filternet_inputs(tiny, "flash") == {"circuit": "results/networks/l4/circuit_config.json",
                                                     "components": "results/components/offline/components.json"}
    assert specs.raster_inputs(tiny, "lgn_poisson") == {"spikes": "results/inputs/lgn_poisson.h5",
                                                         "circuit": "results/networks/l4/circuit_config.json"}
    assert specs.raster_inputs(tiny, "lgn_flash") == {"spikes": "results/filternet/flash/output/spikes.h5",
                                                       "circuit": "results/networks/l4/circuit_config.json"}
    assert specs.cell_models_inputs(tiny, "offline") == {}
    allen = load_config(repo, "config.yaml", "allen.yaml")
    assert specs.cell_models_inputs(allen, "allen") == {"cells": "resources/cell_models/allen/cells.json"}


def test_figure_report(tiny):
    assert specs.figure_report(tiny, "l4_poisson", "traces")["module"] == "membrane_report"
    assert specs.figure_report(tiny, "l4_ecp", "lfp_csd")["file_name"] == "ecp.h5"


def test_all_targets(repo, tiny):
    targets = specs.all_targets(tiny, arch="x86_64")
    assert len(targets) == len(set(targets)) == 61
    for path in ("results/networks/l4_inputs/circuit_config.json", "results/networks/l4_point/circuit_config.json",
                 "results/components/point/components.json", "results/figures/l4_point/rates_comparison.png",
                 "results/sims/pointnet_tutorial/output", "results/sims/l4_point/rates.csv", "results/mechanisms/x86_64/libnrnmech.so",
                 "results/components/offline/components.json", "results/inputs/inputs_ramp.csv",
                 "results/figures/rasters/lgn_flash.png", "results/filternet/flash/output/spikes.h5",
                 "results/sims/syn_activity_exc_inh/output", "results/figures/l4_ecp/ecp_populations.png",
                 "results/networks/l4_population/config.json", "results/sims/l4_population/rates.csv",
                 "results/figures/l4_population/resolutions.png", "results/figures/l4_population/rates.png"):
        assert path in targets
    assert not any(t.startswith("resources/") for t in targets)
    assert f"results/mechanisms/{platform.machine()}/libnrnmech.so" in specs.all_targets(tiny)
    nwb = specs.all_targets(load_config(repo, "tiny.yaml", "nwb.yaml"))
    assert "resources/ecephys/session_798911424/session_798911424.nwb" in nwb
    assert all(not Path(t).is_absolute() for t in nwb)


def test_point_networks_and_simulators(tiny):
    assert specs.point_network_spec(tiny, "l4_point")["cell_key"] == "pop_name"
    assert specs.point_network_spec(tiny, "l4_point")["synapse_key"] == "dynamics_params"
    assert specs.simulations_of(tiny, "pointnet") == ["l4_point", "pointnet_tutorial"]
    assert "l4_poisson" in specs.simulations_of(tiny, "bionet") and "l4_point" not in specs.simulations_of(tiny, "bionet")
    assert tiny["simulations"]["l4_point"]["threads"] == 2 and tiny["simulations"]["l4_poisson"]["simulator"] == "bionet"
    assert specs.rates_comparison_inputs(tiny, "l4_point") == {
        "output": "results/sims/l4_point/output", "reference": "results/sims/l4_poisson/output",
        "circuit": "results/networks/l4_point/circuit_config.json"}
    assert specs.rates_comparison_runs(tiny, "l4_point") == {
        "this": {"label": "PointNet (l4_point)", "tstop_ms": 300.0},
        "reference": {"label": "BioNet (l4_poisson)", "tstop_ms": 300.0}}


def test_name_pattern_matches_exactly_the_names():
    import re

    pattern = specs.name_pattern(["l4", "l4.x", "a"])
    assert [bool(re.fullmatch(pattern, s)) for s in ("l4", "l4.x", "a", "l4_point", "l4Ax", "")] == [
        True, True, True, False, False, False]
    assert not any(re.fullmatch(specs.name_pattern([]), s) for s in ("", "l4"))


def test_population_networks_and_popnet_runs(tiny):
    spec = specs.population_network_spec(tiny, "l4_population")
    assert spec["network"] == "l4" and spec["group_by"] == "pop_name" and spec["synapse_key"] == "dynamics_params"
    assert spec["external_rates_hz"] == {"LGN": 150.0} and spec["weight_scales"]["InhToExc.json"] < 0
    assert specs.simulations_of(tiny, "popnet") == ["l4_population"]
    assert specs.simulate_cores(tiny["simulations"]["l4_population"]) == 1
    assert specs.resolutions_inputs(tiny, "l4_population") == {
        "output": "results/sims/l4_population/output",
        "population_network": "results/networks/l4_population/config.json",
        "bionet": "results/sims/l4_poisson/output", "bionet_circuit": "results/networks/l4/circuit_config.json",
        "pointnet": "results/sims/l4_point/output", "pointnet_circuit": "results/networks/l4_point/circuit_config.json"}
    runs = specs.resolutions_runs(tiny, "l4_population")
    assert runs == {"popnet": {"name": "l4_population", "label": "PopNet (l4_population)", "tstop_ms": 300.0},
                    "bionet": {"name": "l4_poisson", "label": "BioNet (l4_poisson)", "tstop_ms": 300.0},
                    "pointnet": {"name": "l4_point", "label": "PointNet (l4_point)", "tstop_ms": 300.0}}
    tiny["simulations"]["l4_population"]["figures"]["resolutions"].pop("pointnet")
    assert set(specs.resolutions_inputs(tiny, "l4_population")) == {"output", "population_network", "bionet",
                                                                    "bionet_circuit"}
