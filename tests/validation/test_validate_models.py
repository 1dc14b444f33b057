"""simlib validate on good models: the tiny workflow's BioNet, PointNet and FilterNet configs and the PopNet tutorial."""

import sys

import pytest
from validation_models import BIONET_SIMS, write_sim

from simlib.cli import main
from simlib.validation import detect_simulator, validate_config


@pytest.mark.parametrize("sim", BIONET_SIMS)
def test_bionet_configs_have_no_problem(models, tiny_config, sim):
    path = write_sim(models, tiny_config, sim)          # the workflow's writer validated it already
    result = validate_config(path)
    assert result.problems == []
    assert result.simulator == "bionet"
    assert result.counts["populations"] == 2 and result.counts["cell_types"] == 4
    assert result.counts["mechanisms"] == 18 and result.counts["edges"] > 0


def test_pointnet_config_has_no_problem(models, tiny_config):
    result = validate_config(write_sim(models, tiny_config, "l4_point"))
    assert result.problems == [] and result.simulator == "pointnet"
    assert result.counts["cell_groups"] == 4 and result.counts["inputs"] == 1


def test_filternet_config_has_no_problem(models):
    result = validate_config(models / "results/filternet/flash/config.json")
    assert result.problems == [] and result.simulator == "filternet"
    assert result.counts["units"] == 10


def test_popnet_config_has_no_problem(models):
    result = validate_config(models / "popnet/config.json")
    assert result.problems == [] and result.simulator == "popnet"
    assert result.counts["groups"] == 3


def test_circuit_config_has_no_problem(models):
    result = validate_config(models / "results/networks/l4/circuit_config.json")
    assert result.problems == [] and result.simulator is None
    assert result.summary().startswith("OK: ") and "(circuit): 2 node populations (40 nodes)" in result.summary()


def test_command_prints_a_summary(models, tiny_config, capsys):
    path = write_sim(models, tiny_config, "l4_poisson")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"OK: {path} (BioNet): 2 node populations (40 nodes), 2 edge populations")
    assert "4 cell types" in out and "18 mechanisms" in out


def test_no_simulator_is_imported(models):
    """The validator must stay quick: NEURON and NEST are the run's business."""
    import subprocess

    code = ("import sys; from simlib.validation import validate_config; "
            f"assert validate_config({str(models / 'results/sims/l4_point/config.json')!r}).ok; "
            "assert 'neuron' not in sys.modules and 'nest' not in sys.modules, sorted(sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("raw, expected", [
    ({"target_simulator": "NEURON"}, "bionet"),
    ({"target_simulator": "BioNet"}, "bionet"),
    ({"target_simulator": "NEST"}, "pointnet"),
    ({"target_simulator": "LGNModel"}, "filternet"),
    ({"target_simulator": "DiPDE"}, "popnet"),
    ({"components": {"mechanisms_dir": "m"}}, "bionet"),
    ({"components": {"point_neuron_models_dir": "p"}}, "pointnet"),
    ({"inputs": {"lgn": {"input_type": "movie", "module": "movie"}}}, "filternet"),
    ({"inputs": {"ext": {"input_type": "csv", "module": "pop_rates"}}}, "popnet"),
    ({"networks": {}}, None),
])
def test_simulator_detection(raw, expected):
    assert detect_simulator(raw) == expected
