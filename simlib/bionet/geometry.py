"""Segment coordinates of a cell placed at its node's position and rotation, as BMTK places them.

A morphology's 3-d points are shifted so the mean of the soma's points is at the origin, the
segment ends and centres are interpolated along each section's arc length, rotated by
``Rx(θx)·Ry(θy)·Rz(θz)`` (angles in radians, ``rotation_angle_[xyz]axis``) and moved to the node
position (``x``, ``y``, ``z``). NEURON's own 3-d points are not changed; these coordinates serve
extracellular recordings and synapse locations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SegmentCoordinates:
    """Start, end and centre of every segment (``Cell.all`` order), shape (n_segments, 3), in µm."""

    p0: np.ndarray
    p1: np.ndarray
    p05: np.ndarray
    soma_um: np.ndarray


def rotation_matrix(axis, theta_rad: float) -> np.ndarray:
    """Counter-clockwise rotation by ``theta_rad`` about ``axis`` (Euler–Rodrigues), as BMTK's."""
    axis = np.asarray(axis, dtype=float)
    axis = axis / np.linalg.norm(axis)
    a = np.cos(theta_rad / 2.0)
    b, c, d = -axis * np.sin(theta_rad / 2.0)
    return np.array([[a * a + b * b - c * c - d * d, 2 * (b * c + a * d), 2 * (b * d - a * c)],
                     [2 * (b * c - a * d), a * a + c * c - b * b - d * d, 2 * (c * d + a * b)],
                     [2 * (b * d + a * c), 2 * (c * d - a * b), a * a + d * d - b * b - c * c]])


def xyz_rotation(angles_rad) -> np.ndarray:
    """``Rx(θx) · Ry(θy) · Rz(θz)``."""
    ax, ay, az = (float(a) for a in angles_rad)
    return rotation_matrix([1, 0, 0], ax) @ (rotation_matrix([0, 1, 0], ay) @ rotation_matrix([0, 0, 1], az))


def segment_coordinates(cell, position_um=None, rotation_rad=None) -> SegmentCoordinates:
    """Coordinates of the segments of a built cell, rotated about its soma and moved to ``position_um``."""
    return place(local_coordinates(cell), position_um, rotation_rad)


def local_coordinates(cell) -> SegmentCoordinates:
    """Segment coordinates of a built cell with the mean of its soma's 3-d points at the origin.

    Copies of one morphology share them (NEURON keeps each copy's reconstructed points), so a
    network computes them once per morphology and :func:`place` s each cell.
    """
    soma_pts = np.concatenate([_points(sec) for sec in cell.soma])
    centre = soma_pts[:, :3].mean(axis=0)
    p0, p1, p05 = [], [], []
    for sec in cell.all:
        pts = _points(sec)
        nseg = sec.nseg
        x = (np.arange(nseg) + 0.5) / nseg
        if len(pts) < 2:  # no 3-d points (e.g. before define_shape): a point at the centre
            pts = np.zeros((2, 5))
            pts[1, 4] = 1.0
        arc = pts[:, 4] / (pts[-1, 4] if pts[-1, 4] > 0 else 1.0)
        xyz = pts[:, :3] - centre
        for store, where in ((p0, x - 0.5 / nseg), (p1, x + 0.5 / nseg), (p05, x)):
            store.append(np.column_stack([np.interp(where, arc, xyz[:, k]) for k in range(3)]))
    p0, p1, p05 = (np.concatenate(a) for a in (p0, p1, p05))
    return SegmentCoordinates(p0, p1, p05, soma_pts[:, :3].mean(axis=0) - centre)


def place(local: SegmentCoordinates, position_um=None, rotation_rad=None) -> SegmentCoordinates:
    """``local`` rotated by ``Rx·Ry·Rz`` about the soma, then moved so the soma is at ``position_um``."""
    p0, p1, p05, soma = local.p0, local.p1, local.p05, local.soma_um
    if rotation_rad is not None:
        rot = xyz_rotation(rotation_rad)
        p0, p1, p05 = ((pts - soma) @ rot.T + soma for pts in (p0, p1, p05))
    if position_um is not None:
        shift = np.asarray(position_um, dtype=float) - soma
        p0, p1, p05, soma = p0 + shift, p1 + shift, p05 + shift, soma + shift
    return SegmentCoordinates(p0, p1, p05, soma)


def _points(sec) -> np.ndarray:
    """(n3d, 5) array: x, y, z, diam, arc length of a section's 3-d points."""
    n = int(sec.n3d())
    return np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i), sec.arc3d(i)] for i in range(n)]
                    ).reshape(n, 5)


def node_placement(nodes, row: int) -> tuple[np.ndarray | None, np.ndarray]:
    """(position, rotation angles) of one node from its SONATA columns, BMTK's precedence and defaults."""
    position = None
    for key in ("positions", "position"):
        if key in nodes:
            position = np.asarray(nodes[key].iat[row], dtype=float)
            break
    else:
        xyz = [float(nodes[k].iat[row]) if k in nodes else 0.0 for k in ("x", "y", "z")]
        if any(k in nodes for k in ("x", "y", "z")):
            position = np.array(xyz)
    angles = np.array([float(nodes[k].iat[row]) if k in nodes and not _missing(nodes[k].iat[row]) else 0.0
                       for k in ("rotation_angle_xaxis", "rotation_angle_yaxis", "rotation_angle_zaxis")])
    return position, angles


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
