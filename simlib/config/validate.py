"""Validate a config mapping against a JSON schema, reporting every problem with its key path."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from simlib.errors import ConfigError


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in error.absolute_path]
    text = ".".join(parts).replace(".[", "[")
    return text or "(top level)"


def format_errors(errors, source: str) -> str:
    """One line per problem: ``source: key.path: message``."""
    lines = []
    for err in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        message = err.message
        if err.validator == "additionalProperties":
            allowed = sorted(err.schema.get("properties", {}))
            message += f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        lines.append(f"{source}: {_key_path(err)}: {message}")
    return "\n".join(lines)


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
