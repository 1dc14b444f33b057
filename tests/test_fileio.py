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
