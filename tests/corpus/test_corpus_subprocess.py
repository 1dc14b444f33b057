"""A sample of the corpus through a real `python -m simlib` process: exit status 1 and no traceback; and the
one case that compiles (a mod folder whose file does not compile)."""

import subprocess
import sys

import pytest

from make import (Case, circuit_cases, edges_cases, filternet_cases, spikes_cases, types_cases)

SAMPLE = ["edges/chunk-flip/source_node_id", "circuit/hdf5-given", "spikes_h5/truncated-0.5/spikes-convert",
          "spikes_csv/not-a-number/plot-raster", "movie/nan", "node_types/comma-separated"]


def _sample() -> list[Case]:
    by_id = {case.id: case for case in edges_cases() + circuit_cases() + spikes_cases() + filternet_cases()
             + types_cases()}
    return [by_id[name] for name in SAMPLE]


def _simlib(argv, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simlib", *argv], capture_output=True, text=True, cwd=cwd,
                          env={"MPLBACKEND": "Agg", **__import__("os").environ}, timeout=300)


@pytest.mark.parametrize("case", _sample(), ids=lambda c: c.id)
def test_in_a_process(case, base, tmp_path):
    run = case.make(base, tmp_path / "case")
    before = {p: p.read_bytes() for p in run.outputs}
    proc = _simlib(run.argv, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("simlib: error: ") and str(run.culprit) in lines[0], proc.stderr
    assert all(p.read_bytes() == data for p, data in before.items())


def test_a_mod_file_that_does_not_compile(base, tmp_path):
    """simulate compiles components.mechanisms_dir when it holds no library: a broken mod file is named."""
    import json

    mods = tmp_path / "mechanisms"
    mods.mkdir()
    (mods / "broken.mod").write_text("NEURON {\n    SUFFIX broken\n    RANGE g\n}\nPARAMETER {\n    g = 1 (S/cm2\n}\n"
                                     "BREAKPOINT {\n    g = g +\n}\n")
    config = json.loads(base.bionet_config.read_text())
    config["components"]["mechanisms_dir"] = str(mods)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    proc = _simlib(["simulate", str(path)], tmp_path)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("simlib: error:")]
    assert len(errors) == 1 and "mechanisms" in errors[0], proc.stderr[-3000:]
    assert not (tmp_path / "output" / "spikes.h5").exists()
