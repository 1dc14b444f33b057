"""A workflow run killed (SIGKILL of Snakemake and its jobs) while it builds a network and while it simulates:
after `--unlock` and a rerun with `--rerun-incomplete`, the results are byte-identical to an uninterrupted run."""

import hashlib
import os
import signal
import subprocess
import time

import pytest
import yaml
from test_workflow import SNAKEMAKE, run, workflow_copy

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

NOT_COMPARED = ("results/mechanisms/", "/log.txt", ".snakemake_timestamp")


def small_config(wf):
    """config/tiny.yaml cut to one network, its LGN spikes and one 2-rank BioNet run (2 s) with its figures."""
    config = yaml.safe_load((wf / "config/tiny.yaml").read_text())
    config["networks"] = {"l4": config["networks"]["l4"]}
    config["spikes"] = {"lgn_poisson": config["spikes"]["lgn_poisson"]}
    config["components"] = {"offline": config["components"]["offline"]}
    # 2 s of simulated time (the input stops at 0.5 s): the run lasts long enough to be killed mid-way anywhere
    config["simulations"] = {"l4_poisson": {**config["simulations"]["l4_poisson"], "tstop_ms": 2000.0}}
    config["figures"] = {"rasters": {"lgn_poisson": config["figures"]["rasters"]["lgn_poisson"]}}
    for key in ("point_networks", "population_networks", "sweeps", "filternet"):
        config.pop(key, None)
    (wf / "config/small.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def results(wf) -> dict[str, str]:
    out = {}
    for path in sorted((wf / "results").rglob("*")):
        rel = path.relative_to(wf).as_posix()
        if path.is_file() and not any(part in rel for part in NOT_COMPARED):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def run_and_kill_when(wf, pattern: str, after_s: float):
    """Start the workflow and SIGKILL its whole process group ``after_s`` after a file matching ``pattern`` (a glob
    under the workflow folder) appears."""
    proc = subprocess.Popen([*SNAKEMAKE, "--cores", "2", "--configfile", "config/small.yaml", "--rerun-incomplete"],
                            cwd=wf, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while not any(wf.glob(pattern)):
            assert proc.poll() is None, f"the workflow ended before {pattern} appeared"
            assert time.monotonic() < deadline, f"{pattern} did not appear"
            time.sleep(0.02)
        time.sleep(after_s)
        assert proc.poll() is None, f"the workflow ended within {after_s} s of {pattern}"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_killed_workflow_reruns_to_the_same_files(repo, tmp_path):
    (tmp_path / "ref").mkdir()
    (tmp_path / "killed").mkdir()
    ref = workflow_copy(repo, tmp_path / "ref")
    small_config(ref)
    run(ref, "--configfile", "config/small.yaml")
    expected = results(ref)
    assert "results/sims/l4_poisson/output/spikes.h5" in expected and "results/manifest.json" in expected

    wf = workflow_copy(repo, tmp_path / "killed")
    small_config(wf)
    run_and_kill_when(wf, "logs/build_network/l4.log", 0.3)         # while the network is written
    run(wf, "--unlock", "--configfile", "config/small.yaml")
    # while the 2 ranks integrate: the membrane report is open (its temporary file) for the 2 s of simulated time
    run_and_kill_when(wf, "results/sims/l4_poisson/output/.membrane_potential.h5.*", 0.3)
    assert not (wf / "results/sims/l4_poisson/output/spikes.h5").exists()     # killed before the run ended
    run(wf, "--unlock", "--configfile", "config/small.yaml")
    run(wf, "--configfile", "config/small.yaml", "--rerun-incomplete")
    assert results(wf) == expected
    leftovers = [p for p in (wf / "results").rglob("*") if ".tmp" in p.name or ".part" in p.name]
    assert not leftovers, leftovers
