"""simlib.tasks as the rule scripts use it (raising simlib errors, never exiting), and the packages' layering."""

import subprocess
import sys
from pathlib import Path

import pytest

from simlib import tasks
from simlib.errors import ConfigError, SimlibError


def test_unknown_spikes_kind_lists_the_accepted_ones():
    with pytest.raises(ConfigError, match="kind 'burst' unknown; accepted: poisson, ramp"):
        tasks.make_spikes({"kind": "burst"}, "circuit_config.json")


def test_make_spikes_by_kind(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks, "make_poisson_spikes", lambda *a: calls.append(("poisson", *a)))
    monkeypatch.setattr(tasks, "make_ramp_spikes", lambda *a: calls.append(("ramp", *a)))
    spec = {"population": "LGN", "start_s": 0.0, "stop_s": 1.0, "seed": 4, "firing_rate_hz": 5.0, "rate_step_hz": 2.0}
    tasks.make_spikes({**spec, "kind": "poisson"}, "c.json", "s.h5", "s.csv")
    tasks.make_spikes({**spec, "kind": "ramp"}, "c.json")
    assert calls == [("poisson", "c.json", "LGN", 5.0, 0.0, 1.0, 4, "s.h5", "s.csv"),
                     ("ramp", "c.json", "LGN", 2.0, 0.0, 1.0, 4, None, None)]


def test_allen_cell_models_need_their_listing(tmp_path):
    with pytest.raises(ConfigError, match="source allen needs the listing"):
        tasks.write_cell_models({"source": "allen", "cells": [{"model_id": 1}]}, tmp_path / "c")


def test_mechanism_library_elsewhere_is_an_error(tmp_path, monkeypatch):
    import simlib.mechanisms

    def fake_compile(mod_dir, *, output_dir, coreneuron=False):
        return Path(output_dir) / "x86_64" / "libnrnmech.so"

    monkeypatch.setattr(simlib.mechanisms, "compile_mechanisms", fake_compile)
    lib = tmp_path / "mechanisms" / "x86_64" / "libnrnmech.so"
    assert tasks.compile_mechanism_library(lib) == lib
    with pytest.raises(SimlibError, match="wrote .*/x86_64/libnrnmech.so, expected .*/arm64/libnrnmech.so"):
        tasks.compile_mechanism_library(tmp_path / "mechanisms" / "arm64" / "libnrnmech.so")


@pytest.mark.parametrize("module, not_imported", [
    ("simlib.config", ["simlib.filternet", "simlib.models", "simlib.workflow", "simlib.tasks", "matplotlib"]),
    ("simlib.tasks", ["simlib.workflow", "matplotlib", "neuron"]),
    ("simlib.workflow.paths", ["numpy", "simlib.config", "simlib.sonata"]),  # loads in AllenSDK's environment
])
def test_layers_point_one_way(module, not_imported):
    code = f"import sys, {module}; print(' '.join(m for m in {not_imported!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
