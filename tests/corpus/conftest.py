"""The valid inputs the corpus damages, written once per session."""

import pytest

from make import build_base


@pytest.fixture(scope="session")
def base(tmp_path_factory):
    return build_base(tmp_path_factory.mktemp("corpus_base"))
