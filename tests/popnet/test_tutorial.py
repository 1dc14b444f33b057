"""BMTK's PopNet tutorial (chapter 6) from its config: the E/I pair driven by LGN rates, and the command line."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd

import pytest

from simlib.popnet.rates_io import read_rates
from simlib.popnet.simulation import simulate


@pytest.fixture(scope="module")
def tutorial_run(tutorial_template):
    """The tutorial's config as written (1.5 s, dt 1 ms, BMTK's gmres model files), run once."""
    return simulate(tutorial_template / "config.json")


def edit_json(path, **changes):
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def shorter(config, tstop_ms=400.0):
    edit_json(config, run={"tstop": tstop_ms, "dt": 0.001})
    return config


def test_tutorial_runs_from_its_config(tutorial_run):
    result = tutorial_run
    rates = result.rates
    assert result.ids == ["100", "101"]
    assert result.labels == {"100": "excitatory", "101": "inhibitory"}
    assert np.abs(rates.mass - 1).max() < 1e-9
    exc, inh = rates.mean_rates(0.5)
    print(f"tutorial (LGN 15 Hz, dt 1 ms, gmres): excitatory {exc:.3f} Hz, inhibitory {inh:.3f} Hz after 0.5 s")
    # the tutorial's figure: both rates rise from 0 within ~100 ms to a steady few Hz
    assert 1.0 < exc < 20.0 and 1.0 < inh < 30.0
    assert rates.rates_hz[0].max() < 0.1
    late = rates.rates_hz[rates.times_s > 0.5]
    assert np.ptp(late, axis=0).max() < 0.01 * late.mean()
    t_half = rates.times_s[np.argmax(rates.rates_hz[:, 0] > 0.5 * exc)]
    assert t_half < 0.1


def test_rates_file_has_bmtk_layout(tutorial_run):
    result = tutorial_run
    lines = result.rates_file.read_text().splitlines()
    assert len(lines) == 2 * 1500 and lines[0].split()[0] == "100" and lines[-1].split()[0] == "101"
    # what bmtk.analyzer.firing_rates.plot_rates_popnet reads: space-separated id, time, rate, no header
    df = pd.read_csv(result.rates_file, sep=" ", names=["id", "times", "rates"])
    assert df["times"].iloc[0] == 0.001 and df["times"].iloc[1499] == 1.5
    back = read_rates(result.rates_file)
    assert np.allclose(back[back["id"] == "101"]["rate"].to_numpy(), result.rates.rates_hz[:, 1], rtol=1e-9)


def test_record_false_leaves_a_population_out(tutorial):
    model = tutorial.parent / "components" / "population_models" / "inh_model.json"
    model.write_text(json.dumps({**json.loads(model.read_text()), "record": False}))
    result = simulate(shorter(tutorial))
    assert result.ids == ["100"]
    assert set(read_rates(result.rates_file)["id"]) == {"100"}


def test_group_by_pop_name_names_the_populations(tutorial, tutorial_run):
    csv = tutorial.parent / "lgn_rates.csv"
    csv.write_text("pop_name firing_rate\ntON 15.0\n")
    result = simulate(shorter(tutorial, 1500.0), group_by="pop_name")
    assert result.ids == ["excitatory", "inhibitory"]
    assert np.allclose(result.rates.rates_hz, tutorial_run.rates.rates_hz)


def test_time_varying_lgn_rates(tutorial):
    csv = tutorial.parent / "lgn_rates.csv"
    csv.write_text("gid time firing_rate\n100 0.0 0.0\n100 0.2 0.0\n100 0.2001 15.0\n100 2.0 15.0\n")
    rates = simulate(shorter(tutorial, 600.0)).rates
    assert rates.mean_rates(0.0, 0.2).max() < 1e-6
    assert rates.mean_rates(0.4)[0] > 1.0


def test_command_line_writes_rates_and_figure(tutorial, tmp_path):
    figure = tmp_path / "rates.png"
    proc = subprocess.run([sys.executable, "-m", "simlib", "popnet", str(shorter(tutorial)), "--figure", str(figure)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "spike_rates.csv" in proc.stdout and figure.stat().st_size > 10_000
    assert "100 (excitatory)" in proc.stdout
