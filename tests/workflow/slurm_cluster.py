"""A one-node SLURM cluster for tests: munged, slurmctld and slurmd run as root from a folder of their own."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo", "srun", "scancel")
PACKAGES = ("slurm-wlm", "munge")  # Debian's; slurm-wlm pulls slurmctld, slurmd, slurm-client, basic plugins


def missing_programs() -> list[str]:
    return [name for name in PROGRAMS if shutil.which(name) is None and not Path("/usr/sbin", name).exists()]


def unavailable_reason() -> str | None:
    """Why a cluster cannot be started here (None: it can, after `install_if_missing`)."""
    if os.geteuid() != 0:
        return "starting SLURM's daemons (munged, slurmctld, slurmd as SlurmUser=root) needs root"
    if missing_programs() and shutil.which("apt-get") is None:
        return f"SLURM is not installed ({', '.join(missing_programs())} missing) and there is no apt-get for it"
    return None


def install_if_missing(timeout_s: float = 900) -> None:
    """apt-get install Debian's slurm-wlm and munge when any of their programs is missing."""
    if not missing_programs():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=timeout_s, capture_output=True)
    proc = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
                          env=env, timeout=timeout_s, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or missing_programs():
        raise RuntimeError(f"apt-get install {' '.join(PACKAGES)} failed:\n{proc.stdout[-2000:]}\n"
                           f"{proc.stderr[-2000:]}")


def free_port() -> int:
    """A TCP port nobody listens on now (so another SLURM on this machine keeps its own)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        return sock.getsockname()[1]


def memory_mb() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    raise RuntimeError("MemTotal not found in /proc/meminfo")


def _sbin(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


class SlurmCluster:
    """One SLURM node (this machine) with its own slurm.conf, munge socket, ports, state and pid files.

    Client commands find the cluster through ``SLURM_CONF``: run them with ``env=cluster.env``.
    Only the daemons this object started are stopped, by their process ids.
    """

    def __init__(self, root: Path, cpus: int | None = None, real_memory_mb: int | None = None,
                 partition: str = "simlib", node: str = "simlib-node"):
        self.root = Path(root)
        # at least 2 CPUs, so a 2-rank simulation fits on a 1-core machine too (oversubscribed, still correct)
        self.cpus = cpus or max(2, os.cpu_count() or 1)
        self.real_memory_mb = real_memory_mb or int(memory_mb() * 0.8)  # leave the rest to the OS and the test
        self.partition = partition
        self.node = node
        self.conf = self.root / "slurm.conf"
        self.munge_socket = self.root / "munge" / "munge.socket"
        self.logs = self.root / "log"
        self.processes: dict[str, subprocess.Popen] = {}
        self.bin = self.root / "bin"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf),
                    "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"}

    # --- configuration -------------------------------------------------------------------------

    def write_config(self) -> None:
        host = socket.gethostname().split(".")[0]
        for sub in ("munge", "state", "spool", "log", "run"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
            (self.root / sub).chmod(0o700)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        # The SLURM jobstep executor (snakemake-executor-plugin-slurm-jobstep 0.6) removes SLURM_CONF with the
        # other SLURM_* variables before its srun inside a job; a real cluster's slurm.conf is in /etc/slurm
        # (or served configless), this one's is not: srun is reached through a script that names it again.
        self.bin.mkdir(parents=True, exist_ok=True)
        srun = self.bin / "srun"
        srun.write_text(f'#!/bin/sh\nSLURM_CONF="{self.conf}" exec {shutil.which("srun")} "$@"\n')
        srun.chmod(0o755)
        r = self.root
        self.conf.write_text("\n".join([
            "# written by tests/workflow/slurm_cluster.py: a one-node test cluster, no accounting database",
            "ClusterName=simlibtest",
            # job ids of their own: MPICH names its shared-memory segment after the job step and may leave
            # it in /dev/shm, where a later cluster's job of the same id (ids restart at 1) would attach to it
            f"FirstJobId={random.randrange(1_000_000, 60_000_000)}",
            f"SlurmctldHost={host}(127.0.0.1)",
            f"SlurmctldPort={free_port()}",
            f"SlurmdPort={free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            f"StateSaveLocation={r / 'state'}",
            f"SlurmdSpoolDir={r / 'spool'}",
            f"SlurmctldPidFile={r / 'run' / 'slurmctld.pid'}",
            f"SlurmdPidFile={r / 'run' / 'slurmd.pid'}",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            # no cgroups in containers / CI machines
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "SchedulerType=sched/builtin",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "MpiDefault=none",
            "PropagateResourceLimits=NONE",
            "ReturnToService=2",
            # finished jobs stay visible to squeue (the status command without sacct) for an hour
            "MinJobAge=3600",
            "InactiveLimit=0",
            "KillWait=5",
            "SlurmdTimeout=300",
            "SlurmdParameters=config_overrides",
            (f"NodeName={self.node} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={self.cpus} "
             f"RealMemory={self.real_memory_mb} State=UNKNOWN"),
            f"PartitionName={self.partition} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP",
            "",
        ]))

    # --- daemons -------------------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str]) -> None:
        out = open(self.logs / f"{name}.out", "ab")
        # own session: a Ctrl-C in the test's terminal does not reach the daemons
        self.processes[name] = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                                start_new_session=True, cwd=self.root)
        out.close()

    def _wait(self, what: str, ready, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {proc.returncode} while waiting for {what}\n"
                                       + self.log_tail())
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"timed out after {timeout_s:.0f} s waiting for {what}\n" + self.log_tail())

    def _client(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), env=self.env, capture_output=True, text=True, timeout=30, check=False)

    def start(self, timeout_s: float = 90) -> SlurmCluster:
        """Write the config and start munged, slurmctld and slurmd; return once the node is idle."""
        self.write_config()
        m = self.root / "munge"
        self._spawn("munged", [_sbin("munged"), "--foreground", "--force", f"--socket={self.munge_socket}",
                               f"--key-file={m / 'munge.key'}", f"--pid-file={m / 'munged.pid'}",
                               f"--seed-file={m / 'munged.seed'}", "--log-file=/dev/null"])
        self._wait("munged's socket", self.munge_socket.exists, timeout_s)
        # -i: ignore state files left by a crashed run; -D: foreground, so the pid is ours
        self._spawn("slurmctld", [_sbin("slurmctld"), "-D", "-i", "-f", str(self.conf)])
        self._wait("slurmctld", lambda: self._client("scontrol", "ping").stdout.count("UP") > 0, timeout_s)
        self._spawn("slurmd", [_sbin("slurmd"), "-D", "-N", self.node, "-f", str(self.conf)])
        self._wait(f"node {self.node} to be idle", lambda: self.node_state() == "idle", timeout_s)
        return self

    def node_state(self) -> str:
        proc = self._client("sinfo", "-h", "-N", "-n", self.node, "-o", "%T")
        return proc.stdout.strip() if proc.returncode == 0 else ""

    def jobs(self) -> dict[str, tuple[str, str]]:
        """{job id: (state, comment)} of every job slurmctld knows (queued, running or finished < MinJobAge ago).

        The Snakemake SLURM executor comments each job with its rule and wildcards
        (``rule_simulate_wildcards_l4_poisson``).
        """
        proc = self._client("squeue", "-h", "--states=all", "-o", "%i|%T|%k")
        if proc.returncode != 0:
            raise RuntimeError(f"squeue failed: {proc.stderr}")
        rows = (line.split("|", 2) for line in proc.stdout.splitlines() if line.strip())
        return {job: (state, comment.strip()) for job, state, comment in rows}

    def job_info(self, job: str) -> dict[str, str]:
        """`scontrol show job`'s fields (NumTasks, NumCPUs, JobState, ...)."""
        proc = self._client("scontrol", "show", "job", job)
        return dict(item.split("=", 1) for item in proc.stdout.split() if "=" in item)

    def stop(self, timeout_s: float = 30) -> None:
        """Cancel this cluster's jobs, then stop the daemons this object started (by pid), last started first."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            self._client("scancel", "--full", "--user", "root")
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and self._client("squeue", "-h", "-o", "%i").stdout.strip():
                time.sleep(0.5)
        for name in reversed(list(self.processes)):
            proc = self.processes[name]
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout_s)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout_s)
        self.processes.clear()

    def log_tail(self, n_chars: int = 3000) -> str:
        parts = []
        for path in sorted(self.logs.glob("*.out")):  # the daemons log to stderr in the foreground
            text = path.read_text(errors="replace")[-n_chars:]
            parts.append(f"--- {path.name}\n{text}")
        return "\n".join(parts)

    def __enter__(self) -> SlurmCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
