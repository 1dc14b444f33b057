TITLE SpikeSource: relay cell that emits a spike for every event it receives

COMMENT
Event source for virtual cells, written without VERBATIM so that one file compiles with
plain nrnivmodl and with nrnivmodl -coreneuron.

NMODL has no way to hold a variable-length list of spike times per instance without
VERBATIM (VecStim keeps a pointer to a hoc Vector, which needs VERBATIM and a
BBCOREPOINTER). SpikeSource therefore keeps the spike times in the network itself:

  * A SpikeSource with start >= 0 fires once, at t = start, by a self-event
    (a "trigger").
  * Every event a SpikeSource receives through a NetCon makes it fire at that moment:
    net_event(t). A virtual cell is a SpikeSource with start < 0 that receives one NetCon
    per spike from a trigger, the NetCon delay being the spike time.

The virtual cell thus fires at exactly times[k] (ms), k = 1..n, for any number of
spikes, in NEURON and in CoreNEURON, which both transfer NetCons and their delays. The
cost is one NetCon per spike; simlib.mechanisms.events builds these connections.
The weight of an incoming event is ignored.
Units: start in ms.
ENDCOMMENT

NEURON {
    THREADSAFE
    ARTIFICIAL_CELL SpikeSource
    RANGE start
}

PARAMETER {
    start = -1 (ms)
}

INITIAL {
    if (start >= 0) {
        net_send(start, 1)
    }
}

NET_RECEIVE (w) {
    net_event(t)
}
