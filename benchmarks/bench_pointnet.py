"""PointNet benchmark: simlib's PointNet (1 and 2 threads) against bmtk's on one E/I point-neuron network.

    python benchmarks/bench_pointnet.py                     # 5,000 cells, ~2.5 M edges, 1,000 ms
    python benchmarks/bench_pointnet.py --cells 2000 --tstop 500 --skip-bmtk

The network (simlib's NetworkBuilder, a vectorised random rule): 80 % excitatory and 20 %
inhibitory ``nest:iaf_psc_alpha`` cells, connection probability ``--p`` with 1-3 synapses per
connection, and 1,000 virtual Poisson inputs (``--rate`` Hz) with probability 0.1 onto every cell.
Each run is its own process on the same files and config (a BMTK PointNet config, which both
simulators read):
  simlib_t1   python -m simlib pointnet --threads 1
  simlib_t2   python -m simlib pointnet --threads 2
  bmtk        bmtk's PointNet (bmtk.simulator.pointnet), 1 thread
Printed: wall time of each run, simlib's setup and simulate phases, spike counts, whether the spike
files are equal (simlib 1 vs 2 threads; simlib vs bmtk), and simlib's speed-up over bmtk.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CELL = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 2.0, "tau_syn_in": 2.0, "E_L": -70.0, "V_m": -70.0,
        "V_th": -55.0, "V_reset": -70.0, "t_ref": 2.0, "I_e": 0.0}
BMTK_RUN = """
import sys
from bmtk.simulator import pointnet
config = pointnet.Config.from_json(sys.argv[1])
config.build_env()
network = pointnet.PointNetwork.from_config(config)
pointnet.PointSimulator.from_config(config, network).run()
"""


def build(workdir: Path, n_cells: int, p: float, rate_hz: float, tstop_ms: float, seed: int) -> Path:
    """Network files, model files, Poisson input and one config in ``workdir``; returns the config."""
    from simlib.builder import NetworkBuilder, vectorized
    from simlib.spikes import PoissonSpikeGenerator

    def random_rule(sources, targets, rng, p):
        return (rng.random(len(sources)) < p) * rng.integers(1, 4, len(sources))

    net_dir, comps = workdir / "network", workdir / "components"
    for sub in ("point_neuron_models", "synaptic_models"):
        (comps / sub).mkdir(parents=True, exist_ok=True)
    (comps / "point_neuron_models" / "exc.json").write_text(json.dumps(CELL))
    (comps / "point_neuron_models" / "inh.json").write_text(json.dumps({**CELL, "tau_m": 8.0}))
    (comps / "synaptic_models" / "static.json").write_text("{}")
    n_exc = int(0.8 * n_cells)
    v1 = NetworkBuilder("V1", seed=seed)
    point = {"model_type": "point_process", "model_template": "nest:iaf_psc_alpha"}
    v1.add_nodes(N=n_exc, pop_name="Exc", ei="e", dynamics_params="exc.json", **point)
    v1.add_nodes(N=n_cells - n_exc, pop_name="Inh", ei="i", dynamics_params="inh.json", **point)
    for src, weight in (("e", 6.0), ("i", -40.0)):
        v1.add_edges(source={"ei": src}, target=v1.nodes(), connection_rule=vectorized(random_rule, p=p),
                     syn_weight=weight, delay=1.5, model_template="static_synapse", dynamics_params="static.json")
    v1.build()
    v1.save(str(net_dir))
    lgn = NetworkBuilder("LGN", seed=seed)
    lgn.add_nodes(N=1000, pop_name="input", model_type="virtual")
    lgn.add_edges(target=v1.nodes(), connection_rule=vectorized(random_rule, p=0.1), syn_weight=25.0, delay=2.0,
                  model_template="static_synapse", dynamics_params="static.json")
    lgn.build()
    lgn.save(str(net_dir))
    psg = PoissonSpikeGenerator(population="LGN", seed=seed)
    psg.add(node_ids=range(1000), firing_rate=rate_hz, times=(0.0, tstop_ms / 1000.0))
    psg.to_sonata(workdir / "lgn.h5")
    files = {p: (net_dir / f"{p}_nodes.h5", net_dir / f"{p}_node_types.csv") for p in ("V1", "LGN")}
    config = {
        "target_simulator": "NEST",
        "run": {"tstart": 0.0, "tstop": tstop_ms, "dt": 0.1},
        "networks": {"nodes": [{"nodes_file": str(a), "node_types_file": str(b)} for a, b in files.values()],
                     "edges": [{"edges_file": str(net_dir / f"{s}_V1_edges.h5"),
                                "edge_types_file": str(net_dir / f"{s}_V1_edge_types.csv")} for s in ("V1", "LGN")]},
        "components": {"point_neuron_models_dir": str(comps / "point_neuron_models"),
                       "synaptic_models_dir": str(comps / "synaptic_models")},
        "inputs": {"lgn": {"input_type": "spikes", "module": "sonata", "input_file": str(workdir / "lgn.h5"),
                           "node_set": "LGN"}},
        "output": {"output_dir": str(workdir / "output"), "spikes_file": "spikes.h5", "log_file": "log.txt"},
    }
    path = workdir / "config.json"
    path.write_text(json.dumps(config, indent=1))
    return path


def run(name: str, config: Path, workdir: Path, timeout: float) -> dict:
    """One run in its own process, with its own output folder; wall time and outputs."""
    data = json.loads(config.read_text())
    out = workdir / f"output.{name}"
    data["output"]["output_dir"] = str(out)
    own = workdir / f"config.{name}.json"
    own.write_text(json.dumps(data, indent=1))
    if name == "bmtk":
        command = [sys.executable, "-c", BMTK_RUN, str(own)]
    else:
        command = [sys.executable, "-m", "simlib", "pointnet", str(own), "--threads", name[-1],
                   "--timings", str(workdir / f"timings.{name}.json")]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=workdir)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    timings = workdir / f"timings.{name}.json"
    return {"wall": wall, "spikes": out / "spikes.h5",
            "timings": json.loads(timings.read_text()) if timings.exists() else {}}


def spikes(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(node ids, times) of V1, sorted by time then node id."""
    from simlib.spikes import SpikeTrains

    table = SpikeTrains.load(path).to_dataframe(populations="V1")
    ids, times = table["node_ids"].to_numpy(), table["timestamps"].to_numpy()
    order = np.lexsort((ids, times))
    return ids[order], times[order]


def compare(a: Path, b: Path) -> str:
    """Whether two spike files hold the same spikes (bmtk reads NEST's text output: times within 1e-9 ms)."""
    (ia, ta), (ib, tb) = spikes(a), spikes(b)
    if ia.size == ib.size and np.array_equal(ia, ib) and np.array_equal(ta, tb):
        return f"identical ({ia.size} spikes)"
    if ia.size == ib.size:
        oa, ob = np.lexsort((ta, ia)), np.lexsort((tb, ib))
        gap = float(np.abs(ta[oa] - tb[ob]).max()) if ia.size else 0.0
        if np.array_equal(ia[oa], ib[ob]) and gap < 1e-9:
            return f"the same {ia.size} spikes (times within {gap:.1g} ms)"
    n = min(ta.size, tb.size)
    diff = np.flatnonzero((ia[:n] != ib[:n]) | (np.abs(ta[:n] - tb[:n]) > 1e-9))
    first = int(diff[0]) if diff.size else n
    when = ta[first] if first < ta.size else float("nan")
    return f"differ: {ia.size} vs {ib.size} spikes, first difference at spike {first} (t = {when:.1f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=5000)
    parser.add_argument("--p", type=float, default=0.1, help="recurrent connection probability; default 0.1")
    parser.add_argument("--rate", type=float, default=10.0, help="input Poisson rate (Hz); default 10")
    parser.add_argument("--tstop", type=float, default=1000.0, help="simulated time (ms); default 1000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-bmtk", action="store_true", help="simlib runs only")
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temporary folder)")
    parser.add_argument("--timeout", type=float, default=7200.0, help="seconds allowed per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        config = build(workdir, args.cells, args.p, args.rate, args.tstop, args.seed)
        print(f"network built in {time.perf_counter() - t0:.1f} s: {args.cells} cells")
        names = ["simlib_t1", "simlib_t2"] + ([] if args.skip_bmtk else ["bmtk"])
        results = {name: run(name, config, workdir, args.timeout) for name in names}
        for name, res in results.items():
            phases = ", ".join(f"{k} {v:.2f} s" for k, v in res["timings"].items())
            print(f"{name:10s} wall {res['wall']:7.2f} s  {phases}")
        print("simlib 1 vs 2 threads:", compare(results["simlib_t1"]["spikes"], results["simlib_t2"]["spikes"]))
        if "bmtk" in results:
            print("simlib vs bmtk:", compare(results["simlib_t1"]["spikes"], results["bmtk"]["spikes"]))
            print(f"speed-up over bmtk (wall, 1 thread): {results['bmtk']['wall'] / results['simlib_t1']['wall']:.2f}x")


if __name__ == "__main__":
    main()
