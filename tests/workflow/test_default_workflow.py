"""The README's main command: the default config (config/config.yaml) plans the jobs and files the README lists.

The full default run takes several minutes on two cores; CI runs its dry run here (every rule's
inputs, params and wildcards resolved against the default config), and the README's table of
outputs is checked against the workflow's targets in both directions.
"""

import re
import subprocess
import sys

import pytest
from workflow_configs import load_config

from simlib.workflow import specs

pytestmark = pytest.mark.workflow

# rule -> jobs of the default config, as the README describes it (10 BioNet runs, 2 PointNet, 1 PopNet,
# a sweep of 4 LGN rates x 2 seeds, ...)
DEFAULT_JOBS = {"build_network": 3, "cell_models": 2, "compile_mechanisms": 1, "filternet": 1, "make_spikes": 4,
                "network_figure": 6, "point_network": 1, "population_network": 1, "sweep_point": 8,
                "write_sim_config": 13, "raster": 3, "simulate": 10, "sweep_table": 1, "sim_raster": 12,
                "sim_rates": 12, "simulate_point": 2, "simulate_population": 1, "population_rates": 1,
                "population_rates_figure": 1, "resolutions_figure": 1, "sim_ecp_figure": 4,
                "sim_rates_comparison": 1, "sim_traces": 2, "manifest": 1, "all": 1}


def readme_outputs(repo) -> list[str]:
    """The paths of the README's 'What the default workflow produces' table (first column, results/ only)."""
    text = repo.joinpath("README.md").read_text()
    section = text.split("## What the default workflow produces", 1)[1].split("\n## ", 1)[0]
    paths = []
    for line in section.splitlines():
        if line.startswith("| `results/"):
            cell = line.split("|")[1]
            names = re.findall(r"`([^`]+)`", cell)
            first = names[0]
            paths.append(first)
            folder = first.rsplit("/", 1)[0]
            for name in names[1:]:   # another file of the folder, or the first with another suffix (`.csv`)
                if name.startswith("results/"):
                    paths.append(name)
                elif name.startswith("."):
                    paths.append(first.rsplit(".", 1)[0] + name)
                else:
                    paths.append(f"{folder}/{name}")
    return paths


def pattern(path: str) -> re.Pattern:
    """A README path as a regex: ``<name>`` any one folder or file name, ``{a,b}`` either, a trailing ``/`` a folder."""
    out = ""
    for part in re.split(r"(<[^>]+>|\{[^}]*\})", path):
        if part.startswith("<"):
            out += r"[^/]+"
        elif part.startswith("{"):
            out += "(?:" + "|".join(re.escape(p) for p in part[1:-1].split(",")) + ")"
        else:
            out += re.escape(part)
    return re.compile(out[:-1] + "(?:/.*)?" if path.endswith("/") else out)


def test_readme_table_and_the_default_targets_agree(repo):
    config = load_config(repo, "config.yaml")
    targets = specs.all_targets(config, arch="x86_64")
    paths = readme_outputs(repo)
    assert len(paths) > 30
    patterns = [pattern(p) for p in paths]
    unlisted = [t for t in targets if not any(p.fullmatch(t) for p in patterns)]
    assert not unlisted, f"targets of the default config the README's table does not list: {unlisted}"
    for path in paths:   # a target, or a file in a folder the workflow writes targets into
        folder = pattern(path.rstrip("/").rsplit("/", 1)[0] + "/")
        made = any(pattern(path).fullmatch(t) for t in targets) or any(folder.fullmatch(t) for t in targets)
        assert made, f"README lists {path}, which no target of the default config makes or holds"


def test_dry_run_of_the_default_config(repo, tmp_path):
    from test_workflow import planned_counts, workflow_copy

    wf = workflow_copy(repo, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--dry-run", "--configfile",
                           "config/config.yaml"], cwd=wf, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert planned_counts(proc.stdout + proc.stderr) == DEFAULT_JOBS
