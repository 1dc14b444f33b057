"""The offline cell models: regular-spiking pyramidal and fast-spiking basket cells with our mechanisms."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simlib.bionet.cells import build_cell, load_fit
from simlib.errors import ConfigError, FormatError
from simlib.models.components import write_components

HERE = Path(__file__).parent
CELLS = [{"model": "pyramidal", "morphology": "pyr.swc", "dynamics_params": "rs_fit.json"},
         {"model": "basket", "morphology": "bas.swc", "dynamics_params": "fs_fit.json"}]


@pytest.fixture(scope="module")
def components(tmp_path_factory):
    out = tmp_path_factory.mktemp("components")
    write_components(out, seed=11, cell_map=CELLS)
    return out


def fi(lib, components, swc, fit, amps):
    proc = subprocess.run([sys.executable, str(HERE / "fi_curve.py"), str(lib), str(components / "morphologies" / swc),
                           str(components / "biophysical_neuron_models" / fit), *map(str, amps)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_components_layout(components):
    manifest = json.loads((components / "components.json").read_text())
    assert manifest["files"]["morphologies"] == ["pyr.swc", "bas.swc"]
    for name in ("ExcToExc", "ExcToInh", "InhToExc", "InhToInh", "LGN_ExcToExc", "LGN_ExcToInh"):
        syn = json.loads((components / "synaptic_models" / f"{name}.json").read_text())
        assert syn["level_of_detail"] == "exp2syn" and syn["tau2"] > syn["tau1"] > 0
        assert syn["erev"] == (-70.0 if name.startswith("Inh") else 0.0)
    for fit in ("rs_fit.json", "fs_fit.json"):
        load_fit(components / "biophysical_neuron_models" / fit)


def test_regular_spiking_vs_fast_spiking(components, nrnmech):
    amps = [0.3, 0.5, 0.8]
    pyr = fi(nrnmech, components, "pyr.swc", "rs_fit.json", amps)
    bas = fi(nrnmech, components, "bas.swc", "fs_fit.json", amps)
    for p, b in zip(pyr, bas):
        assert p["n_spikes"] >= 5 and b["n_spikes"] >= 5
        assert b["n_spikes"] > 2.5 * p["n_spikes"], (p["n_spikes"], b["n_spikes"])  # FS fire far faster
        assert b["width_ms"] < 0.7 < p["width_ms"], (p["width_ms"], b["width_ms"])  # and narrower spikes
        p_isi, b_isi = p["isi_ms"], b["isi_ms"]
        assert p_isi[-1] / p_isi[0] > 1.3, p_isi[:3] + p_isi[-3:]  # RS adapt
        assert b_isi[-1] / b_isi[1] < 1.25, b_isi[:3] + b_isi[-3:]  # FS hardly adapt (after the first ISI)
    assert bas[-1]["n_spikes"] > 100  # > 100 Hz during the 1 s step
    assert all(-90 < r["rest_mV"] < -75 for r in pyr + bas)


def test_fit_errors(tmp_path, components):
    bad = tmp_path / "no_genome.json"
    fit = json.loads((components / "biophysical_neuron_models" / "rs_fit.json").read_text())
    bad.write_text(json.dumps({k: v for k, v in fit.items() if k != "genome"}))
    with pytest.raises(FormatError, match=r"no_genome.json: key 'genome' missing; expected an Allen fit file, with "
                                          r"keys passive, conditions, genome$"):
        load_fit(bad)
    unknown = tmp_path / "unknown_mech.json"
    fit["genome"].insert(0, {"section": "soma", "name": "gbar_NoSuchChannel", "value": 1.0, "mechanism": "NoSuchChannel"})
    unknown.write_text(json.dumps(fit))
    with pytest.raises(ConfigError, match=r"unknown_mech.json: genome\[0\].mechanism 'NoSuchChannel' is not a compiled"):
        build_cell(components / "morphologies" / "pyr.swc", unknown)
    with pytest.raises(FormatError, match="morphology file not found"):
        build_cell(tmp_path / "missing.swc", components / "biophysical_neuron_models" / "rs_fit.json")
    with pytest.raises(ConfigError, match="model_processing 'aibs_magic' unknown"):
        build_cell(components / "morphologies" / "pyr.swc", components / "biophysical_neuron_models" / "rs_fit.json",
                   model_processing="aibs_magic")
