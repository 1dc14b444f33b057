"""SimulationConfig: manifest variables, sub-configs, paths, defaults and validation."""

import json
import os
import re
from pathlib import Path

import pytest

from simlib.config import SimulationConfig
from simlib.errors import ConfigError, SimlibError

NETWORK_FILES = ("network/v1_nodes.h5", "network/v1_node_types.csv", "network/v1_v1_edges.h5",
                 "network/v1_v1_edge_types.csv")


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


@pytest.fixture
def project(tmp_path) -> Path:
    """A folder with (empty) network files; the config layer only checks that they exist."""
    for name in NETWORK_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    return tmp_path


def networks(prefix="network"):
    return {"nodes": [{"nodes_file": f"{prefix}/v1_nodes.h5", "node_types_file": f"{prefix}/v1_node_types.csv"}],
            "edges": [{"edges_file": f"{prefix}/v1_v1_edges.h5", "edge_types_file": f"{prefix}/v1_v1_edge_types.csv"}]}


def minimal(**sections):
    return {"run": {"tstop": 100.0}, "networks": networks(), **sections}


def load(project, data, name="sim.json", **variables) -> SimulationConfig:
    return SimulationConfig.from_json(write_json(project / name, data), **variables)


def problems(excinfo) -> list[str]:
    return str(excinfo.value).splitlines()


# --- variables ---------------------------------------------------------------------------------

def test_manifest_chain_and_both_syntaxes(project):
    cfg = load(project, {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network", "MODEL": "v1",
                     "$OUTPUT_DIR": "${BASE_DIR}/out_${MODEL}"},
        "run": {"tstop": 10.0},
        "networks": {"nodes": [{"nodes_file": "$NETWORK_DIR/${MODEL}_nodes.h5",
                                "node_types_file": "${NETWORK_DIR}/v1_node_types.csv"}]},
        "output": {"output_dir": "$OUTPUT_DIR"},
        "components": {"mechanisms_dir": ["$BASE_DIR/mods_a", "${BASE_DIR}/mods_b"]},
    })
    assert cfg.networks["nodes"][0] == {"nodes_file": str(project / "network/v1_nodes.h5"),
                                        "node_types_file": str(project / "network/v1_node_types.csv")}
    assert cfg.output["output_dir"] == str(project / "out_v1")
    assert cfg.components["mechanisms_dir"] == [str(project / "mods_a"), str(project / "mods_b")]
    assert "manifest" not in cfg.raw
    assert cfg.path == project / "sim.json" and cfg.config_dir == project and cfg.source == "sim.json"


def test_dollar_without_braces_takes_the_longest_name(project):
    data = minimal(manifest={"$NAME": "v1"}, target_simulator="$NAME_suffix")
    with pytest.raises(ConfigError, match=r"sim.json: target_simulator: unknown variable \$NAME_suffix"):
        load(project, data)
    data["target_simulator"] = "${NAME}_suffix"
    assert load(project, data).raw["target_simulator"] == "v1_suffix"


@pytest.mark.parametrize("manifest, stuck", [
    ({"$A": "$B/x", "$B": "${A}/y"}, {"$A", "$B"}),
    ({"$SELF": "$SELF/x", "$OK": "fine"}, {"$SELF"}),
])
def test_manifest_cycle_names_the_keys(project, manifest, stuck):
    with pytest.raises(ConfigError) as excinfo:
        load(project, minimal(manifest=manifest))
    lines = problems(excinfo)
    assert {re.match(r"sim.json: manifest\.(\$\w+): cannot resolve: circular", line).group(1)
            for line in lines} == stuck


def test_unknown_variables_everywhere_reported_together(project):
    data = minimal(manifest={"$A": "$NOPE/x"}, output={"output_dir": "${MISSING}"})
    with pytest.raises(ConfigError) as excinfo:
        load(project, data)
    lines = problems(excinfo)
    assert len(lines) == 2
    assert lines[0].startswith("sim.json: manifest.$A: unknown variable $NOPE; defined: ")
    assert "configdir" in lines[0]
    assert lines[1].startswith("sim.json: output.output_dir: unknown variable ${MISSING}")


def test_builtin_variables(project, tmp_path_factory, monkeypatch):
    cwd = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(cwd)
    cfg = load(project, minimal(stamp={"dir": "${configdir}", "file": "$configfname", "cwd": "$workingdir",
                                       "time": "$time", "date": "${date}", "datetime": "$datetime"}))
    stamp = cfg.raw["stamp"]
    assert stamp["dir"] == str(project) and stamp["file"] == str(project / "sim.json")
    assert stamp["cwd"] == str(cwd)
    assert re.fullmatch(r"\d\d-\d\d-\d\d", stamp["time"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", stamp["date"])
    assert stamp["datetime"] == f"{stamp['date']}_{stamp['time']}"  # one clock reading per load


def test_user_variables_override_and_keep_their_type(project):
    data = minimal(manifest={"$TSTOP": "1.0", "$RUN_NAME": "from_manifest"})
    data["run"] = {"tstop": "$TSTOP", "dt": "${DT}", "nsteps_block": "$BLOCK"}
    data["output"] = {"overwrite_output_dir": "$OVERWRITE", "output_dir": "out_${RUN_NAME}_${DT}"}
    cfg = load(project, data, TSTOP=250.0, DT=0.025, BLOCK=500, OVERWRITE=True, RUN_NAME=Path("trial"))
    assert cfg.run["tstop"] == 250.0 and cfg.run["dt"] == 0.025 and cfg.run["nsteps_block"] == 500
    assert cfg.output["overwrite_output_dir"] is True
    assert cfg.output["output_dir"] == str(project / "out_trial_0.025")


def test_non_string_manifest_value_substituted_whole(project):
    # bmtk crashes on a non-string manifest value (re.finditer on an int); we accept it.
    data = minimal(manifest={"$T": 75, "$NAME": "$T"})
    data["run"] = {"tstop": "$T", "dt": "${T}"}
    data["label"] = "run_$NAME"
    cfg = load(project, data)
    assert cfg.run["tstop"] == 75 and cfg.run["dt"] == 75 and cfg.raw["label"] == "run_75"


def test_keys_and_manifest_are_not_substituted(project):
    cfg = load(project, minimal(manifest={"$X": "x"}, extra={"$X": "$X"}))
    assert cfg.raw["extra"] == {"$X": "x"}


# --- sub-configs -------------------------------------------------------------------------------

def test_network_and_simulation_subconfigs_merge_with_their_own_dirs(project):
    write_json(project / "circuit" / "circuit_config.json", {
        "manifest": {"$NETWORK_DIR": "${configdir}/../network"},
        "networks": {"nodes": [{"nodes_file": "$NETWORK_DIR/v1_nodes.h5",
                                "node_types_file": "../network/v1_node_types.csv"}]},
        "components": {"morphologies_dir": "morphologies"},
        "run": {"tstop": 999.0},
    })
    write_json(project / "sim" / "simulation_config.json", {
        "run": {"tstop": 20.0, "dt": 0.05},
        "output": {"output_dir": "out", "spikes_file": "spikes.h5"},
    })
    cfg = load(project, {"network": "circuit/circuit_config.json", "simulation": "sim/simulation_config.json",
                         "run": {"tstop": 1.0}, "target_simulator": "NEURON"})
    assert cfg.run["tstop"] == 20.0 and cfg.run["dt"] == 0.05  # dict.update: the last sub-config wins
    nodes = cfg.networks["nodes"][0]
    assert nodes["nodes_file"] == str(project / "circuit/../network/v1_nodes.h5")  # absolute: kept as written
    assert nodes["node_types_file"] == str(project / "network/v1_node_types.csv")  # relative: joined, normalised
    assert cfg.components["morphologies_dir"] == str(project / "circuit" / "morphologies")
    assert cfg.output["output_dir"] == str(project / "sim" / "out")
    assert cfg.output["spikes_file"] == str(project / "sim" / "out" / "spikes.h5")
    assert cfg.raw["target_simulator"] == "NEURON"
    assert "network" not in cfg.raw and "simulation" not in cfg.raw


def test_subconfig_problems_name_their_file(project):
    write_json(project / "circuit_config.json", {"networks": {"nodes": [{"nodes_file": "missing.h5",
                                                                         "node_types_file": "x.csv"}]}})
    with pytest.raises(ConfigError) as excinfo:
        load(project, {"network": "circuit_config.json", "run": {"tstop": 5.0}})
    assert problems(excinfo) == [
        f"sim.json: networks.nodes[0].node_types_file: file not found: {project / 'x.csv'} (in circuit_config.json)",
        f"sim.json: networks.nodes[0].nodes_file: file not found: {project / 'missing.h5'} (in circuit_config.json)",
    ]


def test_subconfig_missing_bad_or_circular(project):
    with pytest.raises(ConfigError, match=r"sim.json: network: .*nope.json: file not found"):
        load(project, minimal(network="nope.json"))
    (project / "broken.json").write_text('{"run": {\n  "tstop": 1,,\n}}')
    with pytest.raises(ConfigError, match=r"sim.json: simulation: .*broken.json: line 2, column 14: invalid JSON"):
        load(project, minimal(simulation="broken.json"))
    write_json(project / "a.json", {"network": "b.json"})
    write_json(project / "b.json", {"simulation": "a.json"})
    with pytest.raises(ConfigError, match=r"^sim.json: simulation: .*a.json includes itself \(in b.json\)$"):
        load(project, minimal(network="a.json"))
    write_json(project / "c.json", {"manifest": {"$X": "$Y"}})
    with pytest.raises(ConfigError, match=r"^sim.json: manifest.\$X: unknown variable \$Y; .* \(in c.json\)$"):
        load(project, minimal(network="c.json"))


# --- paths, defaults, enabled ------------------------------------------------------------------

def test_relative_paths_follow_the_config_dir_not_the_cwd(project, tmp_path_factory, monkeypatch):
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    (project / "spikes.csv").touch()
    cfg = load(project, minimal(
        components={"biophysical_neuron_models_dir": "./components/../models", "mechanisms_dir": "/abs/mods"},
        inputs={"lgn": {"input_type": "spikes", "module": "csv", "input_file": "spikes.csv", "node_set": "lgn",
                        "trial": "t1"},
                "xs": {"input_type": "lfp", "module": "xstim", "positions_file": "xstim/pos.csv",
                       "mesh_files_dir": "meshes", "waveform": {"shape": "dc", "amp": 1.0}}},
        reports={"ecp": {"module": "extracellular", "electrode_positions": "linear.csv", "file_name": "ecp.h5"}}))
    assert cfg.components == {"biophysical_neuron_models_dir": str(project / "models"), "mechanisms_dir": "/abs/mods"}
    assert cfg.inputs["lgn"]["input_file"] == str(project / "spikes.csv")
    assert cfg.inputs["lgn"]["node_set"] == "lgn" and cfg.inputs["lgn"]["trial"] == "t1"
    assert cfg.inputs["xs"]["positions_file"] == str(project / "xstim/pos.csv")
    assert cfg.inputs["xs"]["mesh_files_dir"] == str(project / "meshes")
    assert cfg.reports["ecp"]["electrode_positions"] == str(project / "linear.csv")
    assert cfg.reports["ecp"]["file_name"] == str(project / "ecp.h5")  # output_dir defaults to the config dir


def test_defaults(project):
    cfg = load(project, minimal())
    assert cfg.run == {"tstop": 100.0, "tstart": 0.0, "dt": 0.1, "dL": 20.0, "spike_threshold": -15.0,
                       "nsteps_block": None, "backend": "neuron", "merge_synapses": True}
    assert cfg.conditions == {"celsius": None, "v_init": None}
    assert cfg.output == {"output_dir": str(project), "overwrite_output_dir": False, "spikes_sort_order": None}
    assert cfg.inputs == {} and cfg.reports == {} and cfg.node_sets == {} and cfg.components == {}
    assert cfg.raw["run"] == {"tstop": 100.0}  # raw holds what the files say, not the defaults


def test_output_files_joined_to_output_dir(project):
    cfg = load(project, minimal(
        output={"output_dir": "./output", "spikes_file": "spikes.h5", "spikes_file_csv": "csv/spikes.csv",
                "spikes_file_nwb": "/abs/spikes.nwb", "log_file": "output/log.txt", "spikes_sort_order": "id",
                "overwrite_output_dir": True},
        reports={"v": {"module": "membrane_report", "variable_name": "v", "file_name": "v_report.h5"},
                 "abs": {"module": "membrane_report", "file_name": "/data/abs.h5"}}))
    out = project / "output"
    assert cfg.output == {"output_dir": str(out), "spikes_file": str(out / "spikes.h5"),
                          "spikes_file_csv": str(out / "csv/spikes.csv"), "spikes_file_nwb": "/abs/spikes.nwb",
                          "log_file": str(out / "log.txt"),  # bmtk: already under output_dir, not doubled
                          "spikes_sort_order": "node_id", "overwrite_output_dir": True}
    assert cfg.reports["v"]["file_name"] == str(out / "v_report.h5")
    assert cfg.reports["abs"]["file_name"] == "/data/abs.h5"


def test_disabled_entries_dropped(project):
    data = minimal(inputs={"on": {"input_type": "spikes", "module": "sonata", "enabled": True},
                           "off": {"input_type": "spikes", "module": "sonata", "enabled": False}},
                   reports={"off": {"module": "membrane_report", "enabled": False}})
    data["networks"]["edges"].append({"edges_file": "gone.h5", "edge_types_file": "gone.csv", "enabled": False})
    cfg = load(project, data)
    assert cfg.inputs == {"on": {"input_type": "spikes", "module": "sonata"}}
    assert cfg.reports == {}
    assert [e["edges_file"] for e in cfg.networks["edges"]] == [str(project / "network/v1_v1_edges.h5")]
    assert len(cfg.raw["networks"]["edges"]) == 2


def test_node_sets_file_used_only_without_node_sets(project):
    write_json(project / "sets" / "node_sets.json", {"exc": {"ei": "e"}})
    cfg = load(project, minimal(node_sets_file="sets/node_sets.json"))
    assert cfg.raw["node_sets_file"] == str(project / "sets" / "node_sets.json")
    assert cfg.node_sets == {"exc": {"ei": "e"}} and cfg.raw["node_sets"] == {"exc": {"ei": "e"}}
    cfg = load(project, minimal(node_sets_file="sets/node_sets.json", node_sets={"inh": [1, 2]}))
    assert cfg.node_sets == {"inh": [1, 2]}
    with pytest.raises(ConfigError) as excinfo:
        load(project, minimal(node_sets_file="sets/missing.json", run={"tstop": -1.0}))
    assert problems(excinfo) == [
        f"sim.json: node_sets_file: file not found: {project / 'sets' / 'missing.json'}",
        "sim.json: run.tstop: expected a number greater than run.tstart (0.0), got -1.0",
    ]
    write_json(project / "sets" / "bad.json", {"exc": "not a filter"})
    with pytest.raises(ConfigError, match=r"sim.json: node_sets.exc: expected a filter object .* \(in bad.json\)"):
        load(project, minimal(node_sets_file="sets/bad.json"))


def test_write_round_trip(project, tmp_path_factory):
    cfg = load(project, minimal(manifest={"$BASE": "${configdir}"}, output={"output_dir": "$BASE/out",
                                                                           "spikes_file": "spikes.h5"}))
    copy = tmp_path_factory.mktemp("copy") / "deep" / "config.json"
    cfg.write(copy)
    again = SimulationConfig.from_json(copy)
    assert again.raw == cfg.raw and again.output == cfg.output and again.networks == cfg.networks
    assert json.loads(copy.read_text())["output"]["spikes_file"] == str(project / "out" / "spikes.h5")


def test_from_dict(project):
    cfg = SimulationConfig.from_dict(minimal(), config_dir=project, source="inline", T=3)
    assert cfg.path is None and cfg.source == "inline" and cfg.config_dir == project
    assert cfg.networks["nodes"][0]["nodes_file"] == str(project / "network/v1_nodes.h5")
    with pytest.raises(ConfigError, match=r"^inline: run.tstop: required key missing"):
        SimulationConfig.from_dict({"networks": networks()}, config_dir=project, source="inline")
    with pytest.raises(ConfigError, match="expected a JSON object"):
        SimulationConfig.from_dict([1, 2])


# --- validation --------------------------------------------------------------------------------

def test_every_problem_reported_in_one_error(project):
    data = {
        "run": {"tstop": 0, "dt": "0.1", "dL": 0, "nsteps_block": 2.5, "backend": "arbor", "merge_synapses": "yes"},
        "conditions": {"celsius": "warm"},
        "networks": {"nodes": [{"nodes_file": "network/v1_nodes.h5", "node_types_file": "network/v1_node_types.csv"},
                               {"nodes_file": "network/other_nodes.h5"}],
                     "edges": [{"edges_file": "network/v1_v1_edges.h5"}]},
        "components": {"morphologies_dir": 5},
        "output": {"spikes_sort_order": "gid", "overwrite_output_dir": "no"},
        "inputs": {"lgn": {"module": "sonata"}, "clamp": {"input_type": 3, "module": "IClamp"}},
        "reports": {"v": {"variable_name": "v"}},
        "node_sets": {"ok": {"ei": "e"}, "bad": 7},
    }
    with pytest.raises(ConfigError) as excinfo:
        load(project, data)
    assert isinstance(excinfo.value, SimlibError)
    other = project / "network" / "other_nodes.h5"
    assert problems(excinfo) == [
        'sim.json: components.morphologies_dir: expected a path or a list of paths, got 5',
        'sim.json: conditions.celsius: expected a number or null, got "warm"',
        'sim.json: inputs.clamp.input_type: expected a string, got 3',
        'sim.json: inputs.lgn.input_type: required key missing',
        'sim.json: networks.edges[0].edge_types_file: required key missing',
        'sim.json: networks.nodes[1].node_types_file: required key missing',
        f'sim.json: networks.nodes[1].nodes_file: file not found: {other}',
        'sim.json: node_sets.bad: expected a filter object or a list (node ids or node-set names), got 7',
        'sim.json: output.overwrite_output_dir: expected true or false, got "no"',
        'sim.json: output.spikes_sort_order: expected one of "time", "node_id", "id", null, got "gid"',
        'sim.json: reports.v.module: required key missing',
        'sim.json: run.backend: expected one of "neuron", "coreneuron", got "arbor"',
        'sim.json: run.dL: expected a number greater than 0, got 0',
        'sim.json: run.dt: expected a number, got "0.1"',
        'sim.json: run.merge_synapses: expected true or false, got "yes"',
        'sim.json: run.nsteps_block: expected a positive integer (time steps per block) or null, got 2.5',
        'sim.json: run.tstop: expected a number greater than run.tstart (0.0), got 0',
    ]


@pytest.mark.parametrize("data, line", [
    ({"networks": networks()}, "sim.json: run.tstop: required key missing"),
    ({"run": {"tstop": 10.0}}, "sim.json: networks.nodes: required key missing"),
    ({"run": {"tstop": 10.0}, "networks": {"nodes": []}}, "sim.json: networks.nodes: expected a non-empty list, got []"),
    ({"run": {"tstop": 10.0, "tstart": 20}, "networks": networks()},
     "sim.json: run.tstop: expected a number greater than run.tstart (20), got 10.0"),
    ({"run": {"tstop": True}, "networks": networks()}, "sim.json: run.tstop: expected a number, got true"),
    ({"run": 100, "networks": networks()}, "sim.json: run: expected an object, got 100"),
    ({"run": {"tstop": 1}, "networks": networks(), "inputs": {"x": "spikes.h5"}},
     'sim.json: inputs.x: expected an object, got "spikes.h5"'),
])
def test_single_problems(project, data, line):
    with pytest.raises(ConfigError) as excinfo:
        load(project, data)
    assert problems(excinfo) == [line]


def test_bad_json_names_file_and_line(project):
    path = project / "sim.json"
    path.write_text('{\n  "run": {"tstop": 10.0}\n  "networks": {}\n}\n')
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: line 3, column 3: invalid JSON"):
        SimulationConfig.from_json(path)
    with pytest.raises(ConfigError, match="file not found"):
        SimulationConfig.from_json(project / "absent.json")
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="sim.json: expected a JSON object at the top level"):
        SimulationConfig.from_json(path)


# --- parity with bmtk --------------------------------------------------------------------------

@pytest.mark.parity
def test_resolution_matches_bmtk(project, monkeypatch):
    bmtk_config = pytest.importorskip("bmtk.simulator.core.simulation_config",
                                      reason="bmtk (test-only oracle) not installed")
    monkeypatch.chdir(project)
    write_json(project / "circuit_config.json", {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": "$BASE_DIR/components"},
        "components": {"morphologies_dir": "$COMPONENTS_DIR/morphologies",
                       "mechanisms_dir": "${COMPONENTS_DIR}/mechanisms"},
        "networks": {"nodes": [{"nodes_file": "$NETWORK_DIR/v1_nodes.h5",
                                "node_types_file": "$NETWORK_DIR/v1_node_types.csv"}],
                     "edges": [{"edges_file": "$NETWORK_DIR/v1_v1_edges.h5",
                                "edge_types_file": "$NETWORK_DIR/v1_v1_edge_types.csv"}]},
    })
    write_json(project / "node_sets.json", {"exc": {"ei": "e"}, "some": [0, 1]})
    path = write_json(project / "simulation_config.json", {
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output_${RUN}",
                     "$INPUT_DIR": "$BASE_DIR/inputs"},
        "network": "circuit_config.json",
        "run": {"tstop": "$TSTOP", "dt": 0.025, "dL": 10.0, "spike_threshold": -10.0, "nsteps_block": 5000},
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "node_sets_file": "$BASE_DIR/node_sets.json",
        "inputs": {"lgn": {"input_type": "spikes", "module": "sonata", "input_file": "$INPUT_DIR/lgn.h5",
                           "node_set": "lgn"}},
        "output": {"output_dir": "$OUTPUT_DIR", "log_file": "log.txt", "spikes_file": "spikes.h5",
                   "spikes_file_csv": "spikes.csv", "spikes_sort_order": "time", "overwrite_output_dir": True},
        "reports": {"v": {"module": "membrane_report", "variable_name": "v", "cells": "exc", "sections": "soma"}},
    })
    ours = SimulationConfig.from_json(path, RUN="a", TSTOP=300.0)
    theirs = bmtk_config.SimulationConfig.from_json(str(path), RUN="a", TSTOP=300.0)
    assert ours.raw["run"] == theirs.run
    assert theirs.tstop == ours.run["tstop"] == 300.0 and theirs.dt == ours.run["dt"]
    assert theirs.dL == ours.run["dL"] and theirs.spike_threshold == ours.run["spike_threshold"]
    assert theirs.block_step == ours.run["nsteps_block"]
    assert theirs.celsius == ours.conditions["celsius"] and theirs.v_init == ours.conditions["v_init"]
    assert ours.output == {k: os.path.normpath(v) if isinstance(v, str) else v for k, v in theirs.output.items()}
    assert ours.output["output_dir"] == theirs.output_dir and ours.output["log_file"] == theirs.log_file
    assert ours.networks["nodes"] == theirs.nodes and ours.networks["edges"] == theirs.edges
    assert ours.components == theirs.components
    assert ours.inputs == theirs.inputs and ours.reports == theirs.reports
    assert ours.node_sets == theirs.node_sets
