"""FilterNet config reading (BMTK's config.filternet.json) and the rates/spikes output files."""

import json
import types
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from simlib.config import SimulationConfig
from simlib.errors import ConfigError, FormatError
from simlib.filternet.config import read_filternet_config
from simlib.filternet.outputs import (
    RatesTable,
    read_rates_csv,
    read_rates_h5,
    spike_trains,
    write_rates_csv,
    write_rates_h5,
    write_spikes,
)
from simlib.spikes import SpikeTrains


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


@pytest.fixture
def project(tmp_path) -> Path:
    """BMTK's FilterNet example layout: config.filternet.json -> config.circuit.json, network files, filters."""
    for name in ("network/lgn_nodes.h5", "network/lgn_node_types.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()  # the config layer only checks that they exist
    (tmp_path / "filter_models").mkdir()
    write_json(tmp_path / "config.circuit.json", {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network"},
        "components": {"filter_models_dir": "$BASE_DIR/filter_models"},
        "networks": {"nodes": [{"nodes_file": "$NETWORK_DIR/lgn_nodes.h5",
                                "node_types_file": "$NETWORK_DIR/lgn_node_types.csv"}]}})
    return tmp_path


def filternet_config(**overrides) -> dict:
    config = {
        "manifest": {"$BASE_DIR": "${configdir}", "$OUTPUT_DIR": "$BASE_DIR/output"},
        "run": {"tstop": 2000.0, "dt": 0.1, "overwrite_output_dir": True},
        "target_simulator": "LGNModel",
        "conditions": {"jitter_lower": 0.75, "jitter_upper": 1.25},
        "inputs": {"LGN_spikes": {"input_type": "movie", "module": "full_field_flash", "row_size": 120,
                                  "col_size": 240, "t_on": 500.0, "t_off": 1500.0, "frame_rate": 1000.0}},
        "output": {"log_file": "log.txt", "output_dir": "$OUTPUT_DIR", "rates_csv": "rates.csv",
                   "spikes_csv": "spikes.csv", "spikes_file": "spikes.h5", "overwrite_output_dir": True},
        "network": "config.circuit.json",
    }
    for key, value in overrides.items():
        config[key] = value
    return config


def load(project, data):
    return read_filternet_config(write_json(project / "config.filternet.json", data))


# --- config ----------------------------------------------------------------------------------------

def test_reads_bmtks_filternet_layout(project):
    cfg = load(project, filternet_config())
    out = project / "output"
    assert cfg.tstop_ms == 2000.0 and cfg.dt_ms == 0.1
    assert cfg.jitter == (0.75, 1.25)
    assert cfg.seed is None
    assert cfg.filter_models_dir == project / "filter_models"
    assert cfg.nodes == [{"nodes_file": str(project / "network/lgn_nodes.h5"),
                          "node_types_file": str(project / "network/lgn_node_types.csv")}]
    assert list(cfg.inputs) == ["LGN_spikes"] and cfg.inputs["LGN_spikes"]["t_on"] == 500.0
    assert cfg.evaluation_options["LGN_spikes"] == {"separable": True, "downsample": 1, "t_min": None, "t_max": None}
    assert cfg.output.output_dir == out
    assert cfg.output.files() == {"rates_csv": out / "rates.csv", "spikes_h5": out / "spikes.h5",
                                  "spikes_csv": out / "spikes.csv"}
    assert cfg.output.log_file == out / "log.txt"
    assert cfg.source == "config.filternet.json"


def test_output_keys_aliases_and_paths(project):
    output = {"output_dir": "output", "spikes_h5": "lgn.h5", "spikes_file": "ignored.h5", "rates_h5": "output/r.h5",
              "spikes_file_csv": "s.csv", "rates_csv": str(project / "elsewhere" / "r.csv"), "spikes_nwb": "s.nwb",
              "compression": "none"}
    cfg = load(project, filternet_config(output=output))
    out = project / "output"
    assert cfg.output.spikes_h5 == out / "lgn.h5"  # BMTK: spikes_h5 or spikes_file
    assert cfg.output.spikes_csv == out / "s.csv"
    assert cfg.output.rates_h5 == out / "r.h5"  # already inside output_dir: not doubled
    assert cfg.output.rates_csv == project / "elsewhere" / "r.csv"
    assert cfg.output.spikes_nwb == out / "s.nwb"
    assert cfg.output.log_file is None and cfg.output.compression == "none"


def test_accepts_a_simulation_config_and_a_dict(project):
    data = filternet_config(run={"tstop": 500.0, "seed": 7})
    sim = SimulationConfig.from_json(write_json(project / "config.filternet.json", data))
    assert read_filternet_config(sim).seed == 7
    from_dict = read_filternet_config(data, config_dir=project)
    assert from_dict.tstop_ms == 500.0 and from_dict.jitter == (0.75, 1.25)
    assert from_dict.output.rates_csv == project / "output" / "rates.csv"


def test_disabled_inputs_are_skipped(project):
    inputs = filternet_config()["inputs"]
    inputs["grating"] = {"input_type": "movie", "module": "graiting", "row_size": 10, "col_size": 10,
                         "enabled": False}
    cfg = load(project, filternet_config(inputs=inputs, conditions={}))
    assert list(cfg.inputs) == ["LGN_spikes"] and cfg.jitter is None


def test_every_problem_is_reported_at_once(project):
    data = filternet_config(
        target_simulator="NEURON",
        run={"tstop": 100.0, "seed": -1},
        conditions={"jitter_lower": 1.2},
        components={"filter_models_dir": "no_such_dir", "cell_metrics_dir": ["a", "b"]},
        inputs={"a": {"input_type": "audio", "module": "wav_file"},
                "b": {"input_type": "movie", "module": "checkerboard"},
                "c": {"input_type": "movie", "module": "movie", "evaluation_options": {"separable": "yes", "x": 1}},
                "d": {"input_type": "movie", "module": "looming", "evaluation_options": {"downsample": 0}}},
        output={"output_dir": "out", "rates_csv": "x.csv", "spikes_csv": "x.csv", "compression": "zip"},
    )
    data.pop("network")
    data["networks"] = {"nodes": [{"nodes_file": "network/lgn_nodes.h5",
                                   "node_types_file": "network/lgn_node_types.csv"}]}
    with pytest.raises(ConfigError) as exc:
        load(project, data)
    lines = str(exc.value).splitlines()
    expected = [
        "target_simulator: expected one of LGNModel, FilterNet (FilterNet), got 'NEURON'",
        "run.seed: expected an integer >= 0, got -1",
        "conditions.jitter_upper: required key missing",
        "components.filter_models_dir: folder not found",
        "components.cell_metrics_dir: expected one folder path, got [",
        "inputs.a.input_type: expected one of movie, got 'audio' (audio inputs are not supported)",
        ("inputs.b.module: unknown stimulus module 'checkerboard'; accepted: full_field_flash, graiting, grating, "
         "gratings, looming, movie"),
        "inputs.c.evaluation_options: unknown option(s) x; accepted: separable, downsample, t_min, t_max",
        "inputs.d.evaluation_options.downsample: expected a whole number >= 1",
        "inputs: expected one enabled movie input per FilterNet run, got 4 (a, b, c, d)",
        "output.compression: expected 'gzip', 'lzf', 'none', None or a gzip level 0-9, got 'zip'",
        "output: two outputs write the same file",
    ]
    assert len(lines) == len(expected)
    for want in expected:
        assert any(line.startswith("config.filternet.json: ") and want in line for line in lines), want


def test_jitter_must_be_ordered_and_inputs_present(project):
    with pytest.raises(ConfigError, match=r"conditions.jitter_upper: expected a number >= jitter_lower \(1.5\)"):
        load(project, filternet_config(conditions={"jitter_lower": 1.5, "jitter_upper": 1.0}))
    with pytest.raises(ConfigError, match="inputs: expected one movie input"):
        load(project, filternet_config(inputs={}))
    with pytest.raises(ConfigError, match=r"evaluation_options.t_max: expected a time \(s\) >= t_min"):
        inputs = filternet_config()["inputs"]
        inputs["LGN_spikes"]["evaluation_options"] = {"t_min": 1.0, "t_max": 0.5}
        load(project, filternet_config(inputs=inputs))


def test_generic_sonata_problems_come_from_simulation_config(project):
    data = filternet_config(run={"dt": 0.1})
    with pytest.raises(ConfigError, match=r"config.filternet.json: run.tstop: required key missing"):
        load(project, data)


# --- rates files -----------------------------------------------------------------------------------

def tiny_rates():
    times = np.array([0.0, 0.001, 0.002])
    rates = np.array([[1.0, 2.5, 0.0], [1.5, 3.0, 0.125], [2.0, 3.5, 1e-07]])  # times x nodes
    return {"LGN": RatesTable(np.array([4, 0, 2]), times, rates)}


def test_rates_csv_format(tmp_path):
    path = tmp_path / "rates.csv"
    write_rates_csv(path, tiny_rates())
    assert path.read_text().splitlines() == [
        "node_id population timestamps firing_rates",
        "0 LGN 0.0 2.5", "0 LGN 0.001 3.0", "0 LGN 0.002 3.5",
        "2 LGN 0.0 0.0", "2 LGN 0.001 0.125", "2 LGN 0.002 1e-07",
        "4 LGN 0.0 1.0", "4 LGN 0.001 1.5", "4 LGN 0.002 2.0",
    ]
    back = read_rates_csv(path)["LGN"]
    np.testing.assert_array_equal(back.node_ids, [0, 2, 4])
    np.testing.assert_array_equal(back.rates_hz, tiny_rates()["LGN"].rates_hz[:, [1, 2, 0]])
    # BMTK's own reader of this file (analyzer.firing_rates.plot_rates) is pandas with sep=' '
    df = pd.read_csv(path, sep=" ")
    assert df.groupby(["population", "node_id"]).size().to_dict() == {("LGN", 0): 3, ("LGN", 2): 3, ("LGN", 4): 3}


def test_rates_csv_repeated_values(tmp_path):
    """Units with the same rates (each distinct value is formatted once) and -0.0 keep repr's text."""
    times = np.arange(50) / 1000.0
    rates = np.repeat(np.r_[0.0, -0.0, np.linspace(0.0, 7.0, 48)][:, None], 40, axis=1)  # 40 equal units
    rates[:, 39] = np.random.default_rng(0).random(50)
    write_rates_csv(tmp_path / "rates.csv", {"LGN": RatesTable(np.arange(40), times, rates)})
    expected = [f"{i} LGN {t!r} {r!r}" for i in range(40) for t, r in zip(times.tolist(), rates[:, i].tolist())]
    assert (tmp_path / "rates.csv").read_text().splitlines()[1:] == expected
    assert expected[1] == "0 LGN 0.001 -0.0"


def test_rates_h5_layout(tmp_path):
    path = tmp_path / "rates.h5"
    write_rates_h5(path, {**tiny_rates(), "LGN2": RatesTable(np.array([1]), np.array([0.0, 0.5]), np.ones((2, 1)))})
    with h5py.File(path, "r") as h5:
        assert sorted(h5["firing_rates"]) == ["LGN", "LGN2"]
        grp = h5["firing_rates/LGN"]
        assert grp["node_id"].dtype == np.uint64
        np.testing.assert_array_equal(grp["node_id"][()], [0, 2, 4])
        np.testing.assert_array_equal(grp["times"][()], [0.0, 0.001, 0.002])
        assert grp["firing_rates_Hz"].shape == (3, 3)
        np.testing.assert_array_equal(grp["firing_rates_Hz"][:, 0], [2.5, 3.0, 3.5])
    back = read_rates_h5(path)
    np.testing.assert_array_equal(back["LGN2"].rates_hz, np.ones((2, 1)))


def test_bad_rates_write_nothing(tmp_path):
    bad = {"LGN": RatesTable(np.array([0, 1]), np.array([0.0, 0.1, 0.2]), np.zeros((2, 2)))}
    for writer, name in ((write_rates_csv, "r.csv"), (write_rates_h5, "r.h5")):
        with pytest.raises(FormatError, match=r"expected rates_hz of shape \(n_times, n_nodes\) = \(3, 2\), got \(2, 2\)"):
            writer(tmp_path / name, bad)
    assert list(tmp_path.iterdir()) == []


def test_rates_readers_reject_other_files(tmp_path):
    (tmp_path / "x.csv").write_text("a b\n1 2\n")
    with pytest.raises(FormatError, match="columns .* missing; expected node_id population timestamps firing_rates"):
        read_rates_csv(tmp_path / "x.csv")
    with h5py.File(tmp_path / "x.h5", "w") as h5:
        h5.create_group("spikes")
    with pytest.raises(FormatError, match="group '/firing_rates' missing"):
        read_rates_h5(tmp_path / "x.h5")


def bmtk_record_rates(tmp_path, ids, times, rates, population="LGN"):
    """bmtk's own RecordRates module fed the same rates (one save per cell, in the given order)."""
    record_rates = pytest.importorskip("bmtk.simulator.filternet.modules.record_rates",
                                       reason="bmtk (the reference implementation) is not installed")
    rec = record_rates.RecordRates("bmtk_rates.csv", "bmtk_rates.h5", str(tmp_path))
    sim = types.SimpleNamespace(local_cells=lambda: list(ids))
    rec.initialize(sim)
    for i, node_id in enumerate(ids):
        rec.save(sim, types.SimpleNamespace(population=population, node_id=node_id), times, rates[:, i])
    rec.finalize(sim)
    return tmp_path / "bmtk_rates.csv", tmp_path / "bmtk_rates.h5"


@pytest.mark.parity
def test_rates_files_equal_bmtks(tmp_path):
    rng = np.random.default_rng(1)
    ids = np.array([5, 0, 3, 2, 11])
    times = np.arange(40) / 1000.0
    rates = rng.exponential(3.0, size=(40, ids.size))
    rates[:4] = 0.0
    rates[5, 1], rates[6, 2] = 1e-7, 123456.789
    theirs_csv, theirs_h5 = bmtk_record_rates(tmp_path, ids, times, rates)
    write_rates_csv(tmp_path / "ours.csv", {"LGN": RatesTable(ids, times, rates)})
    write_rates_h5(tmp_path / "ours.h5", {"LGN": RatesTable(ids, times, rates)})
    # the same text; BMTK's csv module ends lines with \r\n
    assert (tmp_path / "ours.csv").read_bytes() == theirs_csv.read_bytes().replace(b"\r\n", b"\n")
    with h5py.File(tmp_path / "ours.h5", "r") as ours, h5py.File(theirs_h5, "r") as theirs:
        for name in ("node_id", "times", "firing_rates_Hz"):
            a, b = ours[f"firing_rates/LGN/{name}"], theirs[f"firing_rates/LGN/{name}"]
            assert a.shape == b.shape and a.dtype == b.dtype, name
            np.testing.assert_array_equal(a[()], b[()])
    for read in (read_rates_csv, read_rates_h5):
        back = read(theirs_csv if read is read_rates_csv else theirs_h5)["LGN"]
        np.testing.assert_array_equal(back.node_ids, np.sort(ids))
        np.testing.assert_allclose(back.rates_hz, rates[:, np.argsort(ids)], rtol=1e-15)


@pytest.mark.parity
def test_population_names_with_spaces_are_quoted_as_bmtk_does(tmp_path):
    ids, times, rates = np.array([1, 0]), np.array([0.0, 0.5]), np.array([[1.0, 2.0], [3.0, 4.0]])
    theirs_csv, _ = bmtk_record_rates(tmp_path, ids, times, rates, population='my "LGN"')
    write_rates_csv(tmp_path / "ours.csv", {'my "LGN"': RatesTable(ids, times, rates)})
    assert (tmp_path / "ours.csv").read_bytes() == theirs_csv.read_bytes().replace(b"\r\n", b"\n")
    assert list(read_rates_csv(tmp_path / "ours.csv")) == ['my "LGN"']


# --- spikes files ----------------------------------------------------------------------------------

def tiny_spikes():
    return {"LGN": (np.array([3, 0, 3, 1, 0]), np.array([5.0, 2.0, 1.0, 7.5, 0.5]))}


def test_spikes_are_written_sorted_by_node_id(tmp_path):
    trains = spike_trains(tiny_spikes())
    written = write_spikes(trains, h5=tmp_path / "s.h5", csv=tmp_path / "s.csv")
    assert written == [tmp_path / "s.h5", tmp_path / "s.csv"]
    with h5py.File(tmp_path / "s.h5", "r") as h5:
        grp = h5["spikes/LGN"]
        mapping = h5py.check_enum_dtype(grp.attrs.get_id("sorting").dtype)  # an enum, as BMTK writes it
        assert {v: k for k, v in mapping.items()}[grp.attrs["sorting"]] == "by_id"
        np.testing.assert_array_equal(grp["node_ids"][()], [0, 0, 1, 3, 3])
        np.testing.assert_array_equal(grp["timestamps"][()], [0.5, 2.0, 7.5, 1.0, 5.0])
    rows = (tmp_path / "s.csv").read_text().splitlines()
    assert len(rows) == 6
    back = SpikeTrains.load(tmp_path / "s.csv")
    np.testing.assert_array_equal(back.get_times(3, "LGN"), [1.0, 5.0])


@pytest.mark.parity
def test_bmtk_reads_our_spike_files(tmp_path):
    bmtk_spikes = pytest.importorskip("bmtk.utils.reports.spike_trains",
                                      reason="bmtk (the reference implementation) is not installed")
    write_spikes(spike_trains(tiny_spikes()), h5=tmp_path / "s.h5", csv=tmp_path / "s.csv")
    for name in ("s.h5", "s.csv"):
        theirs = bmtk_spikes.SpikeTrains.load(str(tmp_path / name))
        assert list(theirs.populations) == ["LGN"]
        assert [int(n) for n in theirs.node_ids(population="LGN")] == [0, 1, 3]
        np.testing.assert_allclose(np.sort(theirs.get_times(0, population="LGN")), [0.5, 2.0])
        np.testing.assert_allclose(np.sort(theirs.get_times(3, population="LGN")), [1.0, 5.0])
