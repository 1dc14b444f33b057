"""Validate a config mapping against a JSON schema, reporting every problem with its key path."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import jsonschema
import yaml

from simlib.errors import ConfigError, show_value

TYPE_WORDS = {"number": "a number", "integer": "an integer", "string": "a string", "object": "an object",
              "array": "a list", "boolean": "true or false", "null": "null"}


def describe_error(error: jsonschema.ValidationError) -> tuple[tuple, str]:
    """The key path and message of one schema error: ``'expected ..., got ...'`` where the rule says what.

    A schema may say what it expects in words with an ``expected`` keyword (ignored by validators);
    a missing key is reported at its own path, an unexpected one with the allowed keys.
    """
    key = tuple(error.absolute_path)
    rule = error.validator_value
    if error.validator == "required":
        missing = re.match(r"'(.*)' is a required property", error.message)
        return (*key, missing.group(1) if missing else "?"), "required key missing"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return key, error.message + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
    if "expected" in error.schema:
        expected = error.schema["expected"]
    elif error.validator == "type":
        expected = " or ".join(TYPE_WORDS.get(t, t) for t in ([rule] if isinstance(rule, str) else rule))
    elif error.validator == "enum":
        expected = "one of " + ", ".join(show_value(v) for v in rule)
    elif error.validator == "const":
        expected = show_value(rule)
    elif error.validator == "exclusiveMinimum":
        expected = f"a number greater than {rule}"
    elif error.validator == "minimum":
        expected = f"a number >= {rule}"
    elif error.validator == "exclusiveMaximum":
        expected = f"a number less than {rule}"
    elif error.validator == "maximum":
        expected = f"a number <= {rule}"
    elif error.validator == "minItems":
        expected = "a non-empty list" if rule == 1 else f"a list of at least {rule} items"
    elif error.validator == "minLength":
        expected = "a non-empty string" if rule == 1 else f"a string of at least {rule} characters"
    elif error.validator == "minProperties":
        expected = "a non-empty object" if rule == 1 else f"an object with at least {rule} keys"
    elif error.validator == "pattern":
        expected = f"a string matching {rule}"
    else:
        return key, error.message
    return key, f"expected {expected}, got {show_value(error.instance)}"


def key_text(key: tuple) -> str:
    """A key path as the user would write it: ``networks.nodes[0].nodes_file``."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in key).lstrip(".")
    return text or "(top level)"


def format_problems(problems: Iterable[tuple[tuple, str]], source: str,
                    note: Callable[[tuple], str] | None = None) -> str:
    """One line per (key path, message) problem, ``source: key.path: message``, sorted by key path.

    Repeated problems are listed once; `note` may add a suffix per key path (e.g. the file it came from).
    """
    def order(item):
        return [(isinstance(p, int), p) for p in item[0]]

    return "\n".join(f"{source}: {key_text(key)}: {message}{note(key) if note else ''}"
                     for key, message in sorted(dict.fromkeys(problems), key=order))


def format_errors(errors: Iterable[jsonschema.ValidationError], source: str) -> str:
    """One line per schema error: ``source: key.path: expected ..., got ...`` (see :func:`describe_error`)."""
    return format_problems((describe_error(err) for err in errors), source)


def validate_against_schema(config: dict, schema, source: str = "config") -> None:
    """Raise ConfigError listing every schema violation of `config` (all at once).

    Parameters
    ----------
    config : the loaded configuration mapping.
    schema : a schema mapping, or a path to a YAML/JSON schema file.
    source : the config's file name, used as the prefix of every message.
    """
    if not isinstance(schema, dict):
        schema = yaml.safe_load(Path(schema).read_text())
    validator_cls = jsonschema.validators.validator_for(schema)
    errors = list(validator_cls(schema).iter_errors(config))
    if errors:
        raise ConfigError(format_errors(errors, source))
