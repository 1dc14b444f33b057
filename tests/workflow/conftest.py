"""Fixtures of the workflow tests."""

import pytest
from workflow_configs import load_config


@pytest.fixture
def tiny(repo) -> dict:
    """config/tiny.yaml with the schema's defaults."""
    return load_config(repo, "tiny.yaml")
