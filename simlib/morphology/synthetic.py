"""Seeded synthetic neurons (a layer-4 pyramidal cell and a basket cell) for tests and workflows.

The cells are random trees grown branch by branch: each unbranched branch is a persistent
random walk of 5-8 µm segments (direction = start direction + AR(1)-smoothed noise), children
leave their parent at 20-80 degrees on opposite sides, and radii taper linearly with path
distance from the tree's root. Total lengths are drawn first and shared among trees and
branches, so they land in the target ranges whatever the seed.

Target ranges (µm) are the project's choice for mouse L4 cells, meant to resemble the Allen Cell
Types Database reconstructions of mouse V1 (morphology features described by Gouwens et al.
2019, Nat Neurosci 22:1182). For comparison, the five Allen L4 cells shipped with BMTK
(Scnn1a 473845048, Rorb 325404214, Nr5a1 471087815; Pvalb 469628681, 470522102) measure,
with `read_swc`: basal dendrites 1.2-3.1 mm, apical 0.7-1.5 mm, aspiny (Pvalb) dendrites
1.5-2.3 mm in total, soma radius 5.2-6.4 µm. The synthetic pyramidal cell is therefore on the
large side (soma radius 10 µm by default, as asked; pass ``soma_radius_um=6`` for an Allen-like
soma). Axons are truncated to a local arbor, as in the Allen reconstructions (BioNet's
perisomatic models replace the axon by a stub anyway).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.signal import lfilter

from simlib.errors import ConfigError
from simlib.morphology.sections import APICAL, AXON, BASAL, SOMA
from simlib.morphology.swc import Morphology, write_swc

# Ranges the random totals are drawn from (µm); the brief's acceptance ranges are wider.
PYRAMIDAL_BASAL_UM = (2800.0, 3700.0)
PYRAMIDAL_TRUNK_UM = (430.0, 570.0)
PYRAMIDAL_APICAL_UM = (2300.0, 3200.0)
PYRAMIDAL_AXON_UM = (450.0, 850.0)
BASKET_DENDRITE_UM = (1800.0, 2700.0)
BASKET_AXON_UM = (1000.0, 1800.0)

MAX_SEGMENT_UM = 8.0
MIN_BRANCH_UM = 10.0
DECIMALS = 4  # positions and radii are rounded so files are compact and read back exactly

PYRAMIDAL_FILE = "pyramidal_synth.swc"
BASKET_FILE = "basket_synth.swc"


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _tilt(direction: np.ndarray, angle_rad: float, azimuth_rad: float) -> np.ndarray:
    """`direction` turned by `angle_rad` towards the perpendicular at `azimuth_rad`."""
    helper = np.array([1.0, 0.0, 0.0]) if abs(direction[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = _unit(np.cross(direction, helper))
    v = np.cross(direction, u)
    return _unit(np.cos(angle_rad) * direction
                 + np.sin(angle_rad) * (np.cos(azimuth_rad) * u + np.sin(azimuth_rad) * v))


def _spread_directions(rng: np.random.Generator, n: int, y_min: float = -1.0, y_max: float = 1.0) -> np.ndarray:
    """`n` unit vectors spread evenly (golden spiral) over the band y_min <= y <= y_max,
    jittered and turned by a random angle about the y axis, shape (n, 3)."""
    k = np.arange(n) + rng.uniform(0.2, 0.8, n)
    y = y_max - (y_max - y_min) * k / n
    phi = np.pi * (3.0 - np.sqrt(5.0)) * np.arange(n) + rng.uniform(0.0, 2.0 * np.pi)
    rho = np.sqrt(1.0 - y ** 2)
    return _unit(np.column_stack([rho * np.cos(phi), y, rho * np.sin(phi)]))


def _topology(rng: np.random.Generator, n_tips: int) -> np.ndarray:
    """Parent branch of each branch of a random binary tree with `n_tips` tips (-1 for the
    root branch); parents come before children."""
    parents = [-1]
    tips = [0]
    for _ in range(n_tips - 1):
        split = tips.pop(int(rng.integers(len(tips))))
        parents.extend([split, split])
        tips.extend([len(parents) - 2, len(parents) - 1])
    return np.asarray(parents)


class _Cell:
    """Samples accumulated in creation order (every parent before its children)."""

    def __init__(self):
        self.xyz: list[np.ndarray] = []
        self.types: list[np.ndarray] = []
        self.radius: list[np.ndarray] = []
        self.parents: list[np.ndarray] = []
        self.n = 0

    def add(self, xyz, sample_type: int, radius, parents) -> np.ndarray:
        """Append samples; return their indices."""
        xyz = np.atleast_2d(xyz)
        k = xyz.shape[0]
        self.xyz.append(xyz)
        self.types.append(np.full(k, sample_type))
        self.radius.append(np.broadcast_to(np.asarray(radius, dtype=float), (k,)).copy())
        self.parents.append(np.broadcast_to(np.asarray(parents), (k,)).copy())
        self.n += k
        return np.arange(self.n - k, self.n)

    def set_radius(self, index: np.ndarray, radius: np.ndarray) -> None:
        flat = np.concatenate(self.radius)
        flat[index] = radius
        self.radius = [flat]

    def morphology(self) -> Morphology:
        return Morphology(ids=np.arange(1, self.n + 1), types=np.concatenate(self.types),
                          xyz=np.round(np.concatenate(self.xyz), DECIMALS),
                          radius=np.round(np.concatenate(self.radius), DECIMALS),
                          parents=np.concatenate(self.parents))


def _walk(rng: np.random.Generator, start: np.ndarray, direction: np.ndarray, length_um: float,
          tortuosity: float, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points (excluding `start`) of a persistent random walk of `length_um`, and its end direction."""
    n = int(np.ceil(length_um / MAX_SEGMENT_UM))
    noise = rng.normal(0.0, tortuosity, (n, 3))
    smooth = lfilter([1.0], [1.0, -0.7], noise, axis=0)
    directions = _unit(direction + smooth + bias)
    points = start + np.cumsum(directions * (length_um / n), axis=0)
    return points, directions[-1]


def _tree(rng: np.random.Generator, cell: _Cell, parent: int, start: np.ndarray, direction: np.ndarray,
          length_um: float, n_tips: int, sample_type: int, radius_um: tuple[float, float], *,
          angle_deg: tuple[float, float] = (25.0, 45.0), tortuosity: float = 0.2,
          bias: np.ndarray | None = None, start_sample: bool = True) -> np.ndarray:
    """Grow a branching tree of `length_um` total cable with `n_tips` tips; return its sample indices.

    With `start_sample` the tree begins with a sample at `start` (a neurite's first point on
    the soma surface, whose link to the soma is not part of its length); otherwise its first
    branch hangs directly from sample `parent`, which lies at `start`.
    """
    bias = np.zeros(3) if bias is None else np.asarray(bias, dtype=float)
    branch_parent = _topology(rng, n_tips)
    n_branches = branch_parent.size
    terminal = ~np.isin(np.arange(n_branches), branch_parent)
    weights = np.where(terminal, 1.6, 1.0) * rng.gamma(6.0, 1.0 / 6.0, n_branches)
    lengths = np.maximum(length_um * weights / weights.sum(), MIN_BRANCH_UM)
    angles = np.deg2rad(rng.uniform(*angle_deg, n_branches))
    azimuths = rng.uniform(0.0, 2.0 * np.pi, n_branches)

    indices = []
    path_um = []
    if start_sample:
        first = cell.add(start, sample_type, radius_um[0], parent)
        indices.append(first)
        path_um.append(np.zeros(1))
        parent = int(first[0])
    end_index = np.empty(n_branches, dtype=np.int64)
    end_xyz = np.empty((n_branches, 3))
    end_dir = np.empty((n_branches, 3))
    end_path = np.empty(n_branches)
    for b in range(n_branches):
        pb = branch_parent[b]
        if pb < 0:
            origin, attach, d0, p0 = start, parent, _unit(direction), 0.0
        else:
            # Sister branches leave on opposite sides of their parent's direction.
            sister = 0.0 if b % 2 else np.pi
            d0 = _tilt(end_dir[pb], angles[b], azimuths[pb] + sister)
            origin, attach, p0 = end_xyz[pb], end_index[pb], end_path[pb]
        points, d_end = _walk(rng, origin, d0, lengths[b], tortuosity, bias)
        idx = cell.add(points, sample_type, 0.0, np.r_[attach, np.arange(cell.n, cell.n + len(points) - 1)])
        seg = lengths[b] / len(points)
        indices.append(idx)
        path_um.append(p0 + seg * np.arange(1, len(points) + 1))
        end_index[b], end_xyz[b], end_dir[b], end_path[b] = idx[-1], points[-1], d_end, path_um[-1][-1]
    indices = np.concatenate(indices)
    path = np.concatenate(path_um)
    r0, r1 = radius_um
    cell.set_radius(indices, r0 - (r0 - r1) * path / path.max())
    return indices


def _soma(cell: _Cell, radius_um: float) -> None:
    """A 3-point soma at the origin (neuromorpho.org convention, read by Import3d as a sphere):
    the centre is the root, two points one radius away along y, all of the soma's radius."""
    cell.add(np.zeros(3), SOMA, radius_um, -1)
    cell.add(np.array([[0.0, -radius_um, 0.0], [0.0, radius_um, 0.0]]), SOMA, radius_um, 0)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"synthetic morphology: seed: expected an integer >= 0, got {seed!r}")
    return int(seed)


def _check_positive(name: str, value) -> None:
    if value is not None and not (isinstance(value, (int, float, np.integer, np.floating))
                                  and not isinstance(value, bool) and np.isfinite(value) and value > 0):
        raise ConfigError(f"synthetic morphology: {name}: expected a number > 0 (µm), got {value!r}")


def _check_count(name: str, value, low: int, high: int) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                              or not low <= value <= high):
        raise ConfigError(f"synthetic morphology: {name}: expected an integer in [{low}, {high}], got {value!r}")


def _tips(rng: np.random.Generator, length_um: float, um_per_tip: tuple[float, float], low: int, high: int) -> int:
    return int(np.clip(round(length_um / rng.uniform(*um_per_tip)), low, high))


def pyramidal_cell(seed: int, *, soma_radius_um: float = 10.0, n_basal: int | None = None,
                   basal_length_um: float | None = None, apical_length_um: float | None = None,
                   axon_length_um: float | None = None) -> Morphology:
    """A synthetic spiny (pyramidal) layer-4 cell.

    Targets (µm): 5-7 basal dendrites of 2,500-4,000 total (drawn from 2,800-3,700), radii
    0.8 -> 0.3; one apical trunk of 400-600 (drawn 430-570) rising along +y, radius 1.5 -> 0.6,
    with 4-8 oblique branches (radius 0.7 -> 0.3) and a two-stemmed tuft (0.6 -> 0.3), all
    apical 2,000-3,500 (drawn 2,300-3,200); an axon of 300-1,000 (drawn 450-850) leaving
    downwards, radius 0.55 -> 0.4. Soma: 3-point soma of radius `soma_radius_um` at the origin.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same cell.
    soma_radius_um : float
        Soma radius (µm).
    n_basal : int, optional
        Number of basal dendrites (1-20); drawn from 5-7 if None.
    basal_length_um, apical_length_um, axon_length_um : float, optional
        Total lengths (µm) to build instead of drawing them; the apical total includes the
        trunk, and must exceed it by at least 200 µm.

    Returns
    -------
    Morphology
        Samples in parent-first order, positions and radii rounded to 0.1 nm.

    Raises
    ------
    ConfigError
        A seed, count or length out of range.
    """
    rng = np.random.default_rng(_check_seed(seed))
    for name, value in [("soma_radius_um", soma_radius_um), ("basal_length_um", basal_length_um),
                        ("apical_length_um", apical_length_um), ("axon_length_um", axon_length_um)]:
        _check_positive(name, value)
    _check_count("n_basal", n_basal, 1, 20)
    n_basal = int(rng.integers(5, 8)) if n_basal is None else int(n_basal)
    basal_um = rng.uniform(*PYRAMIDAL_BASAL_UM) if basal_length_um is None else float(basal_length_um)
    trunk_um = rng.uniform(*PYRAMIDAL_TRUNK_UM)
    apical_um = rng.uniform(*PYRAMIDAL_APICAL_UM) if apical_length_um is None else float(apical_length_um)
    axon_um = rng.uniform(*PYRAMIDAL_AXON_UM) if axon_length_um is None else float(axon_length_um)
    if apical_um < trunk_um + 200.0:
        raise ConfigError(f"synthetic morphology: apical_length_um: {apical_um!r} leaves less than 200 µm for "
                          f"obliques and tuft beyond the {trunk_um:.0f} µm trunk; expected more")
    r_soma = float(soma_radius_um)
    up = np.array([0.0, 1.0, 0.0])

    cell = _Cell()
    _soma(cell, r_soma)
    # Basal dendrites leave the lower two thirds of the soma, spread around it.
    shares = rng.dirichlet(np.full(n_basal, 6.0)) * basal_um
    for direction, share in zip(_spread_directions(rng, n_basal, -0.95, 0.35), shares):
        _tree(rng, cell, 0, r_soma * direction, direction, share, _tips(rng, share, (90.0, 130.0), 2, 8),
              BASAL, (0.8, 0.3), angle_deg=(25.0, 45.0), tortuosity=0.25, bias=0.15 * direction)

    trunk_dir = _tilt(up, np.deg2rad(rng.uniform(0.0, 8.0)), rng.uniform(0.0, 2.0 * np.pi))
    trunk = _tree(rng, cell, 0, r_soma * trunk_dir, trunk_dir, trunk_um, 1, APICAL, (1.5, 0.6),
                  tortuosity=0.06, bias=0.3 * up)
    xyz = np.concatenate(cell.xyz)
    radius = np.concatenate(cell.radius)
    rest_um = apical_um - trunk_um
    oblique_um = rest_um * rng.uniform(0.35, 0.5)
    n_oblique = int(rng.integers(4, 9))
    # Obliques leave the trunk between 15% and 75% of its length, on alternating sides.
    at = np.sort(rng.choice(np.arange(int(0.15 * trunk.size), int(0.75 * trunk.size)), n_oblique, replace=False))
    side = rng.uniform(0.0, 2.0 * np.pi)
    for k, (where_idx, share) in enumerate(zip(trunk[at], rng.dirichlet(np.full(n_oblique, 4.0)) * oblique_um)):
        direction = _tilt(trunk_dir, np.deg2rad(rng.uniform(50.0, 75.0)), side + k * 2.4)
        _tree(rng, cell, int(where_idx), xyz[where_idx], direction, share,
              _tips(rng, share, (100.0, 150.0), 1, 4), APICAL, (min(0.7, radius[where_idx]), 0.3),
              angle_deg=(25.0, 45.0), tortuosity=0.25, start_sample=False)
    tuft_um = rest_um - oblique_um
    top = int(trunk[-1])
    tuft_side = rng.uniform(0.0, 2.0 * np.pi)
    for k, share in enumerate(rng.dirichlet([6.0, 6.0]) * tuft_um):
        direction = _tilt(trunk_dir, np.deg2rad(rng.uniform(25.0, 40.0)), tuft_side + k * np.pi)
        _tree(rng, cell, top, xyz[top], direction, share, _tips(rng, share, (80.0, 120.0), 3, 8),
              APICAL, (0.6, 0.3), angle_deg=(30.0, 55.0), tortuosity=0.25, start_sample=False)

    axon_dir = _tilt(-up, np.deg2rad(rng.uniform(0.0, 15.0)), rng.uniform(0.0, 2.0 * np.pi))
    _tree(rng, cell, 0, r_soma * axon_dir, axon_dir, axon_um, int(rng.integers(3, 6)), AXON, (0.55, 0.4),
          angle_deg=(40.0, 70.0), tortuosity=0.15, bias=-0.2 * up)
    return cell.morphology()


def basket_cell(seed: int, *, soma_radius_um: float = 7.0, n_dendrites: int | None = None,
                dendrite_length_um: float | None = None, axon_length_um: float | None = None) -> Morphology:
    """A synthetic aspiny (fast-spiking basket) layer-4 cell.

    Targets (µm): 6-9 dendrites radiating in all directions, 1,500-3,000 in total (drawn from
    1,800-2,700), radii 0.6 -> 0.25, all of type 3 (no apical dendrite); a local, densely
    branching axon of 1,000-1,800 (6-10 tips), radius 0.35 -> 0.2. Soma: 3-point soma of radius
    `soma_radius_um` at the origin.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same cell.
    soma_radius_um : float
        Soma radius (µm).
    n_dendrites : int, optional
        Number of dendrites (1-30); drawn from 6-9 if None.
    dendrite_length_um, axon_length_um : float, optional
        Total lengths (µm) to build instead of drawing them.

    Returns
    -------
    Morphology
        Samples in parent-first order, positions and radii rounded to 0.1 nm.

    Raises
    ------
    ConfigError
        A seed, count or length out of range.
    """
    rng = np.random.default_rng(_check_seed(seed))
    for name, value in [("soma_radius_um", soma_radius_um), ("dendrite_length_um", dendrite_length_um),
                        ("axon_length_um", axon_length_um)]:
        _check_positive(name, value)
    _check_count("n_dendrites", n_dendrites, 1, 30)
    n_dend = int(rng.integers(6, 10)) if n_dendrites is None else int(n_dendrites)
    dend_um = rng.uniform(*BASKET_DENDRITE_UM) if dendrite_length_um is None else float(dendrite_length_um)
    axon_um = rng.uniform(*BASKET_AXON_UM) if axon_length_um is None else float(axon_length_um)
    r_soma = float(soma_radius_um)

    cell = _Cell()
    _soma(cell, r_soma)
    directions = _spread_directions(rng, n_dend + 1)
    # The axon takes the most downward of the spread directions; dendrites the others.
    axon_k = int(np.argmin(directions[:, 1]))
    shares = rng.dirichlet(np.full(n_dend, 5.0)) * dend_um
    for direction, share in zip(np.delete(directions, axon_k, axis=0), shares):
        _tree(rng, cell, 0, r_soma * direction, direction, share, _tips(rng, share, (80.0, 120.0), 2, 6),
              BASAL, (0.6, 0.25), angle_deg=(25.0, 50.0), tortuosity=0.3, bias=0.1 * direction)
    axon_dir = directions[axon_k]
    _tree(rng, cell, 0, r_soma * axon_dir, axon_dir, axon_um, int(rng.integers(6, 11)), AXON, (0.35, 0.2),
          angle_deg=(40.0, 80.0), tortuosity=0.35)
    return cell.morphology()


def synthesize(output_dir, seed: int) -> list[Path]:
    """Write a synthetic pyramidal and basket cell as ``pyramidal_synth.swc`` and ``basket_synth.swc``.

    Parameters
    ----------
    output_dir : str or path-like
        Folder for the two files (created if missing).
    seed : int
        Seed of both cells; the same seed writes byte-identical files.

    Returns
    -------
    list of Path
        The pyramidal and the basket cell file, in this order.
    """
    output_dir = Path(output_dir)
    files = []
    for name, make, label in [(PYRAMIDAL_FILE, pyramidal_cell, "pyramidal"), (BASKET_FILE, basket_cell, "basket")]:
        header = f"synthetic {label} cell (simlib.morphology.synthetic), seed {int(seed)}\nlengths and radii in um"
        files.append(write_swc(output_dir / name, make(seed), header=header))
    return files
