"""Runs killed (SIGKILL) at any moment: no file at an output's name is partial, and a rerun writes the same
bytes (SHA-256) as an uninterrupted run, leaving no temporary file behind.

`simlib simulate` (BioNet), `simlib filternet` and `simlib build-network` are each killed several times in a
row (after a delay, or as soon as a temporary file of an output appears, i.e. mid-run or mid-write), each
kill checked, then run to the end; the same is done to a rerun over complete outputs, which must keep them.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from simnet import build_network, mechanisms_dir, offline_components, write_config, write_poisson

from simlib.builder import NetworkBuilder

LOGS = ("log.txt",)   # logs hold wall-clock times: complete or absent, never compared byte for byte


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder` at its final name (temporary files and logs aside)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".tmp" not in str(p.relative_to(folder))
            and p.name not in LOGS}


def temporary(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".tmp" in p.name) if folder.exists() else []


def run(command: list, cwd: Path) -> None:
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def kill(command: list, cwd: Path, watch: Path, after_s: float = 0.0, when: str | None = None) -> str:
    """Start `command` and SIGKILL it `after_s` seconds after it started, or (with `when`, a regex) after a
    file whose name matches appears under `watch`. Returns where it was killed (or 'finished')."""
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.monotonic()
    seen = None if when else start
    try:
        while proc.poll() is None and time.monotonic() - start < 120:
            if seen is None and watch.exists() and any(re.search(when, p.name) for p in watch.rglob("*")):
                seen = time.monotonic()
            if seen is not None and time.monotonic() - seen >= after_s:
                proc.kill()
                break
            time.sleep(0.002)
    finally:
        code = proc.wait()
    return "finished" if code == 0 else f"killed {after_s} s after {when or 'start'}"


def check_killed(out: Path, reference: dict, where: str, whole: bool) -> None:
    """What a killed run leaves at final names is complete: files of the reference, byte for byte (with
    `whole`, the folder is all of them or absent)."""
    found = digests(out) if out.exists() else {}
    partial = {name: sha for name, sha in found.items() if reference.get(name) != sha}
    assert partial == {}, f"{where}: files at their final names that differ from an uninterrupted run"
    assert not whole or not out.exists() or found == reference, f"{where}: a partial folder at {out}"
    for name in LOGS:
        assert not (out / name).exists() or (out / name).read_text().endswith("\n"), where


def kills_then_rerun(command: list, cwd: Path, out: Path, points: list[dict], whole: bool = False) -> list[str]:
    """Kill `command` (writing into `out`, under `cwd`) at each of `points` in turn, each kill checked, then
    run it to the end; then kill a rerun over the complete outputs, which must keep them, and run it again.
    Every complete run must give the reference files; `whole`: `out` is one output (a network folder)."""
    run(command, cwd)
    reference = digests(out)
    assert reference and temporary(cwd) == []
    shutil.rmtree(out)
    outcomes = []
    for point in points:
        outcomes.append(kill(command, cwd, cwd, **point))
        check_killed(out, reference, outcomes[-1], whole)
    run(command, cwd)
    assert digests(out) == reference and temporary(cwd) == []
    outcomes.append(kill(command, cwd, cwd, **points[-1]))
    assert digests(out) == reference, outcomes[-1]
    run(command, cwd)
    assert digests(out) == reference and temporary(cwd) == []
    return outcomes


def simlib(*args) -> list:
    return [sys.executable, "-m", "simlib", *map(str, args)]


# --- BioNet ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bionet_config(tmp_path_factory, nrnmech) -> Path:
    root = tmp_path_factory.mktemp("killed_bionet")
    components = offline_components(root / "components")
    net = build_network(root / "network", n_exc=2, n_inh=1, n_lgn=2)
    write_poisson(root / "lgn.h5", 2, 20.0, 1.5)
    return write_config(root / "sim" / "config.json", net, components, mechanisms_dir(nrnmech), 1500.0,
                        inputs={"lgn": {"input_type": "spikes", "module": "sonata", "input_file": str(root / "lgn.h5"),
                                        "node_set": "LGN"}},
                        reports={"v": {"module": "membrane_report", "variable_name": "v", "cells": "biophysical",
                                       "sections": "soma", "file_name": "v_report.h5"}},
                        run={"nsteps_block": 1000})


def test_bionet_simulate_killed(bionet_config):
    report_open = r"^\.v_report\.h5\..*\.tmp"
    outcomes = kills_then_rerun(simlib("simulate", bionet_config), bionet_config.parent, bionet_config.parent / "output",
                                [{"after_s": 1.0},                         # importing NEURON, reading the network
                                 {"when": report_open},                    # the run starts
                                 {"when": report_open, "after_s": 0.7}])   # mid-run
    # the three kill points must hit the run; the last kill (of a rerun over complete outputs) may come after a
    # fast machine has finished it, which the outputs' check covers as well
    assert all(o.startswith("killed") for o in outcomes[:3]), outcomes


# --- FilterNet ------------------------------------------------------------------------------------

FILTERS = {"sON_TF8": {"opt_wts": [3.5, -1.7], "opt_kpeaks": [13.0, 28.0], "opt_delays": [0, 25]},
           "tOFF_TF8": {"opt_wts": [4.2, -2.4], "opt_kpeaks": [8.5, 23.0], "opt_delays": [0, 0]}}


@pytest.fixture(scope="module")
def filternet_config(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("killed_filternet")
    models = root / "filter_models"
    models.mkdir()
    for name, params in FILTERS.items():
        (models / f"{name}.json").write_text(json.dumps(params))
    rng = np.random.default_rng(3)
    lgn = NetworkBuilder("LGN")
    for template in FILTERS:
        lgn.add_nodes(N=30, model_type="virtual", model_template=f"lgnmodel:{template}",
                      dynamics_params=f"{template}.json", x=rng.uniform(5.0, 35.0, 30), y=rng.uniform(5.0, 25.0, 30),
                      spatial_size=2.0, spont_fr=2.0, ei="e")
    lgn.build()
    lgn.save_nodes(output_dir=str(root / "network"))
    config = {"run": {"tstop": 2000.0, "dt": 0.1, "seed": 4}, "target_simulator": "LGNModel",
              "inputs": {"flash": {"input_type": "movie", "module": "full_field_flash", "row_size": 30, "col_size": 40,
                                   "t_on": 300.0, "t_off": 1200.0, "max_intensity": 1.0, "frame_rate": 1000.0}},
              "output": {"output_dir": "output", "log_file": "log.txt", "rates_csv": "rates.csv", "rates_h5": "rates.h5",
                         "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv"},
              "components": {"filter_models_dir": str(models)},
              "networks": {"nodes": [{"nodes_file": str(root / "network/LGN_nodes.h5"),
                                      "node_types_file": str(root / "network/LGN_node_types.csv")}]}}
    (root / "sim").mkdir()
    path = root / "sim" / "config.json"
    path.write_text(json.dumps(config))
    return path


def test_filternet_killed(filternet_config):
    outcomes = kills_then_rerun(simlib("filternet", filternet_config), filternet_config.parent,
                                filternet_config.parent / "output",
                                [{"after_s": 0.5}, {"when": r"\.tmp"}, {"when": r"^\.rates\.h5\..*\.tmp"}])
    assert sum(o.startswith("killed") for o in outcomes) >= 3, outcomes


# --- build-network --------------------------------------------------------------------------------

def test_build_network_killed(tmp_path):
    # 3,000 V1 cells (10.4 M edges): about a second of building and saving, long enough for every kill point
    # to land while it runs (at scale 2 a fast machine finished before the last one)
    command = simlib("build-network", "--model", "l4_tutorial", "--seed", 3, "--param", "scale=10", "-o", "net")
    building = r"^\.net\..*\.tmp"
    outcomes = kills_then_rerun(command, tmp_path, tmp_path / "net",
                                [{"after_s": 0.3}, {"when": building}, {"when": building, "after_s": 0.15}],
                                whole=True)
    assert sum(o.startswith("killed") for o in outcomes) >= 3, outcomes
