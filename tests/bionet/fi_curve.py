"""Run in a subprocess: f-I curve of one Allen fit with one compiled mechanism library; prints JSON.

    python fi_curve.py LIBNRNMECH SWC FIT_JSON AMP_NA [AMP_NA ...]

NEURON loads one library per mechanism name per process, hence one process per library.
"""

import json
import sys

import numpy as np
from neuron import h

from simlib.bionet.cells import build_cell

DELAY_MS, DUR_MS, TAIL_MS = 200.0, 1000.0, 100.0


def main(lib, swc, fit, amps):
    h.nrn_load_dll(lib)
    h.load_file("stdrun.hoc")
    cell = build_cell(swc, fit)
    h.celsius = cell.celsius
    h.dt = 0.025
    stim = h.IClamp(cell.soma[0](0.5))
    stim.delay, stim.dur = DELAY_MS, DUR_MS
    v = h.Vector().record(cell.soma[0](0.5)._ref_v)
    t = h.Vector().record(h._ref_t)
    spikes = h.Vector()
    nc = h.NetCon(cell.soma[0](0.5)._ref_v, None, sec=cell.soma[0])
    nc.threshold = -15.0
    nc.record(spikes)
    out = []
    for amp in amps:
        stim.amp = amp
        h.finitialize(cell.v_init)
        h.continuerun(DELAY_MS + DUR_MS + TAIL_MS)
        tt, vv = np.array(t), np.array(v)
        sp = np.array(spikes)
        rest = float(vv[(tt > DELAY_MS - 50) & (tt < DELAY_MS)].mean())
        width = None
        if sp.size:  # full width at half amplitude of the first spike
            i = int(np.searchsorted(tt, sp[0]))
            window = vv[max(0, i - 80):i + 200]
            half = (window.max() + rest) / 2.0
            width = float((window > half).sum() * h.dt)
        out.append({"amp_nA": amp, "n_spikes": int(sp.size),
                    "latency_ms": float(sp[0] - DELAY_MS) if sp.size else None,
                    "rest_mV": rest, "isi_ms": np.diff(sp).tolist(), "width_ms": width})
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], [float(a) for a in sys.argv[4:]])
