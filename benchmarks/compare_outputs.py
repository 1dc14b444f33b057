"""Run the tiny workflow at two git revisions and compare every result file byte for byte.

For refactors that must not change behaviour: each revision is checked out into its own folder
(``git worktree``), its workflow runs with its own simlib first on ``PYTHONPATH``, and the SHA-256 of
every file under ``results/`` is compared (log files and compiled mechanisms excepted: they name
absolute paths and times).

    python benchmarks/compare_outputs.py --before cc70ca2            # against the work tree
    python benchmarks/compare_outputs.py --before cc70ca2 --after HEAD
    python benchmarks/compare_outputs.py --before cc70ca2 --keep /tmp/cmp   # keep both run folders

Exit status 0 when every file is identical, 1 otherwise (the differing files are listed).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOT_COMPARED = ("results/mechanisms/", "/log.txt", ".snakemake_timestamp")
WORKFLOW_FILES = ("Snakefile", "rules", "scripts", "config", "envs", "examples", "report", "simlib")


def checkout(revision: str | None, dest: Path) -> Path:
    """The workflow files of ``revision`` (None: the work tree as it is) in ``dest``."""
    if revision is None:
        dest.mkdir(parents=True)
        for item in WORKFLOW_FILES:
            src = REPO / item
            (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / item)
    else:
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--force", str(dest), revision],
                       check=True, capture_output=True)
    return dest


def run_workflow(tree: Path, configfile: str, cores: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), "--workflow-profile", "none",
                           "--configfile", configfile], cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"workflow failed in {tree}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def digests(tree: Path) -> dict[str, str]:
    out = {}
    for path in sorted((tree / "results").rglob("*")):
        rel = path.relative_to(tree).as_posix()
        if path.is_file() and not any(part in rel for part in NOT_COMPARED):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git revision of the reference run")
    parser.add_argument("--after", default=None, help="git revision to compare (default: the work tree)")
    parser.add_argument("--configfile", default="config/tiny.yaml")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep both runs in")
    args = parser.parse_args(argv)

    root = args.keep or Path(tempfile.mkdtemp(prefix="compare_outputs_"))
    root.mkdir(parents=True, exist_ok=True)
    trees = {}
    try:
        for label, revision in (("before", args.before), ("after", args.after)):
            tree = checkout(revision, root / label)
            seconds = run_workflow(tree, args.configfile, args.cores)
            trees[label] = digests(tree)
            print(f"{label} ({revision or 'work tree'}): {len(trees[label])} result files, workflow {seconds:.0f} s")
    finally:
        for label in ("before", "after"):
            if (root / label / ".git").is_file():
                if args.keep is None:
                    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(root / label)],
                                   capture_output=True)
        if args.keep is None:
            subprocess.run(["git", "-C", str(REPO), "worktree", "prune"], capture_output=True)
            shutil.rmtree(root, ignore_errors=True)
    before, after = trees["before"], trees["after"]
    only_before, only_after = sorted(set(before) - set(after)), sorted(set(after) - set(before))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    for name, items in (("only before", only_before), ("only after", only_after), ("different", changed)):
        for item in items:
            print(f"{name}: {item}")
    same = len(set(before) & set(after)) - len(changed)
    print(f"{same} identical, {len(changed)} different, {len(only_before)} only before, {len(only_after)} only after")
    return 0 if not (only_before or only_after or changed) else 1


if __name__ == "__main__":
    sys.exit(main())
