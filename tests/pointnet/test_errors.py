"""Bad PointNet inputs through the command line: exit status 1, one line on stderr, nothing run or written."""

import json

import pytest
from pnet import run_cli, single_cell_network, spike_file, spikes_input, vm_report, write_config


@pytest.fixture(scope="module")
def setup(tmp_path_factory, components):
    root = tmp_path_factory.mktemp("pointnet_errors")
    net = single_cell_network(root / "net")
    spikes = spike_file(root / "in.h5", {0: [10.0]})
    return root, net, spikes, components


def run_bad(setup, name, edit=None, inputs=None, reports=None, args=()):
    root, net, spikes, components = setup
    config = write_config(root / name / "config.json", net, components, 50.0,
                          inputs=inputs or {"lgn": spikes_input(spikes)}, reports=reports, edges=(("LGN", "V1"),))
    if edit:
        data = json.loads(config.read_text())
        edit(data, root / name)
        config.write_text(json.dumps(data))
    proc = run_cli(config, args)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert not (config.parent / "output" / "spikes.h5").exists()
    errors = [line for line in proc.stderr.splitlines() if line.startswith("simlib: error:")]
    assert len(errors) == 1, proc.stderr
    assert "Simulat" not in proc.stderr.replace("simlib: error:", "")   # NEST never started a run
    return errors[0]


def types_edit(kind: str, old: str, new: str):
    """An edit replacing text in the node types (kind 'nodes') or edge types ('edges') CSV, in a copy."""
    def edit(data, folder):
        folder.mkdir(parents=True, exist_ok=True)
        entry = data["networks"]["nodes"][0] if kind == "nodes" else data["networks"]["edges"][0]
        key = "node_types_file" if kind == "nodes" else "edge_types_file"
        text = open(entry[key]).read()
        assert old in text
        copy = folder / f"{kind}_types.csv"
        copy.write_text(text.replace(old, new))
        entry[key] = str(copy)
    return edit


def component_edit(folder_name: str, file_name: str, content):
    """An edit pointing a component folder to a copy where ``file_name`` holds ``content`` (None: no file)."""
    def edit(data, folder):
        key = "point_neuron_models_dir" if folder_name == "point_neuron_models" else "synaptic_models_dir"
        import shutil

        copy = folder / folder_name
        shutil.copytree(data["components"][key], copy)
        if content is None:
            (copy / file_name).unlink()
        else:
            (copy / file_name).write_text(content if isinstance(content, str) else json.dumps(content))
        data["components"][key] = str(copy)
    return edit


def test_unknown_nest_model(setup):
    msg = run_bad(setup, "model", types_edit("nodes", "nest:iaf_psc_alpha", "nest:iaf_no_such"))
    assert "'iaf_no_such' is not a NEST model" in msg and "node type(s) [100]" in msg and "V1_nodes.h5" in msg


def test_unknown_nest_parameter(setup):
    msg = run_bad(setup, "param", component_edit("point_neuron_models", "passive.json", {"tau_mem": 10.0}))
    assert "passive.json" in msg and "node type(s) [100]" in msg and "tau_mem" in msg and "NEST rejects" in msg


def test_bad_nest_parameter_value(setup):
    msg = run_bad(setup, "value", component_edit("point_neuron_models", "passive.json", {"tau_m": -5.0}))
    assert "passive.json" in msg and "Membrane time constant must be > 0" in msg


def test_missing_dynamics_file(setup):
    msg = run_bad(setup, "nofile", component_edit("point_neuron_models", "passive.json", None))
    assert "passive.json" in msg and "not found" in msg and "components.point_neuron_models_dir" in msg


def test_malformed_dynamics_file(setup):
    msg = run_bad(setup, "badjson", component_edit("point_neuron_models", "passive.json", "{tau_m: 1"))
    assert "passive.json: line 1" in msg and "invalid JSON" in msg


def test_biophysical_nodes(setup):
    msg = run_bad(setup, "bio", types_edit("nodes", "point_process", "biophysical"))
    assert "biophysical" in msg and "node types [100]" in msg and "point_process" in msg


def test_neuron_template(setup):
    msg = run_bad(setup, "nrn", types_edit("nodes", "nest:iaf_psc_alpha", "nrn:IntFire1"))
    assert "nrn:IntFire1" in msg and "nest:iaf_psc_alpha" in msg and "NEURON model" in msg


def test_negative_delay(setup):
    msg = run_bad(setup, "negdelay", types_edit("edges", "50.0 1.5", "50.0 -1.5"))
    assert "LGN_V1_edges.h5" in msg and "edge type(s) [100]" in msg and "-1.5" in msg and "run.dt = 0.1" in msg


def test_delay_below_dt(setup):
    msg = run_bad(setup, "smalldelay", types_edit("edges", "50.0 1.5", "50.0 0.05"))
    assert "edge type(s) [100]" in msg and "delays below run.dt" in msg


def test_unknown_synapse_model(setup):
    msg = run_bad(setup, "synmodel", types_edit("edges", "static_synapse", "exp2syn"))
    assert "'exp2syn' is not a NEST synapse model" in msg and "edge type(s) [100]" in msg


def test_unknown_synapse_parameter(setup):
    msg = run_bad(setup, "synparam", component_edit("synaptic_models", "static.json", {"tau1": 1.0}))
    assert "static.json" in msg and "tau1" in msg and "edge type(s) [100]" in msg


def test_function_input_with_an_unknown_generator(setup):
    inputs = {"gen": {"input_type": "spikes", "module": "function", "spikes_function": "nowhere_f",
                      "node_set": "LGN"}}
    msg = run_bad(setup, "function", inputs=inputs)
    assert "inputs.gen.spikes_function: no spikes generator named 'nowhere_f'" in msg


def test_report_variable_not_recordable(setup):
    msg = run_bad(setup, "recordable", reports={"v": vm_report(variable="v")})
    assert "reports.v.variable_name" in msg and "['v']" in msg and "V_m" in msg


def test_bad_threads_and_tstop(setup):
    assert "threads" in run_bad(setup, "threads", args=("--threads", "0"))
    msg = run_bad(setup, "tstop", lambda data, folder: data["run"].update(tstop=50.05))
    assert "run.tstop" in msg and "whole number of steps" in msg
