"""PopNet tests: the tutorial's two-population simulation written by examples/popnet_network.py."""

import importlib.util
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load_example():
    spec = importlib.util.spec_from_file_location("popnet_network_example", REPO / "examples" / "popnet_network.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tutorial_template(tmp_path_factory) -> Path:
    """The tutorial's network, model files, LGN rates and config (built once; copy before changing)."""
    base = tmp_path_factory.mktemp("popnet_tutorial")
    load_example().write_simulation(base)
    return base


@pytest.fixture
def tutorial(tutorial_template, tmp_path) -> Path:
    """A private copy of the tutorial simulation; returns its config.json."""
    base = tmp_path / "sim_ch06"
    shutil.copytree(tutorial_template, base)
    return base / "config.json"
