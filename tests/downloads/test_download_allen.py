"""The download rules for real: AllenSDK in its own venv (made by the allensdk_env rule) against a local
stand-in of the Allen API, then the downloaded session and cell models driving a simulation."""

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from allen_api import AllenApi

from simlib.config import SimulationConfig
from simlib.spikes import SpikeTrains

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "spikes"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from ecephys_sessions import SESSIONS, write_session
from test_workflow import workflow_copy

pytestmark = pytest.mark.workflow
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--cores", "2"]
# the tutorial's L4 cell models in bmtk's package data (test-only oracle data): model id -> (fit, morphology)
L4_MODELS = {472363762: ("472363762_fit.json", "Scnn1a_473845048_m.swc"),
             473863510: ("473863510_fit.json", "Rorb_325404214_m.swc"),
             473863035: ("473863035_fit.json", "Nr5a1_471087815_m.swc"),
             472912177: ("472912177_fit.json", "Pvalb_470522102_m.swc")}
TWO_SESSIONS = (715093703, 798911424)


def bmtk_components() -> Path:
    bmtk = pytest.importorskip("bmtk")
    return Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def allensdk_python(repo, tmp_path_factory) -> Path:
    """AllenSDK's venv, made (once per checkout, in <repo>/.venv-allensdk) by the workflow's allensdk_env rule."""
    venv = repo / ".venv-allensdk"
    wf = workflow_copy(repo, tmp_path_factory.mktemp("allensdk_env"))
    (wf / "config/env.yaml").write_text(yaml.safe_dump({"downloads": {"allensdk_venv": str(venv)}}))
    proc = subprocess.run([*SNAKEMAKE, str(venv / ".simlib-allensdk-ready"), "--configfile", "config/tiny.yaml",
                           "config/env.yaml"], cwd=wf, capture_output=True, text=True, timeout=1500, check=False)
    log = wf / "logs/allensdk_env.log"
    assert proc.returncode == 0, proc.stderr[-3000:] + (log.read_text()[-3000:] if log.exists() else "")
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("allen_sources")
    sessions = {sid: write_session(folder / f"{sid}.nwb", sid, **SESSIONS[sid]) for sid in TWO_SESSIONS}
    data = bmtk_components()
    models = {mid: {"fit": data / "biophysical_neuron_models" / fit, "morphology": data / "morphologies" / swc}
              for mid, (fit, swc) in L4_MODELS.items()}
    return sessions, models


def test_allensdk_kept_apart(allensdk_python):
    """The AllenSDK venv has its pinned numpy and pandas; simlib's environment keeps current ones."""
    code = "import allensdk, numpy, pandas; print(numpy.__version__, pandas.__version__)"
    out = subprocess.run([str(allensdk_python), "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert tuple(int(v) for v in out[0].split(".")[:2]) < (1, 24) and out[1] == "1.5.3"
    assert tuple(int(v) for v in np.__version__.split(".")[:2]) >= (1, 24)
    assert int(pd.__version__.split(".")[0]) >= 2


def download(python, repo, cwd, api_url, *args, backoff="0.05"):
    """scripts/download_allen.py in AllenSDK's venv, with simlib's package and nothing else of simlib's environment."""
    command = [str(python), str(repo / "scripts/download_allen.py"), "--api", api_url, "--backoff", backoff,
               "--retries", "2", "--hint", "HINT: put it there by hand", *args]
    env = {"PATH": "/usr/bin:/bin", "SIMLIB_PACKAGE": str(repo / "simlib")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_download_script(allensdk_python, repo, sources, tmp_path):
    """AllenSDK finds the files, simlib fetches them: a session (with a dropped connection) and two cell models;
    a second run asks the server nothing."""
    sessions, models = sources
    sid = TWO_SESSIONS[0]
    with AllenApi(sessions, models) as api:
        api.faults[api.session_files[sid]] = ["drop"]
        proc = download(allensdk_python, repo, tmp_path, api.url, "session", str(sid), "--cache", "resources/ecephys")
        assert proc.returncode == 0, proc.stderr + proc.stdout
        nwb = tmp_path / f"resources/ecephys/session_{sid}/session_{sid}.nwb"
        assert nwb.read_bytes() == sessions[sid].read_bytes()
        assert "resuming" in proc.stdout and "downloaded" in proc.stdout
        assert (tmp_path / "resources/ecephys/manifest.json").exists()  # AllenSDK's cache manifest
        recorded = json.loads((tmp_path / "resources/ecephys/downloads.json").read_text())
        assert recorded[f"session_{sid}/session_{sid}.nwb"]["url"].endswith(f"/{api.session_files[sid]}")
        assert api.requests[0] == "/api/v2/data/query.json"  # AllenSDK's RMA query, then the file (twice)
        assert api.downloads() == [api.session_files[sid]] * 2

        proc = download(allensdk_python, repo, tmp_path, api.url, "cell-models", "--out", "resources/cell_models/a",
                        "--model", "472363762=Scnn1a_473845048_m.swc,472363762_fit.json", "--model", "472912177")
        assert proc.returncode == 0, proc.stderr + proc.stdout
        out = tmp_path / "resources/cell_models/a"
        assert (out / "morphologies/Scnn1a_473845048_m.swc").read_bytes() == models[472363762]["morphology"].read_bytes()
        assert (out / "biophysical_neuron_models/472912177_fit.json").read_bytes() == \
            models[472912177]["fit"].read_bytes()  # no names given: the Allen file names
        cells = json.loads((out / "cells.json").read_text())["cells"]
        assert [c["model_type"] for c in cells] == ["Biophysical - perisomatic"] * 2

        before = list(api.requests)
        assert download(allensdk_python, repo, tmp_path, api.url, "session", str(sid), "--cache",
                        "resources/ecephys").returncode == 0
        assert download(allensdk_python, repo, tmp_path, api.url, "cell-models", "--out", "resources/cell_models/a",
                        "--model", "472363762=Scnn1a_473845048_m.swc,472363762_fit.json").returncode == 0
        assert api.requests == before


def test_download_script_corrupt_and_offline(allensdk_python, repo, sources, tmp_path):
    sessions, models = sources
    sid = TWO_SESSIONS[1]
    dest = tmp_path / f"resources/ecephys/session_{sid}/session_{sid}.nwb"
    with AllenApi(sessions, models) as api:
        api.faults[api.session_files[sid]] = ["corrupt"] * 3
        proc = download(allensdk_python, repo, tmp_path, api.url, "session", str(sid), "--cache", "resources/ecephys")
    assert proc.returncode == 1
    assert f"download_allen: error: resources/ecephys/session_{sid}/session_{sid}.nwb: could not download" in proc.stderr
    assert "not valid" in proc.stderr and "HINT: put it there by hand" in proc.stderr
    assert not dest.exists() and not list(dest.parent.glob(".*part*"))
    # no server at all
    proc = download(allensdk_python, repo, tmp_path, f"http://127.0.0.1:{free_port()}", "session", str(sid),
                    "--cache", "resources/ecephys")
    assert proc.returncode == 1
    (line, *rest) = proc.stderr.strip().splitlines()
    assert line.startswith(f"download_allen: error: resources/ecephys/session_{sid}/session_{sid}.nwb: not present, "
                           f"and finding its download failed: finding session {sid} at http://127.0.0.1:")
    assert "Connection" in line and rest == ["HINT: put it there by hand"]
    assert not dest.exists()


def new_workflow(repo: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    return workflow_copy(repo, dest)


def nwb_allen_config(api_url: str, venv: Path, sessions) -> dict:
    """The tiny L4 network with VISl/hippocampus inputs from the downloaded sessions, on the Allen cell models."""
    files = [f"resources/ecephys/session_{sid}/session_{sid}.nwb" for sid in sessions]
    probe = {"input_type": "spikes", "module": "ecephys_probe", "input_file": files,
             "mapping": "sample_with_replacement", "interval": {"interval_name": "drifting_gratings",
                                                                "temporal_frequency": 4.0, "orientation": 90}}
    return {
        "downloads": {"api": api_url, "allensdk_venv": str(venv), "retries": 2, "backoff_s": 0.05,
                      "ecephys_sessions": list(sessions)},
        "components": {"allen": {"source": "allen", "cells": [
            {"model_id": mid, "morphology": swc, "dynamics_params": fit} for mid, (fit, swc) in L4_MODELS.items()]}},
        "networks": {"l4_nwb": {"model": "l4_tutorial", "seed": 7,
                                "params": {"scale": 0.1, "virtual_inputs": {"VISl": 10, "hippocampus": 10}}}},
        "simulations": {"nwb_allen": {
            "network": "l4_nwb", "components": "allen", "tstop_ms": 300.0, "ranks": 2,
            "inputs": {"LGN_spikes": {"input_type": "spikes", "module": "sonata", "spikes": "lgn_poisson",
                                      "node_set": "LGN"},
                       "visl_spikes": {**probe, "node_set": "VISl", "units": {"location": "VISl"}, "seed": 2},
                       "hippo_spikes": {**probe, "node_set": "hippocampus", "units": {"location": "CA1"}, "seed": 1}},
            "figures": {"raster": {"group_by": "pop_name", "title": "Allen cells, Neuropixels inputs"}}}},
    }


@pytest.mark.slow
def test_downloads_drive_a_simulation(allensdk_python, repo, sources, tmp_path):
    """Sessions and cell models downloaded by the rules (AllenSDK's venv) run the ecephys_probe simulation on the
    Allen cells with our mechanisms; a rerun fetches nothing; offline, a missing session is named with its key."""
    sessions, models = sources
    venv = allensdk_python.parent.parent
    wf = new_workflow(repo, tmp_path / "wf")
    target = "results/figures/nwb_allen/raster.png"
    with AllenApi(sessions, models) as api:
        (wf / "config/dl.yaml").write_text(yaml.safe_dump(nwb_allen_config(api.url, venv, TWO_SESSIONS)))
        api.faults[api.session_files[TWO_SESSIONS[1]]] = ["drop"]
        proc = subprocess.run([*SNAKEMAKE, target, "--configfile", "config/tiny.yaml", "config/dl.yaml"], cwd=wf,
                              capture_output=True, text=True, timeout=1200, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert sorted(api.downloads()) == sorted([*api.session_files.values(), api.session_files[TWO_SESSIONS[1]]]
                                                 + [f for m in api.model_files.values() for f in (m["fit"], m["morphology"])])
        requests = list(api.requests)
        # other download settings: no rerun trigger, the files in place stay (nothing is fetched again)
        changed = nwb_allen_config(api.url, venv, TWO_SESSIONS)
        changed["downloads"].update(retries=3, timeout_s=60.0)
        (wf / "config/dl.yaml").write_text(yaml.safe_dump(changed))
        proc = subprocess.run([*SNAKEMAKE, target, "--configfile", "config/tiny.yaml", "config/dl.yaml"], cwd=wf,
                              capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0 and "Nothing to be done" in proc.stdout + proc.stderr
        assert api.requests == requests
    for sid in TWO_SESSIONS:
        assert (wf / f"resources/ecephys/session_{sid}/session_{sid}.nwb").read_bytes() == sessions[sid].read_bytes()
    for mid, (fit, swc) in L4_MODELS.items():
        assert (wf / f"resources/cell_models/allen/morphologies/{swc}").read_bytes() == \
            models[mid]["morphology"].read_bytes()
    # the simulation config points at the downloaded cell models; the inputs at the downloaded sessions
    config = SimulationConfig.from_json(wf / "results/sims/nwb_allen/config.json")
    assert Path(config.components["morphologies_dir"]).resolve() == (wf / "resources/cell_models/allen/morphologies").resolve()
    assert Path(config.components["synaptic_models_dir"]).resolve() == (wf / "results/components/allen/synaptic_models").resolve()
    assert [Path(f).resolve() for f in config.inputs["visl_spikes"]["input_file"]] == \
        [(wf / f"resources/ecephys/session_{sid}/session_{sid}.nwb").resolve() for sid in TWO_SESSIONS]
    log = (wf / "results/sims/nwb_allen/output/log.txt").read_text()
    for name in ("visl_spikes", "hippo_spikes"):
        assert int(log.split(f"input {name} (ecephys_probe): ")[1].split()[0]) > 0
    spikes = SpikeTrains.load(wf / "results/sims/nwb_allen/output/spikes.h5")
    assert spikes.n_spikes() > 0  # the Allen perisomatic cells fire on simlib's mechanisms

    # offline, a session deleted: the run stops naming the file, where to put it and the config key
    offline = new_workflow(repo, tmp_path / "offline")
    shutil.copytree(wf / "resources", offline / "resources")
    (offline / f"resources/ecephys/session_{TWO_SESSIONS[0]}/session_{TWO_SESSIONS[0]}.nwb").unlink()
    cfg = nwb_allen_config(f"http://127.0.0.1:{free_port()}", venv, TWO_SESSIONS)
    (offline / "config/dl.yaml").write_text(yaml.safe_dump(cfg))
    proc = subprocess.run([*SNAKEMAKE, target, "--configfile", "config/tiny.yaml", "config/dl.yaml"], cwd=offline,
                          capture_output=True, text=True, timeout=600, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Error in rule download_ecephys_session" in text
    missing = f"resources/ecephys/session_{TWO_SESSIONS[0]}/session_{TWO_SESSIONS[0]}.nwb"
    assert f"download_allen: error: {missing}: not present" in text
    assert "put the session's NWB file" in text and f"at {missing} by hand" in text
    assert "simulations.nwb_allen.inputs.visl_spikes.input_file" in text
    assert not (offline / missing).exists()
    assert not (offline / "results/sims/nwb_allen").exists()
