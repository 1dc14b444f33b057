"""Line-source transfer from segment membrane currents to extracellular potentials (NEURON-free numerics).

Each segment is a line from ``p0`` to ``p1`` carrying its membrane current uniformly; in an
infinite homogeneous medium of conductivity σ its potential at an electrode is
``φ = I/(4πσ·L) · ln((up + √(up² + ρ²)) / (low + √(low² + ρ²)))`` with ``ρ`` the electrode's
distance from the segment's axis, ``up``/``low`` the distances along the axis to the far and near
ends (BMTK's formula, as in LFPy). With currents in nA, lengths in µm and σ in S/m the result is
in mV: ``1 nA / (1 S/m · 1 µm) = 1 mV``.
"""

from __future__ import annotations

import numpy as np

from simlib.errors import ConfigError

_ON_SEGMENT_UM = 1e-6


def line_source_transfer(p0_um: np.ndarray, p1_um: np.ndarray, electrodes_um: np.ndarray,
                         sigma_s_per_m: float = 0.3, min_distance_um=None) -> np.ndarray:
    """Transfer matrix (mV per nA) from segment currents to electrode potentials.

    Parameters
    ----------
    p0_um, p1_um : (n_segments, 3) start and end points of the segments (µm).
    electrodes_um : (n_channels, 3) electrode positions (µm).
    sigma_s_per_m : extracellular conductivity (S/m).
    min_distance_um : None or 0 for none; a number, or an (n_segments,) array (e.g. the segment
        radii): where an electrode's projection falls within that distance of the segment (BMTK's
        ``low < r_min``), its distance from the segment axis is raised to at least it.

    Returns
    -------
    numpy.ndarray
        (n_channels, n_segments); the potentials are ``transfer @ currents_nA``.

    Raises
    ------
    ConfigError
        An electrode lies on a segment (the potential is infinite); the message names the
        channel and segment index and suggests a minimum distance.
    """
    p0 = np.asarray(p0_um, dtype=np.float64).reshape(-1, 3)
    p1 = np.asarray(p1_um, dtype=np.float64).reshape(-1, 3)
    el = np.asarray(electrodes_um, dtype=np.float64).reshape(-1, 3)
    if not sigma_s_per_m > 0:
        raise ConfigError(f"extracellular conductivity must be > 0 S/m, got {sigma_s_per_m}")
    mid = 0.5 * (p0 + p1)
    dl = p1 - p0
    length = np.linalg.norm(dl, axis=1)                         # (n_segments,)
    rel = el[:, None, :] - mid[None, :, :]                      # (n_channels, n_segments, 3)
    r2 = np.einsum("csk,csk->cs", rel, rel)
    with np.errstate(divide="ignore", invalid="ignore"):
        axis = np.where(length[:, None] > 0, dl / np.where(length > 0, length, 1.0)[:, None], 0.0)
    r_par = np.abs(np.einsum("csk,sk->cs", rel, axis))          # distance along the axis from the centre
    r_perp2 = np.maximum(r2 - r_par ** 2, 0.0)
    up = r_par + length / 2
    low = r_par - length / 2
    if min_distance_um is not None:
        r_min = np.broadcast_to(np.asarray(min_distance_um, dtype=np.float64), length.shape)
        if np.any(r_min > 0):
            near = low < r_min[None, :]
            r_perp2 = np.where(near, np.maximum(r_perp2, r_min[None, :] ** 2), r_perp2)
    num = up + np.sqrt(up ** 2 + r_perp2)
    # low + sqrt(low² + ρ²) loses all digits when low << 0 (projection inside the segment):
    # use the algebraically equal ρ² / (sqrt(low² + ρ²) - low) there
    root = np.sqrt(low ** 2 + r_perp2)
    with np.errstate(divide="ignore", invalid="ignore"):
        den = np.where(low >= 0, low + root, r_perp2 / (root - low))
        transfer = np.log(num / den) / length[None, :]
    point = length == 0  # a zero-length segment is a point source
    if point.any():
        with np.errstate(divide="ignore"):
            transfer[:, point] = 1.0 / np.sqrt(r2[:, point])
    # on the segment (within 1 pm of its axis, inside its extent): rounding decides between inf and 1e12
    bad = ~np.isfinite(transfer) | ((r_perp2 < _ON_SEGMENT_UM ** 2) & (low <= 0) & (length[None, :] > 0))
    if bad.any():
        ch, seg = np.argwhere(bad)[0]
        raise ConfigError(f"electrode channel index {ch} at {el[ch].tolist()} µm lies on segment {seg} "
                          f"({p0[seg].tolist()} to {p1[seg].tolist()} µm): its potential is infinite; set "
                          f"minimum_distance (µm, or 'auto' for the segment radius)")
    return transfer / (4.0 * np.pi * sigma_s_per_m)
