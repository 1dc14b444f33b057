"""Per-node filter parameters of LGN units, read from a node table as BMTK's FilterNet cell loader does.

The temporal filter of a subunit is BMTK's two-bump kernel of (weights, kpeaks, delays), each a
pair per node: :func:`temporal_params` reads them from node columns in BMTK's order of
preference, else from the node's filter-model JSON, and :func:`check_temporal` applies BMTK's
asserts to all nodes at once. Jitter (:class:`JitterBounds`) scales each value x to
uniform(lower x, upper x), with draws from a random stream of each node's own
(:class:`RandomDraws`), so a unit never depends on the other nodes. :class:`KernelBank` builds
each distinct kernel once, and :func:`field_sigma` gives the Gaussian field sizes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from simlib.errors import show_value, where
from simlib.filternet.nodes import NodeTable, NodeTableError
from simlib.filternet.temporal import temporal_kernels

# Node columns BMTK accepts for the temporal parameters, in its order of preference; a pair of
# names means two scalar columns. The last resort is the JSON key.
DOMINANT_COLUMNS = {
    "weights": ("weights", "opt_wts", "weights_dom", ("weight_dom_0", "weight_dom_1")),
    "kpeaks": ("kpeaks", "opt_kpeaks", "kpeaks_dom", ("kpeaks_dom_0", "kpeaks_dom_1")),
    "delays": ("delays", "opt_delays", "delays_dom", ("delays_dom_0", "delays_dom_1"),
               ("delay_dom_0", "delay_dom_1")),
}
NON_DOMINANT_COLUMNS = {
    "weights": ("weights_non_dom", ("weight_non_dom_0", "weight_non_dom_1")),
    "kpeaks": ("kpeaks_non_dom", ("kpeaks_non_dom_0", "kpeaks_non_dom_1")),
    "delays": ("delays_non_dom", ("delay_non_dom_0", "delay_non_dom_1")),
}
_JSON_KEYS = {"weights": "opt_wts", "kpeaks": "opt_kpeaks", "delays": "opt_delays"}

# The random streams keep the tag of the module that introduced them (simlib.filternet.units), so
# that seeded runs draw the same values as before the module was split.
_STREAM = zlib.crc32(b"simlib.filternet.units")


def _flat(names) -> list[str]:
    """Column names of a look-up list (pairs of scalar columns flattened)."""
    return [part for name in names for part in ((name,) if isinstance(name, str) else name)]


@dataclass
class TemporalParams:
    """The (weights, kpeaks, delays) of BMTK's two-bump temporal kernel, one pair per node.

    Attributes
    ----------
    weights : (n, 2) bump amplitudes
    kpeaks : (n, 2) bump peaks (ms, on BMTK's log axis)
    delays : (n, 2) bump delays (ms)
    columns : names of the node-table columns (and JSON column) they were read from, for messages
    json_files : for "weights", "kpeaks", "delays": (n,) the filter JSON each node's pair was read from
        (None: a node column, or a JSON given in memory), for messages
    """

    weights: np.ndarray
    kpeaks: np.ndarray
    delays: np.ndarray
    columns: tuple[str, ...] = ()
    json_files: dict[str, np.ndarray] = field(default_factory=dict)

    def copy(self) -> TemporalParams:
        return TemporalParams(self.weights.copy(), self.kpeaks.copy(), self.delays.copy(), self.columns,
                              {key: files.copy() for key, files in self.json_files.items()})


def _pair(value) -> np.ndarray | None:
    """`value` as two finite floats, None if it is anything else (a string, a nested list, NaN, ...)."""
    try:
        pair = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return pair if pair.shape == (2,) and np.all(np.isfinite(pair)) else None


def _json_pairs(table: NodeTable, params: list, source: str, key: str, rows: np.ndarray, value: np.ndarray,
                files: np.ndarray, accepted: list[str]) -> None:
    """Fill `value` (the `key` pair) at `rows` from each node's JSON, `files` with the JSON's path.

    Raises NodeTableError naming the JSON file and key when the key holds anything but two finite
    numbers, or (for a JSON read from a file) is missing or null.
    """
    json_key = _JSON_KEYS[key]
    groups: dict[int, list[int]] = {}
    for i in rows.tolist():
        if params[i] is not None:
            groups.setdefault(id(params[i]), []).append(i)
    for members in groups.values():
        members = np.asarray(members)
        first = int(members[0])
        path = table.json_path(source, first)
        prefix = where(path, json_key) if path is not None else f"{table.where((source,))}{source} {json_key}"
        raw = params[first].get(json_key)
        if raw is None:
            if path is None:
                continue            # a JSON given in memory: require_finite names the node table
            raise NodeTableError(f"{prefix}: {'null' if json_key in params[first] else 'missing'} "
                                 f"({table.nodes_at(members)}): no valid {key} for the temporal filter; expected two "
                                 f"numbers here, or a node column among {accepted}")
        pair = _pair(raw)
        if pair is None:
            raise NodeTableError(f"{prefix}: expected two finite numbers [first, second], got {show_value(raw)} "
                                 f"({table.nodes_at(members)})")
        value[members] = pair
        files[members] = path


def temporal_params(table: NodeTable, params: list, columns: dict, rows: np.ndarray, source: str) -> TemporalParams:
    """weights, kpeaks, delays (n, 2) of the given nodes: node columns first, then the JSON's opt_* keys.

    Parameters
    ----------
    table : NodeTable
    params : the JSON of each node (dict or None), from the `source` column
    columns : :data:`DOMINANT_COLUMNS` or :data:`NON_DOMINANT_COLUMNS`
    rows : index array of the nodes that need the parameters
    source : the JSON column (``dynamics_params`` or ``non_dom_params``)

    Raises
    ------
    NodeTableError
        A node at `rows` without a valid pair in any column nor in its JSON; a JSON (read from a
        file) used for a node whose key is missing, or one whose key holds anything but two finite
        numbers: the message names the JSON file and key.
    """
    names = tuple(_flat(n for names in columns.values() for n in names)) + (source,)
    out, files = {}, {}
    for key, candidates in columns.items():
        value = table.first(candidates, scalar_fills=False)
        json_key = _JSON_KEYS[key]
        accepted = [n if isinstance(n, str) else "+".join(n) for n in candidates]
        files[key] = np.full(table.n, None, dtype=object)
        _json_pairs(table, params, source, key, rows[np.isnan(value[rows]).any(axis=1)], value, files[key],
                    accepted)
        table.require_finite(value, rows, _flat(candidates) + [source],
                             f"no valid {key} (two numbers) for the temporal filter: expected a node column among "
                             f"{accepted} or the key {json_key!r} in the {source} JSON")
        out[key] = value
    return TemporalParams(out["weights"], out["kpeaks"], out["delays"], names, files)


def check_temporal(p: TemporalParams, rows: np.ndarray, table: NodeTable, which: str) -> None:
    """BMTK's asserts on (weights, kpeaks, delays), for all the given nodes at once.

    Raises
    ------
    NodeTableError
        Every rule broken, each with the first offending values and the nodes breaking it; one line
        per file holding the values (the node table, or the filter JSON and key they came from).
    """
    w, k, d = p.weights[rows], p.kpeaks[rows], p.delays[rows]
    problems: dict[str, list[str]] = {}
    for bad, rule, key in (
            ((k[:, 0] >= k[:, 1]), "kpeaks[0] < kpeaks[1]", "kpeaks"), ((k <= 0).any(axis=1), "kpeaks > 0", "kpeaks"),
            ((w[:, 0] <= 0), "weights[0] > 0", "weights"), ((d[:, 0] > d[:, 1]), "delays[0] <= delays[1]", "delays"),
            ((d < 0).any(axis=1), "delays >= 0", "delays"),
            ((d[:, 1].astype(np.int64) - d[:, 0].astype(np.int64) >= 600), "delays[1] - delays[0] < 600", "delays")):
        origin = p.json_files.get(key, np.full(p.weights.shape[0], None, dtype=object))[rows]
        for path in dict.fromkeys(origin[bad].tolist()):
            at = bad & np.array([o == path for o in origin], dtype=bool)
            i = int(np.flatnonzero(at)[0])
            prefix = f"{where(path, _JSON_KEYS[key])}: " if path is not None else table.where(p.columns)
            problems.setdefault(prefix, []).append(
                f"expected {rule}, got weights={w[i].tolist()}, kpeaks={k[i].tolist()}, delays={d[i].tolist()} "
                f"({table.nodes_at(rows[at])})")
    if problems:
        raise NodeTableError("\n".join(f"{prefix}invalid {which}temporal filter: " + "; ".join(found)
                                       for prefix, found in problems.items()))


@dataclass
class JitterBounds:
    """Per-node jitter: each jittered value x becomes uniform(lower x, upper x); NaN = no jitter.

    Attributes
    ----------
    lower, upper : (n,) floats
    """

    lower: np.ndarray
    upper: np.ndarray

    @property
    def active(self) -> np.ndarray:
        """(n,) bool: the nodes that are jittered."""
        return ~np.isnan(self.lower)


def jitter_bounds(table: NodeTable, lower_default: float | None = None,
                  upper_default: float | None = None) -> JitterBounds:
    """``jitter_lower``/``jitter_upper`` of each node, else the network-wide defaults (None: no jitter).

    Raises
    ------
    NodeTableError
        A node with one of the two columns only, or lower > upper.
    """
    columns = ("jitter_lower", "jitter_upper")
    lower, upper = table.numbers("jitter_lower")[:, 0], table.numbers("jitter_upper")[:, 0]
    one_sided = np.isnan(lower) != np.isnan(upper)
    if one_sided.any():
        raise table.error(columns, f"{table.nodes_at(one_sided)}: jitter_lower and jitter_upper: give both or neither")
    if lower_default is not None:
        unset = np.isnan(lower)
        lower[unset], upper[unset] = lower_default, upper_default
    bad = ~np.isnan(lower) & ~(lower <= upper)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise table.error(columns, f"{table.nodes_at(bad)}: jitter: expected jitter_lower <= jitter_upper, got "
                                   f"{[float(lower[first]), float(upper[first])]}")
    return JitterBounds(lower, upper)


def jittered(p: TemporalParams, rows: np.ndarray, bounds: JitterBounds, draws: np.ndarray) -> TemporalParams:
    """BMTK's jitter on the given rows: each value x becomes uniform(lo * x, hi * x).

    `draws` is (n, 6): one uniform draw per weight, kpeak and delay of each node.
    """
    out = p.copy()
    active = rows[bounds.active[rows]]
    if active.size:
        values = np.concatenate([p.weights[active], p.kpeaks[active], p.delays[active]], axis=1)
        lo, hi = bounds.lower[active, None], bounds.upper[active, None]
        values = values * lo + draws[active] * (values * hi - values * lo)
        out.weights[active], out.kpeaks[active], out.delays[active] = np.split(values, 3, axis=1)
    return out


@dataclass
class RandomDraws:
    """Uniform draws of each node from its own stream, NaN for nodes that need no randomness.

    The layout of a node's 14 draws is fixed, so results do not depend on which draws are used.

    Attributes
    ----------
    dominant : (n, 6) jitter of the dominant weights, kpeaks and delays
    non_dominant : (n, 6) jitter of the non-dominant (two-subunit ON) weights, kpeaks and delays
    sf_sep : (n,) jitter of the subfield separation of two-subunit cells
    tuning_angle : (n,) missing tuning angles of two-subunit cells (as a fraction of 360 degrees)
    """

    dominant: np.ndarray
    non_dominant: np.ndarray
    sf_sep: np.ndarray
    tuning_angle: np.ndarray

    N_DRAWS = 14

    @classmethod
    def draw(cls, node_ids: np.ndarray, needed: np.ndarray, entropy: int) -> RandomDraws:
        """The draws of the nodes where `needed`, from ``SeedSequence(entropy, spawn_key=(tag, node_id))``."""
        draws = np.full((node_ids.size, cls.N_DRAWS), np.nan)
        for i in np.flatnonzero(needed):          # one generator per node: results do not depend on the split
            stream = np.random.SeedSequence(entropy, spawn_key=(_STREAM, int(node_ids[i])))
            draws[i] = np.random.default_rng(stream).random(cls.N_DRAWS)
        dominant, non_dominant, sf_sep, tuning_angle = np.split(draws, [6, 12, 13], axis=1)
        return cls(dominant, non_dominant, sf_sep[:, 0], tuning_angle[:, 0])


class KernelBank:
    """The distinct temporal kernels of a set of units, each built once (1 ms samples)."""

    def __init__(self):
        self._index: dict[tuple, int] = {}
        self._kernels: list[np.ndarray] = []

    def indices(self, p: TemporalParams, rows: np.ndarray) -> np.ndarray:
        """Kernel index of each row, building each distinct (weights, kpeaks, whole-ms delays) once."""
        weights, kpeaks, delays = p.weights[rows], p.kpeaks[rows], np.trunc(p.delays[rows])
        keys = np.concatenate([weights, kpeaks, delays], axis=1)
        unique, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        unique_keys = [tuple(row) for row in unique.tolist()]
        new = np.array([key not in self._index for key in unique_keys], dtype=bool)
        if new.any():
            todo = first[new]
            built, lengths = temporal_kernels(weights[todo], kpeaks[todo], delays[todo])
            for key, kernel, length in zip([k for k, is_new in zip(unique_keys, new) if is_new], built, lengths):
                self._index[key] = len(self._kernels)
                self._kernels.append(kernel[:length])
        return np.array([self._index[key] for key in unique_keys], dtype=np.int64)[inverse.reshape(-1)]

    def matrix(self) -> np.ndarray:
        """(n_kernels, n_samples) kernels in index order, zero-padded to the longest."""
        kernels = np.zeros((len(self._kernels), max((k.size for k in self._kernels), default=0)))
        for index, kernel in enumerate(self._kernels):
            kernels[index, :kernel.size] = kernel
        return kernels


def field_sigma(table: NodeTable, dynamics: list) -> np.ndarray:
    """(n, 2) Gaussian sigma (degrees, x then y) = spatial_size / 3 (BMTK divides a `sigma` property by 3 too).

    `spatial_size` or `sigma` (one number or a pair) comes from the node, else its dynamics JSON,
    else BMTK's default of 1 degree.
    """
    size = table.first(("spatial_size", "sigma"))
    for i in np.flatnonzero(np.isnan(size).any(axis=1)):
        params = dynamics[i] or {}
        key = "spatial_size" if "spatial_size" in params else "sigma"
        value = params.get(key, 1.0)    # BMTK's default: 1 degree
        try:
            size[i] = np.broadcast_to(np.asarray(value, dtype=np.float64).reshape(-1), (2,))
        except (TypeError, ValueError):
            path = table.json_path("dynamics_params", int(i))
            prefix = (where(path, key) if path is not None
                      else f"{table.where(('dynamics_params',))}dynamics_params {key}")
            raise NodeTableError(f"{prefix}: expected one number or two (degrees), got {show_value(value)} "
                                 f"({table.nodes_at([i])})") from None
    return size / 3.0
