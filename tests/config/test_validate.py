"""The one JSON-schema error formatter (simlib.config.validate), shared by the workflow and simulation configs."""

import json

import pytest

from simlib.config import SimulationConfig, format_errors, validate_against_schema
from simlib.config.validate import describe_error, key_text
from simlib.errors import ConfigError

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["seed", "networks"],
    "properties": {
        "seed": {"type": "integer", "minimum": 0, "description": "default seed (documentation, not a message)"},
        "networks": {"type": "object", "minProperties": 1, "additionalProperties": {
            "type": "object", "additionalProperties": False,
            "properties": {"model": {"enum": ["l4_tutorial"]}, "script": {"type": "string", "pattern": r"\.py$"},
                           "scale": {"type": "number", "exclusiveMinimum": 0}}}},
        "rates": {"type": "array", "minItems": 1, "items": {"type": "number", "maximum": 100}},
        "dt": {"type": ["number", "null"], "expected": "a time step in ms, or null"},
    },
}


def problems(config):
    with pytest.raises(ConfigError) as excinfo:
        validate_against_schema(config, SCHEMA, source="config.yaml")
    return str(excinfo.value).splitlines()


def test_each_kind_of_error_says_what_was_expected_and_what_was_given():
    config = {"seed": "x", "sed": 1, "dt": "fast",
              "networks": {"l4": {"model": "l5", "script": "net.txt", "scale": 0, "extra": 1}},
              "rates": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 500, 7, 600]}
    assert problems(config) == [
        "config.yaml: (top level): Additional properties are not allowed ('sed' was unexpected); "
        "allowed keys: dt, networks, rates, seed",
        'config.yaml: dt: expected a time step in ms, or null, got "fast"',
        "config.yaml: networks.l4: Additional properties are not allowed ('extra' was unexpected); "
        "allowed keys: model, scale, script",
        'config.yaml: networks.l4.model: expected one of "l4_tutorial", got "l5"',
        "config.yaml: networks.l4.scale: expected a number greater than 0, got 0",
        r'config.yaml: networks.l4.script: expected a string matching \.py$, got "net.txt"',
        "config.yaml: rates[10]: expected a number <= 100, got 500",  # index order, not text order
        "config.yaml: rates[12]: expected a number <= 100, got 600",
        'config.yaml: seed: expected an integer, got "x"',
    ]


def test_missing_keys_are_reported_at_their_own_path():
    assert problems({"networks": {}, "rates": []}) == [
        "config.yaml: networks: expected a non-empty object, got {}",
        "config.yaml: rates: expected a non-empty list, got []",
        "config.yaml: seed: required key missing",
    ]


def test_key_text():
    assert key_text(("networks", "nodes", 0, "nodes_file")) == "networks.nodes[0].nodes_file"
    assert key_text(()) == "(top level)"


def test_simulation_config_uses_the_same_formatter(tmp_path):
    """The same kind of error reads the same in a simulation config and in the workflow config."""
    import jsonschema

    data = {"run": {"tstop": "long"}, "networks": {"nodes": [{"nodes_file": "a.h5", "node_types_file": "b.csv"}]}}
    for name in ("a.h5", "b.csv"):
        (tmp_path / name).touch()
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as excinfo:
        SimulationConfig.from_json(path)
    assert str(excinfo.value) == 'sim.json: run.tstop: expected a number, got "long"'
    errors = jsonschema.Draft7Validator({"properties": {"run": {"properties": {"tstop": {"type": "number"}}}}}
                                        ).iter_errors(data)
    assert format_errors(errors, "sim.json") == str(excinfo.value)
    error = next(jsonschema.Draft7Validator({"required": ["run"]}).iter_errors({}))
    assert describe_error(error) == (("run",), "required key missing")
