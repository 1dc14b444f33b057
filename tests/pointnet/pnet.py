"""Small PointNet set-ups for the tests: NEST model files, networks built with simlib's builder, configs.

Networks are written by :class:`simlib.builder.NetworkBuilder`; configs are BMTK PointNet configs
(``point_neuron_models_dir``, ``synaptic_models_dir``). Runs go through ``simlib.pointnet.simulate``
in the test process (NEST's kernel is reset by every run) or the command line in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simlib.builder import NetworkBuilder

pytest.importorskip("nest", reason="NEST is not installed (pip install nest-simulator); PointNet runs on it")

# iaf_psc_alpha parameters of the tests (threshold far away where a test wants subthreshold PSPs)
EXC = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 2.0, "tau_syn_in": 2.0, "E_L": -70.0, "V_m": -70.0,
       "V_th": -55.0, "V_reset": -70.0, "t_ref": 2.0, "I_e": 0.0}
PASSIVE = {**EXC, "V_th": 1000.0}
POINT = {"model_type": "point_process", "model_template": "nest:iaf_psc_alpha"}


def write_components(root: Path, cells: dict | None = None, synapses: dict | None = None) -> Path:
    """point_neuron_models/*.json and synaptic_models/*.json under ``root``."""
    cells = {"exc.json": EXC, "inh.json": {**EXC, "tau_m": 8.0}, "passive.json": PASSIVE, **(cells or {})}
    synapses = {"static.json": {}, **(synapses or {})}
    for folder, files in (("point_neuron_models", cells), ("synaptic_models", synapses)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name, params in files.items():
            (root / folder / name).write_text(json.dumps(params))
    return root


def single_cell_network(net_dir: Path, weights=(50.0,), nsyns=(1,), delay: float = 1.5, cell_params="passive.json",
                        syn_model="static_synapse", syn_params="static.json", n_cells: int | None = None) -> Path:
    """``V1``: one passive iaf_psc_alpha per entry of ``weights``; ``LGN``: one virtual node onto each."""
    n = n_cells or len(weights)
    v1 = NetworkBuilder("V1", seed=1)
    v1.add_nodes(N=n, pop_name="cell", ei="e", idx=list(range(n)), dynamics_params=cell_params, **POINT)
    v1.build()
    v1.save(str(net_dir), compression="none")
    lgn = NetworkBuilder("LGN", seed=1)
    lgn.add_nodes(N=1, pop_name="tON", model_type="virtual")
    for i in range(n):  # one edge type per cell: its weight and synapse count
        lgn.add_edges(source=lgn.nodes(), target=v1.nodes(idx=i), connection_rule=int(nsyns[i % len(nsyns)]),
                      syn_weight=float(weights[i % len(weights)]), delay=delay, model_template=syn_model,
                      dynamics_params=syn_params)
    lgn.build()
    lgn.save(str(net_dir), compression="none")
    return net_dir


def small_network(net_dir: Path, n_exc: int = 40, n_inh: int = 10, n_lgn: int = 100, seed: int = 3) -> Path:
    """V1: 50 iaf_psc_alpha (exc + inh, random recurrent edges); LGN: virtual inputs onto every cell."""
    rng = np.random.default_rng(seed)
    v1 = NetworkBuilder("V1", seed=seed)
    v1.add_nodes(N=n_exc, pop_name="Exc", ei="e", dynamics_params="exc.json", **POINT)
    v1.add_nodes(N=n_inh, pop_name="Inh", ei="i", dynamics_params="inh.json", **POINT)
    ee = (rng.random((n_exc, n_exc)) < 0.2) * rng.integers(1, 4, (n_exc, n_exc))
    np.fill_diagonal(ee, 0)
    v1.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=ee, syn_weight=20.0, delay=1.5,
                 model_template="static_synapse", dynamics_params="static.json")
    v1.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=2, syn_weight=15.0, delay=1.0,
                 model_template="static_synapse", dynamics_params="static.json")
    v1.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=(rng.random((n_inh, n_exc)) < 0.5) * 3,
                 syn_weight=-40.0, delay=1.2, model_template="static_synapse", dynamics_params="static.json")
    v1.build()
    v1.save(str(net_dir), compression="none")
    lgn = NetworkBuilder("LGN", seed=seed)
    lgn.add_nodes(N=n_lgn, pop_name="tON", model_type="virtual", ei="e")
    lgn.add_edges(target=v1.nodes(), connection_rule=(rng.random((n_lgn, n_exc + n_inh)) < 0.3) * 2, syn_weight=60.0,
                  delay=2.0, model_template="static_synapse", dynamics_params="static.json")
    lgn.build()
    lgn.save(str(net_dir), compression="none")
    return net_dir


def poisson_spikes(path: Path, n: int, rate_hz: float, tstop_s: float, seed: int = 1) -> Path:
    from simlib.spikes import PoissonSpikeGenerator

    psg = PoissonSpikeGenerator(population="LGN", seed=seed)
    psg.add(node_ids=range(n), firing_rate=rate_hz, times=(0.0, tstop_s))
    psg.to_sonata(path)
    return path


def spike_file(path: Path, times_by_node: dict, population: str = "LGN") -> Path:
    from simlib.spikes import SpikeTrains

    trains = SpikeTrains(population=population)
    for node, times in times_by_node.items():
        trains.add_spikes(np.full(len(times), node), np.asarray(times, dtype=float))
    trains.to_sonata(path)
    return path


def networks(net_dir: Path, populations=("V1", "LGN"), edges=(("V1", "V1"), ("LGN", "V1"))) -> dict:
    return {"nodes": [{"nodes_file": str(net_dir / f"{p}_nodes.h5"),
                       "node_types_file": str(net_dir / f"{p}_node_types.csv")} for p in populations],
            "edges": [{"edges_file": str(net_dir / f"{s}_{t}_edges.h5"),
                       "edge_types_file": str(net_dir / f"{s}_{t}_edge_types.csv")} for s, t in edges]}


def write_config(path: Path, net_dir: Path, components: Path, tstop_ms: float = 100.0, dt_ms: float = 0.1,
                 inputs: dict | None = None, reports: dict | None = None, run: dict | None = None,
                 edges=(("V1", "V1"), ("LGN", "V1")), populations=("V1", "LGN"), output_dir: str = "output") -> Path:
    """A BMTK PointNet config (no BioNet keys) for a network of ``net_dir``."""
    config = {
        "target_simulator": "NEST",
        "run": {"tstop": tstop_ms, "dt": dt_ms, **(run or {})},
        "networks": networks(net_dir, populations=populations, edges=edges),
        "components": {"point_neuron_models_dir": str(components / "point_neuron_models"),
                       "synaptic_models_dir": str(components / "synaptic_models")},
        "inputs": inputs or {},
        "reports": reports or {},
        "output": {"output_dir": output_dir, "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv",
                   "log_file": "log.txt"},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=1))
    return path


def spikes_input(path: Path, node_set: str = "LGN", module: str = "sonata", **extra) -> dict:
    return {"input_type": "spikes", "module": module, "input_file": str(path), "node_set": node_set, **extra}


def vm_report(cells="V1", variable="V_m", **extra) -> dict:
    return {"module": "membrane_report", "cells": cells, "variable_name": variable, "file_name": "v.h5", **extra}


def run_cli(config: Path, args=(), timeout: int = 600) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "simlib", "pointnet", str(config), *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=config.parent, env=env)


def read_spikes(path: Path, population: str = "V1") -> tuple[np.ndarray, np.ndarray]:
    import h5py

    with h5py.File(path, "r") as h5:
        grp = h5["spikes"][population]
        return grp["node_ids"][()].astype(np.int64), grp["timestamps"][()]
