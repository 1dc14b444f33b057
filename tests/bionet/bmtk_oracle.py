"""The bmtk side of the BioNet parity tests and benchmark: networks, inputs, configs and runs made by bmtk.

Every network here is built with bmtk's own ``NetworkBuilder`` and every input with bmtk's
``PoissonSpikeGenerator``; BioNet runs happen in a subprocess (``bmtk_run.py``) because NEURON
keeps one mechanism library per process and bmtk creates its ``ParallelContext`` at import time.
The configs written by :func:`write_bmtk_config` use absolute paths, so bmtk and simlib can run
the same file from any folder. simlib itself never imports bmtk; only tests and benchmarks do.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RUN_SCRIPT = HERE / "bmtk_run.py"
PHASES = ("cells", "synapses", "inputs", "setup", "simulate")  # the timings simlib's --timings writes too

# The tutorial's own synaptic model files are not shipped with bmtk; these packaged files have the
# same roles (exp2syn AMPA/GABA kinetics), so the tutorial's edge types point at them.
TUTORIAL_SYNAPSES = {
    "ExcToInh.json": "AMPA_ExcToInh.json",
    "InhToExc.json": "GABA_InhToExc.json",
    "InhToInh.json": "GABA_InhToInh.json",
    "ExcToExc.json": "AMPA_ExcToExc.json",
    "LGN_ExcToExc.json": "AMPA_ExcToExc.json",
    "LGN_ExcToInh.json": "AMPA_ExcToInh.json",
}

# fit -> (morphology, pop_name, ei): the tutorial's five Allen perisomatic cells
ALLEN_CELLS = {
    "472363762_fit.json": ("Scnn1a_473845048_m.swc", "Scnn1a", "e"),
    "473863510_fit.json": ("Rorb_325404214_m.swc", "Rorb", "e"),
    "473863035_fit.json": ("Nr5a1_471087815_m.swc", "Nr5a1", "e"),
    "472912177_fit.json": ("Pvalb_470522102_m.swc", "PV1", "i"),
    "473862421_fit.json": ("Pvalb_469628681_m.swc", "PV2", "i"),
}

SYNAPSE_MODELS = {  # (source ei, target ei) -> bmtk's packaged exp2syn parameter file
    ("e", "e"): "AMPA_ExcToExc.json",
    ("e", "i"): "AMPA_ExcToInh.json",
    ("i", "e"): "GABA_InhToExc.json",
    ("i", "i"): "GABA_InhToInh.json",
}


class OracleError(RuntimeError):
    """A bmtk run or a file it made is not what the parity tests need."""


# --- components and mechanisms --------------------------------------------------------------------

def bmtk_components_dir() -> Path:
    """bmtk's packaged BioNet components (morphologies, fits, synaptic models, mod files).

    Raises
    ------
    OracleError
        If bmtk is not installed.
    """
    spec = importlib.util.find_spec("bmtk")
    if spec is None or spec.origin is None:
        raise OracleError("bmtk is not installed; it is the oracle of the parity tests (pip install simlib[test])")
    return Path(spec.origin).parent / "utils" / "scripts" / "bionet"


def bmtk_modfiles_dir() -> Path:
    """bmtk's packaged NMODL files."""
    return bmtk_components_dir() / "mechanisms" / "modfiles"


def nrnmech_dir(lib_or_dir: Path) -> Path:
    """The folder to give bmtk as ``components.mechanisms_dir`` for a compiled mechanism library.

    ``neuron.load_mechanisms`` (NEURON 9) loads ``<dir>/<machine>/libnrnmech.so``, so bmtk wants
    the folder nrnivmodl ran in, i.e. the ``output_dir`` of ``simlib.mechanisms.compile_mechanisms``,
    not the library itself. Accepts either and checks the library is there.

    Raises
    ------
    OracleError
        If ``<dir>/<machine>/libnrnmech.so`` does not exist: bmtk would only print "NEURON
        mechanisms not found" and fail much later on a missing mechanism.
    """
    path = Path(lib_or_dir).resolve()
    folder = path.parent.parent if path.is_file() else path
    lib = folder / platform.machine() / "libnrnmech.so"
    if not lib.is_file():
        raise OracleError(f"{folder}: expected {platform.machine()}/libnrnmech.so inside (the folder nrnivmodl "
                          "ran in); bmtk's neuron.load_mechanisms looks for exactly that")
    return folder


def compile_bmtk_mechanisms(output_dir: Path) -> Path:
    """Compile bmtk's packaged mod files with simlib's compiler; return the folder for ``mechanisms_dir``.

    Plain nrnivmodl only: bmtk's NaV.mod does not compile with ``nrnivmodl -coreneuron``.
    """
    from simlib.mechanisms import compile_mechanisms

    return nrnmech_dir(compile_mechanisms(bmtk_modfiles_dir(), output_dir=Path(output_dir)))


def section_names(morphology: str) -> tuple[str, ...]:
    """Names of the sections of ``hobj.all`` of a Biophys1 cell after bmtk's ``fix_axon_peri``.

    The index in this tuple is what SONATA ``afferent_section_id`` means to bmtk. Computed by
    bmtk itself in a subprocess (``bmtk_run.py --sections``), for every packaged morphology at once.
    """
    path = _morphology_path(morphology)
    packaged = (p.resolve() for p in (bmtk_components_dir() / "morphologies").glob("*.swc"))
    names = _section_names(tuple(sorted({path, *packaged})))
    return names[str(path)]


@functools.cache
def _section_names(paths: tuple[Path, ...]) -> dict[str, tuple[str, ...]]:
    with tempfile.TemporaryDirectory() as cwd:  # an empty folder: `import neuron` loads ./<machine>/libnrnmech.so
        proc = subprocess.run([sys.executable, str(RUN_SCRIPT), "--sections", *map(str, paths)],
                              check=False, capture_output=True, text=True, timeout=300, cwd=cwd, env=_env())
    if proc.returncode != 0:
        raise OracleError(f"bmtk_run.py --sections failed:\n{proc.stderr[-3000:]}")
    return {path: tuple(names) for path, names in json.loads(proc.stdout.strip().splitlines()[-1]).items()}


def dendritic_section_ids(morphology: str) -> np.ndarray:
    """Indices into ``hobj.all`` (bmtk's order: soma, dend, apic, then the 2 axon stubs) of dend/apic sections."""
    names = section_names(morphology)
    return np.array([i for i, name in enumerate(names) if name.startswith(("dend[", "apic["))], dtype=np.int64)


def _morphology_path(morphology: str) -> Path:
    path = Path(morphology)
    if not path.is_absolute():
        path = bmtk_components_dir() / "morphologies" / path
    if path.suffix != ".swc":
        path = path.with_suffix(".swc")
    if not path.is_file():
        raise OracleError(f"{path}: morphology not found")
    return path.resolve()


# --- networks (bmtk's NetworkBuilder) ---------------------------------------------------------------

def _save(net, out_dir: Path) -> None:
    net.build()
    net.save(output_dir=str(out_dir), compression="none")


def write_single_cell(out_dir: Path, fit: str = "472363762_fit.json", morphology: str = "Scnn1a_473845048_m.swc",
                      population: str = "cell", model_processing: str = "aibs_perisomatic") -> Path:
    """One biophysical Allen cell (``ctdb:Biophys1.hoc``, perisomatic by default) as a SONATA network."""
    from bmtk.builder import NetworkBuilder

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    net = NetworkBuilder(population)
    net.add_nodes(N=1, model_type="biophysical", model_template="ctdb:Biophys1.hoc",
                  model_processing=model_processing, dynamics_params=fit, morphology=morphology,
                  pop_name=morphology.split("_")[0], ei="e")
    _save(net, out_dir)
    return out_dir


def write_explicit_synapse_network(out_dir: Path, seed: int = 0, n_inputs: int = 20, population: str = "cortex",
                                   input_population: str = "inputs") -> Path:
    """Five Allen cells (one per tutorial fit) and a virtual input population, every synapse placed explicitly.

    Each edge row is one synapse with its own ``afferent_section_id`` (a dend/apic section of the
    target, drawn uniformly), ``afferent_section_pos`` (0.05–0.95), ``syn_weight`` (µS) and
    ``delay`` (ms), all drawn from ``np.random.RandomState(seed)`` in bmtk's edge order. Recurrent
    edges connect every ordered pair of distinct cells with 1–3 synapses; every input connects to
    every cell with 1–3 synapses. Synaptic models are bmtk's exp2syn files by (source, target) ei.
    The valid section ids come from bmtk's own Biophys1 build (:func:`section_names`, a NEURON
    subprocess). Driven by 10 Hz Poisson spikes on every input, bmtk fires every cell at ~8–13 Hz.
    """
    from bmtk.builder import NetworkBuilder

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(seed)
    fits = list(ALLEN_CELLS)
    cortex = NetworkBuilder(population)
    for fit in fits:
        morphology, pop_name, ei = ALLEN_CELLS[fit]
        cortex.add_nodes(N=1, model_type="biophysical", model_template="ctdb:Biophys1.hoc",
                         model_processing="aibs_perisomatic", dynamics_params=fit, morphology=morphology,
                         pop_name=pop_name, ei=ei)
    inputs = NetworkBuilder(input_population)
    inputs.add_nodes(N=n_inputs, model_type="virtual", pop_name="input", ei="e")

    dend_ids = {ALLEN_CELLS[f][0]: dendritic_section_ids(ALLEN_CELLS[f][0]) for f in fits}
    weights_uS = {("e", "e"): (5e-5, 1.5e-4), ("e", "i"): (3e-4, 9e-4), ("i", "e"): (2e-4, 6e-4),
                  ("i", "i"): (1e-4, 3e-4), ("input", "e"): (0.5e-3, 1.5e-3), ("input", "i"): (4.0e-3, 1.0e-2)}

    def n_recurrent(source, target):
        return 0 if source.node_id == target.node_id else int(rng.randint(1, 4))

    def n_input(source, target):
        return int(rng.randint(1, 4))

    def synapse(source, target, kind):
        sections = dend_ids[target["morphology"]]
        low, high = weights_uS[kind]
        return (int(sections[rng.randint(len(sections))]), float(rng.uniform(0.05, 0.95)),
                float(rng.uniform(low, high)), float(np.round(rng.uniform(1.0, 3.0), 1)))

    columns = ["afferent_section_id", "afferent_section_pos", "syn_weight", "delay"]
    dtypes = [np.int64, np.float64, np.float64, np.float64]
    for src_ei in ("e", "i"):
        for trg_ei in ("e", "i"):
            cm = cortex.add_edges(source={"ei": src_ei}, target={"ei": trg_ei}, connection_rule=n_recurrent,
                                  model_template="exp2syn", dynamics_params=SYNAPSE_MODELS[(src_ei, trg_ei)])
            cm.add_properties(columns, rule=synapse, rule_params={"kind": (src_ei, trg_ei)}, dtypes=dtypes)
    _save(cortex, out_dir)
    for trg_ei in ("e", "i"):
        cm = inputs.add_edges(source=inputs.nodes(), target=cortex.nodes(ei=trg_ei), connection_rule=n_input,
                              model_template="exp2syn", dynamics_params=SYNAPSE_MODELS[("e", trg_ei)])
        cm.add_properties(columns, rule=synapse, rule_params={"kind": ("input", trg_ei)}, dtypes=dtypes)
    _save(inputs, out_dir)
    return out_dir


def write_l4_network(out_dir: Path, seed: int = 0) -> Path:
    """The seed-001 tutorial's L4 network (V1: 80 Scnn1a, 80 Rorb, 80 Nr5a1, 60 PV1; LGN: 100 virtual).

    Built exactly as the tutorial notebook does, with bmtk's builder, the same rules, properties,
    edge types and draw order; the tutorial's global ``np.random`` calls are made on
    ``np.random.RandomState(seed)`` (the same stream as ``np.random.seed(seed)``, without touching
    global state). Synaptic model names are mapped to bmtk's packaged files (``TUTORIAL_SYNAPSES``).
    """
    from bmtk.builder import NetworkBuilder

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(seed)
    syn = TUTORIAL_SYNAPSES
    v1 = NetworkBuilder("V1")
    cells = [("Scnn1a", 80, "e", "472363762_fit.json", "Scnn1a_473845048_m.swc", -3.646878266),
             ("Rorb", 80, "e", "473863510_fit.json", "Rorb_325404214_m.swc", -4.159763785),
             ("Nr5a1", 80, "e", "473863035_fit.json", "Nr5a1_471087815_m.swc", -4.159763785),
             ("PV1", 60, "i", "472912177_fit.json", "Pvalb_470522102_m.swc", -2.539551891)]
    for pop_name, n, ei, fit, morphology, rot_z in cells:
        # the tutorial's draw order: x, y, z, rotation x, rotation y per population
        props = {"N": n, "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
                 "dynamics_params": fit, "morphology": morphology, "model_processing": "aibs_perisomatic",
                 "x": rng.normal(0.0, 20.0, size=n), "y": rng.uniform(400.0, 500.0, size=n),
                 "z": rng.normal(0.0, 20.0, size=n), "rotation_angle_xaxis": rng.uniform(0.0, 2 * np.pi, size=n),
                 "rotation_angle_yaxis": rng.uniform(0.0, 2 * np.pi, size=n), "rotation_angle_zaxis": rot_z,
                 "pop_name": pop_name, "location": "L4", "ei": ei}
        if ei == "e":
            props["tuning_angle"] = np.linspace(start=0.0, stop=360.0, num=n, endpoint=False)
        v1.add_nodes(**props)

    v1.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1, syn_weight=0.0006, delay=2.0,
                 dynamics_params=syn["ExcToInh.json"], model_template="exp2syn",
                 target_sections=["somatic", "basal"], distance_range=[0.0, 1.0e+20])
    v1.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=1, syn_weight=0.0002, delay=2.0,
                 dynamics_params=syn["InhToExc.json"], model_template="exp2syn",
                 target_sections=["somatic", "basal", "apical"], distance_range=[0.0, 50.0])

    def ignore_autapses(source, target):
        if source["node_id"] == target["node_id"]:
            return 0
        return rng.randint(1, 5)

    v1.add_edges(source={"ei": "i"}, target={"ei": "i"}, connection_rule=ignore_autapses, syn_weight=0.00015,
                 delay=2.0, dynamics_params=syn["InhToInh.json"], model_template="exp2syn",
                 target_sections=["somatic", "basal"], distance_range=[0.0, 1.0e+20])

    def tuning_angle(source, target, max_syns):
        if source["node_id"] == target["node_id"]:
            return 0
        dist = np.abs((source["tuning_angle"] - target["tuning_angle"] + 180) % 360 - 180)
        p_dist = 1.0 - (np.max((dist, 10.0)) / 180.0)
        return rng.binomial(n=max_syns, p=p_dist)

    v1.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=tuning_angle,
                 connection_params={"max_syns": 5}, syn_weight=3.0e-05, delay=2.0,
                 dynamics_params=syn["ExcToExc.json"], model_template="exp2syn",
                 target_sections=["basal", "apical"], distance_range=[30.0, 150.0], weight_function="set_syn_weight")
    _save(v1, out_dir)

    lgn = NetworkBuilder("LGN")
    for template in ("sOFF_TF8", "sON_TF8"):
        lgn.add_nodes(N=50, model_type="virtual", model_template=f"lgnmodel:{template}",
                      dynamics_params=f"{template}.json", x=rng.uniform(0.0, 240.0, 50),
                      y=rng.uniform(0.0, 120.0, 50), spatial_size=1.0)
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="e"), connection_rule=lambda *_: rng.randint(0, 5),
                  syn_weight=0.0003, delay=2.0, dynamics_params=syn["LGN_ExcToExc.json"], model_template="exp2syn",
                  target_sections=["basal", "apical", "somatic"], distance_range=[0.0, 50.0])
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="i"), connection_rule=lambda *_: rng.randint(0, 5),
                  syn_weight=0.002, delay=2.0, dynamics_params=syn["LGN_ExcToInh.json"], model_template="exp2syn",
                  target_sections=["basal", "apical"], distance_range=[0.0, 1e+20])
    _save(lgn, out_dir)
    return out_dir


# --- inputs ------------------------------------------------------------------------------------------

def write_poisson_input(path: Path, node_ids, rate_hz: float, tstop_s: float, seed: int,
                        population: str = "LGN") -> Path:
    """Homogeneous Poisson spike trains from bmtk's ``PoissonSpikeGenerator`` (the tutorial's LGN input).

    bmtk seeds the *global* ``np.random`` with ``seed``; the caller's global state is restored afterwards.
    Times run from 0 to ``tstop_s`` seconds and are written in ms (SONATA h5).
    """
    from bmtk.utils.reports.spike_trains import PoissonSpikeGenerator

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = np.random.get_state()
    try:
        psg = PoissonSpikeGenerator(population=population, seed=seed)
        psg.add(node_ids=list(node_ids), firing_rate=float(rate_hz), times=(0.0, float(tstop_s)))
        psg.to_sonata(str(path))
    finally:
        np.random.set_state(state)
    return path


def spikes_input(input_file: Path, node_set: str) -> dict:
    """A BioNet ``inputs`` entry playing a SONATA spike file into the virtual population ``node_set``."""
    # "module": "h5" is refused by older BioNet releases (issue #324); "sonata" is accepted by all
    return {"input_type": "spikes", "module": "sonata", "input_file": str(Path(input_file).resolve()),
            "node_set": node_set}


def current_clamp_input(node_set: str = "all", amp_nA: float = 0.3, delay_ms: float = 100.0,
                        duration_ms: float = 500.0) -> dict:
    """A BioNet ``inputs`` entry: one somatic IClamp per cell of ``node_set``."""
    return {"input_type": "current_clamp", "module": "IClamp", "node_set": node_set,
            "amp": amp_nA, "delay": delay_ms, "duration": duration_ms}


# --- config ------------------------------------------------------------------------------------------

def network_files(network_dir: Path) -> tuple[list[dict], list[dict]]:
    """``networks.nodes`` and ``networks.edges`` entries for every population file of ``network_dir``.

    Populations made only of virtual nodes are listed last: bmtk numbers gids by the order of
    ``networks.nodes`` and a virtual population listed first breaks BioNet (bmtk issue #180).
    """
    network_dir = Path(network_dir).resolve()
    nodes = []
    for h5 in sorted(network_dir.glob("*_nodes.h5")):
        types = h5.with_name(h5.name[: -len("_nodes.h5")] + "_node_types.csv")
        if not types.is_file():
            raise OracleError(f"{types}: node types file of {h5.name} not found")
        model_types = set(pd.read_csv(types, sep=" ")["model_type"].astype(str))
        nodes.append(({"nodes_file": str(h5), "node_types_file": str(types)}, model_types == {"virtual"}))
    nodes.sort(key=lambda item: item[1])
    edges = []
    for h5 in sorted(network_dir.glob("*_edges.h5")):
        types = h5.with_name(h5.name[: -len("_edges.h5")] + "_edge_types.csv")
        if not types.is_file():
            raise OracleError(f"{types}: edge types file of {h5.name} not found")
        edges.append({"edges_file": str(h5), "edge_types_file": str(types)})
    if not nodes:
        raise OracleError(f"{network_dir}: no *_nodes.h5 file")
    return [entry for entry, _ in nodes], edges


def write_bmtk_config(path: Path, network_dir: Path, components_dir: Path, mechanisms_dir: Path, output_dir: Path,
                      tstop_ms: float, inputs: dict | None = None, reports: dict | None = None,
                      run_extra: dict | None = None, dt_ms: float = 0.1, nsteps_block: int = 5000) -> Path:
    """Write a BioNet simulation config that bmtk and simlib can both run.

    ``run``: dt 0.1 ms, dL 20 µm, spike_threshold -15 mV, ``nsteps_block`` (bmtk divides by it:
    leaving it out crashes BioNet with ZeroDivisionError), plus ``run_extra`` (e.g. simlib's
    ``merge_synapses``/``backend``, which bmtk ignores). ``conditions``: celsius 34, v_init -80 mV.
    Spikes go to ``<output_dir>/spikes.h5``. Paths are absolute.
    """
    path = Path(path)
    components_dir = Path(components_dir).resolve()
    nodes, edges = network_files(network_dir)
    components = {"morphologies_dir": components_dir / "morphologies",
                  "biophysical_neuron_models_dir": components_dir / "biophysical_neuron_models",
                  "synaptic_models_dir": components_dir / "synaptic_models",
                  "point_neuron_models_dir": components_dir / "point_neuron_models",
                  "filter_models_dir": components_dir / "filter_models"}
    components = {key: str(value) for key, value in components.items() if value.is_dir()}
    components["mechanisms_dir"] = str(nrnmech_dir(mechanisms_dir))
    config = {
        "target_simulator": "NEURON",
        "run": {"tstart": 0.0, "tstop": float(tstop_ms), "dt": dt_ms, "dL": 20.0, "spike_threshold": -15.0,
                "nsteps_block": int(nsteps_block), **(run_extra or {})},
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "inputs": inputs or {},
        "output": {"output_dir": str(Path(output_dir).resolve()), "log_file": "log.txt", "spikes_file": "spikes.h5",
                   "spikes_sort_order": "time", "overwrite_output_dir": True},
        "reports": reports or {},
        "components": components,
        "networks": {"nodes": nodes, "edges": edges},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2))
    return path


# --- running -----------------------------------------------------------------------------------------

def _env(mpi: bool = False) -> dict:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    if mpi:
        lib = Path(sys.prefix) / "lib" / "libmpi.so.12"
        env.setdefault("MPI_LIB_NRN_PATH", str(lib))
    return env


def mpiexec() -> str:
    """The ``mpiexec`` of the running Python's environment, else the one on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.is_file() else shutil.which("mpiexec")
    if found is None:
        raise OracleError(f"mpiexec: not found next to {sys.executable} nor on PATH")
    return found


def run_tracked(command: list[str], cwd: Path, env: dict, timeout: float | None = None,
                log_path: Path | None = None, poll_s: float = 0.1) -> dict:
    """Run ``command``; return its wall time and the peak summed RSS of its process tree (MB).

    The RSS is sampled every ``poll_s`` seconds with psutil (all MPI ranks together). Output goes
    to ``log_path`` (or is discarded).

    Raises
    ------
    OracleError
        If the command fails or times out; the message ends with the tail of its log.
    """
    with open(log_path, "w") if log_path else contextlib.nullcontext(subprocess.DEVNULL) as log:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            if timeout is not None and time.perf_counter() - start > timeout:
                _kill_tree(proc.pid)
                proc.wait()
                raise OracleError(f"{' '.join(command)}: timed out after {timeout:.0f} s{_tail(log_path)}")
            time.sleep(poll_s)
        wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise OracleError(f"{' '.join(command)}: exit status {proc.returncode}{_tail(log_path)}")
    return {"wall_s": wall, "peak_rss_mb": peak / 2**20}


def _tree_rss(pid: int) -> int:
    """Summed resident memory (bytes) of a process and its descendants; 0 once it is gone."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # exited between listing and reading
            pass
    return total


def _kill_tree(pid: int) -> None:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [*root.children(recursive=True), root]
    except psutil.Error:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def _tail(log_path: Path | None, n_chars: int = 4000) -> str:
    if not log_path or not Path(log_path).is_file():
        return ""
    return "; last lines of the log:\n" + Path(log_path).read_text(errors="replace")[-n_chars:]


def run_bmtk(config_path: Path, ranks: int = 1, timeout: float | None = 1800.0) -> dict:
    """Run BioNet on ``config_path`` in a subprocess (``mpiexec -n ranks`` when ranks > 1).

    Returns
    -------
    dict
        ``timings`` (seconds: cells, synapses, inputs, setup, simulate, plus import, total and
        per-rank peak memory as bmtk_run.py measured them), ``wall_s`` and ``peak_rss_mb`` of the
        whole process tree, and the paths ``config``, ``output_dir``, ``spikes_file``, ``log``.

    Raises
    ------
    OracleError
        If the run fails or leaves no spikes file.
    """
    config_path = Path(config_path).resolve()
    config = json.loads(config_path.read_text())
    output_dir = Path(config["output"]["output_dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    timings_path = output_dir / "bmtk_timings.json"
    timings_path.unlink(missing_ok=True)
    command = [sys.executable, str(RUN_SCRIPT), str(config_path), "--timings", str(timings_path)]
    if ranks > 1:
        command = [mpiexec(), "-n", str(ranks), *command, "--mpi"]
    # the config's folder, not the caller's: `import neuron` auto-loads ./<machine>/libnrnmech.so
    measured = run_tracked(command, cwd=config_path.parent, env=_env(mpi=ranks > 1), timeout=timeout,
                           log_path=config_path.parent / f"bmtk_run_{config_path.stem}.log")
    spikes_file = output_dir / config["output"].get("spikes_file", "spikes.h5")
    if not timings_path.is_file():
        raise OracleError(f"{config_path}: bmtk_run.py wrote no timings file {timings_path}")
    if not spikes_file.is_file():
        raise OracleError(f"{config_path}: bmtk wrote no spikes file {spikes_file}")
    return {"timings": json.loads(timings_path.read_text()), **measured, "config": config_path,
            "output_dir": output_dir, "spikes_file": spikes_file,
            "log": config_path.parent / f"bmtk_run_{config_path.stem}.log"}


# --- results -----------------------------------------------------------------------------------------

def read_spikes(path: Path, population: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(node_ids, timestamps_ms)`` of a SONATA spikes file, for one population.

    ``population`` may be left out when the file holds at most one. A file without spikes gives
    two empty arrays.

    Raises
    ------
    OracleError
        If the file holds several populations and none is chosen, or not the one asked for.
    """
    with h5py.File(path, "r") as f:
        pops = list(f["spikes"].keys()) if "spikes" in f else []
        if not pops:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        if population is None:
            if len(pops) > 1:
                raise OracleError(f"{path}: several spike populations {pops}; choose one")
            population = pops[0]
        if population not in pops:
            raise OracleError(f"{path}: no spike population '{population}'; it has {pops}")
        grp = f["spikes"][population]
        return grp["node_ids"][()].astype(np.int64), grp["timestamps"][()].astype(np.float64)


def read_nodes(network_dir: Path, population: str) -> pd.DataFrame:
    """Nodes of one population (index ``node_id``) with their node-type and per-node columns."""
    network_dir = Path(network_dir)
    types = pd.read_csv(network_dir / f"{population}_node_types.csv", sep=" ")
    with h5py.File(network_dir / f"{population}_nodes.h5", "r") as f:
        grp = f["nodes"][population]
        df = pd.DataFrame({"node_id": grp["node_id"][()], "node_type_id": grp["node_type_id"][()],
                           "node_group_id": grp["node_group_id"][()],
                           "node_group_index": grp["node_group_index"][()]})
        for gid in np.unique(df["node_group_id"]):
            rows = np.flatnonzero(df["node_group_id"].to_numpy() == gid)
            index = df["node_group_index"].to_numpy()[rows]
            for name, ds in grp[str(gid)].items():
                if isinstance(ds, h5py.Dataset) and ds.ndim == 1:
                    values = ds[()]
                    if values.dtype.kind in "SO":
                        values = np.array([v.decode() if isinstance(v, bytes) else v for v in values], dtype=object)
                    if name not in df:
                        df[name] = None if values.dtype == object else np.nan
                    df.loc[rows, name] = values[index]
    df = df.merge(types, on="node_type_id", how="left", suffixes=("", "_type"))
    return df.set_index("node_id").sort_index()


def population_rates(spikes: tuple[np.ndarray, np.ndarray], nodes_df: pd.DataFrame, group_by: str = "pop_name",
                     tstart_ms: float = 0.0, tstop_ms: float | None = None) -> dict[str, float]:
    """Mean firing rate (Hz) per ``group_by`` value over ``[tstart_ms, tstop_ms)``.

    ``spikes`` is ``(node_ids, timestamps_ms)`` (see :func:`read_spikes`); ``nodes_df`` is indexed by
    node id (see :func:`read_nodes`). Every group of ``nodes_df`` appears, silent ones with 0.

    Raises
    ------
    OracleError
        If the window is empty or a spike comes from a node not in ``nodes_df``.
    """
    node_ids, times = (np.asarray(a) for a in spikes)
    if tstop_ms is None:
        raise OracleError("population_rates: give tstop_ms (the end of the window, ms)")
    duration_s = (tstop_ms - tstart_ms) / 1000.0
    if duration_s <= 0:
        raise OracleError(f"population_rates: empty window [{tstart_ms}, {tstop_ms}) ms")
    unknown = np.setdiff1d(node_ids, nodes_df.index.to_numpy())
    if unknown.size:
        raise OracleError(f"population_rates: spikes from node ids not in the nodes table: {unknown[:10].tolist()}")
    keep = (times >= tstart_ms) & (times < tstop_ms)
    counts = pd.Series(node_ids[keep]).value_counts()
    per_node = counts.reindex(nodes_df.index, fill_value=0)
    groups = nodes_df[group_by].astype(str)
    return {str(k): float(v) / duration_s for k, v in per_node.groupby(groups).mean().items()}
