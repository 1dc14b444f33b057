"""The workflow on SLURM: profiles/slurm's dry run without a cluster, and the tiny workflow on a real
one-node SLURM cluster (started by the test) through profiles/slurm-local, compared with a local run."""

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from slurm_cluster import SlurmCluster, install_if_missing, unavailable_reason
from test_workflow import workflow_copy as workflow_files

from simlib.spikes import SpikeTrains

pytestmark = pytest.mark.workflow
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# profiles/default is Snakemake's workflow profile, read on every run and overriding --profile: left out
SLURM_LOCAL = [*SNAKEMAKE, "--profile", "profiles/slurm-local", "--workflow-profile", "none"]
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+)")
FINISHED = re.compile(r"Finished jobid: (\d+) \(Rule: (\w+)\)")
JOB_HEADER = re.compile(r"^(local)?rule (\w+):\n((?:    .*\n)*)", re.MULTILINE)


def workflow_copy(repo: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    workflow_files(repo, dest)
    shutil.copytree(repo / "profiles", dest / "profiles")
    return dest


def job_names(log: str) -> dict[str, bool]:
    """{name: ran locally} of every job a Snakemake log starts, named as the SLURM executor comments its jobs
    (``rule_simulate_wildcards_l4_poisson``)."""
    names = {}
    for local, rule, header in JOB_HEADER.findall(log):
        wildcards = re.search(r"^    wildcards: (.*)$", header, re.MULTILINE)
        values = [item.split("=", 1)[1] for item in wildcards.group(1).split(", ")] if wildcards else []
        names[f"rule_{rule}" + (f"_wildcards_{'_'.join(values)}".replace("/", "_") if values else "")] = bool(local)
    return names


def planned_job(dry_run: str, rule: str, sim: str) -> str:
    """The block a dry run prints for one job: resources and shell command."""
    for block in dry_run.split("\nrule ")[1:]:
        if block.startswith(f"{rule}:") and f"wildcards: sim={sim}\n" in block:
            return block
    raise AssertionError(f"no {rule} job for {sim} in the dry run:\n{dry_run[-3000:]}")


def test_slurm_profile_dry_run_without_cluster(repo, tmp_path, monkeypatch):
    """profiles/slurm plans the workflow with its resources and srun on a machine without SLURM; locally, mpiexec."""
    monkeypatch.delenv("SLURM_CONF", raising=False)
    wf = workflow_copy(repo, tmp_path / "wf")
    proc = subprocess.run([*SNAKEMAKE, "--profile", "profiles/slurm", "--workflow-profile", "none", "--dry-run",
                           "--configfile", "config/tiny.yaml"], cwd=wf, capture_output=True, text=True, timeout=120,
                          check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-3000:]
    poisson, perturbation = (planned_job(text, "simulate", sim) for sim in ("l4_poisson", "l4_perturbation"))
    # 2 ranks: an MPI job of 2 tasks, 1 core each, srun inside; 1 rank: an ordinary job, no launcher
    srun = "srun --mpi=pmi2 --kill-on-bad-exit=1 -n 2"
    assert re.search(rf"Shell command: {srun} \S+ -m simlib simulate ", poisson), poisson
    for resource in ("slurm_partition=compute", "tasks=2", "cpus_per_task=1", "mem_mb_per_cpu=4000", "runtime=240"):
        assert resource in poisson, poisson
    assert re.search(r"Shell command:\s+\S+ -m simlib simulate ", perturbation) and "mpi=" not in perturbation
    raster = planned_job(text, "sim_raster", "l4_poisson")
    assert "slurm_partition=compute" in raster and "runtime=60" in raster and "mem_mb=4000" in raster
    # the same rule locally: mpiexec, with the ranks counted against --cores
    proc = subprocess.run([*SNAKEMAKE, "--cores", "2", "--workflow-profile", "none", "--dry-run", "-p",
                           "--configfile", "config/tiny.yaml"], cwd=wf, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"mpiexec -n 2 \S+ -m simlib simulate results/sims/l4_poisson/config.json", proc.stdout)
    assert re.search(r"mpiexec -n 1 \S+ -m simlib simulate results/sims/l4_perturbation/config.json", proc.stdout)
    assert "threads: 2" in planned_job(proc.stdout, "simulate", "l4_poisson")


# --- a real SLURM -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A one-node SLURM cluster of this machine (installed with apt-get when missing), stopped afterwards."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    install_if_missing()
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()  # the daemons this fixture started, by pid


def slurm_run(wf: Path, cluster: SlurmCluster, *args: str, timeout_s: float = 300) -> tuple[int, str]:
    """Snakemake through profiles/slurm-local: exit status and log. A run that does not end in time hangs: fail."""
    start = time.monotonic()
    try:
        proc = subprocess.run([*SLURM_LOCAL, *args], cwd=wf, env=cluster.env, capture_output=True, text=True,
                              timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        log = ((exc.stdout or b"") + (exc.stderr or b"")).decode(errors="replace")
        raise AssertionError(f"snakemake on SLURM did not finish in {timeout_s} s:\n{log[-5000:]}\n"
                             + cluster.log_tail()) from None
    print(f"snakemake {' '.join(args)}: exit status {proc.returncode} after {time.monotonic() - start:.0f} s")
    return proc.returncode, proc.stdout + proc.stderr


def slurm_ids_of_finished_jobs(log: str) -> dict[str, str]:
    """{SLURM job id: rule} of every job a Snakemake run reports finished; AssertionError for one not submitted."""
    submitted = dict(SUBMITTED.findall(log))  # Snakemake job id -> SLURM job id
    finished = {}
    for job, rule in FINISHED.findall(log):
        if rule == "all":
            continue
        assert job in submitted, f"job {job} ({rule}) finished without a SLURM job id"
        finished[submitted[job]] = rule
    return finished


def wait_for(condition, what: str, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


# results that differ between two correct runs: build folders and logs name absolute paths and times
NOT_COMPARED = ("results/mechanisms/", "/log.txt", ".snakemake_timestamp")


@pytest.mark.slow
def slurm_config(wf: Path) -> Path:
    """config/tiny.yaml without its sweep, PointNet and PopNet parts (jobs few enough for SLURM's pace: every job waits
    on status checks), written with the entries in their order. The BioNet, FilterNet and figure jobs stay."""
    import yaml

    config = yaml.safe_load((wf / "config/tiny.yaml").read_text())
    del config["sweeps"], config["point_networks"], config["components"]["point"]
    del config["networks"]["pointnet_tutorial"], config["spikes"]["lgn_pointnet"]
    del config["simulations"]["pointnet_tutorial"], config["simulations"]["l4_point"]
    del config["population_networks"], config["simulations"]["l4_population"]
    (wf / "config/slurm.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return wf / "config/slurm.yaml"


def test_tiny_workflow_on_slurm(repo, tmp_path, slurm):
    """Every job through SLURM (2 MPI tasks for the 2-rank simulation), a failing job reported, an interrupted
    run resumed with --rerun-incomplete, and the same files as a local run."""
    # the local reference run works alongside: the SLURM runs mostly wait on status checks
    ref = workflow_copy(repo, tmp_path / "local")
    slurm_config(ref)
    local_log = open(tmp_path / "local.log", "w")
    local_run = subprocess.Popen([*SNAKEMAKE, "--cores", "2", "--workflow-profile", "none", "--configfile",
                                  "config/slurm.yaml"], cwd=ref, stdout=local_log, stderr=subprocess.STDOUT)
    try:
        wf = workflow_copy(repo, tmp_path / "slurm")
        text = slurm_config(wf).read_text()
        assert text.count("module: IClamp") == 1
        # a text edit keeps the other entries' key order, so their params (and jobs) stay the same
        (wf / "config/broken.yaml").write_text(text.replace("module: IClamp", "module: NoSuchClamp"))
        logs = []

        # 1. a job that exits non-zero: reported failed (after one retry), the rest goes on. The bad model is
        # refused by the validation of write_sim_config (simlib validate), in seconds, before any simulation
        rc, log = slurm_run(wf, slurm, "--configfile", "config/broken.yaml", timeout_s=900)
        logs.append(log)
        assert rc != 0
        assert "Error in rule write_sim_config" in log and "SLURM status is: 'FAILED'" in log, log[-3000:]
        failed = [job for job, (state, comment) in slurm.jobs().items()
                  if comment == "rule_write_sim_config_wildcards_l4_perturbation"]
        assert len(failed) == 2 and {slurm.jobs()[j][0] for j in failed} == {"FAILED"}  # retries: 1
        assert "module 'NoSuchClamp' is not supported" in (
            wf / "logs/write_sim_config/l4_perturbation.log").read_text()
        assert not (wf / "results/sims/l4_perturbation/config.json").exists()
        assert not (wf / "results/sims/l4_perturbation/output").exists()
        assert (wf / "results/figures/l4_poisson/traces.png").exists()  # keep-going: the other branch finished

        # 2. the fixed config, interrupted (Ctrl-C) while its simulation runs: SLURM job cancelled
        head_log = open(tmp_path / "interrupted.log", "w")
        # SIGINT as at a terminal: a test run started in the background (`cmd &`) ignores SIGINT, which its
        # children would inherit, and a Python started with SIGINT ignored never raises KeyboardInterrupt
        head = subprocess.Popen([*SLURM_LOCAL, "--configfile", "config/slurm.yaml"], cwd=wf, env=slurm.env,
                                stdout=head_log, stderr=subprocess.STDOUT,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            running = wait_for(lambda: [j for j, (state, comment) in slurm.jobs().items() if state == "RUNNING"
                                        and comment == "rule_simulate_wildcards_l4_perturbation"],
                               "the simulation to run on SLURM", 180)
            # Ctrl-C, and again if Snakemake missed it (as a user would): its log handler drops a KeyboardInterrupt
            # that arrives while it writes a line (snakemake/logging.py: `except (KeyboardInterrupt, SystemExit)`)
            for _ in range(3):
                head.send_signal(signal.SIGINT)
                try:
                    head.wait(20)
                    break
                except subprocess.TimeoutExpired:
                    if "Terminating processes on user request" in (tmp_path / "interrupted.log").read_text():
                        break          # it heard it and is cancelling its jobs
            assert head.wait(60) != 0
        finally:
            if head.poll() is None:
                head.kill()
            head_log.close()
        logs.append((tmp_path / "interrupted.log").read_text())
        assert slurm.jobs()[running[0]][0] == "CANCELLED"  # Snakemake cancelled its SLURM job: no orphans
        assert not [j for j, (state, _) in slurm.jobs().items() if state in ("PENDING", "RUNNING")]
        assert not (wf / "results/sims/l4_perturbation/output").exists()  # nothing half-written to trust

        # 3. --rerun-incomplete resumes: only the interrupted simulation and what depends on it are left
        rc, log = slurm_run(wf, slurm, "--configfile", "config/slurm.yaml", "--rerun-incomplete")
        logs.append(log)
        assert rc == 0, log[-3000:]
        resumed = {slurm.jobs()[job][1] for job in slurm_ids_of_finished_jobs(log)}
        assert "rule_simulate_wildcards_l4_perturbation" in resumed
        # ... and the manifest of all results, which lists the new ones
        assert all(name.endswith("_wildcards_l4_perturbation") or name == "rule_manifest" for name in resumed), resumed

        # the local run is done by now (else wait): the jobs and files to compare with
        assert local_run.wait(300) == 0, (tmp_path / "local.log").read_text()[-3000:]
        # every job ran as a SLURM job: each finished job has a SLURM id, COMPLETED, with its log file
        jobs = slurm.jobs()
        finished = {}
        for log in logs:
            finished.update(slurm_ids_of_finished_jobs(log))
        for job, rule in finished.items():
            state, comment = jobs[job]
            assert state == "COMPLETED" and comment.startswith(f"rule_{rule}"), (job, rule, jobs[job])
            assert list((wf / ".snakemake/slurm_logs").glob(f"rule_{rule}/**/{job}.log")), (job, rule)
        for log in logs:  # Snakemake itself ran no job but `all` (which has no command)
            assert [name for name, is_local in job_names(log).items() if is_local] in ([], ["rule_all"])
        local_jobs = set(job_names((tmp_path / "local.log").read_text())) - {"rule_all"}
        assert {jobs[job][1] for job in finished} == local_jobs
        # the 2-rank simulation: one SLURM job of 2 tasks, srun starting 2 MPI ranks of one simulation
        (poisson,) = [j for j in finished if jobs[j][1] == "rule_simulate_wildcards_l4_poisson"]
        info = slurm.job_info(poisson)
        assert (info["NumTasks"], info["CPUs/Task"]) == ("2", "1"), info
        assert "on 2 rank(s)" in (wf / "results/sims/l4_poisson/output/log.txt").read_text()
        assert "on 1 rank(s)" in (wf / "results/sims/l4_perturbation/output/log.txt").read_text()

    finally:
        if local_run.poll() is None:
            local_run.kill()
        local_log.close()
    ours = sorted(p.relative_to(wf) for p in (wf / "results").rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(ref) for p in (ref / "results").rglob("*") if p.is_file())
    assert ours == theirs
    compared = [p for p in ours if not any(part in str(p) for part in NOT_COMPARED)]
    assert len(compared) > 30 and Path("results/sims/l4_poisson/output/spikes.h5") in compared
    different = [str(p) for p in compared if (wf / p).read_bytes() != (ref / p).read_bytes()]
    assert not different, different
    for sim in ("l4_poisson", "l4_perturbation"):
        spikes = SpikeTrains.load(wf / f"results/sims/{sim}/output/spikes.h5")
        assert spikes.n_spikes() > 10 and spikes == SpikeTrains.load(ref / f"results/sims/{sim}/output/spikes.h5")
