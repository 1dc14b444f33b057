"""Bad PopNet input: one clear error each, naming the file and the field (the CLI: exit 1, one line)."""

import json
import subprocess
import sys

import pytest

from simlib.errors import ConfigError, FormatError
from simlib.popnet import LIFPopulation
from simlib.popnet.rates_io import read_pop_rates
from simlib.popnet.simulation import simulate


def set_model(config, **changes):
    model = config.parent / "components" / "population_models" / "exc_model.json"
    model.write_text(json.dumps({**json.loads(model.read_text()), **changes}))
    return model


def cli_error(config) -> str:
    proc = subprocess.run([sys.executable, "-m", "simlib", "popnet", str(config)], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simlib: error: "), proc.stderr
    return lines[0]


@pytest.mark.parametrize("changes, field, text", [
    ({"v_threshold": 0.03}, "v_threshold", "does not contain the threshold"),
    ({"v_reset": -0.06}, "v_reset", "does not contain the reset"),
    ({"v_reset": 0.02}, "v_reset", "does not contain the reset"),
    ({"dv": 0.0}, "dv", "bin width > 0"),
    ({"dv": -0.0001}, "dv", "bin width > 0"),
    ({"tau_m": -0.02}, "tau_m", "time constant > 0"),
    ({"dv": 0.00015}, "v_max", "whole number"),
    ({"update_method": "euler"}, "update_method", "accepted: approx, exact, gmres"),
])
def test_bad_model_file(tutorial, changes, field, text):
    model = set_model(tutorial, **changes)
    with pytest.raises(ConfigError) as err:
        simulate(tutorial)
    assert str(err.value).startswith(f"{model}: {field}: ") and text in str(err.value)
    assert f"{model}: {field}: " in cli_error(tutorial)


def test_bad_parameters_in_python():
    with pytest.raises(ConfigError, match="^LIFPopulation: tau_m: "):
        LIFPopulation(tau_m=-1.0)
    with pytest.raises(ConfigError, match="^mine.json: dv: expected a number"):
        LIFPopulation.from_params({"dv": "fine"}, "mine.json")


def test_rates_csv_missing_a_population(tutorial):
    csv = tutorial.parent / "lgn_rates.csv"
    csv.write_text("gid firing_rate\n999 15.0\n")
    with pytest.raises(FormatError, match=r"lgn_rates.csv: gid: no rate for populations \['100'\] of node set "):
        simulate(tutorial)
    assert f"{csv}: gid: no rate for populations" in cli_error(tutorial)


def test_rates_csv_times_not_increasing(tutorial):
    csv = tutorial.parent / "lgn_rates.csv"
    csv.write_text("gid time firing_rate\n100 0.0 5.0\n100 0.5 10.0\n100 0.5 20.0\n")
    with pytest.raises(FormatError, match=r"lgn_rates.csv: line 4, column 'time': population 100: 0.5 s does not "
                                          "follow 0.5 s; expected strictly increasing"):
        simulate(tutorial)
    assert f"{csv}: line 4, column 'time'" in cli_error(tutorial)


@pytest.mark.parametrize("text, message", [
    ("gid rate\n100 15\n", "expected gid (or node_type_id), firing_rate"),
    ("gid firing_rate\n100 fast\n", "line 2, column 'firing_rate': \"fast\" is not a number"),
    ("gid firing_rate\n100 -3\n", "line 2, column 'firing_rate': -3.0 is negative"),
    ("gid firing_rate\n100 3\n100 4\n", "line 3: population 100 has several rates and no time column"),
])
def test_bad_rates_csv(tmp_path, text, message):
    path = tmp_path / "rates.csv"
    path.write_text(text)
    with pytest.raises(FormatError) as err:
        read_pop_rates(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_run_dt_in_milliseconds_is_refused(tutorial):
    data = json.loads(tutorial.read_text())
    data["run"]["dt"] = 0.1
    tutorial.write_text(json.dumps(data))
    assert "config.json: run.dt: expected the PopNet step in seconds" in cli_error(tutorial)


def test_unknown_input_module(tutorial):
    data = json.loads(tutorial.read_text())
    data["inputs"]["LGN_pop_rates"]["module"] = "spikes"
    tutorial.write_text(json.dumps(data))
    assert "config.json: inputs.LGN_pop_rates.module: \"spikes\" is not a PopNet input; accepted: pop_rates" in \
        cli_error(tutorial)


def test_external_population_without_a_rate(tutorial):
    data = json.loads(tutorial.read_text())
    del data["inputs"]
    tutorial.write_text(json.dumps(data))
    assert "external population 100 (node population 'LGN'): no firing rate" in cli_error(tutorial)


def test_unwritable_output_folder_fails_before_the_run(tutorial):
    """simulate() itself (not only the command) checks the output folder first: nothing is solved or written."""
    from simlib.errors import SimlibError

    blocker = tutorial.parent / "blocker"
    blocker.write_text("a file where the output folder's parent should be")
    config = json.loads(tutorial.read_text())
    config["output"]["output_dir"] = "$BASE_DIR/blocker/output"
    tutorial.write_text(json.dumps(config))
    with pytest.raises(SimlibError, match=r"blocker/output \(output.output_dir\).*blocker is a file"):
        simulate(tutorial)
    assert blocker.read_text().startswith("a file") and not (tutorial.parent / "output").exists()
