"""Write PointNet simulation configs (BMTK's PointNet layout) for the workflow's write_sim_config rule."""

from __future__ import annotations

from pathlib import Path

from simlib.workflow.paths import portable
from simlib.workflow.sonata_config import inputs_section, networks_section, output_section, write_checked_config

COMPONENT_FOLDERS = {"point_neuron_models_dir": "point_neuron_models", "synaptic_models_dir": "synaptic_models"}


def pointnet_config(config_path, *, circuit_config, components_dir, tstop_ms: float, dt_ms: float = 0.1,
                    tstart_ms: float = 0.0, threads: int = 1, seed: int | None = None, inputs: dict | None = None,
                    reports: dict | None = None, functions_file=None, output_dir="output") -> dict:
    """A PointNet simulation config for the network of ``circuit_config`` (see :func:`write_pointnet_config`).

    Paths are written relative to the config's folder through ``${configdir}``; ``run.nthreads``
    is the rule's thread count and ``run.seed`` NEST's ``rng_seed`` (left out: NEST's default seed).
    """
    config_dir = Path(config_path).parent
    components = {key: portable(Path(components_dir) / sub, config_dir) for key, sub in COMPONENT_FOLDERS.items()}
    if functions_file:
        components["functions_file"] = portable(functions_file, config_dir)
    run = {"tstart": tstart_ms, "tstop": tstop_ms, "dt": dt_ms, "nthreads": threads}
    if seed is not None:
        run["seed"] = seed
    return {
        "target_simulator": "NEST",
        "run": run,
        "networks": networks_section(circuit_config, config_dir),
        "components": components,
        "inputs": inputs_section(inputs, config_dir),
        "reports": dict(reports or {}),
        "output": output_section(config_dir, output_dir),
    }


def write_pointnet_config(config_path, **kw) -> Path:
    """Write :func:`pointnet_config` to ``config_path`` (atomically) after checking simlib accepts it."""
    return write_checked_config(config_path, pointnet_config(config_path, **kw))
