"""Voltage- and current-clamp protocols run on one soma per mechanism, in a process of its own.

NEURON can load only one library defining a given mechanism name per process, so the
parity tests run this file once with simlib's library and once with BMTK's, and compare
the traces, saved as one ``.npz`` (array per case and protocol).
Usage: ``python mech_protocols.py LIBNRNMECH.so OUT.npz [CASE ...]``.
"""

import sys

import numpy as np

# name -> (mechanisms inserted with their parameters, recorded trace)
CASES = {
    "NaTs": ({"NaTs": {"gbar": 0.1}}, "ina"),
    "NaTa": ({"NaTa": {"gbar": 0.1}}, "ina"),
    "Nap": ({"Nap": {"gbar": 1e-3}}, "ina"),
    "NaV": ({"NaV": {"gbar": 0.05}}, "ina"),
    "K_P": ({"K_P": {"gbar": 1e-3}}, "ik"),
    "K_T": ({"K_T": {"gbar": 1e-3}}, "ik"),
    "Kv3_1": ({"Kv3_1": {"gbar": 0.05}}, "ik"),
    "Kd": ({"Kd": {"gbar": 1e-3}}, "ik"),
    "Kv2like": ({"Kv2like": {"gbar": 1e-3}}, "ik"),
    "Im": ({"Im": {"gbar": 1e-3}}, "ik"),
    "Im_v2": ({"Im_v2": {"gbar": 1e-3}}, "ik"),
    "Ih": ({"Ih": {"gbar": 1e-4}}, "ihcn_Ih"),
    "Ca_HVA": ({"Ca_HVA": {"gbar": 1e-4}}, "ica"),
    "Ca_LVA": ({"Ca_LVA": {"gbar": 1e-3}}, "ica"),
    "CaDynamics": ({"Ca_HVA": {"gbar": 1e-3}, "CaDynamics": {"gamma": 0.005, "decay": 100.0}}, "cai"),
    "SK": ({"Ca_HVA": {"gbar": 1e-3}, "CaDynamics": {"gamma": 0.005, "decay": 100.0},
            "SK": {"gbar": 1e-3}}, "ik"),
}

# spiking somata: the perisomatic set of an Allen excitatory fit, and one built on NaV and the
# other K currents (values typical of the fits)
SPIKING = {
    "spiking": {
        "NaTs": {"gbar": 0.5}, "Nap": {"gbar": 1e-3}, "K_P": {"gbar": 0.01}, "K_T": {"gbar": 0.01},
        "Kv3_1": {"gbar": 0.3}, "SK": {"gbar": 5e-4}, "Ca_HVA": {"gbar": 1e-4}, "Ca_LVA": {"gbar": 1e-3},
        "CaDynamics": {"gamma": 0.005, "decay": 200.0}, "Ih": {"gbar": 1e-4}, "Im": {"gbar": 1e-3},
    },
    "spiking_nav": {
        "NaV": {"gbar": 0.1}, "NaTa": {"gbar": 0.05}, "Kv3_1": {"gbar": 0.3}, "Kd": {"gbar": 0.005},
        "Kv2like": {"gbar": 0.005}, "Im_v2": {"gbar": 1e-3}, "SK": {"gbar": 0.005},
        "Ca_HVA": {"gbar": 1e-4}, "CaDynamics": {"gamma": 0.005, "decay": 200.0}, "Ih": {"gbar": 1e-4},
    },
}
SPIKING_CLAMP_NA = (0.1, 0.3, -0.05)

HOLD_MV = -90.0
STEPS_MV = (-60.0, -40.0, -20.0, 0.0, 15.0, 30.0)
TEMPERATURES_C = (34.0, 22.0)
DT_MS = 0.025
RECORD_DT_MS = 0.1
# passive response to these currents would be +40, +120 and -20 mV (input resistance ~8 GOhm)
CLAMP_NA = (0.005, 0.015, -0.0025)


def make_soma(h, mechanisms: dict):
    """A 20 um x 20 um soma with a leak to -90 mV and the given mechanisms and parameters."""
    soma = h.Section(name="soma")
    soma.L = soma.diam = 20.0
    soma.cm = 1.0
    soma.insert("pas")
    soma.g_pas, soma.e_pas = 1e-5, -90.0
    for name, params in mechanisms.items():
        soma.insert(name)
        for key, value in params.items():
            setattr(soma(0.5), f"{key}_{name}", value)
    for ion, attr, value in (("na", "ena", 53.0), ("k", "ek", -107.0)):
        if soma.has_membrane(f"{ion}_ion"):
            setattr(soma, attr, value)
    return soma


def run(h, tstop_ms: float, soma, trace: str) -> np.ndarray:
    """Membrane potential (mV) and ``trace`` of the soma, sampled every RECORD_DT_MS."""
    seg = soma(0.5)
    v, x = h.Vector(), h.Vector()
    v.record(seg._ref_v, RECORD_DT_MS)
    x.record(getattr(seg, f"_ref_{trace}"), RECORD_DT_MS)
    h.finitialize(HOLD_MV)
    h.continuerun(tstop_ms)
    return np.array([v.as_numpy(), x.as_numpy()])


def voltage_clamp(h, mechanisms: dict, trace: str) -> np.ndarray:
    """One run per step: 20 ms at -90 mV, 300 ms at the step, 50 ms back at -90 mV."""
    out = []
    for step in STEPS_MV:
        soma = make_soma(h, mechanisms)
        clamp = h.SEClamp(soma(0.5))
        clamp.rs = 1e-3
        clamp.amp1, clamp.dur1 = HOLD_MV, 20.0
        clamp.amp2, clamp.dur2 = step, 300.0
        clamp.amp3, clamp.dur3 = HOLD_MV, 50.0
        out.append(run(h, 370.0, soma, trace))
    return np.array(out)


def current_clamp(h, mechanisms: dict, trace: str, amps_na=CLAMP_NA) -> np.ndarray:
    """Steps of 200 ms separated by 100 ms, after 20 ms clamped at -90 mV."""
    soma = make_soma(h, mechanisms)
    # BMTK's NaV starts away from its steady state and relaxes within ~2 ms; the pre-clamp
    # keeps that transient from shifting the membrane potential of the unclamped cell
    preclamp = h.SEClamp(soma(0.5))
    preclamp.rs, preclamp.amp1, preclamp.dur1 = 1e-6, HOLD_MV, 20.0
    clamps = [preclamp]
    for k, amp in enumerate(amps_na):
        clamp = h.IClamp(soma(0.5))
        clamp.delay, clamp.dur, clamp.amp = 50.0 + 300.0 * k, 200.0, amp
        clamps.append(clamp)
    return run(h, 50.0 + 300.0 * len(amps_na), soma, trace)


def main(lib: str, out_path: str, cases: list) -> None:
    """Run every case (all of CASES and SPIKING when none given) at each temperature."""
    from neuron import h

    h.load_file("stdrun.hoc")
    h.nrn_load_dll(lib)
    h.dt = DT_MS
    h.steps_per_ms = 1.0 / DT_MS
    results = {}
    for celsius in TEMPERATURES_C:
        h.celsius = celsius
        for name in cases or [*CASES, *SPIKING]:
            if name in SPIKING:
                results[f"{name}@{celsius:g}/iclamp"] = current_clamp(h, SPIKING[name], "v", SPIKING_CLAMP_NA)
                continue
            mechanisms, trace = CASES[name]
            results[f"{name}@{celsius:g}/vclamp"] = voltage_clamp(h, mechanisms, trace)
            results[f"{name}@{celsius:g}/iclamp"] = current_clamp(h, mechanisms, trace)
    np.savez(out_path, **results)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
