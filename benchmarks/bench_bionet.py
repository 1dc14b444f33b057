"""BioNet benchmark: simlib's simulator against bmtk's (the reference) on the tutorial L4 network.

    python benchmarks/bench_bionet.py                          # 2,000 ms, every variant
    python benchmarks/bench_bionet.py --tstop 200 --variants bmtk merge
    python benchmarks/bench_bionet.py --skip-bmtk              # simlib variants only

The seed-001 tutorial network (V1: 300 Allen perisomatic cells; LGN: 100 virtual cells) is built
with bmtk's own NetworkBuilder, driven by the tutorial's 8 Hz Poisson LGN input from bmtk's
PoissonSpikeGenerator, and simulated from one BMTK config per variant, all on the same network
files and bmtk's packaged components:
  bmtk        bmtk BioNet (tests/bionet/bmtk_run.py), phases timed by wrapping bmtk's methods
  merge       python -m simlib simulate, run.merge_synapses = true
  nomerge     python -m simlib simulate, run.merge_synapses = false
  coreneuron  python -m simlib simulate, run.backend = "coreneuron"
bmtk, merge and nomerge load the same library: bmtk's mod files compiled once. bmtk's NaV.mod does
not compile with ``nrnivmodl -coreneuron``, so the coreneuron variant loads simlib's own mod files
(simlib.mechanisms.MOD_DIR) compiled with -coreneuron; if that fails the variant is skipped.

Each run is its own process (tree); peak memory is the summed RSS of that tree, sampled every
0.1 s. Phase timings (s) come from bmtk_run.py and from ``simlib simulate --timings``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "bionet"))

import bmtk_oracle as oracle  # test/benchmark-only helper; imports bmtk lazily

VARIANTS = ("bmtk", "merge", "nomerge", "coreneuron")
RUN_EXTRA = {"merge": {"merge_synapses": True, "backend": "neuron"},
             "nomerge": {"merge_synapses": False, "backend": "neuron"},
             "coreneuron": {"merge_synapses": True, "backend": "coreneuron"}}
ROWS = (*oracle.PHASES, "wall_s", "peak_rss_mb")


def prepare(workdir: Path, tstop_ms: float, seed: int) -> dict:
    """Network, LGN spikes and the bmtk-mod-file library, shared by every variant."""
    network = oracle.write_l4_network(workdir / "network", seed=seed)
    lgn = oracle.write_poisson_input(workdir / "inputs" / "lgn_spikes.poisson.h5", range(100), 8.0,
                                     tstop_ms / 1000.0, seed=seed, population="LGN")
    print(f"network: {network} (bmtk NetworkBuilder); LGN input: {lgn} (bmtk PoissonSpikeGenerator, 8 Hz)",
          flush=True)
    mech = oracle.compile_bmtk_mechanisms(workdir / "nrnmech" / "bmtk")
    print(f"mechanisms: bmtk's mod files compiled once in {mech}", flush=True)
    return {"network": network, "lgn": lgn, "bmtk_mech": mech}


def coreneuron_mechanisms(workdir: Path) -> tuple[Path | None, str]:
    """simlib's mod files compiled with -coreneuron, or (None, why not)."""
    from simlib.errors import SimlibError
    from simlib.mechanisms import MOD_DIR, compile_mechanisms

    try:
        lib = compile_mechanisms(MOD_DIR, output_dir=workdir / "nrnmech" / "simlib-coreneuron", coreneuron=True)
    except SimlibError as err:
        return None, f"nrnivmodl -coreneuron failed on simlib's mod files: {str(err).splitlines()[0]}"
    return oracle.nrnmech_dir(lib), f"simlib's own mod files ({MOD_DIR}) compiled with -coreneuron"


def write_config(workdir: Path, variant: str, shared: dict, mech_dir: Path, tstop_ms: float) -> Path:
    return oracle.write_bmtk_config(
        workdir / f"config.{variant}.json", shared["network"], oracle.bmtk_components_dir(), mech_dir,
        workdir / f"output.{variant}", tstop_ms, inputs={"LGN_spikes": oracle.spikes_input(shared["lgn"], "LGN")},
        run_extra=RUN_EXTRA.get(variant))


def run_simlib(config: Path, ranks: int, timeout: float) -> dict:
    timings_path = config.with_suffix(".timings.json")
    timings_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "simlib", "simulate", str(config), "--timings", str(timings_path)]
    if ranks > 1:
        command = [oracle.mpiexec(), "-n", str(ranks), *command]
    measured = oracle.run_tracked(command, cwd=config.parent, env=oracle._env(mpi=ranks > 1), timeout=timeout,
                                  log_path=config.with_suffix(".log"))
    if not timings_path.is_file():
        raise oracle.OracleError(f"simlib simulate wrote no timings file {timings_path}")
    output_dir = Path(json.loads(config.read_text())["output"]["output_dir"])
    return {"timings": json.loads(timings_path.read_text()), **measured, "spikes_file": output_dir / "spikes.h5"}


def summarize(result: dict, nodes, tstop_ms: float) -> dict:
    row = {key: result["timings"].get(key) for key in oracle.PHASES}
    row["wall_s"], row["peak_rss_mb"] = result["wall_s"], result["peak_rss_mb"]
    spikes = oracle.read_spikes(result["spikes_file"], population="V1")
    row["n_spikes"] = len(spikes[0])
    row["rates_hz"] = oracle.population_rates(spikes, nodes, "pop_name", 0.0, tstop_ms)
    return row


def print_table(rows: dict) -> None:
    names = list(rows)
    header = f"{'phase':>12}" + "".join(f"{n:>12}" for n in names)
    has_ref = "bmtk" in rows
    if has_ref:
        header += "".join(f"{'bmtk/' + n:>16}" for n in names if n != "bmtk")
    print("\n" + header)
    for key in ROWS:
        line = f"{key:>12}" + "".join(f"{_fmt(rows[n].get(key)):>12}" for n in names)
        if has_ref:
            for n in names:
                if n != "bmtk":
                    ref, val = rows["bmtk"].get(key), rows[n].get(key)
                    ratio = f"{ref / val:.1f}x" if ref is not None and val else ""
                    line += f"{ratio:>16}"
        print(line)
    pops = sorted({p for r in rows.values() for p in r["rates_hz"]})
    print(f"\n{'rate (Hz)':>12}" + "".join(f"{n:>12}" for n in names))
    for pop in pops:
        print(f"{pop:>12}" + "".join(f"{_fmt(rows[n]['rates_hz'].get(pop)):>12}" for n in names))
    print(f"{'V1 spikes':>12}" + "".join(f"{rows[n]['n_spikes']:>12}" for n in names))


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tstop", type=float, default=2000.0, help="simulated time (ms); default 2000")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--skip-bmtk", action="store_true", help="leave out the bmtk run")
    parser.add_argument("--ranks", type=int, default=1, help="MPI ranks per run (mpiexec -n); default 1")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network and the LGN spikes")
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temporary folder)")
    parser.add_argument("--timeout", type=float, default=7200.0, help="seconds allowed per run")
    args = parser.parse_args()
    variants = [v for v in args.variants if not (args.skip_bmtk and v == "bmtk")]
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        run(args, variants, args.workdir.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="bench_bionet-") as tmp:
            run(args, variants, Path(tmp))


def run(args, variants: list[str], workdir: Path) -> None:
    shared = prepare(workdir, args.tstop, args.seed)
    nodes = oracle.read_nodes(shared["network"], "V1")
    rows, failures = {}, {}
    for variant in variants:
        mech = shared["bmtk_mech"]
        if variant == "coreneuron":
            mech, note = coreneuron_mechanisms(workdir)
            print(f"coreneuron variant: {note}", flush=True)
            if mech is None:
                failures[variant] = f"skipped: {note}"
                continue
        config = write_config(workdir, variant, shared, mech, args.tstop)
        print(f"running {variant} ({args.tstop:g} ms, {args.ranks} rank(s)) ...", flush=True)
        try:
            result = (oracle.run_bmtk(config, ranks=args.ranks, timeout=args.timeout) if variant == "bmtk"
                      else run_simlib(config, args.ranks, args.timeout))
        except oracle.OracleError as err:
            failures[variant] = f"failed: {err}"
            print(f"  {variant} failed; log beside {config}", flush=True)
            continue
        rows[variant] = summarize(result, nodes, args.tstop)
        print(f"  done in {rows[variant]['wall_s']:.1f} s", flush=True)
    (workdir / "results.json").write_text(json.dumps({"tstop_ms": args.tstop, "ranks": args.ranks, "rows": rows,
                                                      "failures": failures}, indent=1, default=str))
    if rows:
        print(f"\nL4 tutorial network, {args.tstop:g} ms, {args.ranks} rank(s); times in s, memory in MB "
              "(peak summed RSS of the run's processes)")
        print_table(rows)
    for variant, why in failures.items():
        print(f"\n{variant}: {why[:3000]}")
    print(f"\nfiles and results.json in {workdir}")


if __name__ == "__main__":
    main()
