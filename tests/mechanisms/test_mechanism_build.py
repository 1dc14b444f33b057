"""compile_mechanisms / load_mechanisms: both backends build, failures are explained, loads are idempotent."""

import platform
import shutil
import subprocess
import sys
import textwrap

import pytest

from simlib.errors import SimlibError
from simlib.mechanisms import (
    MECHANISMS,
    MOD_DIR,
    compile_mechanisms,
    load_mechanisms,
    mechanism_names,
)

BROKEN_MOD = """NEURON {
    THREADSAFE
    SUFFIX broken
}
BREAKPOINT {
    x = 
}
"""


@pytest.mark.slow
def test_compiles_with_nrnivmodl(nrnmech):
    assert nrnmech.name.startswith("libnrnmech") and nrnmech.parent.name == platform.machine()
    assert sorted(mechanism_names(nrnmech)) == sorted(MECHANISMS)
    assert not (nrnmech.parent / "libcorenrnmech.so").exists()


@pytest.mark.slow
def test_compiles_with_nrnivmodl_coreneuron(corenrnmech):
    assert (corenrnmech.parent / "libcorenrnmech.so").is_file()
    generated = corenrnmech.parent / "corenrn" / "mod2c"
    assert {p.stem for p in generated.glob("*.cpp")} >= set(MECHANISMS)


def test_failed_build_names_the_file_and_leaves_no_output(tmp_path):
    mods = tmp_path / "mods"
    mods.mkdir()
    shutil.copy(MOD_DIR / "SpikeSource.mod", mods)
    (mods / "broken.mod").write_text(BROKEN_MOD)
    out = tmp_path / "build"
    with pytest.raises(SimlibError, match=r"(?s)failed on broken\.mod.*Last lines of the log"):
        compile_mechanisms(mods, output_dir=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mods"]  # no output, no temporary folder


def test_unchanged_build_is_reused_and_changed_one_rebuilt(tmp_path):
    mods = tmp_path / "mods"
    mods.mkdir()
    shutil.copy(MOD_DIR / "SpikeSource.mod", mods)
    lib = compile_mechanisms(mods, output_dir=tmp_path / "build")
    built = lib.stat().st_mtime_ns
    assert compile_mechanisms(mods, output_dir=tmp_path / "build") == lib
    assert lib.stat().st_mtime_ns == built
    with open(mods / "SpikeSource.mod", "a") as f:
        f.write("\n: changed\n")
    assert compile_mechanisms(mods, output_dir=tmp_path / "build") == lib
    assert lib.stat().st_mtime_ns != built
    assert "changed" in (tmp_path / "build" / "SpikeSource.mod").read_text()


def test_missing_inputs_are_reported(tmp_path):
    with pytest.raises(SimlibError, match="expected a folder of NMODL"):
        compile_mechanisms(tmp_path / "nothing", output_dir=tmp_path / "build")
    with pytest.raises(SimlibError, match="expected libnrnmech.so"):
        load_mechanisms(tmp_path)


@pytest.mark.slow
def test_load_is_idempotent_and_exposes_fit_parameters(nrnmech, bmtk_nrnmech, tmp_path):
    code = textwrap.dedent(f"""
        from neuron import h
        from simlib.errors import SimlibError
        from simlib.mechanisms import MECHANISMS, load_mechanisms
        lib = load_mechanisms(r"{nrnmech.parent.parent}")
        assert load_mechanisms(r"{nrnmech}") == lib
        soma = h.Section(name="soma")
        channels = [name for name in MECHANISMS if name not in ("CaDynamics", "SpikeSource", "VecStim")]
        for name in channels + ["CaDynamics"]:
            soma.insert(name)
        seg = soma(0.5)
        for name in channels:
            getattr(seg, "gbar_" + name)
        seg.gamma_CaDynamics, seg.decay_CaDynamics = 0.01, 300.0
        assert h.SpikeSource().start < 0
        h.VecStim().play(h.Vector([1.0]))
        try:
            load_mechanisms(r"{bmtk_nrnmech}")
        except SimlibError as err:
            assert "same mechanism names" in str(err), err
        else:
            raise AssertionError("a second library with the same names was accepted")
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
