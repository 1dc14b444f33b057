"""Models for the validator tests: the tiny workflow's networks, components, spikes and configs, in a folder.

The configs are written by the workflow's own writers (so the validator sees what every workflow
simulation sees); the PopNet model is the tutorial's (examples/popnet_network.py).
"""

import contextlib
import importlib.util
import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

BIONET_SIMS = ("l4_poisson", "l4_perturbation", "spikes_function", "syn_activity_exc_inh")


@contextlib.contextmanager
def _chdir(path: Path):
    """The workflow's paths are relative to its folder (contextlib.chdir needs Python 3.11)."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def build_models(root: Path, tiny: dict) -> Path:
    """Fill ``root`` as a workflow folder holding what the tiny config's simulations need; returns it.

    Configs: ``results/sims/<sim>/config.json`` for :data:`BIONET_SIMS` and ``l4_point`` (PointNet),
    ``results/filternet/flash/config.json`` (FilterNet) and ``popnet/config.json`` (PopNet).
    """
    from simlib.mechanisms import MOD_DIR
    from simlib.models.point_network import derive_point_network
    from simlib.tasks import build_network, make_spikes, write_cell_models
    from simlib.workflow import paths, specs
    from simlib.workflow.filternet_writer import write_filternet_config

    shutil.copytree(REPO / "examples", root / "examples")
    with _chdir(root):
        build_network(specs.network_spec(tiny, "l4"), paths.network_dir("l4"))
        write_cell_models(tiny["components"]["offline"], paths.components_dir("offline"))
        write_cell_models(tiny["components"]["point"], paths.components_dir("point"))
        mechanisms = paths.mechanisms_dir(paths.mechanism_library())
        mechanisms.mkdir(parents=True)
        for mod in MOD_DIR.glob("*.mod"):       # the validator reads the mod files; nothing is compiled
            shutil.copy(mod, mechanisms / mod.name)
        spec = tiny["spikes"]["lgn_poisson"]
        make_spikes(spec, paths.circuit_config("l4"), paths.spikes_file("lgn_poisson", "h5"),
                    paths.spikes_file("lgn_poisson", "csv"))
        point = specs.point_network_spec(tiny, "l4_point")
        derive_point_network(paths.circuit_config(point["network"]), paths.network_dir("l4_point"), point["cells"],
                             point["synapses"], cell_key=point["cell_key"], synapse_key=point["synapse_key"])
        flash = tiny["filternet"]["flash"]
        files = specs.filternet_inputs(tiny, "flash")
        write_filternet_config(paths.filternet_config("flash"), circuit_config=files["circuit"],
                               population=flash["population"], components_dir=Path(files["components"]).parent,
                               stimulus=flash["stimulus"], tstop_ms=flash["tstop_ms"], seed=flash["seed"])
    example = importlib.util.spec_from_file_location("popnet_network_example", REPO / "examples" / "popnet_network.py")
    module = importlib.util.module_from_spec(example)
    example.loader.exec_module(module)
    module.write_simulation(root / "popnet")
    return root


def write_sim(root: Path, tiny: dict, sim: str, spec: dict | None = None) -> Path:
    """Write the config of ``simulations.<sim>`` (or of ``spec``) in ``root`` with the workflow's write_sim_config."""
    from simlib.workflow import paths
    from simlib.workflow.simulation import sim_config_inputs, write_sim_config

    with _chdir(root):
        spec = spec or tiny["simulations"][sim]
        files = sim_config_inputs({**tiny, "simulations": {**tiny["simulations"], sim: spec}}, sim, root)
        return root / write_sim_config(spec, files, paths.sim_config(sim))
