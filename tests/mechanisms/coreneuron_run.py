"""Run every mechanism case and a virtual-cell network under NEURON or CoreNEURON, in its own process.

Usage: ``python coreneuron_run.py LIBNRNMECH.so neuron|coreneuron OUT.npz``. Saves the soma
potentials (one row per case of CASES and SPIKING, in that order), the spike raster
(``spike_t``, ``spike_gid``) and the conductance of a synapse driven by the virtual cell.
"""

import sys

import numpy as np
from mech_protocols import CASES, SPIKING, make_soma

EVENT_TIMES_MS = (12.25, 1.0, 5.5, 5.5, 30.0, 0.0, 17.3)   # unsorted, with a repeat and t = 0
EVENT_DELAY_MS = 1.0
SOURCE_GID, RELAY_GID, FIRST_SOMA_GID = 1000, 1001, 0
VECSTIM_GID, REPLAYED_GID, EMPTY_GID, UNPLAYED_GID, VECSTIM_RELAY_GID = 2000, 2001, 2002, 2003, 2004
REPLAYED_TIMES_MS = (3.0, 3.0, 44.5)    # played after a first Vector, which it replaces
TSTOP_MS = 60.0


def build(h, pc):
    from simlib.mechanisms.events import make_trigger, spike_train_source

    keep, somas = [], []
    for gid, name in enumerate([*CASES, *SPIKING], start=FIRST_SOMA_GID):
        soma = make_soma(h, SPIKING[name] if name in SPIKING else CASES[name][0])
        stim = h.IClamp(soma(0.5))
        stim.delay, stim.dur, stim.amp = 5.0, 30.0, 0.3 if name in SPIKING else 0.01
        pc.set_gid2node(gid, pc.id())
        pc.cell(gid, h.NetCon(soma(0.5)._ref_v, None, sec=soma))
        keep.append(stim)
        somas.append(soma)
    # virtual cell -> (gid connection) -> a relay SpikeSource, and -> a synapse on a passive soma
    trigger = make_trigger()
    source = spike_train_source(EVENT_TIMES_MS, trigger)
    pc.set_gid2node(SOURCE_GID, pc.id())
    pc.cell(SOURCE_GID, h.NetCon(source.cell, None))
    relay = h.SpikeSource()
    pc.set_gid2node(RELAY_GID, pc.id())
    pc.cell(RELAY_GID, h.NetCon(relay, None))
    to_relay = pc.gid_connect(SOURCE_GID, relay)
    to_relay.delay = EVENT_DELAY_MS
    target = h.Section(name="target")
    target.insert("pas")
    syn = h.ExpSyn(target(0.5))
    to_syn = pc.gid_connect(SOURCE_GID, syn)
    to_syn.delay, to_syn.weight[0] = EVENT_DELAY_MS, 1e-3
    keep += [trigger, source, relay, to_relay, target, syn, to_syn]
    # VecStims as BMTK makes them (vs.play(h.Vector(sorted times))), one relayed through a gid connection
    vectors = {VECSTIM_GID: h.Vector(sorted(EVENT_TIMES_MS)), REPLAYED_GID: h.Vector(REPLAYED_TIMES_MS),
               EMPTY_GID: h.Vector()}
    for gid in (VECSTIM_GID, REPLAYED_GID, EMPTY_GID, UNPLAYED_GID):
        vs = h.VecStim()
        if gid == REPLAYED_GID:
            vs.play(h.Vector([7.0, 8.0]))
        if gid in vectors:
            vs.play(vectors[gid])
        pc.set_gid2node(gid, pc.id())
        pc.cell(gid, h.NetCon(vs, None))
        keep.append(vs)
    keep += list(vectors.values())
    vs_relay = h.SpikeSource()
    pc.set_gid2node(VECSTIM_RELAY_GID, pc.id())
    pc.cell(VECSTIM_RELAY_GID, h.NetCon(vs_relay, None))
    to_vs_relay = pc.gid_connect(VECSTIM_GID, vs_relay)
    to_vs_relay.delay = EVENT_DELAY_MS
    keep += [vs_relay, to_vs_relay]
    return keep, somas, syn


def main(lib: str, mode: str, out_path: str) -> None:
    from neuron import coreneuron, h

    from simlib.mechanisms import load_mechanisms

    load_mechanisms(lib)
    h.load_file("stdrun.hoc")
    pc = h.ParallelContext()
    h.cvode.cache_efficient(1)
    h.celsius, h.dt = 34.0, 0.025
    objects, somas, syn = build(h, pc)
    v = [h.Vector().record(soma(0.5)._ref_v) for soma in somas]
    g = h.Vector().record(syn._ref_g)
    spike_t, spike_gid = h.Vector(), h.Vector()
    pc.spike_record(-1, spike_t, spike_gid)
    pc.set_maxstep(10)
    h.finitialize(-90.0)
    coreneuron.enable = mode == "coreneuron"
    coreneuron.verbose = 0
    pc.psolve(TSTOP_MS)
    del objects  # kept alive through the run
    np.savez(out_path, v=np.array([x.as_numpy() for x in v]), g=g.as_numpy(),
             spike_t=spike_t.as_numpy(), spike_gid=spike_gid.as_numpy())


if __name__ == "__main__":
    main(*sys.argv[1:4])
