"""Write BioNet simulation configs that simlib and BMTK both run (the workflow's write_sim_config rule)."""

from __future__ import annotations

import copy
from pathlib import Path

from simlib.errors import ConfigError
from simlib.models.components import component_folders
from simlib.workflow.paths import portable
from simlib.workflow.sonata_config import inputs_section, networks_section, output_section, write_checked_config

COMPONENT_FOLDERS = {"morphologies_dir": "morphologies", "biophysical_neuron_models_dir": "biophysical_neuron_models",
                     "synaptic_models_dir": "synaptic_models"}
# BMTK reads the dynamics_params JSON of virtual (LGN) nodes from filter_models_dir and fails when the
# key or a file is missing; simlib's BioNet does not need them. Written when the folder exists.
OPTIONAL_FOLDERS = {"filter_models_dir": "filter_models"}


def bionet_config(config_path, *, circuit_config, components_dir, mechanisms_dir, tstop_ms: float,
                  dt_ms: float = 0.1, tstart_ms: float = 0.0, dL_um: float = 20.0, spike_threshold_mv: float = -15.0,
                  nsteps_block: int = 5000, celsius: float = 34.0, v_init_mv: float = -80.0,
                  inputs: dict | None = None, reports: dict | None = None, backend: str = "neuron",
                  merge_synapses: bool = True, functions_file=None, output_dir="output") -> dict:
    """A BioNet simulation config for the network of ``circuit_config`` (see :func:`write_bionet_config`).

    Every path is written relative to the config's folder through ``${configdir}``. ``nsteps_block``
    is always set (BMTK fails without it) and spike inputs use module ``sonata`` when written as
    ``h5`` (BMTK's BioNet rejects ``h5``). ``backend``, ``merge_synapses`` and
    ``components.functions_file`` are simlib's keys; BMTK ignores them.
    """
    config_dir = Path(config_path).parent
    networks = networks_section(circuit_config, config_dir)
    folders = component_folders(components_dir)  # downloaded cell models live in resources/
    components = {key: portable(folders[sub], config_dir) for key, sub in COMPONENT_FOLDERS.items()}
    components.update({key: portable(folders[sub], config_dir) for key, sub in OPTIONAL_FOLDERS.items()
                       if folders[sub].is_dir()})
    components["mechanisms_dir"] = portable(mechanisms_dir, config_dir)
    if functions_file:
        components["functions_file"] = portable(functions_file, config_dir)
    inputs = inputs_section(inputs, config_dir)
    reports = copy.deepcopy(reports or {})
    for name, spec in reports.items():
        if isinstance(spec, dict) and spec.get("module") == "extracellular" and "electrode_positions" in spec:
            # a bare file name is a device of the components (BMTK's components/devices/ folder)
            where = Path(spec["electrode_positions"])
            device = Path(components_dir) / "devices" / where
            if where.parent == Path(".") and device.is_file():
                where = device
            if not where.is_file():
                raise ConfigError(f"reports.{name}.electrode_positions: {spec['electrode_positions']} not found "
                                  f"(looked in {Path(components_dir) / 'devices'} and the working folder)")
            spec["electrode_positions"] = portable(where, config_dir)
    return {
        "target_simulator": "BioNet",
        "run": {"tstart": tstart_ms, "tstop": tstop_ms, "dt": dt_ms, "dL": dL_um, "spike_threshold": spike_threshold_mv,
                "nsteps_block": nsteps_block, "backend": backend, "merge_synapses": merge_synapses},
        "conditions": {"celsius": celsius, "v_init": v_init_mv},
        "networks": networks,
        "components": components,
        "inputs": inputs,
        "reports": reports,
        "output": output_section(config_dir, output_dir),
    }


def write_bionet_config(config_path, **kw) -> Path:
    """Write :func:`bionet_config` to ``config_path`` (atomically) after checking simlib accepts it.

    Raises
    ------
    ConfigError
        If the written config does not validate (every problem listed).
    """
    return write_checked_config(config_path, bionet_config(config_path, **kw))
