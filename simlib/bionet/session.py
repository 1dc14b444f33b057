"""The NEURON session of one process: MPI start-up and the ParallelContext, owned by one object."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

# environment variables an MPI launcher sets in the processes it starts
_MPI_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS",
                      "SLURM_PROCID" if os.environ.get("SLURM_STEP_NUM_TASKS", "1") != "1" else "_")


def under_mpi_launcher() -> bool:
    """Whether this process was started by mpiexec/srun as one of several ranks."""
    return any(name in os.environ for name in _MPI_LAUNCHER_VARS if name != "_")


def mpi_library() -> str | None:
    """The MPI shared library NEURON should load: $MPI_LIB_NRN_PATH, else mpich's from this environment.

    ``pip install mpich`` puts ``libmpi.so.12`` in ``<prefix>/lib``; NEURON needs the numbered
    file (the unnumbered ``libmpi.so`` there is a linker script it cannot load).
    """
    if os.environ.get("MPI_LIB_NRN_PATH"):
        return os.environ["MPI_LIB_NRN_PATH"]
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
        for name in ("libmpi.so.12", "libmpi.so.40", "libmpi.dylib"):
            path = Path(prefix) / "lib" / name
            if path.is_file():
                return str(path)
    return None


@dataclass
class Session:
    """NEURON's ParallelContext of this process and its rank / number of ranks."""

    pc: object
    rank: int
    nhost: int
    mpi: bool = False  # NEURON initialised MPI in this process (possibly on 1 rank)

    def barrier(self) -> None:
        self.pc.barrier()

    def gather(self, obj, root: int = 0) -> list | None:
        """Every rank's ``obj`` on ``root`` (a list in rank order), None elsewhere."""
        return self.pc.py_gather(obj, root)

    def broadcast(self, obj, root: int = 0):
        return self.pc.py_broadcast(obj, root)

    def finish(self) -> None:
        """End MPI (``MPI_Finalize``, collective: every rank calls it) when NEURON started it.

        NEURON finalises MPI only in ``h.quit()``, which ends the process at once; a process that
        exits without it leaves MPICH's shared-memory segment behind in /dev/shm. The MPI library
        NEURON loaded is the one named by ``MPI_LIB_NRN_PATH``: the same handle, the same state.
        """
        if not self.mpi:
            return
        import ctypes

        library = ctypes.CDLL(os.environ["MPI_LIB_NRN_PATH"], mode=ctypes.RTLD_GLOBAL)
        finalized = ctypes.c_int(0)
        library.MPI_Finalized(ctypes.byref(finalized))
        if not finalized.value:
            sys.stdout.flush()
            sys.stderr.flush()
            library.MPI_Finalize()
        self.mpi = False


_session: Session | None = None


def start(mpi: bool | None = None) -> Session:
    """Start NEURON (with MPI when launched by an MPI launcher, or when ``mpi`` is True), once per process."""
    global _session
    if _session is not None:
        return _session
    if mpi is None:
        mpi = under_mpi_launcher()
    if mpi:
        library = mpi_library()
        if library:
            os.environ["MPI_LIB_NRN_PATH"] = library
    from neuron import h

    if mpi:
        h.nrnmpi_init()
    pc = h.ParallelContext()
    # with MPI_LIB_NRN_PATH unset NEURON may have found no MPI library: then it runs without MPI
    _session = Session(pc, int(pc.id()), int(pc.nhost()), mpi=bool(mpi and os.environ.get("MPI_LIB_NRN_PATH")))
    return _session
