"""simlib validate on broken models: every planted problem is listed, in one run, one line each, exit status 1."""

import json
import shutil

import h5py
import pytest
from validation_models import write_sim

from simlib.cli import main
from simlib.errors import ConfigError
from simlib.spikes import PoissonSpikeGenerator
from simlib.validation import validate_config

COMPONENTS = "results/components/offline"
V1_EDGES = "results/networks/l4/V1_V1_edges.h5"
LGN_EDGES = "results/networks/l4/LGN_V1_edges.h5"


@pytest.fixture
def workflow(models, tmp_path):
    """A private copy of the models (each test breaks its own)."""
    return shutil.copytree(models, tmp_path / "workflow")


def remove_morphology(root):
    (root / COMPONENTS / "morphologies/Rorb_325404214_m.swc").unlink()


def unknown_mechanism(root):
    fit = root / COMPONENTS / "biophysical_neuron_models/472912177_fit.json"
    data = json.loads(fit.read_text())
    index = next(i for i, entry in enumerate(data["genome"]) if entry.get("mechanism"))
    data["genome"][index]["mechanism"] = "NaX"
    fit.write_text(json.dumps(data))
    return index


def target_beyond_population(root):
    with h5py.File(root / V1_EDGES, "r+") as h5:
        (name,) = h5["edges"]
        target = h5[f"edges/{name}/target_node_id"]
        ids = target[()]
        ids[-1] = 999
        target[...] = ids
    return name


def test_five_planted_problems_are_all_listed(workflow, tiny_config, capsys):
    config = write_sim(workflow, tiny_config, "l4_poisson")      # written while the model was good
    remove_morphology(workflow)
    genome = unknown_mechanism(workflow)
    edges = target_beyond_population(workflow)
    data = json.loads(config.read_text())
    data["node_sets"] = {"bad": {"population": "V2", "pop_name": "Scnn1a"}}
    config.write_text(json.dumps(data))
    psg = PoissonSpikeGenerator(population="LGN", seed=1)
    psg.add(node_ids=[0, 1, 50], firing_rate=10.0, times=(0.0, 0.3))    # LGN has 10 nodes: 50 is none
    psg.to_sonata(workflow / "results/inputs/lgn_poisson.h5")

    result = validate_config(config)
    found = {(p.file.split("/")[-1], p.field): p.message for p in result.problems}
    assert "file not found" in found[("V1_node_types.csv", "population 'V1', node type(s) [101]: morphology")]
    assert "Rorb_325404214_m.swc" in found[("V1_node_types.csv", "population 'V1', node type(s) [101]: morphology")]
    assert found[("472912177_fit.json", f"genome[{genome}].mechanism")].startswith(
        "'NaX' is not declared by any mod file of components.mechanisms_dir; expected one of CaDynamics")
    assert found[("V1_V1_edges.h5", f"/edges/{edges}/target_node_id")] == (
        "1 target node ids are not nodes of population 'V1' (30 nodes, ids 0..29): [999]")
    assert "population 'V2' not found; available: LGN, V1" in found[("config.json", "node_sets.bad")]
    assert "node ids [50] of population 'LGN' are not in network population 'LGN'" in \
        found[("lgn_poisson.h5", "inputs.LGN_spikes")]
    # the changed id also disagrees with the file's target index: a sixth, honest problem
    assert found[("V1_V1_edges.h5", f"/edges/{edges}/indices/target_to_source")].startswith("node_id_to_range has 30 rows")
    assert len(result.problems) == 6

    assert main(["validate", str(config)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [str(p) for p in result.problems]    # one line each, file first
    assert all(line.startswith("/") for line in out.splitlines())
    assert err.strip() == f"simlib: error: {config}: 6 problems found; the simulation would not run"


def test_missing_spike_file_and_bad_index(workflow, tiny_config):
    config = write_sim(workflow, tiny_config, "l4_poisson")
    (workflow / "results/inputs/lgn_poisson.h5").unlink()
    with h5py.File(workflow / LGN_EDGES, "r+") as h5:
        (name,) = h5["edges"]
        ranges = h5[f"edges/{name}/indices/source_to_target/node_id_to_range"]
        table = ranges[()]
        table[0] = table[1]             # node 0's edges listed as node 1's: some edges twice, node 0's never
        ranges[...] = table
    problems = validate_config(config).problems
    assert [(p.file.split("/")[-1], p.field) for p in problems] == [
        ("LGN_V1_edges.h5", f"/edges/{name}/indices/source_to_target"), ("lgn_poisson.h5", "inputs.LGN_spikes")]
    assert "expected each" in problems[0].message
    assert problems[1].message == "file not found"


def test_workflow_refuses_a_bad_model_with_the_list(workflow, tiny_config):
    from simlib.workflow import paths

    config = write_sim(workflow, tiny_config, "l4_perturbation")     # an older, good config of the simulation
    remove_morphology(workflow)
    genome = unknown_mechanism(workflow)
    with pytest.raises(ConfigError) as raised:
        write_sim(workflow, tiny_config, "l4_perturbation")
    lines = str(raised.value).splitlines()
    assert lines[0] == f"{paths.sim_config('l4_perturbation')}: the model would not run (2 problems; the config was " \
                       "removed):"
    assert "morphology: file not found" in lines[1] and "Rorb_325404214_m.swc" in lines[1]
    assert f"472912177_fit.json: genome[{genome}].mechanism: 'NaX' is not declared" in lines[2]
    assert not config.exists()                       # nothing a later rule could trust


def test_unreadable_config_is_one_problem(tmp_path, capsys):
    bad = tmp_path / "config.json"
    bad.write_text('{"run": {"tstop": 1.0}, "networks": ')
    problems = validate_config(bad).problems
    assert len(problems) == 1 and problems[0].file == str(bad) and "invalid JSON" in problems[0].message
    missing = tmp_path / "sim.json"
    missing.write_text(json.dumps({"run": {"tstop": -1, "dt": 0}, "networks": {"nodes": [
        {"nodes_file": "none.h5", "node_types_file": "none.csv"}]}}))
    fields = [p.field for p in validate_config(missing).problems]
    assert fields == ["networks.nodes[0].node_types_file", "networks.nodes[0].nodes_file", "run.dt", "run.tstop"]
