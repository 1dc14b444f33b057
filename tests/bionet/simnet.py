"""Small simulation set-ups for the BioNet tests: networks, spike inputs, configs, and running simlib.

Networks are built with simlib's NetworkBuilder on the offline synthetic components (or any
components folder); simulations run in subprocesses (NEURON keeps mechanisms and MPI state for
the life of a process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from simlib.builder import NetworkBuilder
from simlib.models.components import write_components
from simlib.spikes import PoissonSpikeGenerator

OFFLINE_CELLS = [{"model": "pyramidal", "morphology": "pyr.swc", "dynamics_params": "rs_fit.json"},
                 {"model": "basket", "morphology": "bas.swc", "dynamics_params": "fs_fit.json"}]
BIO = {"model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc", "model_processing": "aibs_perisomatic"}


def offline_components(out: Path) -> Path:
    write_components(out, seed=11, cell_map=OFFLINE_CELLS)
    return out


def build_network(net_dir: Path, seed: int = 5, n_exc: int = 6, n_inh: int = 2, n_lgn: int = 8,
                  exc=("pyr.swc", "rs_fit.json"), inh=("bas.swc", "fs_fit.json"), weight_function=None,
                  syn=("ExcToExc.json", "ExcToInh.json", "InhToExc.json", "LGN_ExcToExc.json", "LGN_ExcToInh.json"),
                  lgn_weight: float = 2e-3) -> Path:
    """V1 (exc + inh biophysical cells, random synapse placement) and LGN (virtual) onto it."""
    rng = np.random.default_rng(seed)
    v1 = NetworkBuilder("V1", seed=seed)
    v1.add_nodes(N=n_exc, pop_name="Exc", ei="e", morphology=exc[0], dynamics_params=exc[1],
                 x=rng.uniform(-50, 50, n_exc), y=rng.uniform(-50, 50, n_exc), z=rng.uniform(-50, 50, n_exc),
                 tuning_angle=np.linspace(0, 180, n_exc, endpoint=False), **BIO)
    v1.add_nodes(N=n_inh, pop_name="Inh", ei="i", morphology=inh[0], dynamics_params=inh[1],
                 x=rng.uniform(-50, 50, n_inh), y=rng.uniform(-50, 50, n_inh), z=rng.uniform(-50, 50, n_inh),
                 tuning_angle=np.linspace(0, 180, n_inh, endpoint=False), **BIO)
    ee = {"weight_function": weight_function} if weight_function else {}
    v1.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=lambda s, t: 0 if s.node_id == t.node_id else 2,
                 syn_weight=3e-4, delay=2.0, target_sections=["basal", "apical"], distance_range=[30.0, 150.0],
                 model_template="exp2syn", dynamics_params=syn[0], **ee)
    v1.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=4, syn_weight=1e-3, delay=2.0,
                 target_sections=["somatic", "basal"], distance_range=[0.0, 1e20], model_template="exp2syn",
                 dynamics_params=syn[1])
    v1.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=6, syn_weight=2e-3, delay=2.0,
                 target_sections=["somatic", "basal"], distance_range=[0.0, 50.0], model_template="exp2syn",
                 dynamics_params=syn[2])
    v1.build()
    v1.save(str(net_dir), compression="none")
    lgn = NetworkBuilder("LGN", seed=seed)
    lgn.add_nodes(N=n_lgn, model_type="virtual", pop_name="tON", ei="e")
    lgn.add_edges(target=v1.nodes(ei="e"), connection_rule=5, syn_weight=lgn_weight, delay=2.0,
                  target_sections=["basal", "apical"], distance_range=[0.0, 150.0], model_template="exp2syn",
                  dynamics_params=syn[3])
    lgn.add_edges(target=v1.nodes(ei="i"), connection_rule=5, syn_weight=lgn_weight, delay=2.0,
                  target_sections=["somatic", "basal"], distance_range=[0.0, 1e20], model_template="exp2syn",
                  dynamics_params=syn[4])
    lgn.build()
    lgn.save(str(net_dir), compression="none")
    return net_dir


def write_poisson(path: Path, n: int, rate_hz: float, tstop_s: float, seed: int = 1, population: str = "LGN") -> Path:
    psg = PoissonSpikeGenerator(population=population, seed=seed)
    psg.add(node_ids=range(n), firing_rate=rate_hz, times=(0.0, tstop_s))
    if path.suffix == ".csv":
        psg.to_csv(path)
    else:
        psg.to_sonata(path)
    return path


def network_entries(net_dir: Path, populations=("V1", "LGN"), edges=(("V1", "V1"), ("LGN", "V1"))) -> dict:
    return {"nodes": [{"nodes_file": str(net_dir / f"{p}_nodes.h5"), "node_types_file": str(net_dir / f"{p}_node_types.csv")}
                      for p in populations],
            "edges": [{"edges_file": str(net_dir / f"{s}_{t}_edges.h5"),
                       "edge_types_file": str(net_dir / f"{s}_{t}_edge_types.csv")} for s, t in edges]}


def write_config(path: Path, net_dir: Path, components: Path, mechanisms: Path, tstop_ms: float = 500.0,
                 inputs: dict | None = None, reports: dict | None = None, run: dict | None = None,
                 networks: dict | None = None, output_dir: str = "output", **extra) -> Path:
    config = {
        "target_simulator": "BioNet",
        "run": {"tstop": tstop_ms, "dt": 0.1, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 1000, **(run or {})},
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "networks": networks or network_entries(net_dir),
        "components": {"morphologies_dir": str(components / "morphologies"),
                       "biophysical_neuron_models_dir": str(components / "biophysical_neuron_models"),
                       "synaptic_models_dir": str(components / "synaptic_models"),
                       "mechanisms_dir": str(mechanisms)},
        "inputs": inputs or {},
        "reports": reports or {},
        "output": {"output_dir": output_dir, "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv",
                   "log_file": "log.txt"},
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=1))
    return path


def mechanisms_dir(lib: Path) -> Path:
    """The folder a ``libnrnmech.so`` from compile_mechanisms lives in, as components.mechanisms_dir."""
    return Path(lib).parent.parent


def run_simlib(config: Path, ranks: int = 1, args=(), timeout: int = 900) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "simlib", "simulate", str(config), *args]
    if ranks > 1:
        command = [str(Path(sys.executable).with_name("mpiexec")), "-n", str(ranks), *command]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=config.parent, env=env)


def read_spikes(path: Path, population: str = "V1") -> tuple[np.ndarray, np.ndarray]:
    import h5py

    with h5py.File(path, "r") as h5:
        grp = h5["spikes"][population]
        return grp["node_ids"][()].astype(np.int64), grp["timestamps"][()]
