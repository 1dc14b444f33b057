"""Network-builder benchmark: simlib against bmtk (the reference) in one run, ratios printed.

    python benchmarks/bench_builder.py                 # seed L4 rules at x1, x4, x10 + 50k-cell network
    python benchmarks/bench_builder.py --scales 1 4     # fewer scales
    python benchmarks/bench_builder.py --skip-bmtk      # simlib only
    python benchmarks/bench_builder.py --v1             # only the V1-scale build (230,000 nodes, ~70 M edges)

Each measurement runs in its own Python process (wall time of build + save, the process's CPU
time, counting every thread, and its peak resident memory). Variants:
  bmtk            examples/l4_network_script.py (per-pair rule functions) with bmtk's NetworkBuilder
  simlib-perpair  the same script with simlib's NetworkBuilder (BMTK-compatible path; rule functions
                  whose code allows it run on arrays, see simlib.builder.pair_program)
  simlib          the built-in l4_tutorial model (vectorised rules)
  ...-bmtkz       the same with BMTK's file compression: zlib's gzip level 4, no shuffle, on one core
                  (simlib's default is ISA-L's deflate at its level 1 after shuffle, compressed on a
                  thread per core), so the ratio shows the builder and not the file filter
The machine is shared and noisy: the CPU column is steadier than wall time under load.
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

REPO = Path(__file__).resolve().parents[1]


def bmtk_compression() -> None:
    """Make this (child) process write as BMTK does: gzip level 4 without shuffle, on one core."""
    import os

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})   # one compression thread, on the main core

    def h5_compression(compression, dtype=None, size: int = 1) -> dict:
        if size == 0 or compression is None or compression is False or compression == "none":
            return {}
        return {"compression": "gzip", "compression_opts": 4}

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("simlib") and hasattr(module, "h5_compression"):
            module.h5_compression = h5_compression
    import simlib.sonata.chunked

    simlib.sonata.chunked.DEFLATE = "zlib"   # HDF5's own deflate (zlib), not ISA-L's


def child(variant: str, scale: float, out: str) -> None:
    import numpy as np  # noqa: F401  (imports are not timed)

    import simlib.builder
    from simlib.models import build_from_script, build_model

    if variant.endswith("-bmtkz"):
        bmtk_compression()
        variant = variant[: -len("-bmtkz")]

    if variant == "bmtk":
        import bmtk.builder.networks  # test/benchmark-only oracle

        simlib.builder.NetworkBuilder = bmtk.builder.networks.NetworkBuilder  # the script imports it by name
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    if variant == "simlib":
        build_model("l4_tutorial", out, seed=1, scale=scale)
    elif variant in ("simlib-perpair", "bmtk"):
        build_from_script(REPO / "examples" / "l4_network_script.py", out, seed=1, scale=scale)
    elif variant == "distance50k":
        from simlib.builder import DistanceRule, NetworkBuilder

        n = int(50_000 * scale)
        rng = np.random.default_rng(0)
        side = (n / 1e5) ** (1 / 3) * 1000.0  # 100,000 cells per mm^3, a cube of cortex
        net = NetworkBuilder("cortex", seed=0)
        net.add_nodes(N=n, x=rng.uniform(0, side, n), y=rng.uniform(0, side, n), z=rng.uniform(0, side, n),
                      model_type="biophysical", pop_name="pyr")
        sigma = 75.0
        net.add_edges(connection_rule=DistanceRule(lambda d: 0.2 * np.exp(-d**2 / (2 * sigma**2)), 3 * sigma,
                                                   nsyns=(1, 9)),
                      syn_weight=1e-4, delay=1.5, model_template="exp2syn", dynamics_params="ExcToExc.json")
        net.build()
        cm = net.connection_maps[0]
        net.save(output_dir=out)
        print(json.dumps({"synapses_per_cell": float(cm.nsyns.sum() / n), "connections": int(cm.nsyns.size)}),
              file=sys.stderr)
    elif variant == "v1":
        from v1_network import build_v1       # benchmarks/v1_network.py

        print(json.dumps(build_v1(out, seed=int(scale))), file=sys.stderr)
    elif variant == "v1-check":
        from v1_network import check_v1

        print(json.dumps(check_v1(out)), file=sys.stderr)
    else:
        raise SystemExit(f"unknown variant {variant}")
    elapsed = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"seconds": elapsed, "cpu_seconds": _cpu_seconds() - cpu0, "peak_mb": peak_mb}))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(variant: str, scale: float, repeats: int = 1) -> dict:
    """Best (fastest) of `repeats` runs, each in a fresh process; its own peak memory."""
    runs = [_measure_once(variant, scale) for _ in range(repeats)]
    return min(runs, key=lambda r: r["seconds"])


def _measure_once(variant: str, scale: float, out: str | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, __file__, "--child", variant, str(scale), out or tmp],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{variant} x{scale} failed:\n{proc.stderr[-2000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        extra = [line for line in proc.stderr.splitlines() if line.startswith("{")]
        if extra:
            result.update(json.loads(extra[-1]))
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 4, 10])
    parser.add_argument("--repeats", type=int, default=2, help="runs per measurement; the fastest is kept "
                        "(the 2-core machines are noisy)")
    parser.add_argument("--skip-bmtk", action="store_true")
    parser.add_argument("--skip-50k", action="store_true")
    parser.add_argument("--v1", action="store_true", help="only the V1-scale build (230,000 nodes, ~70 M edges)")
    parser.add_argument("--v1-dir", help="keep the V1-scale files here (default: a temporary folder)")
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "SCALE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], float(args.child[1]), args.child[2])
        return
    if args.v1:
        v1_benchmark(args.v1_dir)
        return
    print(f"{'scale':>5} {'V1 cells':>8} {'variant':>21} {'time (s)':>9} {'CPU (s)':>8} {'peak (MB)':>10} "
          f"{'speed-up vs bmtk':>17} {'(CPU)':>7} {'memory vs bmtk':>15}")
    variants = ["simlib-perpair", "simlib-perpair-bmtkz", "simlib", "simlib-bmtkz"]
    for scale in args.scales:
        rows = {}
        for variant in ([] if args.skip_bmtk else ["bmtk"]) + variants:
            rows[variant] = measure(variant, scale, args.repeats)
        for variant, r in rows.items():
            ratio_t = ratio_c = ratio_m = ""
            if "bmtk" in rows and variant != "bmtk":
                ratio_t = f"{rows['bmtk']['seconds'] / r['seconds']:.1f}x"
                ratio_c = f"{rows['bmtk']['cpu_seconds'] / r['cpu_seconds']:.1f}x"
                ratio_m = f"{r['peak_mb'] / rows['bmtk']['peak_mb']:.2f}"
            print(f"{scale:>5g} {int(300 * scale):>8} {variant:>21} {r['seconds']:>9.2f} {r['cpu_seconds']:>8.2f} "
                  f"{r['peak_mb']:>10.0f} {ratio_t:>17} {ratio_c:>7} {ratio_m:>15}", flush=True)
    if not args.skip_50k:
        r = measure("distance50k", 1.0, args.repeats)
        print(f"\n50,000-cell distance-dependent network (KD-tree DistanceRule): {r['seconds']:.1f} s, "
              f"peak {r['peak_mb']:.0f} MB, {r['connections']:,} connections, "
              f"{r['synapses_per_cell']:.0f} synapses per cell")


def v1_benchmark(keep_dir: str | None) -> None:
    """Build and save the V1-scale network in a child, then read it back (simlib and bmtk) in another."""
    with tempfile.TemporaryDirectory() as tmp:
        out = keep_dir or tmp
        Path(out).mkdir(parents=True, exist_ok=True)
        r = _measure_once("v1", 0, out)
        print(f"V1-scale network: {r['nodes']:,} nodes in {r['populations']} populations, {r['edges']:,} edges "
              f"(SONATA rows, each with nsyns >= 1), {r['synapses']:,} synapses, {r['files_mb']:.0f} MB of files")
        print(f"  build + save: {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, peak RSS "
              f"{r['peak_mb'] / 1024:.2f} GB, {r['edges'] / r['seconds'] / 1e6:.2f} M edges/s "
              f"(build {r['build_seconds']:.1f} s, save {r['save_seconds']:.1f} s)", flush=True)
        c = _measure_once("v1-check", 0, out)
        print(f"  read back: simlib {c['simlib_edges']:,} edges (index checked on {c['simlib_checked_nodes']} nodes), "
              f"bmtk {c['bmtk_edges']:,} edges; first edges agree: {c['agree']} ({c['seconds']:.1f} s)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
