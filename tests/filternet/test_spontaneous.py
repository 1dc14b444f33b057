"""BMTK's spontaneous rates shipped as numbers, and the tutorial's FilterNet config run unchanged.

The table in :mod:`simlib.filternet.spontaneous` is checked against bmtk's own computation (its
cell-metrics cache and its FilterNet cell loader) for every LGN single-subunit type; the
tutorial's ``config.filternet.json`` (LGN nodes without ``spont_fr``, network-wide jitter in
``conditions``) runs in ``simlib filternet`` as written and gives bmtk's rates.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simlib.errors import ConfigError
from simlib.filternet import build_units, spont_rate_from_cell_metrics
from simlib.filternet.outputs import read_rates_csv
from simlib.filternet.spontaneous import SPONT_RATES_HZ, NoSpontaneousRateError, default_spont_rate

from bmtk_spont_rates import CELL_TYPES, bmtk_spont_rates

WHY = "bmtk (the reference implementation) is not installed"
TF_LABELS = ("TF1", "TF2", "TF4", "TF8", "TF15")


@pytest.fixture(scope="module")
def bmtk_metrics():
    return pytest.importorskip("bmtk.simulator.filternet.lgnmodel.cellmetrics", reason=WHY)


@pytest.mark.parity
def test_the_table_is_bmtks_computation_to_the_bit(bmtk_metrics):
    theirs = bmtk_spont_rates()
    assert set(SPONT_RATES_HZ) == set(theirs)
    for key, (rate, _) in theirs.items():
        assert SPONT_RATES_HZ[key] == rate, key          # exactly: the table is bmtk's float, written with repr


@pytest.mark.parity
@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_every_lgn_type_gets_bmtks_rate_or_bmtks_key_error(bmtk_metrics, cell_type):
    """Every <type>_<TF> the cell loader can meet: the same rate, or a KeyError where BMTK raises one."""
    subclasses = bmtk_metrics.get_data_metrics_for_each_subclass(cell_type)
    for tf in TF_LABELS:
        if tf in subclasses:
            assert default_spont_rate(cell_type, tf) == subclasses[tf]["spont_exp"][0]
        else:
            with pytest.raises(KeyError):
                subclasses[tf]
            with pytest.raises(KeyError, match=f"{cell_type}_{tf}: no recorded {cell_type} cell peaks at {tf}"):
                default_spont_rate(cell_type, tf)


@pytest.mark.parity
def test_the_table_equals_the_cell_metrics_csvs_read_by_simlib(bmtk_metrics):
    """cell_metrics_dir pointed at bmtk's own folder reproduces the table (the override reads the same data)."""
    folder = Path(bmtk_metrics.__file__).parent / "cell_metrics"
    for (cell_type, tf), rate in SPONT_RATES_HZ.items():
        assert spont_rate_from_cell_metrics(cell_type, tf, folder) == pytest.approx(rate, rel=1e-14)


@pytest.mark.parity
def test_units_without_spont_fr_get_the_rate_bmtks_cell_loader_uses(bmtk_filter_models, fn):
    """bmtk's FilterNet cell loader on nodes without spont_fr: its transfer function holds the same rate."""
    loaders = pytest.importorskip("bmtk.simulator.filternet.default_setters.cell_loaders", reason=WHY)
    models = sorted(p.stem for p in bmtk_filter_models.glob("*.json")
                    if p.stem.split("_")[0] in CELL_TYPES and len(p.stem.split("_")) == 2)
    assert len(models) >= 13
    for model in models:
        params = json.loads((bmtk_filter_models / f"{model}.json").read_text())
        node = fn.BmtkNode(dict(x=10.0, y=10.0, spatial_size=2.0))
        nodes = {"node_id": np.array([0]), "model_template": np.array([f"lgnmodel:{model}"], dtype=object),
                 "dynamics_params": np.array([f"{model}.json"], dtype=object), "x": np.array([10.0]),
                 "y": np.array([10.0]), "spatial_size": np.array([2.0])}
        try:
            cell = loaders.default_cell_loader(node, ("lgnmodel", model), params)
        except KeyError:
            with pytest.raises(NoSpontaneousRateError):
                build_units(nodes, bmtk_filter_models)
            continue
        spont = float(cell.transfer_function(0.0))      # Heaviside(s+R)*(s+R) at s = 0: the rate R
        assert build_units(nodes, bmtk_filter_models).offset_hz.tolist() == [spont], model


def test_cell_metrics_dir_overrides_the_table(tmp_path, filter_dir, fn):
    import pandas as pd

    pd.DataFrame({"Spont": [7.0, 9.0], "F0_TF8": [3.0, 4.0]}).to_csv(tmp_path / "sON_cell_data.csv", index=False)
    nodes = fn.lgn_nodes(1).drop(columns="spont_fr")
    assert build_units(nodes, filter_dir).offset_hz.tolist() == [SPONT_RATES_HZ[("sON", "TF8")]]
    assert build_units(nodes, filter_dir, cell_metrics_dir=tmp_path).offset_hz.tolist() == [8.0]
    with pytest.raises(ConfigError, match="tOFF_cell_data.csv: cannot read"):
        build_units(fn.lgn_nodes(2).drop(columns="spont_fr"), filter_dir, cell_metrics_dir=tmp_path)


# --- the tutorial's config.filternet.json, as written -------------------------------------------------

TUTORIAL_CONFIG = """{
  "manifest": {
    "$BASE_DIR": ".",
    "$OUTPUT_DIR": "$BASE_DIR/stimulus",
    "$NETWORK_DIR": "$BASE_DIR/network",
    "$COMPONENT_DIR": "$BASE_DIR/components"
  },

  "target_simulator":"LGNModel",

  "networks": {
    "nodes": [
      {
        "nodes_file": "$NETWORK_DIR/LGN_nodes.h5",
        "node_types_file": "$NETWORK_DIR/LGN_node_types.csv"
      }
    ]
  },

  "components": {
    "filter_models_dir": "$COMPONENT_DIR/filter_models"
  },

  "run": {
    "tstop": 2000.0,
    "dt": 0.1
  },

  "conditions": {
    "jitter_lower": 0.75,
    "jitter_upper": 1.25
  },

  "inputs": {
    "full_field_flash": {
        "input_type": "movie",
        "module": "full_field_flash",
        "row_size": 120,
        "col_size": 240,
        "t_on": 500.0,
        "t_off": 1500.0,
        "max_intensity": -1.0,
        "frame_rate": 1000.0
    }
  },

  "output":{
    "log_file": "log.txt",
    "output_dir": "./inputs",
    "rates_csv": "rates.csv",
    "spikes_file_csv": "spikes.flash.csv",
    "spikes_file": "spikes.flash.h5"
  }
}
"""
"""BMTK's modeling_tut_2021/config.filternet.json (the Mouse L4 tutorial), byte for byte."""

BMTK_RUN = """
from bmtk.simulator import filternet
config = filternet.Config.from_json('config.filternet.json')
config.build_env()
net = filternet.FilterNetwork.from_config(config)
sim = filternet.FilterSimulator.from_config(config, net)
sim.run()
"""


def tutorial_folder(folder: Path, filter_models: Path, n_per_type: int = 50) -> Path:
    """The tutorial's LGN (sOFF_TF8 then sON_TF8 units, no spont_fr), filter models and config in `folder`."""
    from simlib.builder import NetworkBuilder

    rng = np.random.default_rng(2021)
    lgn = NetworkBuilder("LGN")
    for model in ("sOFF_TF8", "sON_TF8"):
        lgn.add_nodes(N=n_per_type, model_type="virtual", model_template=f"lgnmodel:{model}",
                      dynamics_params=f"{model}.json", x=rng.uniform(0.0, 240.0, n_per_type),
                      y=rng.uniform(0.0, 120.0, n_per_type), spatial_size=1.0)
    lgn.build()
    lgn.save_nodes(output_dir=str(folder / "network"))
    (folder / "components").mkdir(parents=True)
    (folder / "components" / "filter_models").symlink_to(filter_models, target_is_directory=True)
    (folder / "config.filternet.json").write_text(TUTORIAL_CONFIG)
    return folder


def test_the_tutorial_config_runs_unchanged_in_simlib_filternet(tmp_path, bmtk_filter_models):
    folder = tutorial_folder(tmp_path / "tutorial", bmtk_filter_models, n_per_type=5)
    done = subprocess.run([sys.executable, "-m", "simlib", "filternet", "config.filternet.json"], cwd=folder,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (folder / "inputs").iterdir()) == ["log.txt", "rates.csv", "spikes.flash.csv",
                                                                    "spikes.flash.h5"]
    rates = read_rates_csv(folder / "inputs" / "rates.csv")["LGN"]
    # grey screen before the flash: each unit at its subclass's spontaneous rate (sOFF_TF8 then sON_TF8)
    expected = [SPONT_RATES_HZ[("sOFF", "TF8")]] * 5 + [SPONT_RATES_HZ[("sON", "TF8")]] * 5
    np.testing.assert_allclose(rates.rates_hz[400], expected, rtol=1e-12)
    assert "not applied, as in BMTK" in (folder / "inputs" / "log.txt").read_text()


@pytest.mark.slow
@pytest.mark.parity
def test_the_tutorial_config_gives_bmtks_rates(tmp_path, bmtk_filter_models):
    """The whole tutorial (100 units, 2 s flash, bmtk's default non-separable evaluation): rates within 1e-6."""
    pytest.importorskip("bmtk.simulator.filternet", reason=WHY)
    ours = tutorial_folder(tmp_path / "simlib", bmtk_filter_models)
    theirs = tmp_path / "bmtk"
    theirs.mkdir()
    for name in ("network", "components", "config.filternet.json"):
        (theirs / name).symlink_to(ours / name)
    done = subprocess.run([sys.executable, "-m", "simlib", "filternet", "config.filternet.json"], cwd=ours,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-c", BMTK_RUN], cwd=theirs, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    a = read_rates_csv(ours / "inputs" / "rates.csv")["LGN"]
    b = read_rates_csv(theirs / "inputs" / "rates.csv")["LGN"]
    np.testing.assert_array_equal(a.node_ids, b.node_ids)
    np.testing.assert_allclose(a.times_s, b.times_s, rtol=0, atol=1e-12)
    assert b.rates_hz.max() > 10.0              # the flash drives the units
    np.testing.assert_allclose(a.rates_hz, b.rates_hz, rtol=1e-6, atol=1e-9)
