"""PointNet at scale: a 100,000-cell, ~10 M-edge point network, simlib (1 and 2 threads) against bmtk's PointNet.

    python benchmarks/bench_pointnet_large.py                    # 100,000 cells, ~10 M edges, 1,000 ms
    python benchmarks/bench_pointnet_large.py --cells 20000      # same density and rules, a smaller cube
    python benchmarks/bench_pointnet_large.py --skip-bmtk --repeat   # simlib only, plus a same-config rerun

The network is built with simlib's NetworkBuilder and its array rules only:
  V1     ``--cells`` ``nest:iaf_psc_alpha`` cells (80 % excitatory, 20 % inhibitory, two node types)
         at 100,000 cells/mm^3 in a cube. With ``--random-vm`` each cell's initial V_m is drawn and
         stored as a per-node NEST parameter (the nodes file's ``dynamics_params`` group); bmtk's
         PointNet ignores that group (its NodeGroup.has_dynamics_params is always False), so its
         spikes then differ from simlib's.
  V1->V1 four edge types (E->E, E->I, I->E, I->I), :class:`simlib.builder.DistanceRule`: a Gaussian
         connection probability of the distance, with a per-edge delay of 1 ms + distance / 0.5 m/s
         (a vectorised property rule, rounded to dt).
  INPUT  ``--inputs`` virtual Poisson sources (``--rate`` Hz), a :func:`simlib.builder.vectorized`
         random rule onto every cell with 1-3 synapses per connection (NEST weight = syn_weight x nsyns).
Each simulation runs in its own process on the same files and config (a BMTK PointNet config):
  simlib_t1, simlib_t2   simlib.pointnet.simulate with 1 and 2 NEST threads
  bmtk                   bmtk.simulator.pointnet (Config.from_json, build_env, PointNetwork.from_config,
                         PointSimulator.from_config, run), 1 thread
and is timed from inside that process: ``setup`` is from the process's start (imports included)
to NEST's first ``Simulate`` call (wall, and the process's CPU time, which other load on the
machine disturbs less), ``in NEST`` the part of it spent inside ``nest.Create`` and ``nest.Connect``
(both simulators make the same NEST calls; connecting the spike recorder to 100,000 cells alone
takes 2-2.5 s and 2.4-3.1 GB in NEST), ``simulate`` the time spent in ``nest.Simulate``, ``peak``
the process's maximum resident memory (getrusage). ``--repeat`` reruns simlib_t1 to check that the
same config gives the same spikes. Printed: a table with the ratios to bmtk, spike counts, and
whether the spike files are equal.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_T0 = time.perf_counter()   # a child's setup clock starts here, before any heavy import

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pointnet import compare, spikes  # noqa: E402

DENSITY_PER_MM3 = 100_000
CELL = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 2.0, "tau_syn_in": 2.0, "E_L": -70.0, "V_th": -55.0,
        "V_reset": -70.0, "t_ref": 2.0, "I_e": 0.0}
SIGMA_UM, CUTOFF_UM = 60.0, 150.0           # Gaussian width and cut-off of the recurrent rule
# (source, target): peak connection probability and syn_weight (pA); I->E and I->I inhibit
RECURRENT = {("e", "e"): (0.28, 16.0), ("e", "i"): (0.35, 16.0), ("i", "e"): (0.4, -70.0), ("i", "i"): (0.4, -70.0)}


def build(workdir: Path, n_cells: int, n_inputs: int, p_input: float, input_weight_pa: float, rate_hz: float,
          tstop_ms: float, seed: int, random_vm: bool = False) -> tuple[Path, dict]:
    """Network, model files, Poisson input and one config in ``workdir``; (config path, network counts)."""
    import h5py

    from simlib.builder import DistanceRule, NetworkBuilder, vectorized
    from simlib.spikes import PoissonSpikeGenerator

    def input_rule(sources, targets, rng, p):
        return (rng.random(len(sources)) < p) * rng.integers(1, 4, len(sources))

    def delay_rule(sources, targets):
        d_um = np.sqrt(sum((sources[c] - targets[c]) ** 2 for c in "xyz"))
        return np.round(1.0 + d_um / 500.0, 1)      # 0.5 m/s = 500 um/ms, on the 0.1 ms grid

    net_dir, comps = workdir / "network", workdir / "components"
    for sub in ("point_neuron_models", "synaptic_models"):
        (comps / sub).mkdir(parents=True, exist_ok=True)
    (comps / "point_neuron_models" / "exc.json").write_text(json.dumps(CELL))
    (comps / "point_neuron_models" / "inh.json").write_text(json.dumps({**CELL, "tau_m": 8.0}))
    (comps / "synaptic_models" / "static.json").write_text("{}")
    rng = np.random.default_rng(seed)
    side_um = (n_cells / DENSITY_PER_MM3) ** (1 / 3) * 1000.0
    n_exc = int(0.8 * n_cells)
    v1 = NetworkBuilder("V1", seed=seed)
    point = {"model_type": "point_process", "model_template": "nest:iaf_psc_alpha"}
    for n, pop, ei, params in ((n_exc, "Exc", "e", "exc.json"), (n_cells - n_exc, "Inh", "i", "inh.json")):
        xyz = rng.uniform(0.0, side_um, (3, n))
        v1.add_nodes(N=n, pop_name=pop, ei=ei, x=xyz[0], y=xyz[1], z=xyz[2], dynamics_params=params, **point)
    for (src, trg), (p_peak, weight) in RECURRENT.items():
        rule = DistanceRule(lambda d, p=p_peak: p * np.exp(-d ** 2 / (2 * SIGMA_UM ** 2)), CUTOFF_UM)
        cm = v1.add_edges(source={"ei": src}, target={"ei": trg}, connection_rule=rule, syn_weight=weight,
                          model_template="static_synapse", dynamics_params="static.json")
        cm.add_properties("delay", rule=vectorized(delay_rule), dtypes=float)
    v1.build()
    v1.save(str(net_dir))
    if random_vm:
        with h5py.File(net_dir / "V1_nodes.h5", "r+") as h5:   # a per-node NEST parameter, where BMTK writes them
            h5.create_dataset("nodes/V1/0/dynamics_params/V_m", data=rng.uniform(-70.0, -56.0, n_cells))
    inputs = NetworkBuilder("INPUT", seed=seed)
    inputs.add_nodes(N=n_inputs, pop_name="poisson", model_type="virtual")
    inputs.add_edges(target=v1.nodes(), connection_rule=vectorized(input_rule, p=p_input), syn_weight=input_weight_pa,
                     delay=1.5, model_template="static_synapse", dynamics_params="static.json")
    inputs.build()
    inputs.save(str(net_dir))
    psg = PoissonSpikeGenerator(population="INPUT", seed=seed)
    psg.add(node_ids=range(n_inputs), firing_rate=rate_hz, times=(0.0, tstop_ms / 1000.0))
    psg.to_sonata(workdir / "input.h5")
    counts = {"edges": 0, "synapses": 0}
    for net in (v1, inputs):
        for cm in net.connection_maps:
            counts["edges"] += int(cm.nsyns.size)
            counts["synapses"] += int(cm.nsyns.sum())
    files = {p: (net_dir / f"{p}_nodes.h5", net_dir / f"{p}_node_types.csv") for p in ("V1", "INPUT")}
    config = {
        "target_simulator": "NEST",
        "run": {"tstart": 0.0, "tstop": tstop_ms, "dt": 0.1},
        "networks": {"nodes": [{"nodes_file": str(a), "node_types_file": str(b)} for a, b in files.values()],
                     "edges": [{"edges_file": str(net_dir / f"{s}_V1_edges.h5"),
                                "edge_types_file": str(net_dir / f"{s}_V1_edge_types.csv")} for s in ("V1", "INPUT")]},
        "components": {"point_neuron_models_dir": str(comps / "point_neuron_models"),
                       "synaptic_models_dir": str(comps / "synaptic_models")},
        "inputs": {"poisson": {"input_type": "spikes", "module": "sonata", "input_file": str(workdir / "input.h5"),
                               "node_set": "INPUT"}},
        "output": {"output_dir": str(workdir / "output"), "spikes_file": "spikes.h5", "log_file": "log.txt"},
    }
    path = workdir / "config.json"
    path.write_text(json.dumps(config, indent=1))
    return path, counts


# --- one simulation per process

def child(simulator: str, config: str, threads: int, timings_path: str) -> None:
    """Run one simulation in this process and write its timings (see the module docstring)."""
    import os

    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    calls: dict[str, list[tuple[float, float]]] = {"Simulate": [], "Connect": [], "Create": []}
    setup_cpu = []

    def timed(name):
        function = getattr(nest, name)

        def call(*args, **kwargs):
            if name == "Simulate" and not setup_cpu:
                setup_cpu.append(time.process_time())
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                calls[name].append((start, time.perf_counter()))
        return call

    for name in calls:      # both simulators call these through the module (which is frozen: no setattr)
        nest.__dict__[name] = timed(name)
    if simulator == "bmtk":
        from bmtk.simulator import pointnet   # the benchmark's oracle; simlib never imports bmtk

        cfg = pointnet.Config.from_json(config)
        cfg.build_env()
        network = pointnet.PointNetwork.from_config(cfg)
        pointnet.PointSimulator.from_config(cfg, network).run()
    else:
        from simlib.pointnet import simulate as simlib_simulate

        simlib_simulate(config, threads=threads)
    end = time.perf_counter()
    start = calls["Simulate"][0][0]
    timings = {"setup": start - _T0, "setup_cpu": setup_cpu[0], "simulate": sum(b - a for a, b in calls["Simulate"]),
               "total": end - _T0, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
               "nest_setup": sum(b - a for name in ("Connect", "Create") for a, b in calls[name] if b <= start)}
    Path(timings_path).write_text(json.dumps(timings))


def run(name: str, simulator: str, threads: int, config: Path, workdir: Path, timeout: float) -> dict:
    """One simulation in its own process, with its own output folder; its timings and spike file."""
    data = json.loads(config.read_text())
    out = workdir / f"output.{name}"
    data["output"]["output_dir"] = str(out)
    own = workdir / f"config.{name}.json"
    own.write_text(json.dumps(data, indent=1))
    timings = workdir / f"timings.{name}.json"
    command = [sys.executable, __file__, "--child", simulator, str(own), str(threads), str(timings)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=workdir)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    return {**json.loads(timings.read_text()), "spikes": out / "spikes.h5"}


def table(results: dict, tstop_ms: float, n_cells: int) -> str:
    """The timings table, with ratios to bmtk where bmtk ran."""
    ref = results.get("bmtk")
    lines = [f"{'run':10s} {'setup s':>8s} {'CPU s':>6s} {'in NEST':>8s} {'simulate s':>10s} {'total s':>8s} "
             f"{'peak MB':>8s} {'rate Hz':>8s}"
             + ("  setup/bmtk  CPU/bmtk  non-NEST/bmtk  total/bmtk  peak/bmtk" if ref else "")]
    for name, res in results.items():
        ids, _ = spikes(res["spikes"])
        rate = ids.size / n_cells / (tstop_ms / 1000.0)
        line = (f"{name:10s} {res['setup']:8.2f} {res['setup_cpu']:6.2f} {res['nest_setup']:8.2f} "
                f"{res['simulate']:10.2f} {res['total']:8.2f} {res['peak_mb']:8.0f} {rate:8.2f}")
        if ref:
            other = (ref["setup"] - ref["nest_setup"]) / (res["setup"] - res["nest_setup"])
            line += (f"  {ref['setup'] / res['setup']:9.1f}x  {ref['setup_cpu'] / res['setup_cpu']:7.1f}x"
                     f"  {other:12.1f}x  {ref['total'] / res['total']:9.1f}x  {res['peak_mb'] / ref['peak_mb']:8.2f}")
        lines.append(line)
    lines.append("setup: process start to the first nest.Simulate (wall; CPU: the process's CPU time, all threads); "
                 "in NEST: wall time inside nest.Create and nest.Connect before it; non-NEST: setup minus that; "
                 "peak: maximum resident memory of the process")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--inputs", type=int, default=2000, help="virtual Poisson sources; default 2000")
    parser.add_argument("--p-input", type=float, default=0.01, help="input connection probability; default 0.01")
    parser.add_argument("--input-weight", type=float, default=120.0, help="input syn_weight (pA); default 120")
    parser.add_argument("--rate", type=float, default=10.0, help="input Poisson rate (Hz); default 10")
    parser.add_argument("--tstop", type=float, default=1000.0, help="simulated time (ms); default 1000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--random-vm", action="store_true", help="per-node initial V_m (bmtk ignores it)")
    parser.add_argument("--skip-bmtk", action="store_true", help="simlib runs only")
    parser.add_argument("--repeat", action="store_true", help="rerun simlib with 1 thread: same spikes?")
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="use the network already in --workdir")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        if args.reuse and (workdir / "config.json").exists():
            config, counts = workdir / "config.json", json.loads((workdir / "counts.json").read_text())
        else:
            config, counts = build(workdir, args.cells, args.inputs, args.p_input, args.input_weight, args.rate,
                                   args.tstop, args.seed, args.random_vm)
            (workdir / "counts.json").write_text(json.dumps(counts))
        print(f"network: {args.cells} cells + {args.inputs} inputs, {counts['edges']:,} edges "
              f"({counts['synapses']:,} synapses); built in {time.perf_counter() - t0:.1f} s", flush=True)
        plan = [("simlib_t1", "simlib", 1), ("simlib_t2", "simlib", 2)]
        plan += [("simlib_t1b", "simlib", 1)] if args.repeat else []
        plan += [] if args.skip_bmtk else [("bmtk", "bmtk", 1)]
        results = {}
        for name, simulator, threads in plan:
            results[name] = run(name, simulator, threads, config, workdir, args.timeout)
            print(f"{name}: done, total {results[name]['total']:.1f} s", flush=True)
        print(table(results, args.tstop, args.cells))
        print("simlib 1 vs 2 threads:", compare(results["simlib_t1"]["spikes"], results["simlib_t2"]["spikes"]))
        if args.repeat:
            print("simlib 1 thread, run twice:", compare(results["simlib_t1"]["spikes"],
                                                        results["simlib_t1b"]["spikes"]))
        if "bmtk" in results:
            print("simlib vs bmtk:", compare(results["simlib_t1"]["spikes"], results["bmtk"]["spikes"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        main()
