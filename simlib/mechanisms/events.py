"""Virtual cells that fire at given times, for NEURON and CoreNEURON alike.

VecStim needs VERBATIM (a pointer to a hoc Vector), so simlib uses its own ``SpikeSource``
ARTIFICIAL_CELL instead: a *trigger* SpikeSource fires once at t = 0, and a virtual cell is a
SpikeSource that receives one NetCon per spike from the trigger, with the spike time as the
NetCon delay, and fires whenever an event arrives. NetCons and their delays are part of the
model NEURON hands to CoreNEURON, so the same network runs under both, and each virtual cell
is an object with a gid whose spikes ``pc.spike_record`` sees. The cost is one NetCon per
spike: about 0.5 kB and 10 us to build each (measured with NEURON 9.0.2).

NEURON's built-in PatternStim (``ps.play(tvec, gidvec)``) is the alternative; it also runs
under CoreNEURON in direct mode and needs no per-spike objects, but its virtual cells are
only gids: their spikes reach only ``pc.gid_connect`` targets and are not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simlib.errors import SimlibError


@dataclass
class SpikeTrainSource:
    """A virtual cell and the NetCons that make it fire; keep it referenced during the run."""

    cell: object                      # the SpikeSource that fires at times_ms
    times_ms: np.ndarray
    netcons: list = field(repr=False)  # one per spike, trigger -> cell, delay = spike time


def make_trigger():
    """A SpikeSource that fires once at t = 0 ms, to drive any number of virtual cells.

    Requires simlib's mechanisms to be loaded (:func:`simlib.mechanisms.load_mechanisms`).
    """
    h = _hoc()
    trigger = h.SpikeSource()
    trigger.start = 0.0
    return trigger


def spike_train_source(times_ms, trigger) -> SpikeTrainSource:
    """A virtual cell that fires at ``times_ms`` (any order, duplicates allowed).

    Parameters
    ----------
    times_ms
        Spike times in ms, finite and >= 0.
    trigger
        A SpikeSource from :func:`make_trigger`; one may serve every virtual cell of a thread.

    Returns
    -------
    SpikeTrainSource
        Connect ``.cell`` to targets with ``h.NetCon(source.cell, target)`` or register it
        with ``pc.cell(gid, h.NetCon(source.cell, None))``.

    Raises
    ------
    SimlibError
        If a time is negative, NaN or infinite, or ``times_ms`` is not one-dimensional.
    """
    times = np.asarray(times_ms, dtype=float)
    if times.ndim != 1:
        raise SimlibError(f"spike times: expected a 1-D sequence of times in ms, got shape {times.shape}")
    bad = times[~np.isfinite(times) | (times < 0)]
    if bad.size:
        raise SimlibError(f"spike times: expected finite times >= 0 ms, got {bad[:5].tolist()}"
                          f"{' ...' if bad.size > 5 else ''} ({bad.size} bad of {times.size})")
    h = _hoc()
    cell = h.SpikeSource()
    netcons = []
    for t in times.tolist():
        netcon = h.NetCon(trigger, cell)
        netcon.delay = t
        netcon.weight[0] = 1.0
        netcons.append(netcon)
    return SpikeTrainSource(cell=cell, times_ms=times, netcons=netcons)


def vecstim_source(times_ms) -> SpikeTrainSource:
    """A virtual cell that is a ``VecStim`` playing ``times_ms`` (needs a mod set defining VecStim).

    For mechanism sets without simlib's SpikeSource, such as BMTK's (vecevent.mod); VecStim uses
    VERBATIM, so such a model does not run on CoreNEURON.
    """
    from neuron import h

    times = np.sort(np.asarray(times_ms, dtype=float))
    vector = h.Vector(times)
    stim = h.VecStim()
    stim.play(vector)
    return SpikeTrainSource(cell=stim, times_ms=times, netcons=[vector])


def event_source_kind() -> str:
    """'SpikeSource' or 'VecStim': the virtual-cell mechanism the loaded mechanisms provide.

    Raises
    ------
    SimlibError
        If neither is loaded.
    """
    from neuron import h

    for name in ("SpikeSource", "VecStim"):
        if hasattr(h, name):
            return name
    raise SimlibError("virtual cells need simlib's SpikeSource (simlib/mechanisms/SpikeSource.mod) or a VecStim "
                      "(e.g. BMTK's vecevent.mod) among the compiled mechanisms (components.mechanisms_dir); "
                      "neither is loaded")


def _hoc():
    from neuron import h

    if not hasattr(h, "SpikeSource"):
        raise SimlibError("SpikeSource: mechanism not loaded; expected simlib.mechanisms.load_mechanisms() "
                          "to be called with a library built from simlib's mod files")
    return h
