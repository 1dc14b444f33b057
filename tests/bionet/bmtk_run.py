"""Run in a subprocess: one bmtk BioNet simulation, timed phase by phase (the parity oracle).

    python bmtk_run.py CONFIG.json [--timings FILE.json]          # serial
    mpiexec -n N python bmtk_run.py CONFIG.json --timings F --mpi  # MPI (set MPI_LIB_NRN_PATH)
    python bmtk_run.py --sections SWC [SWC ...]                    # hobj.all section names, JSON
    python bmtk_run.py CONFIG.json --pandas-object-strings         # bmtk's node sets on pandas 3

BioNet is run the standard way (Config.from_json, build_env, BioNetwork.from_config,
BioSimulator.from_config, run). The phases are timed by wrapping bmtk's own methods:
  cells     BioNetwork.build_nodes
  synapses  BioNetwork.build_recurrent_edges
  inputs    SpikeTrains.load + BioNetwork.add_spike_trains (virtual cells and their synapses)
  setup     Config.from_json .. end of BioSimulator.from_config (includes the three above,
            loading mechanisms and templates, output folder, reports and clamps)
  simulate  BioSimulator.run
Each is the maximum over ranks. ``peak_rss_mb`` is the sum over ranks of each rank's maxrss.
"""

import argparse
import functools
import json
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

PHASES = ("cells", "synapses", "inputs", "setup", "simulate")


class NeuronComm:
    """The part of mpi4py's COMM_WORLD that bmtk's spike writer uses, on NEURON's ParallelContext.

    Without mpi4py, bmtk's ``bmtk_world_comm`` reports rank 0 of 1 on every rank, so under MPI each
    rank keeps only its own spikes and all ranks write ``spikes.h5`` at once (h5py lock error).
    """

    def __init__(self, pc):
        self._pc = pc

    def Get_rank(self):
        return int(self._pc.id())

    def Get_size(self):
        return int(self._pc.nhost())

    def Barrier(self):
        self._pc.barrier()

    barrier = Barrier

    def bcast(self, obj, root=0):
        return self._pc.py_broadcast(obj, root)

    def allgather(self, obj):
        return list(self._pc.py_allgather(obj))

    def gather(self, obj, root=0):
        out = self._pc.py_gather(obj, root)
        return list(out) if out is not None else None


def _timed(spent: dict, phase: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[phase] += time.perf_counter() - t0
    return wrapper


def object_strings() -> None:
    """Read CSV strings as pandas 2 did (object dtype) in this process, before bmtk reads any file.

    pandas 3 infers a ``str`` dtype for text columns, and bmtk 1.2's node-type look-up
    (``types_table.find``) compares that dtype with the column's and skips the mismatch, so its
    property node sets (``{"pop_name": "Nr5a1"}``) select no cell: clamps, reports and
    syn_activity filters then silently apply to nothing. bmtk 1.2 was written for pandas < 3.
    """
    import pandas as pd

    if int(pd.__version__.split(".")[0]) >= 3:
        pd.set_option("future.infer_string", False)


def run(config_path: str, timings_path: str | None, mpi: bool, pandas_object_strings: bool = False) -> None:
    t_start = time.perf_counter()
    if pandas_object_strings:
        object_strings()
    from neuron import h

    if mpi:
        h.nrnmpi_init()  # before bmtk creates its ParallelContext at import time
        from bmtk.utils.io import bmtk_world_comm

        # bmtk's spike-trains package reads the rank and size when it is first imported
        bmtk_world_comm.comm = NeuronComm(h.ParallelContext())
    from bmtk.simulator import bionet
    from bmtk.simulator.bionet.bionetwork import BioNetwork
    from bmtk.utils.reports.spike_trains import SpikeTrains

    pc = h.ParallelContext()
    spent = defaultdict(float)
    BioNetwork.build_nodes = _timed(spent, "cells", BioNetwork.build_nodes)
    BioNetwork.build_recurrent_edges = _timed(spent, "synapses", BioNetwork.build_recurrent_edges)
    BioNetwork.add_spike_trains = _timed(spent, "inputs", BioNetwork.add_spike_trains)
    SpikeTrains.load = classmethod(_timed(spent, "inputs", SpikeTrains.__dict__["load"].__func__))
    spent["import"] = time.perf_counter() - t_start

    t0 = time.perf_counter()
    conf = bionet.Config.from_json(config_path, validate=True)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    spent["setup"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sim.run()
    spent["simulate"] = time.perf_counter() - t0
    spent["total"] = time.perf_counter() - t_start

    timings = {key: float(pc.allreduce(spent[key], 2)) for key in (*PHASES, "import", "total")}
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    timings["peak_rss_mb"] = float(pc.allreduce(maxrss_mb, 1))
    timings["max_rank_rss_mb"] = float(pc.allreduce(maxrss_mb, 2))
    timings["ranks"] = int(pc.nhost())
    timings["n_local_cells_rank0"] = len(net.get_local_cells())
    if timings_path and int(pc.id()) == 0:
        Path(timings_path).write_text(json.dumps(timings, indent=1))
    pc.barrier()
    if mpi:
        pc.done()


def sections(swcs: list[str]) -> None:
    """Print {swc path: [section names of hobj.all]} after bmtk's aibs_perisomatic axon fix."""
    from bmtk.simulator.bionet import nrn
    from bmtk.simulator.bionet.default_setters.cell_models import fix_axon_peri
    from neuron import h

    nrn.load_neuron_modules(None, None)  # bmtk's default templates (Biophys1.hoc) and import3d
    out = {}
    for swc in swcs:
        cell = h.Biophys1(swc)
        fix_axon_peri(cell)
        out[swc] = [sec.name().split(".")[-1] for sec in cell.all]
    print(json.dumps(out))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", nargs="?")
    parser.add_argument("--timings", help="write phase timings (s) to this JSON file")
    parser.add_argument("--mpi", action="store_true", help="initialise MPI in NEURON (under mpiexec)")
    parser.add_argument("--sections", nargs="+", metavar="SWC")
    parser.add_argument("--pandas-object-strings", action="store_true",
                        help="read text columns as object dtype, so bmtk 1.2's node sets work on pandas 3")
    args = parser.parse_args(argv)
    if args.sections:
        sections(args.sections)
    elif args.config:
        run(args.config, args.timings, args.mpi, args.pandas_object_strings)
    else:
        parser.error("give CONFIG or --sections SWC...")


if __name__ == "__main__":
    main(sys.argv[1:])
