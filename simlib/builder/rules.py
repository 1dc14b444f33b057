"""Connection rules beyond BMTK: vectorised rules over blocks of pairs, and KD-tree spatial rules."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from simlib.errors import BuildError

PAIRS_PER_BLOCK = 1 << 18  # ~260 k pairs per block: bounded memory whatever the network size


class Columns:
    """Dict-like view of node properties gathered at given rows (one value per pair)."""

    def __init__(self, pool, rows: np.ndarray):
        self._pool = pool
        self._rows = rows
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            try:
                col = self._pool.network.node_table().column(name)
            except KeyError:
                raise BuildError(f"rule asked for node property '{name}', which network "
                                 f"'{self._pool.network.name}' does not have") from None
            self._cache[name] = col[self._rows]
        return self._cache[name]

    def __len__(self) -> int:
        return int(self._rows.size)

    @property
    def node_id(self) -> np.ndarray:
        return self["node_id"]


@dataclass
class VectorRule:
    """A rule called on blocks of pairs: ``fn(sources, targets, [rng,] **params) -> nsyns array``.

    `sources` and `targets` are dict-like: ``sources['tuning_angle']`` is an array with one value
    per pair of the block. If `fn` takes an ``rng`` argument it gets the connection map's
    ``numpy.random.Generator`` (seeded from the builder seed and the edge type id).
    """

    fn: Callable
    params: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return getattr(self.fn, "__name__", repr(self.fn))

    def wants_rng(self) -> bool:
        try:
            return "rng" in inspect.signature(self.fn).parameters
        except (TypeError, ValueError):
            return False

    def __call__(self, sources: Columns, targets: Columns, rng: np.random.Generator, **params):
        kwargs = {**self.params, **params}
        if self.wants_rng():
            kwargs["rng"] = rng
        return self.fn(sources, targets, **kwargs)


def vectorized(fn: Callable | None = None, **params):
    """Mark a function as a vectorised connection (or property) rule.

    Use as ``@vectorized`` or ``connection_rule=vectorized(fn)``; keyword arguments given here
    are passed to every call (``connection_params`` are added on top).
    """
    if fn is None:
        return lambda f: VectorRule(f, params)
    return VectorRule(fn, params)


def _check_nsyns(nsyns, context: str) -> None:
    """An int >= 0, an inclusive (min, max) range of ints with 0 <= min <= max, or a function."""
    if callable(nsyns):
        return
    def whole(value) -> bool:
        return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
                and float(value).is_integer() and value >= 0)

    if isinstance(nsyns, (tuple, list)):
        ok = len(nsyns) == 2 and all(whole(v) for v in nsyns) and nsyns[0] <= nsyns[1]
    else:
        ok = whole(nsyns)
    if not ok:
        raise BuildError(f"{context}: DistanceRule: nsyns {nsyns!r}; expected a whole number >= 0, an inclusive "
                         f"(min, max) range with 0 <= min <= max, or a function (rng, n) -> counts")


def _draw_nsyns(nsyns, rng: np.random.Generator, n: int) -> np.ndarray:
    if callable(nsyns):
        return np.asarray(nsyns(rng, n))
    if isinstance(nsyns, (tuple, list)):
        lo, hi = nsyns
        return rng.integers(lo, hi + 1, size=n)
    return np.full(n, int(nsyns))


@dataclass
class DistanceRule:
    """Connect with probability p(distance), only over pairs closer than `max_distance` (KD-tree).

    Parameters
    ----------
    probability : scalar, ``fn(distance_um: ndarray) -> ndarray`` of probabilities in [0, 1], or
        ``fn(distance_um, sources, targets)`` where `sources` and `targets` are dict-like
        :class:`Columns` of the candidate pairs' node properties (tuning angles, layers...).
    max_distance : cut-off radius (same units as the positions, µm for the tutorial networks);
        pairs further apart are never evaluated.
    nsyns : synapses per connection: an int, an inclusive ``(min, max)`` range, or
        ``fn(rng, n) -> ndarray``.
    positions : node properties holding the coordinates (``('x', 'y', 'z')``), or one (N, k)
        property such as ``'positions'``.
    allow_autapses : connect a node to itself when source and target network are the same.
    """

    probability: float | Callable[[np.ndarray], np.ndarray]
    max_distance: float
    nsyns: Any = 1
    positions: Sequence[str] | str = ("x", "y", "z")
    allow_autapses: bool = False

    name = "DistanceRule"

    def coords(self, pool, context: str = "DistanceRule") -> np.ndarray:
        """The (n, k) positions of a pool's nodes; BuildError naming `context` if they are missing or not numbers."""
        names = [self.positions] if isinstance(self.positions, str) else list(self.positions)
        try:
            if isinstance(self.positions, str):
                arr = np.asarray(list(pool.column(self.positions)), dtype=float)
                return arr.reshape(len(pool), -1)
            return np.column_stack([np.asarray(pool.column(p), dtype=float) for p in self.positions])
        except KeyError as exc:
            raise BuildError(f"{context}: DistanceRule: node property {exc} missing in network "
                             f"'{pool.network_name}'; positions= names {names}") from None
        except (TypeError, ValueError) as exc:
            raise BuildError(f"{context}: DistanceRule: positions {names} of network '{pool.network_name}' "
                             f"are not numbers ({exc}); expected coordinates (µm)") from None

    def pairs(self, sources, targets, rng: np.random.Generator,
              context: str = "DistanceRule") -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Yield (source rows, target rows, nsyns) blocks: rows index the pools' node lists.

        `context` names the edge type in error messages (e.g. ``"edge type 100 (V1 ei=='e' -> V1 *)"``).

        Raises
        ------
        BuildError
            A bad max_distance or nsyns, missing or non-finite positions, or probabilities outside
            [0, 1]; the message starts with `context`.
        """
        if not self.max_distance > 0:
            raise BuildError(f"{context}: DistanceRule: max_distance must be > 0, got {self.max_distance!r}")
        _check_nsyns(self.nsyns, context)
        from scipy.spatial import cKDTree

        src_xyz, trg_xyz = self.coords(sources, context), self.coords(targets, context)
        if not (np.isfinite(src_xyz).all() and np.isfinite(trg_xyz).all()):
            raise BuildError(f"{context}: DistanceRule: node positions contain NaN or infinite values")
        same_net = sources.network is targets.network
        src_ids, trg_ids = sources.node_ids, targets.node_ids
        tree = cKDTree(src_xyz)
        by_pair = callable(self.probability) and _positional_arity(self.probability) >= 3
        # size target blocks from the mean neighbour count of a sample, so a block holds ~PAIRS_PER_BLOCK pairs
        sample = trg_xyz[:: max(1, len(trg_xyz) // 200)]
        mean_hits = float(np.mean(tree.query_ball_point(sample, self.max_distance, return_length=True))) if len(sample) else 1.0
        block = max(1, int(PAIRS_PER_BLOCK // max(1.0, mean_hits)))
        for beg in range(0, len(trg_xyz), block):
            sub = cKDTree(trg_xyz[beg:beg + block])
            hits = tree.sparse_distance_matrix(sub, self.max_distance, output_type="ndarray")
            si, ti, dist = hits["i"], hits["j"] + beg, hits["v"]
            if same_net and not self.allow_autapses:
                keep = src_ids[si] != trg_ids[ti]
                si, ti, dist = si[keep], ti[keep], dist[keep]
            if not callable(self.probability):
                p = np.full(dist.size, float(self.probability))
            elif by_pair:
                p = self.probability(dist, Columns(sources, sources.indices[si]), Columns(targets, targets.indices[ti]))
            else:
                p = self.probability(dist)
            p = np.asarray(p, dtype=float)
            if p.shape != dist.shape or np.any(~np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
                raise BuildError(f"{context}: DistanceRule: probability must return one value in [0, 1] per "
                                 f"distance; got shape {p.shape} for {dist.size} distances, range "
                                 f"[{np.nanmin(p) if p.size else 'none'}, {np.nanmax(p) if p.size else 'none'}]")
            # the KD-tree's pair order is deterministic for given positions, so the draws are too;
            # only the (few) accepted pairs are sorted into target-then-source order
            hit = rng.random(dist.size) < p
            # one int64 key per pair, sorted (pairs are unique, so this is lexsort's order, 5-10x faster)
            n_src = max(1, len(src_xyz))
            key = np.sort((ti[hit] - beg).astype(np.int64) * n_src + si[hit])
            ti, si = np.divmod(key, n_src)
            yield si, ti + beg, _draw_nsyns(self.nsyns, rng, si.size)


def _positional_arity(fn) -> int:
    """How many positional arguments `fn` requires (1 if unknown: ``fn(distance)`` as before)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params)


def check_counts(values, rule_name: str, context: str) -> np.ndarray:
    """Validate synapse counts returned by a rule: integers >= 0 (None means 0)."""
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.array([0 if v is None else v for v in arr.ravel()]).reshape(arr.shape)
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            raise BuildError(f"{context}: connection rule '{rule_name}' returned {arr[bad][0]!r}; "
                             f"expected a whole number of synapses >= 0")
    elif arr.dtype.kind not in "iu":
        raise BuildError(f"{context}: connection rule '{rule_name}' returned values of type {arr.dtype}; "
                         f"expected whole numbers of synapses >= 0")
    if arr.dtype.kind == "u":       # already whole and >= 0: no copy (vectorised rules return uint8 and such)
        return arr
    arr = arr.astype(np.int64, copy=False)
    if (arr < 0).any():
        raise BuildError(f"{context}: connection rule '{rule_name}' returned a negative synapse count "
                         f"{int(arr[arr < 0][0])}; expected whole numbers >= 0")
    return arr
