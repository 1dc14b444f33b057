"""LGN units as arrays of subunits: the result of :func:`~simlib.filternet.units.build_units`.

Every LGN unit is one subunit (single-subunit cells) or two (two-subunit and ON/OFF cells), each
a Gaussian spatial field, a temporal kernel, an amplitude and an offset added before
rectification. Subunits are built in blocks, one subunit for each node of a group of nodes
(:class:`SubunitBlock`, one named field per subunit property), and merged by :func:`assemble`
into :class:`LGNUnits`, sorted by unit and, within a unit, by subunit order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LGNUnits:
    """LGN units as arrays of subunits (one per unit, two for two-subunit cells).

    A unit's rate (Hz) is ``sum over its subunits s of max(0, amplitude[s] * L_s(t) + offset_hz[s])``,
    where ``L_s`` is the movie filtered by the subunit's Gaussian field (weights summing to 1)
    and its temporal kernel ``kernels[kernel_index[s]]`` (1 ms samples, index 0 = lag 0).

    Attributes
    ----------
    node_ids : (n_units,) int64
    model_names : (n_units,) str, e.g. ``sON_TF8``
    subunit_unit : (n_subunits,) index of each subunit's unit, non-decreasing
    x_deg, y_deg : (n_subunits,) field centres (degrees)
    sigma_deg : (n_subunits, 2) Gaussian sigma along x (columns) and y (rows), degrees
    rotation_deg : (n_subunits,)
    amplitude : (n_subunits,) +1 ON, -1 OFF, or the fitted amplitudes of two-subunit cells
    offset_hz : (n_subunits,) added before rectification: the spontaneous rate, or half of
        BMTK's fixed rate for each subunit of a two-subunit cell
    kernel_index : (n_subunits,) row of `kernels`
    kernels : (n_kernels, n_samples) distinct temporal kernels, zero-padded, 1 ms samples
    seed_entropy : entropy of the random streams (jitter, missing tuning angles), None if unused
    """

    node_ids: np.ndarray
    model_names: np.ndarray
    subunit_unit: np.ndarray
    x_deg: np.ndarray
    y_deg: np.ndarray
    sigma_deg: np.ndarray
    rotation_deg: np.ndarray
    amplitude: np.ndarray
    offset_hz: np.ndarray
    kernel_index: np.ndarray
    kernels: np.ndarray
    seed_entropy: int | None = None

    @property
    def n_units(self) -> int:
        return int(self.node_ids.size)

    @property
    def n_subunits(self) -> int:
        return int(self.subunit_unit.size)


@dataclass
class SubunitBlock:
    """Subunits of a group of units built together, one subunit per unit.

    Attributes
    ----------
    unit : (m,) int64 index of each subunit's unit (its node's row in the node table)
    order : position of these subunits within their units (0 first, 1 second)
    x_deg, y_deg : (m,) field centres (degrees)
    sigma_deg : (m, 2) Gaussian sigma along x and y (degrees)
    rotation_deg : (m,) field rotation (degrees)
    amplitude : (m,) or scalar, multiplies the filtered movie
    offset_hz : (m,) or scalar, added before rectification
    kernel_index : (m,) int64 row of the kernel bank
    """

    unit: np.ndarray
    order: int
    x_deg: np.ndarray
    y_deg: np.ndarray
    sigma_deg: np.ndarray
    rotation_deg: np.ndarray
    amplitude: np.ndarray
    offset_hz: np.ndarray
    kernel_index: np.ndarray

    @classmethod
    def empty(cls) -> SubunitBlock:
        """A block of no subunits (the dtypes of :class:`LGNUnits` for a table of no nodes)."""
        none = np.zeros(0)
        return cls(np.zeros(0, np.int64), 0, none, none, np.zeros((0, 2)), none, none, none, np.zeros(0, np.int64))

    def column(self, name: str) -> np.ndarray:
        """The field `name`, broadcast to one row per subunit."""
        value = getattr(self, name)
        return np.broadcast_to(value, (self.unit.size,) + np.shape(value)[1:])


_PER_SUBUNIT = ("x_deg", "y_deg", "sigma_deg", "rotation_deg", "amplitude", "offset_hz", "kernel_index")


def assemble(blocks: list[SubunitBlock], node_ids: np.ndarray, model_names: np.ndarray, kernels: np.ndarray,
             seed_entropy: int | None) -> LGNUnits:
    """Merge subunit blocks into :class:`LGNUnits`, subunits sorted by unit, then by order within the unit."""
    blocks = blocks or [SubunitBlock.empty()]
    unit = np.concatenate([block.unit for block in blocks])
    order = np.concatenate([np.full(block.unit.size, block.order) for block in blocks])
    sort = np.lexsort((order, unit))
    columns = {name: np.concatenate([block.column(name) for block in blocks])[sort] for name in _PER_SUBUNIT}
    return LGNUnits(node_ids=node_ids, model_names=model_names, subunit_unit=unit[sort], kernels=kernels,
                    seed_entropy=seed_entropy, **columns)
