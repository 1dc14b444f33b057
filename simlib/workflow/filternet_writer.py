"""Write FilterNet configs (BMTK's config.filternet.json dialect) for the workflow's filternet rule."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from simlib.fileio import atomic_path
from simlib.filternet.config import read_filternet_config
from simlib.sonata.circuit import find_nodes, read_circuit_config
from simlib.workflow.paths import portable


def filternet_config(config_path, *, circuit_config, population: str, components_dir, stimulus: dict,
                     tstop_ms: float, seed: int, dt_ms: float = 1.0, output_dir="output") -> dict:
    """A FilterNet config: the LGN nodes of ``circuit_config``, one movie input, rates and spikes outputs."""
    config_dir = Path(config_path).parent
    nodes_file, types_file = find_nodes(read_circuit_config(circuit_config), population, circuit_config)
    movie = {"input_type": "movie", **copy.deepcopy(stimulus)}
    if "data_file" in movie:
        movie["data_file"] = portable(movie["data_file"], config_dir)
    return {
        "target_simulator": "LGNModel",
        "run": {"tstart": 0.0, "tstop": float(tstop_ms), "dt": float(dt_ms), "seed": int(seed)},
        "networks": {"nodes": [{"nodes_file": portable(nodes_file, config_dir),
                                "node_types_file": portable(types_file, config_dir)}]},
        "components": {"filter_models_dir": portable(Path(components_dir) / "filter_models", config_dir)},
        "inputs": {"stimulus": movie},
        "output": {"output_dir": portable(config_dir / output_dir, config_dir), "log_file": "log.txt",
                   "rates_csv": "rates.csv", "rates_h5": "rates.h5", "spikes_file": "spikes.h5",
                   "spikes_file_csv": "spikes.csv", "overwrite_output_dir": True},
    }


def write_filternet_config(config_path, **kw) -> Path:
    """Write :func:`filternet_config` atomically after checking that simlib's FilterNet accepts it."""
    config_path = Path(config_path)
    data = filternet_config(config_path, **kw)
    config_path.parent.mkdir(parents=True, exist_ok=True)
    read_filternet_config(data, config_dir=config_path.parent)
    with atomic_path(config_path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
    return config_path
