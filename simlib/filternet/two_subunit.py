"""BMTK's two-subunit LGN cells (sONsOFF, sONtOFF): an OFF and an ON field with fitted kernels.

A two-subunit cell is a dominant OFF subunit at the node's (x, y), with the node's temporal
filter, and a non-dominant ON subunit ``sf_sep`` degrees away along ``tuning_angle``, with the
filter of ``non_dom_params`` (or the ``*_non_dom`` columns). As in BMTK's
``createOneUnitOfTwoSubunitFilter``, each kernel's delays are shifted so that its zero crossing
lands at a fixed time to peak (:func:`refit`), and the OFF amplitude balances the two subunits
from the kernels' first-lobe sums and BMTK's fixed rates of each kind (:data:`TWO_SUBUNIT_KINDS`);
each subunit adds half the kind's spontaneous rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib.filternet.models import TWO_SUBUNIT_MODELS
from simlib.filternet.nodes import NodeTable
from simlib.filternet.parameters import (
    NON_DOMINANT_COLUMNS,
    JitterBounds,
    KernelBank,
    RandomDraws,
    TemporalParams,
    check_temporal,
    jittered,
    temporal_params,
)
from simlib.filternet.subunits import SubunitBlock
from simlib.filternet.temporal import temporal_kernels


@dataclass(frozen=True)
class TwoSubunitKind:
    """BMTK's constants of a kind of two-subunit cell (default_setters/cell_loaders.py).

    Attributes
    ----------
    ttp_on_ms, ttp_off_ms : time-to-peak targets (ms) of the ON and OFF kernels
    spont_hz : the cell's spontaneous rate (Hz), half added by each subunit
    max_off_hz, max_on_hz : the peak rates used to balance the two subunits (Hz)
    scale : scale of the balancing OFF amplitude
    """

    ttp_on_ms: float
    ttp_off_ms: float
    spont_hz: float
    max_off_hz: float
    max_on_hz: float
    scale: float


TWO_SUBUNIT_KINDS = {
    "sONsOFF": TwoSubunitKind(ttp_on_ms=121.0, ttp_off_ms=115.0, spont_hz=4.0, max_off_hz=35.0, max_on_hz=21.0,
                              scale=1.0),
    "sONtOFF": TwoSubunitKind(ttp_on_ms=93.5, ttp_off_ms=64.8, spont_hz=5.5, max_off_hz=46.0, max_on_hz=31.0,
                              scale=0.7),
}
"""The kinds of :data:`simlib.filternet.models.TWO_SUBUNIT_MODELS`, by name."""

_FIT_WINDOW = 600       # samples BMTK reads (its default 600 ms grid) when re-fitting two-subunit delays


@dataclass
class FittedFilter:
    """A subunit's temporal filter with delays re-fitted to a time to peak (:func:`refit`).

    Attributes
    ----------
    params : TemporalParams, the fitted rows changed
    lobe_sum : (m,) sum of each fitted node's kernel before its zero crossing
    """

    params: TemporalParams
    lobe_sum: np.ndarray


def refit(p: TemporalParams, rows: np.ndarray, ttp_ms: float, table: NodeTable, which: str) -> FittedFilter:
    """BMTK's createOneUnitOfTwoSubunitFilter: shift the delays so that the kernel's zero crossing
    (after its maximum, before its minimum, within 600 ms) lands at `ttp_ms`; also return the
    kernel's sum before the crossing.

    Raises
    ------
    NodeTableError
        A kernel without such a crossing, or crossing later than `ttp_ms`.
    """
    kernels, _ = temporal_kernels(p.weights[rows], p.kpeaks[rows], p.delays[rows])
    window = kernels[:, :_FIT_WINDOW]
    top, bottom = window.argmax(axis=1), window.argmin(axis=1)
    j = np.arange(_FIT_WINDOW - 1)[None, :]
    crosses = ((window[:, :-1] >= 0) & (window[:, 1:] < 0) & (j >= top[:, None]) & (j <= bottom[:, None] - 2))
    if not crosses.any(axis=1).all():
        bad = rows[~crosses.any(axis=1)]
        raise table.error(p.columns, f"{table.nodes_at(bad)}: the {which} subunit's temporal kernel does not cross "
                                     "zero between its maximum and minimum, so its delays cannot be fitted to the "
                                     "time to peak")
    tcross = crosses.argmax(axis=1) + 1
    lobe_sum = np.where(np.arange(_FIT_WINDOW)[None, :] < tcross[:, None], window, 0.0).sum(axis=1)
    offset = ttp_ms - tcross
    if np.any(offset < 0):
        bad = rows[offset < 0]
        raise table.error(p.columns, f"{table.nodes_at(bad)}: the {which} subunit's kernel crosses zero later than "
                                     f"the target time to peak {ttp_ms} ms, so its delays cannot be fitted")
    out = p.copy()
    out.delays[rows] = p.delays[rows] + offset[:, None]
    return FittedFilter(out, lobe_sum)


def two_subunit_blocks(table: NodeTable, names: np.ndarray, rows: np.ndarray, dominant: TemporalParams,
                       bounds: JitterBounds, draws: RandomDraws, angle: np.ndarray, x: np.ndarray, y: np.ndarray,
                       sigma: np.ndarray, rotation: np.ndarray, bank: KernelBank) -> list[SubunitBlock]:
    """Subunits of the two-subunit cells at `rows`: the dominant OFF field at (x, y) and the ON field offset by
    sf_sep along tuning_angle, with re-fitted delays and BMTK's balancing OFF amplitude.

    Parameters
    ----------
    table : NodeTable
    names : (n,) model names
    rows : index array of the two-subunit nodes
    dominant : the (jittered, checked) temporal parameters of every node
    bounds, draws : every node's jitter and random draws
    angle : (n,) ``tuning_angle`` (degrees), NaN where missing (then drawn uniformly in [0, 360))
    x, y, sigma, rotation : every node's field centre, sigma and rotation (degrees)
    bank : the kernel bank of the units

    Raises
    ------
    NodeTableError
        Missing or invalid non-dominant parameters or ``sf_sep``, or kernels that cannot be fitted.
    """
    non_dominant = temporal_params(table, table.json_files("non_dom_params"), NON_DOMINANT_COLUMNS, rows,
                                   "non_dom_params")
    non_dominant = jittered(non_dominant, rows, bounds, draws.non_dominant)
    check_temporal(non_dominant, rows, table, "non-dominant ")
    separation = table.numbers("sf_sep")[:, 0]
    table.require_finite(separation, rows, ("sf_sep",),
                         "sf_sep: required by two-subunit cells (subfield separation, degrees)")
    active = rows[bounds.active[rows]]
    lo, hi = bounds.lower[active], bounds.upper[active]
    s = separation[active]
    separation[active] = s * lo + draws.sf_sep[active] * (s * hi - s * lo)
    angle = np.where(np.isnan(angle), 360.0 * draws.tuning_angle, angle)

    blocks = []
    kinds = np.array([TWO_SUBUNIT_MODELS[m] for m in names[rows]])
    for kind, c in TWO_SUBUNIT_KINDS.items():
        sub = rows[kinds == kind]
        if not sub.size:
            continue
        on = refit(non_dominant, sub, c.ttp_on_ms, table, "ON (non-dominant)")
        off = refit(dominant, sub, c.ttp_off_ms, table, "OFF (dominant)")
        amp_on = 1.0
        amp_off = (-c.scale * (c.max_off_hz / c.max_on_hz) * (on.lobe_sum / off.lobe_sum) * amp_on
                   - (c.spont_hz * (c.max_off_hz - c.max_on_hz)) / (c.max_on_hz * off.lobe_sum))
        offset = np.full(sub.size, c.spont_hz / 2)
        on_x = np.cos(angle[sub] * np.pi / 180.0) * separation[sub] + x[sub]
        on_y = np.sin(angle[sub] * np.pi / 180.0) * separation[sub] + y[sub]
        blocks.append(SubunitBlock(unit=sub, order=0, x_deg=x[sub], y_deg=y[sub], sigma_deg=sigma[sub],
                                   rotation_deg=rotation[sub], amplitude=amp_off, offset_hz=offset,
                                   kernel_index=bank.indices(off.params, sub)))
        blocks.append(SubunitBlock(unit=sub, order=1, x_deg=on_x, y_deg=on_y, sigma_deg=sigma[sub],
                                   rotation_deg=rotation[sub], amplitude=np.full(sub.size, amp_on), offset_hz=offset,
                                   kernel_index=bank.indices(on.params, sub)))
    return blocks
