"""Single-cell fidelity: the tutorial's five Allen perisomatic fits with bmtk's mod files and with ours.

Same cell builder (simlib's), same morphology and fit file, only the mechanism library differs;
spike counts over an f-I curve, first-spike latency and resting potential must agree.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.parity, pytest.mark.slow]

FITS = {  # fit id -> morphology, as the tutorial pairs them
    "472363762": "Scnn1a_473845048_m.swc",
    "473863510": "Rorb_325404214_m.swc",
    "473863035": "Nr5a1_471087815_m.swc",
    "472912177": "Pvalb_470522102_m.swc",
    "473862421": "Pvalb_469628681_m.swc",
}
AMPS_NA = [0.1, 0.2, 0.3, 0.4, 0.5]
HERE = Path(__file__).parent


def fi_curve(lib, swc, fit):
    proc = subprocess.run([sys.executable, str(HERE / "fi_curve.py"), str(lib), str(swc), str(fit),
                           *map(str, AMPS_NA)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fit_id", list(FITS))
def test_fi_curve_matches_bmtk_mechanisms(fit_id, bmtk_components, bmtk_nrnmech, nrnmech, record_property):
    swc = bmtk_components / "morphologies" / FITS[fit_id]
    fit = bmtk_components / "biophysical_neuron_models" / f"{fit_id}_fit.json"
    ref = fi_curve(bmtk_nrnmech, swc, fit)
    ours = fi_curve(nrnmech, swc, fit)
    record_property("fi_table", json.dumps({"bmtk": ref, "simlib": ours}))
    print(f"\n{fit_id}: " + " | ".join(f"{r['amp_nA']} nA: {r['n_spikes']} vs {o['n_spikes']} spikes, "
                                      f"latency {r['latency_ms']} vs {o['latency_ms']} ms"
                                      for r, o in zip(ref, ours)))
    assert sum(r["n_spikes"] for r in ref) > 0, "the reference cell must spike somewhere on the f-I curve"
    for r, o in zip(ref, ours):
        tolerance = max(0.05 * r["n_spikes"], 1.0)  # 5 %, or one spike where 5 % is less than one
        assert abs(o["n_spikes"] - r["n_spikes"]) <= tolerance, (r, o)
        assert abs(o["rest_mV"] - r["rest_mV"]) < 1.0, (r, o)
        if r["latency_ms"] is not None:
            assert o["latency_ms"] is not None and abs(o["latency_ms"] - r["latency_ms"]) < 2.0, (r, o)
