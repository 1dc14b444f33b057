"""simlib.workflow.code: the simlib files a rule's code reaches, and the rerun trigger built on them."""

import shutil
import subprocess
import sys

from simlib.workflow.code import PACKAGE_ROOT, code_hash, reached_files


def names(files):
    return {p.relative_to(PACKAGE_ROOT).as_posix() for p in files}


def test_a_script_reaches_the_modules_of_the_functions_it_calls(repo):
    spikes = names(reached_files(str(repo / "scripts/make_spikes.py")))
    assert {"simlib/tasks.py", "simlib/spikes/poisson.py", "simlib/workflow/script.py", "simlib/__init__.py",
            "simlib/spikes/__init__.py"} <= spikes
    assert not any(n.startswith(("simlib/bionet/", "simlib/filternet/", "simlib/builder/")) for n in spikes)
    network = names(reached_files(str(repo / "scripts/build_network.py")))
    assert "simlib/builder/network.py" in network and "simlib/models/l4.py" in network
    assert "simlib/spikes/poisson.py" not in network and "simlib/analysis/raster.py" not in network


def test_module_function_entries(repo):
    bionet = names(reached_files("simlib.bionet.simulation:simulate"))
    assert {"simlib/bionet/network.py", "simlib/circuit/edges.py", "simlib/circuit/inputs.py",
            "simlib/runlog.py"} <= bionet
    assert not any(n.startswith("simlib/pointnet/") for n in bionet)
    point = names(reached_files("simlib.pointnet.simulation:simulate"))
    assert "simlib/pointnet/network.py" in point and not any(n.startswith("simlib/bionet/") for n in point)


def test_hash_changes_with_a_reached_file_only(tmp_path, repo):
    shutil.copytree(PACKAGE_ROOT / "simlib", tmp_path / "simlib", ignore=shutil.ignore_patterns("__pycache__"))
    script = str(repo / "scripts/make_spikes.py")
    program = ("import sys; sys.path.insert(0, sys.argv[1]); from simlib.workflow.code import code_hash; "
               "print(code_hash(sys.argv[2]))")

    def hashed():
        return subprocess.run([sys.executable, "-c", program, str(tmp_path), script], capture_output=True,
                              text=True, check=True).stdout.strip()

    before = hashed()
    assert before == code_hash(script)                           # the copy hashes like the original
    with open(tmp_path / "simlib/bionet/recording.py", "a") as fh:
        fh.write("\n# not used by make_spikes\n")
    assert hashed() == before
    with open(tmp_path / "simlib/spikes/poisson.py", "a") as fh:
        fh.write("\n# used by make_spikes\n")
    assert hashed() != before


def test_lazy_package_exports_are_followed_to_their_module(tmp_path):
    """simlib.popnet loads its names on use (_EXPORTS): importing `solve` reaches the solver, importing the rates
    reader does not (so the figure rules do not rerun when the solver changes)."""
    def reached(source):
        script = tmp_path / f"script_{abs(hash(source))}.py"      # (sources are parsed once per path)
        script.write_text(source)
        return {p.relative_to(PACKAGE_ROOT).as_posix() for p in reached_files(str(script))}

    solver = "simlib/popnet/solver.py"
    assert solver in reached("from simlib.popnet import solve\n")
    assert solver in reached("import simlib.popnet\n")
    rates = reached("from simlib.popnet.rates_io import read_rates\n")
    assert "simlib/popnet/rates_io.py" in rates and "simlib/popnet/__init__.py" in rates and solver not in rates
    import simlib.popnet

    assert simlib.popnet.solve.__module__ == "simlib.popnet.solver"
    assert sorted(simlib.popnet.__all__) == sorted(simlib.popnet._EXPORTS)
