"""Poisson spike-train generator (homogeneous and inhomogeneous), one random stream per node."""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable

import numpy as np

from simlib.errors import ConfigTypeError, ConfigValueError
from simlib.spikes.arrays import MS_PER, as_node_ids
from simlib.spikes.trains import SpikeTrains

_WHERE = "PoissonSpikeGenerator.add"
_GRID_POINTS = 10001  # samples used to bound a callable rate for thinning
_BOUND_MARGIN = 1.05


def _exponential_times_s(rng: np.random.Generator, rate_hz: float, start_s: float, stop_s: float) -> np.ndarray:
    """Homogeneous Poisson spike times (s) in [start_s, stop_s), drawn as cumulated exponential ISIs.

    ISIs are drawn in batches sized from the expected count plus a 5-sigma margin, so a
    second batch is rarely needed.
    """
    if rate_hz == 0.0:
        return np.zeros(0)
    expected = rate_hz * (stop_s - start_s)
    batch = int(expected + 5.0 * np.sqrt(expected) + 10)
    times = start_s + np.cumsum(rng.exponential(1.0 / rate_hz, batch))
    while times[-1] < stop_s:
        times = np.concatenate([times, times[-1] + np.cumsum(rng.exponential(1.0 / rate_hz, batch))])
    return times[:np.searchsorted(times, stop_s, side="left")]


def _thinned_times_s(rng: np.random.Generator, rate_fn: Callable[[np.ndarray], np.ndarray], bound_hz: float,
                     start_s: float, stop_s: float) -> np.ndarray:
    """Inhomogeneous Poisson spike times (s) by thinning a homogeneous train at `bound_hz`."""
    candidates = _exponential_times_s(rng, bound_hz, start_s, stop_s)
    accept = rng.random(candidates.size)
    rates = np.broadcast_to(np.asarray(rate_fn(candidates), dtype=np.float64), candidates.shape)
    bad = ~np.isfinite(rates) | (rates < 0) | (rates > bound_hz * (1 + 1e-12))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ConfigValueError(f"{_WHERE}: firing_rate: the rate function gave {float(rates[i])!r} Hz at "
                          f"t={float(candidates[i])!r} s; expected finite rates in [0, {bound_hz!r}] Hz "
                          "(pass max_rate= to raise the bound)")
    return candidates[accept * bound_hz < rates]


def _check_window(times) -> tuple[float, float]:
    try:
        start, stop = (float(t) for t in times)
    except (TypeError, ValueError):
        raise ConfigValueError(f"{_WHERE}: times: expected (start, stop) in seconds, got {times!r}") from None
    if not (np.isfinite(start) and np.isfinite(stop) and 0.0 <= start < stop):
        raise ConfigValueError(f"{_WHERE}: times: expected (start, stop) in seconds with 0 <= start < stop, "
                          f"got {times!r}")
    return start, stop


def _check_rates(rates: np.ndarray, given, name: str = "firing_rate") -> None:
    bad = ~np.isfinite(rates) | (rates < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where_i = "" if rates.size == 1 else f" at index {i}"
        raise ConfigValueError(f"{_WHERE}: {name}: {float(rates[i])!r}{where_i} is negative or NaN; "
                          f"expected finite rates >= 0 Hz, got {given!r}")


def _whole_seed(seed) -> int | None:
    """The seed as an int: None, an integer >= 0 or an integral float (``0.0``, as scripts often pass).

    Raises
    ------
    ConfigTypeError
        A seed that is not a whole number (BMTK, through numpy: TypeError).
    ConfigValueError
        A negative seed (BMTK, through numpy: ValueError).
    """
    if seed is None:
        return None
    whole = isinstance(seed, (int, np.integer)) or (isinstance(seed, (float, np.floating)) and float(seed).is_integer())
    if isinstance(seed, bool) or not whole:
        raise ConfigTypeError(f"PoissonSpikeGenerator: seed: expected None or a whole number >= 0, got {seed!r}")
    if seed < 0:
        raise ConfigValueError(f"PoissonSpikeGenerator: seed: expected None or a whole number >= 0, got {seed!r}")
    return int(seed)


def _node_ids_from_file(path, population: str | None) -> tuple[np.ndarray, str]:
    """Node ids (and the population name) of a SONATA nodes file."""
    from simlib.sonata.nodes import read_node_population

    pop = read_node_population(path, population)
    return as_node_ids(pop.node_id, path, f"/nodes/{pop.name}/node_id"), pop.name


class PoissonSpikeGenerator(SpikeTrains):
    """Poisson spike trains, compatible with BMTK's ``PoissonSpikeGenerator``.

    **Units (BMTK issue #130): ``add`` takes rates in Hz and times in SECONDS, and the
    generated timestamps are in MILLISECONDS** (or seconds with ``output_units='s'``).

    Randomness: every (population, node) has its own stream,
    ``np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(crc32(population), node_id, k)))``
    where k counts earlier ``add`` calls for that node. A node's train therefore does not
    depend on which other nodes are generated, in which order or in how many calls (nor on
    the number of MPI ranks), and repeated ``add`` calls for one node are independent.

    Parameters
    ----------
    population : str, optional
        Default population of the spikes.
    seed : int, optional
        Seed of all streams; 0 is a valid seed (BMTK ignored it before PR #360), and so is a
        float with a whole value (``0.0``; numpy and so BMTK refuse it). None draws
        fresh entropy (see :attr:`seed_entropy` to reproduce the run). The global
        ``np.random`` state is never touched.
    output_units : {'ms', 's'}
        Units of the generated timestamps.
    """

    def __init__(self, population: str | None = None, seed: int | None = None, output_units: str = "ms"):
        super().__init__(population=population, units=output_units)
        seed = _whole_seed(seed)
        self._entropy = np.random.SeedSequence(seed).entropy
        self._draws: dict[tuple[str, int], int] = {}

    @property
    def seed_entropy(self) -> int:
        """The entropy all streams derive from (the seed, or the fresh entropy drawn for seed=None)."""
        return self._entropy

    def _rng(self, population: str, node_id: int) -> np.random.Generator:
        key = (population, node_id)
        k = self._draws.get(key, 0)
        self._draws[key] = k + 1
        pop_key = zlib.crc32(population.encode("utf-8"))
        return np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=(pop_key, node_id, k)))

    def add(self, node_ids, firing_rate, population: str | None = None, times=(0.0, 1.0),
            abs_ref: float = 0, tau_ref: float = 0, max_rate: float | None = None) -> None:
        """Generate Poisson spike trains for `node_ids` and add them.

        **Rates are in Hz and `times` in SECONDS; the timestamps added are in ms** (unless
        ``output_units='s'``).

        Parameters
        ----------
        node_ids : int, array_like of int, or path
            Nodes to generate for, or a SONATA nodes .h5 file whose population `population`
            (or its only population) gives the ids.
        firing_rate : float, array_like or callable
            - scalar: homogeneous rate (Hz) over ``times = (start_s, stop_s)``;
            - array: rate samples (Hz) at the instants `times` (s, same length, non-decreasing),
              linearly interpolated, for an inhomogeneous process on ``[times[0], times[-1]]``;
            - callable ``rate(t_s: ndarray) -> Hz``, vectorised, with ``times = (start_s, stop_s)``.
        population : str, optional
            Default: the constructor's population.
        times : (float, float) or array_like
            Seconds; see `firing_rate`.
        abs_ref, tau_ref : float
            BMTK's refractory periods (s); only 0 is supported (plain Poisson trains).
        max_rate : float, optional
            Upper bound (Hz) of a callable rate, used for thinning. Default: 1.05 x the maximum
            over 10001 samples; an error is raised if the rate exceeds the bound.

        Raises
        ------
        ConfigError
            On negative, NaN or infinite rates; non-zero refractory periods; a window with stop <= start or start < 0; rate
            and time arrays of different lengths or decreasing times (each a ConfigValueError, also
            a ValueError as BMTK raises).
        FormatError
            On invalid node ids or an unreadable nodes file.
        """
        if abs_ref != 0 or tau_ref != 0:
            # BMTK thins the train with a fitted rate correction for refractoriness; simlib draws Poisson trains only
            raise ConfigValueError(f"{_WHERE}: abs_ref={abs_ref!r}, tau_ref={tau_ref!r}: refractory periods are not "
                                   "supported (simlib draws Poisson trains); expected 0")
        if isinstance(node_ids, (str, os.PathLike)):
            ids, population = _node_ids_from_file(node_ids, population if population is not None
                                                  else self._default_population)
        else:
            ids = as_node_ids(node_ids, _WHERE, "node_ids")
        pop = self._target(population)
        rate_fn, bound, start, stop = self._rate_function(firing_rate, times, max_rate)

        scale = MS_PER["s"] / MS_PER[self.units()]  # the generators draw times in s
        trains = []
        for node in ids.tolist():
            rng = self._rng(pop, node)
            if rate_fn is None:
                trains.append(_exponential_times_s(rng, bound, start, stop) * scale)
            else:
                trains.append(_thinned_times_s(rng, rate_fn, bound, start, stop) * scale)
        counts = np.fromiter((t.size for t in trains), dtype=np.int64, count=len(trains))
        all_times = np.concatenate(trains) if trains else np.zeros(0)
        self.add_spikes(np.repeat(ids, counts), all_times, population=pop)

    @staticmethod
    def _rate_function(firing_rate, times, max_rate):
        """(rate function or None if homogeneous, bound or rate in Hz, start_s, stop_s)."""
        if callable(firing_rate):
            start, stop = _check_window(times)
            if max_rate is None:
                grid = np.linspace(start, stop, _GRID_POINTS)
                samples = np.broadcast_to(np.asarray(firing_rate(grid), dtype=np.float64), grid.shape)
                _check_rates(samples, "rate function samples")
                bound = float(samples.max()) * _BOUND_MARGIN
            else:
                bound = float(max_rate)
                _check_rates(np.array([bound]), max_rate, "max_rate")
            return (firing_rate if bound > 0 else None), bound, start, stop
        if np.ndim(firing_rate) == 0:
            rate = np.array([firing_rate], dtype=np.float64)
            _check_rates(rate, firing_rate)
            start, stop = _check_window(times)
            return None, float(rate[0]), start, stop
        rates = np.asarray(firing_rate, dtype=np.float64).reshape(-1)
        instants = np.asarray(times, dtype=np.float64).reshape(-1)
        if rates.size != instants.size:
            raise ConfigValueError(f"{_WHERE}: firing_rate, times: an inhomogeneous rate needs one time per rate "
                              f"sample, but {rates.size} != {instants.size} (times={times!r})")
        _check_rates(rates, firing_rate)
        if rates.size < 2 or not np.all(np.isfinite(instants)) or np.any(np.diff(instants) < 0) \
                or instants[0] < 0 or instants[-1] <= instants[0]:
            raise ConfigValueError(f"{_WHERE}: times: expected at least 2 finite, non-decreasing times >= 0 s "
                              f"with times[-1] > times[0], got {times!r}")
        # Plain linear interpolation: BMTK also passes the rate through a polynomial fit meant for
        # refractory correction, which is not the identity even without refractoriness.
        bound = float(rates.max())
        rate_fn = (lambda t: np.interp(t, instants, rates)) if bound > 0 else None
        return rate_fn, bound, float(instants[0]), float(instants[-1])
