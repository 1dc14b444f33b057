"""Static checks of simlib's mod files: names the Allen fits use, and NMODL both backends accept."""

import re

import pytest

from simlib.mechanisms import MECHANISMS, MOD_DIR, mechanism_names

# RANGE parameters that Allen *_fit.json genomes (and BMTK) set, per mechanism
FIT_PARAMETERS = {name: {"gbar"} for name in MECHANISMS}
FIT_PARAMETERS["CaDynamics"] = {"gamma", "decay", "depth", "minCai"}
FIT_PARAMETERS["SpikeSource"] = {"start"}
FIT_PARAMETERS["VecStim"] = set()
EVENT_SOURCES = ("SpikeSource", "VecStim")        # ARTIFICIAL_CELLs, not channels
ION_CURRENT = {
    "NaTs": "na", "NaTa": "na", "Nap": "na", "NaV": "na", "K_P": "k", "K_T": "k", "Kv3_1": "k", "Kd": "k",
    "Kv2like": "k", "Im": "k", "Im_v2": "k", "SK": "k", "Ca_HVA": "ca", "Ca_LVA": "ca",
}


def code_of(name: str) -> str:
    """The mod file without its comments."""
    text = (MOD_DIR / f"{name}.mod").read_text()
    text = re.sub(r"^\s*COMMENT\b.*?^\s*ENDCOMMENT\b", "", text, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r":.*", "", text)


def test_mechanism_list_matches_files():
    assert sorted(MECHANISMS) == sorted(p.stem for p in MOD_DIR.glob("*.mod"))
    assert sorted(mechanism_names(MOD_DIR)) == sorted(MECHANISMS)


@pytest.mark.parametrize("name", [name for name in MECHANISMS if name != "VecStim"])
def test_nmodl_is_portable(name):
    code = code_of(name)
    assert re.search(r"^\s*THREADSAFE\b", code, re.MULTILINE)
    assert "VERBATIM" not in code and "KINETIC" not in code and "POINTER" not in code
    assert "TABLE" not in code  # tables would interpolate where BMTK computes exactly


@pytest.mark.parametrize("name", MECHANISMS)
def test_names_and_parameters(name):
    code = code_of(name)
    kind = "ARTIFICIAL_CELL" if name in EVENT_SOURCES else "SUFFIX"
    assert re.search(rf"^\s*{kind}\s+{name}\s*$", code, re.MULTILINE)
    ranges = {v for line in re.findall(r"^\s*RANGE\s+(.*)$", code, re.MULTILINE) for v in re.split(r"[\s,]+", line) if v}
    assert FIT_PARAMETERS[name] <= ranges
    if name in ION_CURRENT:
        ion = ION_CURRENT[name]
        assert re.search(rf"USEION\s+{ion}\s+READ\s+e{ion}\s+WRITE\s+i{ion}\b", code)
    if name not in EVENT_SOURCES:
        assert re.search(r"SOLVE\s+states\s+METHOD\s+(cnexp|derivimplicit)\b", code)


@pytest.mark.parametrize("name", MECHANISMS)
def test_header_names_the_published_model(name):
    header = (MOD_DIR / f"{name}.mod").read_text().split("ENDCOMMENT")[0]
    assert header.startswith("TITLE ")
    for field in ("Units:", "Temperature:") if name not in EVENT_SOURCES else ("Units:",):
        assert field in header
    if name not in EVENT_SOURCES:
        assert "Published model:" in header and re.search(r"\(\d{4}\)", header)  # a cited year


def test_vecstim_keeps_neuron_only_calls_out_of_the_coreneuron_build():
    """VecStim needs VERBATIM (a Vector pointer); NEURON's Vector API is compiled only when NRNBBCORE is not set."""
    code = code_of("VecStim")
    assert re.search(r"^\s*THREADSAFE\b", code, re.MULTILINE)
    assert re.search(r"^\s*BBCOREPOINTER\s+times_ptr\s*$", code, re.MULTILINE)
    assert "static void bbcore_write(" in code and "static void bbcore_read(" in code
    neuron_only = ("vector_arg", "ifarg", "hoc_obj_ref", "hoc_obj_unref", "vector_pobj")
    outside = re.sub(r"#if !NRNBBCORE.*?#endif", "", code, flags=re.DOTALL)
    assert not [call for call in neuron_only if call in outside]
    assert all(call in code for call in neuron_only[:3])
