"""Configuration: workflow YAML validation (and, later, SONATA simulation configs)."""

from simlib.config.validate import format_errors, validate_against_schema

__all__ = ["validate_against_schema", "format_errors"]
