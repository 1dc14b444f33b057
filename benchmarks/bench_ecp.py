"""ECP benchmark: the cost of the extracellular report in simlib and in bmtk, on the tutorial L4 network.

    python benchmarks/bench_ecp.py                        # 2,000 ms, all four runs (bmtk with ECP: ~30 min here)
    python benchmarks/bench_ecp.py --tstop 500
    python benchmarks/bench_ecp.py --skip-bmtk            # simlib with and without ECP only

The network, LGN input, components and mod library are those of bench_bionet.py (bmtk-built L4
tutorial network, 8 Hz Poisson LGN, bmtk's packaged Allen components, bmtk's mod files compiled
once). Four runs, each its own process tree, from one config each on the same files:
  simlib       python -m simlib simulate, no report
  simlib_ecp   the same with the seed's ECP report (linear electrode, 10 channels, y 0-900 µm)
  bmtk         bmtk BioNet, no report
  bmtk_ecp     bmtk BioNet with the ECP report (cells {"population": "V1"}: the seed's filter matches
               no cell in bmtk 1.2 on pandas 3 and its run would measure nothing)
Printed: wall time, simulate phase and peak memory of each run, the ECP overhead of each simulator
(ECP run / plain run), simlib's speed-up over bmtk with ECP, and the largest difference between
the two ECP files (simlib's row k+1 against bmtk's row k).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "bionet"))
sys.path.insert(0, str(REPO / "benchmarks"))

import bmtk_oracle as oracle  # noqa: E402  (test/benchmark-only helper; imports bmtk lazily)
from bench_bionet import prepare, run_simlib  # noqa: E402

RUNS = ("simlib", "simlib_ecp", "bmtk", "bmtk_ecp")


def write_config(workdir: Path, run: str, shared: dict, tstop_ms: float, electrode: Path) -> Path:
    reports = {}
    if run.endswith("_ecp"):
        cells = {"population": "V1"} if run.startswith("bmtk") else {"population": "V1", "model_type": "biophysical"}
        reports = {"ecp": {"module": "extracellular", "variable_name": "v", "cells": cells,
                           "electrode_positions": str(electrode), "file_name": "ecp.h5",
                           "electrode_channels": "all"}}
    return oracle.write_bmtk_config(
        workdir / f"config.{run}.json", shared["network"], oracle.bmtk_components_dir(), shared["bmtk_mech"],
        workdir / f"output.{run}", tstop_ms, inputs={"LGN_spikes": oracle.spikes_input(shared["lgn"], "LGN")},
        reports=reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tstop", type=float, default=2000.0, help="simulated time (ms); default 2000")
    parser.add_argument("--skip-bmtk", action="store_true", help="simlib runs only")
    parser.add_argument("--ranks", type=int, default=1, help="MPI ranks per run; default 1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temporary folder)")
    parser.add_argument("--timeout", type=float, default=14400.0, help="seconds allowed per run")
    args = parser.parse_args()
    runs = [r for r in RUNS if not (args.skip_bmtk and r.startswith("bmtk"))]
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        bench(args, runs, args.workdir.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="bench_ecp-") as tmp:
            bench(args, runs, Path(tmp))


def bench(args, runs: list[str], workdir: Path) -> None:
    from simlib.models.components import LINEAR_ELECTRODE
    from simlib.sonata.ecp import read_ecp, write_electrodes

    shared = prepare(workdir, args.tstop, args.seed)
    electrode = write_electrodes(workdir / "linear_electrode.csv", [r[0] for r in LINEAR_ELECTRODE],
                                 [r[1:] for r in LINEAR_ELECTRODE])
    rows = {}
    for run in runs:
        config = write_config(workdir, run, shared, args.tstop, electrode)
        print(f"running {run} ({args.tstop:g} ms, {args.ranks} rank(s)) ...", flush=True)
        result = (oracle.run_bmtk(config, ranks=args.ranks, timeout=args.timeout) if run.startswith("bmtk")
                  else run_simlib(config, args.ranks, args.timeout))
        rows[run] = {"wall_s": result["wall_s"], "simulate_s": result["timings"].get("simulate"),
                     "setup_s": result["timings"].get("setup"), "peak_rss_mb": result["peak_rss_mb"]}
        print(f"  done in {rows[run]['wall_s']:.1f} s", flush=True)
    print(f"\nL4 tutorial network (300 Allen cells), {args.tstop:g} ms, {args.ranks} rank(s)")
    print(f"{'run':>12}{'wall (s)':>12}{'setup (s)':>12}{'simulate (s)':>14}{'peak MB':>10}")
    for run, row in rows.items():
        print(f"{run:>12}{row['wall_s']:>12.1f}{row['setup_s'] or 0:>12.1f}{row['simulate_s'] or 0:>14.1f}"
              f"{row['peak_rss_mb']:>10.0f}")
    print()
    for sim in ("simlib", "bmtk"):
        if sim in rows and f"{sim}_ecp" in rows:
            plain, ecp = rows[sim], rows[f"{sim}_ecp"]
            print(f"{sim}: ECP run / plain run: wall {ecp['wall_s'] / plain['wall_s']:.3f}x, simulate "
                  f"{ecp['simulate_s'] / plain['simulate_s']:.3f}x, "
                  f"memory {ecp['peak_rss_mb'] / plain['peak_rss_mb']:.2f}x")
    if "bmtk_ecp" in rows and "simlib_ecp" in rows:
        print(f"with ECP, bmtk / simlib: wall {rows['bmtk_ecp']['wall_s'] / rows['simlib_ecp']['wall_s']:.1f}x, "
              f"simulate {rows['bmtk_ecp']['simulate_s'] / rows['simlib_ecp']['simulate_s']:.1f}x")
        mine = read_ecp(workdir / "output.simlib_ecp" / "ecp.h5").data_mv
        theirs = read_ecp(workdir / "output.bmtk_ecp" / "ecp.h5").data_mv
        scale = abs(theirs).max()
        print(f"ECP files: max |simlib[k+1] - bmtk[k]| = {abs(mine[1:] - theirs[:-1]).max() / scale:.2e} of the "
              f"largest |ECP| ({scale:.3f} mV)")
    (workdir / "results.json").write_text(json.dumps({"tstop_ms": args.tstop, "rows": rows}, indent=1))
    print(f"\nfiles and results.json in {workdir}")


if __name__ == "__main__":
    main()
