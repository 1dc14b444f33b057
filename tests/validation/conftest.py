"""Fixtures of the validator tests (the models are made by validation_models.py)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))   # workflow_configs


@pytest.fixture(scope="session")
def tiny_config() -> dict:
    """config/tiny.yaml with the schema's defaults."""
    from validation_models import REPO
    from workflow_configs import load_config

    return load_config(REPO, "tiny.yaml")


@pytest.fixture(scope="session")
def models(tmp_path_factory, tiny_config) -> Path:
    """The tiny workflow's models and configs in a temporary workflow folder (see validation_models.build_models)."""
    from validation_models import build_models

    return build_models(tmp_path_factory.mktemp("validation_models"), tiny_config)
