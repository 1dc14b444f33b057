"""Parts every simulation config the workflow writes shares (BioNet and PointNet), and the checked write."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from simlib.config.simulation import SimulationConfig
from simlib.errors import ConfigError
from simlib.fileio import atomic_path
from simlib.sonata.circuit import read_circuit_config
from simlib.spikes.formats import FILE_TYPES
from simlib.workflow.paths import portable


def networks_section(circuit_config, config_dir) -> dict:
    """The ``networks`` of a simulation config: the circuit's nodes and edges, paths through ``${configdir}``."""
    circuit = read_circuit_config(circuit_config)
    return {kind: [{k: portable(v, config_dir) for k, v in entry.items()} for entry in circuit[kind]]
            for kind in ("nodes", "edges")}


def inputs_section(inputs: dict | None, config_dir) -> dict:
    """The ``inputs``: file paths through ``${configdir}``; an h5 spike input's module written ``sonata``.

    ``sonata`` is the one name of a SONATA spike file every BMTK simulator accepts (BioNet rejects ``h5``).
    """
    inputs = copy.deepcopy(inputs or {})
    for name, spec in inputs.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"inputs.{name}: expected a mapping, got {spec!r}")
        if isinstance(spec.get("module"), str) and FILE_TYPES.get(spec["module"]) == "sonata":
            spec["module"] = "sonata"
        for key in ("input_file", "file"):
            if isinstance(spec.get(key), list):
                spec[key] = [portable(v, config_dir) for v in spec[key]]
            elif key in spec:
                spec[key] = portable(spec[key], config_dir)
    return inputs


def output_section(config_dir, output_dir="output") -> dict:
    """The ``output``: spikes (h5 and CSV, sorted by time) and the log in ``output_dir``, overwritten on a rerun."""
    return {"output_dir": portable(Path(config_dir) / output_dir, config_dir), "log_file": "log.txt",
            "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv", "spikes_sort_order": "time",
            "overwrite_output_dir": True}


def write_checked_config(config_path, data: dict) -> Path:
    """Write ``data`` to ``config_path`` (atomically) after checking simlib accepts it.

    Raises
    ------
    ConfigError
        If the config does not validate (every problem listed).
    """
    config_path = Path(config_path)
    config_path.parent.mkdir(parents=True, exist_ok=True)
    SimulationConfig.from_dict(data, config_dir=config_path.parent, source=config_path.name)
    with atomic_path(config_path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
    return config_path
