"""Allen GLIF files → NEST glif_psc / glif_cond: the conversion equals BMTK's, and cells fire the same."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from simlib.errors import FormatError
from simlib.pointnet.glif import LEVEL_TEMPLATES, converts, level_of, to_nest

POINT_MODELS = Path(__file__).resolve().parents[2] / "simlib" / "models" / "point_models"
GLIF_FILES = sorted(POINT_MODELS.glob("*_glif_*.json"))


def load(path):
    return json.loads(Path(path).read_text())


def test_offline_glif_files_are_allen_files():
    assert [p.name.split("_")[0] for p in GLIF_FILES] == ["Nr5a1", "PV", "Rorb", "Scnn1a"]
    for path in GLIF_FILES:
        params = load(path)
        assert converts("glif_psc", params) and converts("glif_lif_asc_psc", params)
        assert not converts("iaf_psc_alpha", params)
        assert level_of(params, str(path)).name == "lif_r_asc"


@pytest.mark.parametrize("template", sorted(LEVEL_TEMPLATES))
@pytest.mark.parametrize("path", GLIF_FILES, ids=lambda p: p.stem)
def test_level_templates_equal_bmtks_conversion(template, path):
    """BMTK's built-in-GLIF conversion (bmtk.simulator.pointnet.glif_utils) is the oracle."""
    glif_utils = pytest.importorskip("bmtk.simulator.pointnet.glif_utils")
    params = load(path)
    expected_model, expected = glif_utils.converter_builtin(f"nest:{template}", copy.deepcopy(params))
    model, ours = to_nest(template, params, str(path))
    assert f"nest:{model}" == expected_model
    assert sorted(ours) == sorted(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(np.asarray(ours[key], dtype=float), np.asarray(value, dtype=float), rtol=1e-15,
                                   err_msg=key)


def test_glif_psc_and_cond_take_the_level_from_the_file():
    params = load(GLIF_FILES[0])
    model, ours = to_nest("glif_psc", params)
    assert model == "glif_psc" and ours["spike_dependent_threshold"] and ours["after_spike_currents"]
    assert not ours["adapting_threshold"] and len(ours["tau_syn"]) == 4
    lif = copy.deepcopy(params)
    lif["voltage_reset_method"]["name"] = "zero"
    lif["AScurrent_dynamics_method"]["name"] = "none"
    lif["threshold_dynamics_method"]["name"] = "inf"
    model, ours = to_nest("glif_cond", {**lif, "tau_syn": [0.2, 2.0], "E_rev": [0.0, -85.0]})
    assert model == "glif_cond" and not any(ours[k] for k in ("spike_dependent_threshold", "after_spike_currents",
                                                              "adapting_threshold"))
    assert ours["V_reset"] == pytest.approx(params["El_reference"] * 1e3)
    np.testing.assert_array_equal(ours["E_rev"], [0.0, -85.0])
    adapting = copy.deepcopy(params)
    adapting["threshold_dynamics_method"]["name"] = "three_components_exact"
    assert level_of(adapting, "f.json").name == "lif_r_asc_a"
    adapting["voltage_reset_method"]["name"] = "zero"      # A without R: no NEST level
    with pytest.raises(FormatError, match="f.json: voltage_reset_method 'zero', threshold_dynamics_method "
                                          "'three_components_exact' .* make no GLIF level NEST has"):
        level_of(adapting, "f.json")


def test_bad_allen_files():
    params = load(GLIF_FILES[0])
    missing = copy.deepcopy(params)
    del missing["coeffs"]["G"]
    with pytest.raises(FormatError, match=r"cell.json: coeffs.G: missing; the Allen GLIF conversion needs it"):
        to_nest("glif_psc", missing, "cell.json")
    text = dict(params, R_input="big")
    with pytest.raises(FormatError, match=r"cell.json: R_input: expected a number, got 'big'"):
        to_nest("glif_lif_psc", text, "cell.json")
    with pytest.raises(FormatError, match=r"cell.json: voltage_reset_method: missing"):
        to_nest("glif_psc", {k: v for k, v in params.items() if k != "voltage_reset_method"}, "cell.json")


def _step_response(model, params, amp_pa=250.0):
    nest = pytest.importorskip("nest")
    nest.ResetKernel()
    nest.set(resolution=0.1, print_time=False)
    cell = nest.Create(model, params={k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in params.items()})
    step = nest.Create("step_current_generator", params={"amplitude_times": [100.0, 600.0],
                                                         "amplitude_values": [amp_pa, 0.0]})
    recorder = nest.Create("spike_recorder")
    nest.Connect(step, cell)
    nest.Connect(cell, recorder)
    nest.Simulate(700.0)
    return np.asarray(recorder.get("events")["times"], dtype=float)


@pytest.mark.parametrize("path", GLIF_FILES, ids=lambda p: p.stem)
def test_current_step_same_spikes_as_bmtks_conversion(path):
    """A GLIF cell under a 500-ms current step: the same spike times with our parameters as with BMTK's."""
    glif_utils = pytest.importorskip("bmtk.simulator.pointnet.glif_utils")
    params = load(path)
    bmtk_model, bmtk_params = glif_utils.converter_builtin("nest:glif_lif_r_asc_psc", copy.deepcopy(params))
    model, ours = to_nest("glif_lif_r_asc_psc", params, str(path))
    theirs = _step_response(bmtk_model.split(":", 1)[1], bmtk_params)
    mine = _step_response(model, ours)
    np.testing.assert_array_equal(mine, theirs)
    assert 3 <= mine.size and mine.min() > 100.0 and mine.max() < 610.0   # fires in the step only
    isi = np.diff(mine)
    assert isi[-1] > isi[0]   # after-spike currents: the cell adapts
