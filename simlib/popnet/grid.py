"""The voltage grid of one population and the transfer operators on it (leak, synaptic jumps, reset).

The state of a population is the probability mass of each voltage bin (summing to 1). Every
operator here is given as transfer entries ``(to_bin, from_bin, fraction)`` whose fractions from
each bin sum to 1, so mass is conserved by construction; mass that crosses the threshold is
re-injected at the reset and its fraction reported per source bin (the firing).

Within a bin the density is taken as uniform (DiPDE's piecewise-constant density): a bin moved by
a jump or by the leak lands across at most two bins, split by overlap.
"""

from __future__ import annotations

import math

import numpy as np

from simlib.popnet.params import LIFPopulation


def point_mass(p: LIFPopulation, v: float) -> tuple[np.ndarray, np.ndarray]:
    """Bins and fractions of a unit mass placed at voltage ``v`` (V), centred on ``v``.

    The mass is split linearly between the two bins whose centres enclose ``v`` so that its mean
    is ``v`` (a reset on a bin edge goes half to each side); outside the grid it goes to the
    nearest bin.
    """
    n = p.n_bins
    x = (float(v) - p.v_min) / p.dv - 0.5          # position in units of bin centres
    x = min(max(x, 0.0), n - 1.0)
    lower = min(int(math.floor(x)), n - 1)
    frac = x - lower
    if lower + 1 > n - 1 or frac <= 0.0:
        return np.array([lower]), np.array([1.0])
    return np.array([lower, lower + 1]), np.array([1.0 - frac, frac])


def initial_state(p: LIFPopulation) -> np.ndarray:
    """Every neuron at rest (0 V, DiPDE's initial density), as bin masses."""
    state = np.zeros(p.n_bins)
    bins, fracs = point_mass(p, 0.0)
    state[bins] = fracs
    return state


def jump_split(p: LIFPopulation, weight_v: float) -> tuple[int, float]:
    """A jump of ``weight_v`` volts as (whole bins k, fraction f): a fraction 1-f of a bin's mass moves
    k bins, f moves k+1 bins (the overlap of the shifted bin), so the mean shift is exactly the weight."""
    shift = weight_v / p.dv
    k = math.floor(shift)
    f = shift - k
    if f < 1e-9:          # a weight that is a whole number of bins up to rounding (2.5 mV / 0.1 mV)
        f = 0.0
    elif f > 1.0 - 1e-9:
        k, f = k + 1, 0.0
    return int(k), float(f)


def shift_entries(p: LIFPopulation, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Transfer entries of moving every bin by ``k`` bins (one synaptic event of k·dv volts).

    Mass pushed below the grid stays in the lowest bin (v is clipped at ``v_min``); mass pushed to
    or past the threshold fires and is re-injected at the reset.

    Returns
    -------
    to_bin, from_bin, fraction : the entries (arrays of equal length).
    fires : per source bin, whether its mass crosses the threshold (bool, length n_bins).
    """
    n = p.n_bins
    src = np.arange(n)
    dest = src + k
    fires = dest >= n
    dest = np.maximum(dest, 0)
    reset_bins, reset_fracs = point_mass(p, p.v_reset)
    stay = ~fires
    to = [dest[stay]]
    frm = [src[stay]]
    frac = [np.ones(int(stay.sum()))]
    fired = src[fires]
    for b, f in zip(reset_bins, reset_fracs):
        to.append(np.full(fired.size, b))
        frm.append(fired)
        frac.append(np.full(fired.size, f))
    return np.concatenate(to), np.concatenate(frm), np.concatenate(frac), fires


def leak_entries(p: LIFPopulation, h_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Transfer entries of the leak over ``h_s`` seconds, exact along the characteristics.

    Each bin [a, b] moves to [a·g, b·g] with g = exp(-h/tau_m) (every voltage decays toward rest,
    0 V) and is split over the bins it overlaps; the image is shorter than a bin, so it covers at
    most two. Mass decaying below ``v_min`` (a grid above rest) stays in the lowest bin; mass rising
    past a threshold below rest fires and is re-injected at the reset.

    Returns
    -------
    to_bin, from_bin, fraction, fires : as :func:`shift_entries`; ``fires`` is the fraction of each
    bin's mass that crosses the threshold (float).
    """
    n = p.n_bins
    g = math.exp(-h_s / p.tau_m)
    edges = p.edges
    lo = (edges[:-1] * g - p.v_min) / p.dv           # image of each bin, in bin units
    hi = (edges[1:] * g - p.v_min) / p.dv
    first = np.floor(lo).astype(np.int64)
    width = hi - lo
    in_first = np.clip((np.minimum(hi, first + 1.0) - lo) / width, 0.0, 1.0)
    src = np.arange(n)
    to = np.concatenate([first, first + 1])
    frm = np.concatenate([src, src])
    frac = np.concatenate([in_first, 1.0 - in_first])
    keep = frac > 0.0
    to, frm, frac = to[keep], frm[keep], frac[keep]
    to = np.maximum(to, 0)
    fires = np.zeros(n)
    over = to >= n
    if over.any():
        np.add.at(fires, frm[over], frac[over])
        reset_bins, reset_fracs = point_mass(p, p.v_reset)
        parts = [(to[~over], frm[~over], frac[~over])]
        parts += [(np.full(int(over.sum()), b), frm[over], frac[over] * f) for b, f in zip(reset_bins, reset_fracs)]
        to, frm, frac = (np.concatenate(x) for x in zip(*parts))
    return to, frm, frac, fires
