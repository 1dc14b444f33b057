TITLE VecStim: artificial cell that fires at the times held in a Vector

COMMENT
The event source BMTK's BioNet builds its virtual cells from (bmtk/simulator/bionet/
virtualcell.py: vs = h.VecStim(); vs.play(h.Vector(times))), which NEURON 9 no longer builds
in. simlib's own simulations use SpikeSource.mod (no VERBATIM); this file exists so that BMTK
runs the workflow's simulation configs with the workflow's compiled mechanisms.

Usage (Python): vs = h.VecStim(); vs.play(h.Vector(times_ms)). The cell fires once at each
time in the Vector, in Vector order (times must be sorted and >= 0 at finitialize); play()
without argument forgets the Vector. The Vector is read at finitialize and while running, so
keep it referenced and unchanged during a run.

Why VERBATIM here: NMODL has no Vector type, so the cell keeps an opaque pointer to the Vector
(BBCOREPOINTER times_ptr) and reads it in C. One file compiles with plain nrnivmodl and with
nrnivmodl -coreneuron:
  * play() and the destructor use NEURON's Vector API (vector_arg, hoc_obj_ref); they exist
    only in NEURON, so they are compiled only when NRNBBCORE is not defined.
  * next_event() uses vector_capacity/vector_vec, which both NEURON and CoreNEURON provide.
  * bbcore_write copies the times into the arrays NEURON hands to CoreNEURON, and
    bbcore_read rebuilds a CoreNEURON vector from them, so a model with VecStims runs in
    CoreNEURON (psolve with coreneuron enabled) as in NEURON.
Units: times in ms.
ENDCOMMENT

NEURON {
    THREADSAFE
    ARTIFICIAL_CELL VecStim
    BBCOREPOINTER times_ptr
}

ASSIGNED {
    next_index          : index in the Vector of the next event; -1 when there is none
    next_time (ms)      : time of the next event
    times_ptr           : the played Vector (opaque pointer)
}

INITIAL {
    next_index = 0
    next_event()
    if (next_index >= 0) {
        net_send(next_time - t, 1)
    }
}

NET_RECEIVE (w) {
    if (flag == 1) {
        net_event(t)
        next_event()
        if (next_index >= 0) {
            net_send(next_time - t, 1)
        }
    }
}

PROCEDURE next_event() {
    : next_time <- Vector[next_index], then advance next_index; -1 past the end or without a Vector
VERBATIM
    {
        IvocVect* times = (IvocVect*)(_p_times_ptr);
        int i = (int)next_index;
        if (i >= 0 && times && i < vector_capacity(times)) {
            next_time = vector_vec(times)[i];
            next_index = i + 1;
        } else {
            next_index = -1;
        }
    }
ENDVERBATIM
}

PROCEDURE play() {
VERBATIM
#if !NRNBBCORE
    {
        IvocVect** slot = (IvocVect**)(&_p_times_ptr);
        IvocVect* times = NULL;
        if (ifarg(1)) {
            times = vector_arg(1);
            hoc_obj_ref(*vector_pobj(times));
        }
        if (*slot) {
            hoc_obj_unref(*vector_pobj(*slot));
        }
        *slot = times;
    }
#endif
ENDVERBATIM
}

DESTRUCTOR {
VERBATIM
#if !NRNBBCORE
    {
        IvocVect* times = (IvocVect*)(_p_times_ptr);
        if (times) {
            hoc_obj_unref(*vector_pobj(times));
        }
    }
#endif
ENDVERBATIM
}

VERBATIM
/* NEURON -> CoreNEURON: one int (the number of times) and the times as doubles. Called twice
   by NEURON, first with null arrays to size them (only the offsets advance). */
static void bbcore_write(double* xarray, int* iarray, int* xoffset, int* ioffset, _threadargsproto_) {
    IvocVect* times = (IvocVect*)(_p_times_ptr);
    int n = times ? vector_capacity(times) : 0;
    if (iarray) {
        double* src = n ? vector_vec(times) : NULL;
        double* dst = xarray + *xoffset;
        int k;
        iarray[*ioffset] = n;
        for (k = 0; k < n; ++k) {
            dst[k] = src[k];
        }
    }
    *ioffset += 1;
    *xoffset += n;
}

static void bbcore_read(double* xarray, int* iarray, int* xoffset, int* ioffset, _threadargsproto_) {
    int n = iarray[*ioffset];
    double* src = xarray + *xoffset;
    IvocVect* times;
    double* dst;
    int k;
    if (!_p_times_ptr) {
        _p_times_ptr = vector_new1(n);
    }
    times = (IvocVect*)(_p_times_ptr);
    assert(n == vector_capacity(times));
    dst = vector_vec(times);
    for (k = 0; k < n; ++k) {
        dst[k] = src[k];
    }
    *xoffset += n;
    *ioffset += 1;
}
ENDVERBATIM
