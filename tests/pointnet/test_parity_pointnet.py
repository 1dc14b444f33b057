"""Parity with bmtk's PointNet: the tutorial-05 network (built by simlib), the same config and LGN input."""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
POINT_MODELS = REPO / "simlib" / "models" / "point_models"
SYNAPSES = ("ExcToExc", "ExcToInh", "InhToExc", "InhToInh", "instantaneousExc", "instantaneousInh")


def tutorial_network(out: Path, seed: int = 0) -> Path:
    spec = importlib.util.spec_from_file_location("pointnet_network", REPO / "examples" / "pointnet_network.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_network(str(out), seed=seed, compression="none")
    return out


def write_setup(root: Path, net: Path, output_dir: str, tstop_ms: float = 1000.0) -> Path:
    from simlib.spikes import PoissonSpikeGenerator

    comps = root / "components"
    (comps / "point_neuron_models").mkdir(parents=True, exist_ok=True)
    (comps / "synaptic_models").mkdir(parents=True, exist_ok=True)
    for path in POINT_MODELS.glob("*_iaf_psc_alpha.json"):
        shutil.copyfile(path, comps / "point_neuron_models" / path.name)
    for name in SYNAPSES:
        (comps / "synaptic_models" / f"{name}.json").write_text("{}\n")
    if not (root / "lgn.h5").exists():
        psg = PoissonSpikeGenerator(population="LGN", seed=1)
        psg.add(node_ids=range(500), firing_rate=10.0, times=(0.0, tstop_ms / 1000))
        psg.to_sonata(root / "lgn.h5")
    config = {
        "manifest": {"$BASE": "${configdir}"},
        "target_simulator": "NEST",
        "run": {"tstop": tstop_ms, "dt": 0.01},
        "networks": {"nodes": [{"nodes_file": str(net / f"{p}_nodes.h5"), "node_types_file": str(net / f"{p}_node_types.csv")}
                               for p in ("V1", "LGN")],
                     "edges": [{"edges_file": str(net / f"{p}_edges.h5"), "edge_types_file": str(net / f"{p}_edge_types.csv")}
                               for p in ("V1_V1", "LGN_V1")]},
        "components": {"point_neuron_models_dir": "$BASE/components/point_neuron_models",
                       "synaptic_models_dir": "$BASE/components/synaptic_models"},
        "inputs": {"LGN_spikes": {"input_type": "spikes", "module": "h5", "input_file": "$BASE/lgn.h5",
                                  "node_set": "LGN"}},
        "output": {"output_dir": f"$BASE/{output_dir}", "spikes_file": "spikes.h5", "log_file": "log.txt",
                   "overwrite_output_dir": True},
    }
    path = root / f"config_{output_dir}.json"
    path.write_text(json.dumps(config, indent=1))
    return path


def spikes(path: Path) -> list[tuple[int, float]]:
    with h5py.File(path, "r") as h5:
        grp = h5["spikes"]["V1"]
        return sorted(zip(grp["node_ids"][()].astype(int).tolist(), np.round(grp["timestamps"][()], 6).tolist()))


@pytest.mark.slow
def test_tutorial_network_same_spikes_as_bmtk(tmp_path):
    pytest.importorskip("bmtk")
    pytest.importorskip("nest")
    net = tutorial_network(tmp_path / "network")
    ours = write_setup(tmp_path, net, "output_simlib")
    theirs = write_setup(tmp_path, net, "output_bmtk")
    proc = subprocess.run([sys.executable, "-m", "simlib", "pointnet", str(ours)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("bmtk_pointnet_run.py")), str(theirs)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    mine, bmtk = spikes(tmp_path / "output_simlib" / "spikes.h5"), spikes(tmp_path / "output_bmtk" / "spikes.h5")
    assert len(mine) > 500 and len({n for n, _ in mine}) > 50     # the network is active
    assert mine == bmtk
