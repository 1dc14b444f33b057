"""The default workflow's wall time from scratch, and where it goes (per rule).

    python benchmarks/bench_default_workflow.py               # config/config.yaml on 2 cores
    python benchmarks/bench_default_workflow.py --cores 4 --configfile config/tiny.yaml

The repository's tracked files (as in a fresh clone, uncommitted edits included) are copied
into a temporary folder and Snakemake runs there with this Python's environment, so nothing
of an earlier run is reused. Printed: the total wall time, then per rule the number of jobs,
the sum and the maximum of their wall times (from Snakemake's log), busiest first. Issue 16
asks for the default run under 5 minutes on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAMP = re.compile(r"^\[(\w{3} \w{3}\s+\d+ [\d:]+ \d{4})\]$")


def rule_times(log_text: str) -> dict[str, list[float]]:
    """Per rule, the wall times (s) of its jobs, from a Snakemake log (start and "Finished jobid" stamps)."""
    now = None
    rule = None
    started: dict[str, tuple[str, datetime.datetime]] = {}
    times: dict[str, list[float]] = collections.defaultdict(list)
    for line in log_text.splitlines():
        if m := STAMP.match(line):
            now = datetime.datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif m := re.match(r"^(?:local)?rule (\S+):$", line):
            rule = m.group(1)
        elif (m := re.match(r"^\s+jobid: (\d+)$", line)) and rule:
            started[m.group(1)] = (rule, now)
            rule = None
        elif m := re.match(r"^Finished jobid: (\d+)", line):
            name, t0 = started[m.group(1)]
            times[name].append((now - t0).total_seconds())
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--configfile", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = parser.parse_args()

    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    work = Path(tempfile.mkdtemp(prefix="bench_workflow_"))
    for name in filter(None, files.decode().split("\0")):
        src = REPO / name
        if src.is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, work / name)
    snakemake = Path(sys.executable).with_name("snakemake")
    command = [str(snakemake), "--cores", str(args.cores)]
    if args.configfile:
        command += ["--configfile", args.configfile]
    env = {**os.environ, "PYTHONPATH": str(work)}   # the copy's simlib, not an editable install's
    t0 = time.perf_counter()
    proc = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"snakemake failed (exit {proc.returncode}) in {work}:\n{proc.stderr[-3000:]}")
    log = max((work / ".snakemake" / "log").glob("*.snakemake.log"))
    times = rule_times(log.read_text())
    jobs = sum(len(v) for v in times.values())
    print(f"{args.configfile or 'config/config.yaml'} on {args.cores} cores: {jobs} jobs in {wall:.0f} s "
          f"({int(wall // 60)} min {wall % 60:.0f} s)")
    print(f"{'rule':28s} {'jobs':>5s} {'sum s':>7s} {'max s':>6s}")
    for name, ts in sorted(times.items(), key=lambda kv: -sum(kv[1])):
        print(f"{name:28s} {len(ts):5d} {sum(ts):7.0f} {max(ts):6.0f}")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
