"""PointNet tests: helpers in pnet.py (which requires NEST: without it those tests skip, and under CI=true a
skip is a failure, see tests/conftest.py)."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("PYNEST_QUIET", "1")   # no NEST banner in the test output


@pytest.fixture(scope="module")
def components(tmp_path_factory):
    from pnet import write_components

    return write_components(tmp_path_factory.mktemp("pointnet_components"))
