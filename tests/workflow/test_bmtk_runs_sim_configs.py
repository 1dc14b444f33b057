"""bmtk's BioNet runs the workflow's simulation configs as written, with the workflow's own mechanisms.

The networks, components, spike files and FilterNet flash of config/tiny.yaml are made by the
tasks the rules run (no Snakemake), simlib's mechanisms (with our VecStim, which BMTK's virtual
cells need) are compiled to results/mechanisms/, and each BioNet ``simulations`` entry's
results/sims/<sim>/config.json is written by the workflow's writer with ``merge_synapses: false``
(one point process per synapse, as BMTK builds them, so spikes can agree to the bit). simlib runs
that file; bmtk runs a byte-identical copy placed beside it (results/sims_bmtk/<sim>/, so the
``${configdir}``-relative paths point at the same inputs and only the output folder differs).
Spike files must be identical; reports hold the same values (BMTK's rows are one step later).
The FilterNet-driven and syn_activity runs make no V1 spike at this size, so their soma
potentials are compared too, with a report added to the config for that test only.

bmtk 1.2 runs in a subprocess with pandas' object strings (``bmtk_run.py
--pandas-object-strings``): on pandas 3 its property node sets select no cell, a bmtk bug
unrelated to the configs.

Two entries do not run in BMTK unchanged, for reasons the tests pin down:
  * ``l4_ecp``: its report has ``by_population: true``, simlib's key for per-population ECP shares;
    BMTK's EcpMod takes no such argument (TypeError). Without that key BMTK runs it.
  * ``spikes_function``: ``module: function`` names a generator that BMTK looks up in its own
    registry, filled only by a run script that imports the functions file with bmtk's
    ``@spikes_generator``; ``components.functions_file`` is simlib's key, which BMTK ignores.
    With a run script that registers the generator, BMTK gives the same spikes.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from workflow_configs import load_config

from simlib.filternet.run import run_filternet
from simlib.tasks import build_network, make_spikes, write_cell_models
from simlib.workflow import paths, specs
from simlib.workflow.filternet_writer import write_filternet_config
from simlib.workflow.simulation import sim_config_inputs, simulator, write_sim_config

pytestmark = [pytest.mark.slow, pytest.mark.parity]

NETWORKS = ("l4", "l4_inputs")
RUNS_UNCHANGED = ("l4_poisson", "l4_perturbation", "l4_flash", "csv_ramp", "syn_activity_exc_inh")
NOT_UNCHANGED = ("l4_ecp", "spikes_function")

BMTK_WITH_GENERATOR = """
import importlib.util, sys
sys.path.insert(0, sys.argv[3])
import bmtk_run
bmtk_run.object_strings()
from bmtk.simulator.core.pyfunction_cache import add_spikes_generator
spec = importlib.util.spec_from_file_location("user_generators", sys.argv[2])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
add_spikes_generator(module.my_spikes_generator)
bmtk_run.run(sys.argv[1], None, False)
"""
"""A BMTK run script for the spikes_function entry: register the generator, then run as usual."""


@pytest.fixture(scope="module")
def workflow(repo, nrnmech, tmp_path_factory) -> Path:
    """config/tiny.yaml's BioNet inputs and configs, as the workflow lays them out, with simlib's spikes."""
    pytest.importorskip("bmtk.simulator.bionet", reason="bmtk (the reference implementation) is not installed")
    root = tmp_path_factory.mktemp("workflow")
    shutil.copytree(repo / "examples", root / "examples")
    config = load_config(repo, "tiny.yaml")
    for net in NETWORKS:
        build_network(specs.network_spec(config, net), root / paths.network_dir(net))
    write_cell_models(config["components"]["offline"], root / paths.components_dir("offline"))
    for name, spec in config["spikes"].items():
        if spec["network"] in NETWORKS:
            make_spikes(spec, root / paths.circuit_config(spec["network"]), root / paths.spikes_file(name, "h5"),
                        root / paths.spikes_file(name, "csv"))
    mechanisms = root / Path(paths.mechanism_library(platform.machine())).parent.parent
    mechanisms.parent.mkdir(parents=True, exist_ok=True)
    mechanisms.symlink_to(nrnmech.parent.parent, target_is_directory=True)   # the compiled simlib mod set
    flash = config["filternet"]["flash"]
    files = {key: str(root / value) for key, value in specs.filternet_inputs(config, "flash").items()}
    run_filternet(write_filternet_config(
        root / paths.filternet_config("flash"), circuit_config=files["circuit"], population=flash["population"],
        components_dir=Path(files["components"]).parent, stimulus=flash["stimulus"], tstop_ms=flash["tstop_ms"],
        seed=flash["seed"]))
    cwd = os.getcwd()
    os.chdir(root)                      # the writer takes the rule's inputs relative to the workflow folder
    try:
        for sim, spec in config["simulations"].items():
            if simulator(spec) == "bionet":
                write_sim_config({**spec, "merge_synapses": False}, sim_config_inputs(config, sim, root),
                                 paths.sim_config(sim))
    finally:
        os.chdir(cwd)
    return root


def run_simlib(config: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "simlib", "simulate", str(config)], capture_output=True,
                          text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def bmtk_copy(workflow: Path, sim: str, config: dict | None = None) -> Path:
    """results/sims_bmtk/<sim>/config.json: the workflow's file byte for byte, or `config` written there."""
    original = workflow / paths.sim_config(sim)
    folder = original.parent.parent.parent / "sims_bmtk" / sim
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "config.json"
    if config is None:
        shutil.copyfile(original, copy)
    else:
        copy.write_text(json.dumps(config, indent=2))
    return copy


def run_bmtk(repo: Path, config: Path, script: str | None = None, *args) -> subprocess.CompletedProcess:
    runner = repo / "tests" / "bionet" / "bmtk_run.py"
    command = ([sys.executable, "-c", script, str(config), *args] if script else
               [sys.executable, str(runner), str(config), "--pandas-object-strings"])
    return subprocess.run(command, cwd=config.parent, capture_output=True, text=True, timeout=900, check=False)


def spikes(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{population: (node_ids, timestamps)} sorted by node then time."""
    out = {}
    with h5py.File(path, "r") as f:
        for pop, group in f["spikes"].items():
            ids, times = group["node_ids"][()], group["timestamps"][()]
            order = np.lexsort((times, ids))
            out[pop] = (ids[order], times[order])
    return out


def assert_same_spikes(ours: Path, theirs: Path, atol_ms: float = 0.0) -> int:
    """Same spiking nodes and spike times (to the bit unless `atol_ms`); returns the number of spikes."""
    a, b = spikes(ours), spikes(theirs)
    assert {p for p, (ids, _) in a.items() if ids.size} == {p for p, (ids, _) in b.items() if ids.size}
    for pop in a:
        if a[pop][0].size:
            np.testing.assert_array_equal(a[pop][0], b[pop][0])
            np.testing.assert_allclose(a[pop][1], b[pop][1], rtol=0, atol=atol_ms)
    return sum(ids.size for ids, _ in a.values())


@pytest.mark.parametrize("sim", RUNS_UNCHANGED)
def test_bmtk_runs_the_config_as_written_with_the_same_spikes(repo, workflow, sim):
    config = workflow / paths.sim_config(sim)
    run_simlib(config)
    theirs = bmtk_copy(workflow, sim)
    assert theirs.read_bytes() == config.read_bytes()
    done = run_bmtk(repo, theirs)
    assert done.returncode == 0, done.stderr[-3000:]
    n = assert_same_spikes(config.parent / "output" / "spikes.h5", theirs.parent / "output" / "spikes.h5")
    if sim in ("l4_poisson", "l4_perturbation", "csv_ramp"):
        assert n > 10                          # the comparison covers real activity
    for report in json.loads(config.read_text()).get("reports", {}):
        with h5py.File(config.parent / "output" / f"{report}.h5") as a, \
                h5py.File(theirs.parent / "output" / f"{report}.h5") as b:
            ours, bmtks = a["report/V1/data"][()], b["report/V1/data"][()]
            np.testing.assert_array_equal(a["report/V1/mapping/node_ids"][()], b["report/V1/mapping/node_ids"][()])
            # row k: simlib's state at k dt, BMTK's at (k + 1) dt (documented in the README)
            np.testing.assert_array_equal(ours[1:], bmtks[:-1])


def test_ecp_config_needs_by_population_removed(repo, workflow):
    config = workflow / paths.sim_config("l4_ecp")
    data = json.loads(config.read_text())
    assert data["reports"]["ecp"]["by_population"] is True
    done = run_bmtk(repo, bmtk_copy(workflow, "l4_ecp"))
    assert done.returncode != 0
    assert "unexpected keyword argument 'by_population'" in done.stderr
    del data["reports"]["ecp"]["by_population"]
    theirs = bmtk_copy(workflow, "l4_ecp", data)
    done = run_bmtk(repo, theirs)
    assert done.returncode == 0, done.stderr[-3000:]
    run_simlib(config)
    # BMTK inserts NEURON's extracellular mechanism in every section for its ECP (simlib uses fast_imem),
    # which changes the rounding of the voltage solve: a few spikes move by one 0.1 ms step
    n = assert_same_spikes(config.parent / "output" / "spikes.h5", theirs.parent / "output" / "spikes.h5",
                           atol_ms=0.1 + 1e-9)
    assert n > 10


def test_function_inputs_need_a_bmtk_run_script(repo, workflow):
    config = workflow / paths.sim_config("spikes_function")
    theirs = bmtk_copy(workflow, "spikes_function")
    done = run_bmtk(repo, theirs)
    assert done.returncode != 0
    assert 'Could not find @spikes_generator function "my_spikes_generator"' in done.stderr
    functions_file = json.loads(config.read_text())["components"]["functions_file"]
    functions_file = functions_file.replace("${configdir}", str(theirs.parent))
    done = run_bmtk(repo, theirs, BMTK_WITH_GENERATOR, functions_file, str(repo / "tests" / "bionet"))
    assert done.returncode == 0, done.stderr[-3000:]
    run_simlib(config)
    assert assert_same_spikes(config.parent / "output" / "spikes.h5", theirs.parent / "output" / "spikes.h5") > 10


@pytest.mark.parametrize("sim", ["l4_flash", "syn_activity_exc_inh"])
def test_runs_without_spikes_have_the_same_voltages(repo, workflow, sim):
    """These tiny runs make no V1 spike, so the configs get a soma report of every V1 cell here (test only)."""
    data = json.loads((workflow / paths.sim_config(sim)).read_text())
    data["reports"] = {"v_soma": {"module": "membrane_report", "cells": {"population": "V1"}, "variable_name": "v",
                                  "sections": "soma"}}
    configs = []
    for folder in ("sims_with_report", "sims_with_report_bmtk"):
        path = workflow / "results" / folder / sim / "config.json"      # the same depth as results/sims/<sim>
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))
        configs.append(path)
    run_simlib(configs[0])
    done = run_bmtk(repo, configs[1])
    assert done.returncode == 0, done.stderr[-3000:]
    with h5py.File(configs[0].parent / "output" / "v_soma.h5") as a, \
            h5py.File(configs[1].parent / "output" / "v_soma.h5") as b:
        ours, bmtks = a["report/V1/data"][()], b["report/V1/data"][()]
    assert ours.shape == bmtks.shape and ours.shape[1] == 30
    np.testing.assert_array_equal(ours[1:], bmtks[:-1])
    assert np.ptp(ours[500:], axis=0).max() > 0.5     # the input moves some membrane potential (mV)
