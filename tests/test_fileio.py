"""simlib.fileio.read_json: the checks every JSON input shares, with messages naming file, place and expectation."""

import re

import pytest

from simlib.errors import ConfigError, FormatError
from simlib.fileio import read_json


def test_read_json_returns_the_object(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"cells": [1, 2], "name": "x"}')
    assert read_json(path, required=("cells",)) == {"cells": [1, 2], "name": "x"}


def test_missing_file(tmp_path):
    path = tmp_path / "absent.json"
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: file not found$"):
        read_json(path)


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "a": 1\n  "b": 2\n}\n')
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: line 3, column 3: invalid JSON \(Expecting ','"):
        read_json(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "bin.json"
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(FormatError, match=r"bin.json: byte 8: not UTF-8 text; expected a JSON file"):
        read_json(path)


def test_not_an_object(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]")
    with pytest.raises(FormatError, match=r"list.json: expected a JSON object at the top level, got \[1, 2, 3\]$"):
        read_json(path)


def test_missing_keys_are_named_with_what_was_expected(tmp_path):
    path = tmp_path / "fit.json"
    path.write_text('{"genome": []}')
    with pytest.raises(FormatError, match=r"fit.json: keys 'passive', 'conditions' missing; expected keys passive, "
                                          r"conditions, genome$"):
        read_json(path, required=("passive", "conditions", "genome"))
    with pytest.raises(FormatError, match=r"fit.json: key 'passive' missing; expected an Allen fit file$"):
        read_json(path, required=("passive", "genome"), expected="an Allen fit file")


def test_error_class_for_config_files(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        read_json(tmp_path / "sim.json", error=ConfigError)


def test_missing_files_and_invalid_json_are_also_the_builtins_bmtk_raises(tmp_path):
    """BMTK opens configs with json.load(open(path)): FileNotFoundError, and json's ValueError."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"run": {')
    for error in (FormatError, ConfigError):
        with pytest.raises(FileNotFoundError) as missing:
            read_json(tmp_path / "absent.json", error=error)
        with pytest.raises(ValueError) as invalid:
            read_json(bad, error=error)
        assert isinstance(missing.value, error) and isinstance(invalid.value, error)
        assert str(missing.value) == f"{tmp_path / 'absent.json'}: file not found"


@pytest.mark.parity
def test_simulation_configs_fail_as_bmtks_do(tmp_path):
    """SimulationConfig.from_json raises the built-in exception bmtk's Config.from_json raises."""
    bmtk_config = pytest.importorskip("bmtk.simulator.core.simulation_config", reason="bmtk (oracle) not installed")
    from simlib.config import SimulationConfig

    bad = tmp_path / "bad.json"
    bad.write_text('{"run": {')
    for path in (tmp_path / "absent.json", bad):
        with pytest.raises(Exception) as theirs:
            bmtk_config.SimulationConfig.from_json(str(path))
        builtin = next(c for c in type(theirs.value).__mro__ if c.__module__ == "builtins")
        with pytest.raises(builtin) as ours:
            SimulationConfig.from_json(path)
        assert isinstance(ours.value, ConfigError)
