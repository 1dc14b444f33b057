"""Configuration: workflow YAML validation and SONATA simulation configs with their node sets."""

from simlib.config.node_sets import select_nodes
from simlib.config.simulation import SimulationConfig
from simlib.config.validate import format_errors, validate_against_schema

__all__ = ["SimulationConfig", "format_errors", "select_nodes", "validate_against_schema"]
