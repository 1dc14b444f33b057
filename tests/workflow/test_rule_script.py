"""simlib.workflow.script: the frame of the rule scripts (exit status, one error line, the log, off-screen figures)."""

import subprocess
import sys
import textwrap

import pytest


def run_script(tmp_path, body: str, env_extra=None):
    """Run ``body`` as a Python script in a fresh process (a rule script without Snakemake)."""
    import os

    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, env=env)


def test_simlib_error_is_one_line_and_status_1(tmp_path):
    (tmp_path / "rule.log").write_text("an older run's log\n")
    proc = run_script(tmp_path, """
        from simlib.errors import ConfigError
        from simlib.workflow.script import rule_script

        with rule_script("rule.log") as log:
            log("started")
            raise ConfigError("spikes.x.population: 'LGNX' not found")
        print("not reached")
        """)
    assert proc.returncode == 1
    assert proc.stderr == "error: spikes.x.population: 'LGNX' not found\n"  # no traceback
    assert proc.stdout == ""
    assert (tmp_path / "rule.log").read_text() == "started\nerror: spikes.x.population: 'LGNX' not found\n"


def test_success_writes_the_log(tmp_path):
    proc = run_script(tmp_path, """
        from simlib.workflow.script import rule_script

        with rule_script("logs/rule.log") as log:
            log("wrote a")
            log("wrote b")
        with rule_script() as log:
            log("nowhere")
        """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert (tmp_path / "logs" / "rule.log").read_text() == "wrote a\nwrote b\n"


def test_a_bug_keeps_its_traceback(tmp_path):
    proc = run_script(tmp_path, """
        from simlib.workflow.script import rule_script

        with rule_script("rule.log"):
            {}["missing"]
        """)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "KeyError: 'missing'" in proc.stderr


@pytest.mark.parametrize("backend", ["", "svg"])  # svg: a backend that loads without a display
def test_figures_are_drawn_off_screen(tmp_path, backend):
    proc = run_script(tmp_path, """
        from simlib.workflow.script import rule_script

        with rule_script():
            import matplotlib
            import matplotlib.pyplot as plt

            print(matplotlib.get_backend())
        """, {"MPLBACKEND": backend} if backend else {"DISPLAY": ":0"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().lower() == "agg"


def test_a_rule_script_fails_with_one_line(repo, tmp_path):
    """scripts/make_spikes.py, as Snakemake runs it (a `snakemake` object in its globals), on a missing circuit."""
    proc = run_script(tmp_path, f"""
        import runpy
        from types import SimpleNamespace

        spec = {{"network": "l4", "population": "LGN", "kind": "poisson", "firing_rate_hz": 5.0, "start_s": 0.0,
                 "stop_s": 1.0, "seed": 0}}
        snakemake = SimpleNamespace(input=SimpleNamespace(circuit="missing/circuit_config.json"),
                                    output=SimpleNamespace(h5="s.h5", csv="s.csv"),
                                    params=SimpleNamespace(spec=spec), log=["make_spikes.log"])
        runpy.run_path({str(repo / "scripts" / "make_spikes.py")!r}, init_globals={{"snakemake": snakemake}})
        """)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "missing/circuit_config.json" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["make_spikes.log", "script.py"]
