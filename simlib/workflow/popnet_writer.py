"""Write PopNet simulation configs (BMTK's PopNet layout) for the workflow's write_sim_config rule.

A population network (rule population_network, :func:`simlib.models.derive_population_network`)
comes with its own PopNet config; the simulation's config reuses its network, population models
and external rate files, with this simulation's run and output folder.
"""

from __future__ import annotations

from pathlib import Path

from simlib.fileio import read_json
from simlib.workflow.paths import portable
from simlib.workflow.sonata_config import write_checked_config

MS_PER_S = 1000.0


def popnet_config(config_path, *, population_network, tstop_ms: float, dt_ms: float, output_dir="output") -> dict:
    """A PopNet config running the population network whose config is ``population_network``.

    ``run.dt`` is written in seconds, as BMTK's PopNet reads it; paths go through ``${configdir}``.
    """
    config_dir = Path(config_path).parent
    base = Path(population_network).parent
    derived = read_json(population_network)
    inputs = {}
    for name, spec in derived.get("inputs", {}).items():
        rates = Path(spec["rates"].replace("$BASE_DIR", str(base)))
        inputs[name] = {**spec, "rates": portable(rates, config_dir)}
    return {
        "target_simulator": "DiPDE",
        "run": {"tstop": float(tstop_ms), "dt": float(dt_ms) / MS_PER_S,
                "group_by": derived.get("run", {}).get("group_by", "pop_name")},
        "network": portable(base / "network" / "circuit_config.json", config_dir),
        "components": {"population_models_dir": portable(base / "population_models", config_dir)},
        "inputs": inputs,
        "output": {"output_dir": portable(config_dir / output_dir, config_dir), "rates_file": "spike_rates.csv",
                   "log_file": "log.txt", "overwrite_output_dir": True},
    }


def write_popnet_config(config_path, **kw) -> Path:
    """Write :func:`popnet_config` to ``config_path`` (atomically) after checking simlib accepts it."""
    return write_checked_config(config_path, popnet_config(config_path, **kw))
