"""Fixtures for the FilterNet core tests: filter-model JSONs, node tables, movies, and bmtk's models."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simlib.filternet import Movie

# Parameters of three filter models (the values of bmtk's sON_TF8, sOFF_TF4 and tOFF_TF8 JSONs).
FILTERS = {
    "sON_TF8.json": {"opt_wts": [3.7052596759285548, -1.7538397094416842],
                     "opt_kpeaks": [12.941033214060901, 28.27807659299407], "opt_delays": [0, 25]},
    "sOFF_TF4.json": {"opt_wts": [3.229814878308509, -1.6587975171052909],
                      "opt_kpeaks": [22.246197660260687, 56.10036268151849], "opt_delays": [0, 15]},
    "sON_TF4.json": {"opt_wts": [3.59404059587911, -1.8145831206023941],
                     "opt_kpeaks": [30.758868538755, 58.35845979325414], "opt_delays": [0, 25]},
    "tOFF_TF8.json": {"opt_wts": [4.21848979193672, -2.404989833331929],
                      "opt_kpeaks": [8.524645232832142, 23.246816713624384], "opt_delays": [0, 0]},
}


@pytest.fixture
def filter_dir(tmp_path) -> Path:
    """A filter_models_dir with the JSONs of :data:`FILTERS`."""
    folder = tmp_path / "filter_models"
    folder.mkdir()
    for name, params in FILTERS.items():
        (folder / name).write_text(json.dumps(params))
    return folder


def lgn_nodes(n: int = 6, **columns) -> pd.DataFrame:
    """n single-subunit nodes alternating sON_TF8 / tOFF_TF8 on a 40 x 60 degree field."""
    models = ["sON_TF8", "tOFF_TF8"] * (n // 2) + ["sON_TF8"] * (n % 2)
    table = {"node_id": np.arange(n), "model_template": [f"lgnmodel:{m}" for m in models],
             "dynamics_params": [f"{m}.json" for m in models], "x": np.linspace(5.0, 55.0, n),
             "y": np.linspace(5.0, 35.0, n), "spatial_size": 4.0, "spont_fr": 2.5}
    table.update(columns)
    return pd.DataFrame(table)


def two_subunit_nodes(**columns) -> pd.DataFrame:
    table = {"node_id": [10, 11], "model_template": ["lgnmodel:sONsOFF_001", "lgnmodel:sONtOFF_001"],
             "dynamics_params": ["sOFF_TF4.json", "tOFF_TF8.json"], "non_dom_params": ["sON_TF4.json"] * 2,
             "x": [20.0, 30.0], "y": [15.0, 20.0], "spatial_size": 6.0, "tuning_angle": [30.0, 120.0],
             "sf_sep": [6.0, 4.0]}
    table.update(columns)
    return pd.DataFrame(table)


def flash_movie(n_frames: int = 700, frame_rate_hz: float = 1000.0, on_ms: float = 150.0, off_ms: float = 450.0,
                shape=(40, 60), intensity: float = 1.0) -> Movie:
    """Full-field flash on a 1-degree grid (frame k shown at k / frame_rate)."""
    t_ms = np.arange(n_frames) * 1000.0 / frame_rate_hz
    level = np.where((t_ms >= on_ms) & (t_ms < off_ms), intensity, 0.0)
    return Movie(np.broadcast_to(level[:, None, None], (n_frames,) + shape).copy(), frame_rate_hz)


def grating_frames(t_s: np.ndarray, rows: np.ndarray, cols: np.ndarray, cpd=0.04, tf_hz=4.0, theta_deg=30.0,
                   contrast=0.8, grey_s=0.05) -> np.ndarray:
    """Drifting grating (BMTK's formula, y_dir 'down'), grey before `grey_s`."""
    theta = np.deg2rad(-theta_deg)
    xy = cols[None, None, :] * np.cos(theta) + rows[None, :, None] * np.sin(theta)
    frames = contrast * np.sin(2 * np.pi * (cpd * xy - tf_hz * t_s[:, None, None]))
    frames[t_s < grey_s] = 0.0
    return frames


@pytest.fixture(scope="session")
def bmtk_filter_models() -> Path:
    """bmtk's packaged FilterNet filter models (the parity oracle), or skip."""
    spec = importlib.util.find_spec("bmtk")
    if spec is None or spec.origin is None:
        pytest.skip("bmtk is not installed; it is the oracle of the parity tests (pip install simlib[test])")
    return Path(spec.origin).parent / "utils" / "scripts" / "filternet" / "filter_models"


class BmtkNode:
    """The node interface bmtk's FilterNet ``default_cell_loader`` reads, over a dict of properties."""

    def __init__(self, props: dict, non_dom_params: dict | None = None):
        self._props = dict(props)
        self.non_dom_params = non_dom_params
        self.predefined_jitter = False
        self.jitter = (1.0, 1.0)
        for name in ("weights", "kpeaks", "delays", "weights_non_dom", "kpeaks_non_dom", "delays_non_dom"):
            setattr(self, name, self._props.get(name))
        self.tuning_angle = self._props.get("tuning_angle")
        self.sf_sep = self._props.get("sf_sep")

    def __getitem__(self, key):
        return self._props[key]

    def __contains__(self, key):
        return key in self._props


@pytest.fixture(scope="session")
def fn():
    """The helpers above, for test modules (conftest is not imported directly)."""
    from types import SimpleNamespace

    return SimpleNamespace(lgn_nodes=lgn_nodes, two_subunit_nodes=two_subunit_nodes, flash_movie=flash_movie,
                           grating_frames=grating_frames, BmtkNode=BmtkNode, FILTERS=FILTERS)
