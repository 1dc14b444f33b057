"""FilterNet end to end: a tiny LGN network, a flash, rates and spikes files, CLI, errors, parity with bmtk."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simlib.errors import ConfigError, SimlibError
from simlib.filternet.outputs import read_rates_csv, read_rates_h5
from simlib.spikes import SpikeTrains

from simlib.filternet.run import DEFAULT_SEED, run_filternet, stream_seed

TEMPLATES = {"sON_TF8": 2.0, "sOFF_TF8": 4.0, "tON_TF8": 1.5, "tOFF_TF15": 3.0}  # template: spont_fr (Hz)
N_PER_TEMPLATE = 2


@pytest.fixture(scope="module")
def filter_models() -> Path:
    """bmtk's packaged LGN filter models (opt_wts, opt_kpeaks, opt_delays per template)."""
    spec = importlib.util.find_spec("bmtk")
    if spec is None or spec.origin is None:
        pytest.skip("bmtk is not installed; its packaged filter models are the test's filter files")
    return Path(spec.origin).parent / "utils" / "scripts" / "bionet" / "filter_models"


def build_lgn(out: Path, with_spont: bool = True) -> Path:
    """8 virtual LGN units (4 templates) on a 30 x 40 degree screen, built with simlib's NetworkBuilder."""
    from simlib.builder import NetworkBuilder

    rng = np.random.default_rng(11)
    lgn = NetworkBuilder("LGN")
    for template, spont in TEMPLATES.items():
        extra = {"spont_fr": spont} if with_spont else {}
        lgn.add_nodes(N=N_PER_TEMPLATE, model_type="virtual", model_template=f"lgnmodel:{template}",
                      dynamics_params=f"{template}.json", x=rng.uniform(8.0, 32.0, N_PER_TEMPLATE),
                      y=rng.uniform(8.0, 22.0, N_PER_TEMPLATE), spatial_size=2.0, ei="e", **extra)
    lgn.build()
    lgn.save_nodes(output_dir=str(out))
    return out


@pytest.fixture(scope="module")
def network(tmp_path_factory) -> Path:
    return build_lgn(tmp_path_factory.mktemp("lgn") / "network")


def write_config(folder: Path, network: Path, filter_models: Path, **changes) -> Path:
    config = {
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output"},
        "run": {"tstop": 400.0, "dt": 0.1},
        "target_simulator": "LGNModel",
        "inputs": {"LGN_spikes": {"input_type": "movie", "module": "full_field_flash", "row_size": 30,
                                  "col_size": 40, "t_on": 100.0, "t_off": 250.0, "max_intensity": 1.0,
                                  "frame_rate": 1000.0, "evaluation_options": {"separable": True}}},
        "output": {"output_dir": "$OUTPUT_DIR", "log_file": "log.txt", "rates_csv": "rates.csv",
                   "rates_h5": "rates.h5", "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv",
                   "overwrite_output_dir": True},
        "components": {"filter_models_dir": str(filter_models)},
        "networks": {"nodes": [{"nodes_file": str(network / "LGN_nodes.h5"),
                                "node_types_file": str(network / "LGN_node_types.csv")}]},
    }
    config.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.filternet.json"
    path.write_text(json.dumps(config, indent=2))
    return path


@pytest.fixture(scope="module")
def flash_run(tmp_path_factory, network, filter_models):
    folder = tmp_path_factory.mktemp("flash")
    return folder, run_filternet(write_config(folder, network, filter_models))


def test_flash_run_writes_rates_and_spikes(flash_run):
    folder, result = flash_run
    out = folder / "output"
    n_units = len(TEMPLATES) * N_PER_TEMPLATE
    assert result.seed == DEFAULT_SEED and result.n_units == n_units
    assert sorted(p.name for p in result.files) == ["log.txt", "rates.csv", "rates.h5", "spikes.csv", "spikes.h5"]
    assert sorted(p.name for p in out.iterdir()) == ["log.txt", "rates.csv", "rates.h5", "spikes.csv", "spikes.h5"]
    table = result.rates["LGN"]
    np.testing.assert_array_equal(table.node_ids, np.arange(n_units))
    np.testing.assert_allclose(table.times_s, np.arange(401) / 1000.0)
    assert table.rates_hz.shape == (401, n_units) and np.all(table.rates_hz >= 0)
    for read in (read_rates_h5, read_rates_csv):
        back = read(out / ("rates.h5" if read is read_rates_h5 else "rates.csv"))["LGN"]
        np.testing.assert_array_equal(back.node_ids, table.node_ids)
        np.testing.assert_allclose(back.rates_hz, table.rates_hz, rtol=1e-15)
    spikes = SpikeTrains.load(out / "spikes.h5")
    assert spikes.populations == ["LGN"] and len(spikes) == len(result.spikes) > 0
    assert set(spikes.node_ids("LGN").tolist()) <= set(range(n_units))
    csv_spikes = SpikeTrains.load(out / "spikes.csv")
    assert csv_spikes.is_equal(spikes)
    log_text = (out / "log.txt").read_text()
    assert "full_field_flash" in log_text and "built 8 units" in log_text


def test_the_flash_drives_on_and_off_units_in_opposite_directions(flash_run):
    _, result = flash_run
    rates = result.rates["LGN"].rates_hz
    on = rates[:, [0, 1]].mean(axis=1)   # sON_TF8
    off = rates[:, [2, 3]].mean(axis=1)  # sOFF_TF8
    before, during = slice(50, 100), slice(120, 170)
    assert on[during].mean() > on[before].mean()
    assert off[during].mean() < off[before].mean() or off[before].mean() == 0


def test_spike_count_matches_the_rates(flash_run):
    _, result = flash_run
    table = result.rates["LGN"]
    expected = float(np.sum(table.rates_hz[:-1]) * 1e-3)  # Hz x 1 ms frames
    assert abs(len(result.spikes) - expected) < 5 * np.sqrt(expected) + 5


def test_seeds_are_explicit_and_reproducible(tmp_path, network, filter_models):
    config = write_config(tmp_path / "a", network, filter_models, output={"output_dir": "out",
                                                                         "spikes_file": "spikes.h5"})
    first = run_filternet(config, seed=5)
    again = run_filternet(config, seed=5)
    other = run_filternet(config, seed=6)
    assert first.spikes == again.spikes
    assert first.spikes != other.spikes
    np.testing.assert_array_equal(first.rates["LGN"].rates_hz, other.rates["LGN"].rates_hz)
    from_config = run_filternet(write_config(tmp_path / "b", network, filter_models,
                                             run={"tstop": 400.0, "seed": 5},
                                             output={"output_dir": "out", "spikes_file": "spikes.h5"}))
    assert from_config.seed == 5 and from_config.spikes == first.spikes
    assert stream_seed(5, "spikes", "LGN") != stream_seed(5, "spikes", "LGN2") != stream_seed(5, "units", "LGN")


def test_evaluation_window_and_downsampling(tmp_path, network, filter_models, flash_run):
    inputs = json.loads((flash_run[0] / "config.filternet.json").read_text())["inputs"]
    inputs["LGN_spikes"]["evaluation_options"] = {"separable": True, "t_min": 0.1, "t_max": 0.3, "downsample": 2}
    result = run_filternet(write_config(tmp_path, network, filter_models, inputs=inputs,
                                        output={"output_dir": "out", "rates_h5": "rates.h5"}))
    table = result.rates["LGN"]
    np.testing.assert_allclose(table.times_s, np.arange(100, 301, 2) / 1000.0)
    np.testing.assert_allclose(table.rates_hz, flash_run[1].rates["LGN"].rates_hz[100:301:2], rtol=1e-12)
    assert len(result.spikes) == 0 or result.spikes.to_dataframe()["timestamps"].min() >= 100.0
    inputs["LGN_spikes"]["evaluation_options"] = {"t_min": 5.0}
    with pytest.raises(ConfigError, match=r"evaluation_options: t_min=5.0, t_max=None \(s\) keep 0 frame\(s\)"):
        run_filternet(write_config(tmp_path / "late", network, filter_models, inputs=inputs))
    assert not (tmp_path / "late" / "output").exists()


def test_cli(tmp_path, network, filter_models, capsys):
    from simlib.cli import main

    config = write_config(tmp_path, network, filter_models, output={"output_dir": "out", "spikes_file": "s.h5"})
    assert main(["filternet", str(config), "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "8 units" in printed and "(seed 3)" in printed and str(tmp_path / "out" / "s.h5") in printed
    assert (tmp_path / "out" / "s.h5").is_file()
    bad = write_config(tmp_path / "bad", network, filter_models, inputs={"x": {"input_type": "movie",
                                                                              "module": "checkerboard"}})
    assert main(["filternet", str(bad)]) == 1
    assert "accepted: full_field_flash, graiting" in capsys.readouterr().err


def test_the_command_imports_neither_pandas_nor_scipy(tmp_path, network, filter_models):
    """Their imports take longer than FilterNet takes to run a small LGN (the whole process is what users wait for)."""
    metrics = filter_models.parents[3] / "simulator" / "filternet" / "lgnmodel" / "cell_metrics"
    config = write_config(tmp_path, build_lgn(tmp_path / "network", with_spont=False), filter_models,
                          components={"filter_models_dir": str(filter_models), "cell_metrics_dir": str(metrics)})
    script = ("import sys; from simlib.cli import main; code = main(['filternet', sys.argv[1]]); "
              "print(sorted(m for m in ('pandas', 'scipy', 'matplotlib', 'neuron') if m in sys.modules)); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script, str(config)], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["log.txt", "rates.csv", "rates.h5",
                                                                      "spikes.csv", "spikes.h5"]


def test_spontaneous_rates_from_bmtks_cell_metrics(tmp_path, filter_models):
    """Nodes without spont_fr: BMTK's rates (simlib's table, or components.cell_metrics_dir) give the rate."""
    metrics = filter_models.parents[3] / "simulator" / "filternet" / "lgnmodel" / "cell_metrics"
    network = build_lgn(tmp_path / "network", with_spont=False)
    result = run_filternet(write_config(tmp_path, network, filter_models,
                                        components={"filter_models_dir": str(filter_models),
                                                    "cell_metrics_dir": str(metrics)}))
    before_flash = result.rates["LGN"].rates_hz[50]
    assert np.all(before_flash > 0)  # grey screen: every unit at its spontaneous rate
    default = run_filternet(write_config(tmp_path / "default", network, filter_models)).rates["LGN"].rates_hz[50]
    np.testing.assert_allclose(default, before_flash, rtol=1e-14)


@pytest.mark.parametrize("problem", ["stimulus", "filter_model", "evaluation"])
def test_errors_leave_no_output(tmp_path, network, filter_models, monkeypatch, problem):
    changes = {}
    if problem == "stimulus":
        changes["inputs"] = {"flash": {"input_type": "movie", "module": "full_field_flash", "row_size": 30,
                                       "col_size": 40, "t_on": 300.0, "t_off": 100.0}}
    elif problem == "filter_model":
        empty = tmp_path / "no_filters"
        empty.mkdir()
        changes["components"] = {"filter_models_dir": str(empty)}
    else:
        from simlib import filternet

        def broken(*args, **kwargs):
            raise SimlibError("evaluation failed")
        monkeypatch.setattr(filternet, "evaluate_rates", broken)
    config = write_config(tmp_path, network, filter_models, **changes)
    with pytest.raises(SimlibError) as exc:
        run_filternet(config)
    if problem == "stimulus":
        assert isinstance(exc.value, ConfigError)
        assert "inputs.flash.t_off: expected a time (ms) greater than t_on" in str(exc.value)
    out = tmp_path / "output"
    assert not out.exists() or list(out.iterdir()) == []


# --- parity with bmtk's FilterNet on the same config -------------------------------------------------

BMTK_RUN = """
import sys
from bmtk.simulator import filternet
config = filternet.Config.from_json(sys.argv[1])
config.build_env()
network = filternet.FilterNetwork.from_config(config)
sim = filternet.FilterSimulator.from_config(config, network)
sim.run()
"""


@pytest.mark.parity
@pytest.mark.parametrize("stimulus", ["flash", "grating", "flash_cell_metrics", "flash_without_spont_fr"])
def test_rates_equal_bmtks_filternet(tmp_path, network, filter_models, flash_run, stimulus):
    """bmtk's FilterNet, run in a subprocess on the same config, writes the same rates (1e-6 relative)."""
    pytest.importorskip("bmtk.simulator.filternet", reason="bmtk (the reference implementation) is not installed")
    inputs = json.loads((flash_run[0] / "config.filternet.json").read_text())["inputs"]
    components = {"filter_models_dir": str(filter_models)}
    if stimulus == "grating":
        inputs = {"grating": {"input_type": "movie", "module": "graiting", "row_size": 30, "col_size": 40,
                              "gray_screen_dur": 50.0, "cpd": 0.04, "temporal_f": 4.0, "theta": 30.0,
                              "contrast": 0.8, "frame_rate": 1000.0, "evaluation_options": {"separable": True}}}
    elif stimulus == "flash_cell_metrics":  # no spont_fr: both take it from bmtk's experimental tables
        network = build_lgn(tmp_path / "network", with_spont=False)
        components["cell_metrics_dir"] = str(filter_models.parents[3] / "simulator" / "filternet" / "lgnmodel"
                                             / "cell_metrics")
    elif stimulus == "flash_without_spont_fr":  # simlib's table of BMTK's rates, bmtk its own tables
        network = build_lgn(tmp_path / "network", with_spont=False)
    for name, folder in (("simlib", tmp_path / "simlib"), ("bmtk", tmp_path / "bmtk")):
        write_config(folder, network, filter_models, inputs=inputs, components=components,
                     output={"output_dir": str(folder / "output"), "rates_csv": "rates.csv", "log_file": "log.txt"})
    run_filternet(tmp_path / "simlib" / "config.filternet.json")
    proc = subprocess.run([sys.executable, "-c", BMTK_RUN, str(tmp_path / "bmtk" / "config.filternet.json")],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = read_rates_csv(tmp_path / "simlib" / "output" / "rates.csv")["LGN"]
    theirs = read_rates_csv(tmp_path / "bmtk" / "output" / "rates.csv")["LGN"]
    np.testing.assert_array_equal(ours.node_ids, theirs.node_ids)
    np.testing.assert_allclose(ours.times_s, theirs.times_s, rtol=0, atol=1e-12)
    assert ours.rates_hz.max() > 5.0  # the stimulus drives the units
    np.testing.assert_allclose(ours.rates_hz, theirs.rates_hz, rtol=1e-6, atol=1e-9)
