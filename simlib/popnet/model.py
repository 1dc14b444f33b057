"""A population network as numbers: internal LIF populations, external rates and connections between them.

This is what the density solver (:mod:`simlib.popnet.solver`) and the direct simulation
(:mod:`simlib.popnet.direct`) both run; :mod:`simlib.popnet.network` builds one from a SONATA
circuit. Populations are numbered internal first (0 .. n_internal-1), then external
(n_internal .. n_internal+n_external-1). Units: seconds, volts, hertz.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from simlib.errors import ConfigError
from simlib.popnet.params import LIFPopulation

RateFunction = Callable[[np.ndarray], np.ndarray]   # times (s) -> rates (Hz)


@dataclass(frozen=True)
class Connection:
    """Synapses from one population onto every neuron of an internal population.

    Each neuron of ``target`` receives ``nsyns`` synapses (a mean; need not be whole) from
    ``source``; each carries a Poisson train at the source's rate delayed by ``delay_s``, and every
    spike moves the membrane potential by ``weight_v`` volts (negative: inhibitory).
    """

    source: int
    target: int
    weight_v: float
    nsyns: float
    delay_s: float = 0.0


@dataclass
class PopulationNetwork:
    """Internal populations (density-solved LIF), external populations (rates of time) and connections.

    Raises
    ------
    ConfigError
        A connection names a population that does not exist, targets an external population, or
        has a non-finite weight, a negative number of synapses or a negative delay.
    """

    internal: list[LIFPopulation]
    external: list[RateFunction] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    internal_names: list[str] | None = None
    external_names: list[str] | None = None

    def __post_init__(self):
        self.internal = list(self.internal)
        self.external = [constant_rate(r) if isinstance(r, (int, float)) else r for r in self.external]
        self.connections = list(self.connections)
        if self.internal_names is None:
            self.internal_names = [str(i) for i in range(len(self.internal))]
        if self.external_names is None:
            self.external_names = [f"external{j}" for j in range(len(self.external))]
        n_all = len(self.internal) + len(self.external)
        for i, c in enumerate(self.connections):
            where = f"connection {i} ({c.source} -> {c.target})"
            if not (0 <= c.source < n_all and 0 <= c.target < len(self.internal)):
                raise ConfigError(f"{where}: expected a source in 0..{n_all - 1} and an internal target in "
                                  f"0..{len(self.internal) - 1}")
            if not math.isfinite(c.weight_v):
                raise ConfigError(f"{where}: weight: expected a finite number of volts, got {c.weight_v}")
            if not (math.isfinite(c.nsyns) and c.nsyns >= 0):
                raise ConfigError(f"{where}: nsyns: expected a number >= 0, got {c.nsyns}")
            if not (math.isfinite(c.delay_s) and c.delay_s >= 0):
                raise ConfigError(f"{where}: delay: expected a number of seconds >= 0, got {c.delay_s}")

    @property
    def n_internal(self) -> int:
        return len(self.internal)

    @property
    def n_external(self) -> int:
        return len(self.external)

    def channels(self) -> dict[str, np.ndarray]:
        """The connections as arrays: ``source``, ``target``, ``weight_v``, ``nsyns``, ``delay_s``."""
        cs = self.connections
        return {"source": np.array([c.source for c in cs], dtype=np.int64),
                "target": np.array([c.target for c in cs], dtype=np.int64),
                "weight_v": np.array([c.weight_v for c in cs], dtype=float),
                "nsyns": np.array([c.nsyns for c in cs], dtype=float),
                "delay_s": np.array([c.delay_s for c in cs], dtype=float)}

    def input_rates(self, dt_s: float, n_steps: int) -> "InputRates":
        """What drives every connection at every step, for both solvers (see :class:`InputRates`)."""
        ch = self.channels()
        n_int = self.n_internal
        internal = ch["source"] < n_int
        # an internal source's rate reaches the target `delay` later; the rate of the step being computed
        # is not known yet, so a delay shorter than one step acts as one step
        lag = np.maximum(1, np.rint(ch["delay_s"] / dt_s).astype(np.int64))
        mid = (np.arange(n_steps) + 0.5) * dt_s
        ext = np.zeros((n_steps, int((~internal).sum())))
        for col, c in enumerate(np.flatnonzero(~internal)):
            ext[:, col] = np.asarray(self.external[ch["source"][c] - n_int](mid - ch["delay_s"][c]), dtype=float)
        if np.any(~np.isfinite(ext)) or np.any(ext < 0):
            raise ConfigError("external populations: expected finite firing rates >= 0 (Hz) over the run")
        return InputRates(ch, internal, lag, ext)


@dataclass
class InputRates:
    """Per step, the Poisson rate (Hz) of every connection's input to one target neuron.

    An external source's rate is taken at the middle of the step minus the delay; an internal
    source's rate is its mean rate over the step ``lag`` steps back (0 before the run).
    """

    channels: dict
    internal: np.ndarray      # bool per connection: the source is internal
    lag: np.ndarray           # steps of delay per connection (internal sources)
    external: np.ndarray      # (n_steps, external connections) source rates (Hz)

    def __post_init__(self):
        self._src = self.channels["source"][self.internal]
        self._lag = self.lag[self.internal]
        self._nsyns_int = self.channels["nsyns"][self.internal]
        self._nsyns_ext = self.channels["nsyns"][~self.internal]
        self._int_rows = np.flatnonzero(self.internal)
        self._ext_rows = np.flatnonzero(~self.internal)

    def at(self, step: int, history: np.ndarray) -> np.ndarray:
        """nsyns × source rate per connection at ``step``; ``history`` holds the internal rates so far."""
        rates = np.empty(self.internal.size)
        back = step - self._lag
        past = history[np.maximum(back, 0), self._src]
        past[back < 0] = 0.0
        rates[self._int_rows] = past * self._nsyns_int
        rates[self._ext_rows] = self.external[step] * self._nsyns_ext
        return rates


@dataclass
class PopulationRates:
    """Firing rates of the internal populations, one row per step.

    Attributes
    ----------
    times_s : end of each step (s).
    rates_hz : (steps, internal populations) mean rate over each step (Hz).
    names : the internal populations' names.
    dt_s : the step (s).
    mass : (steps, internal populations) total probability mass after each step (density solver), or None.
    """

    times_s: np.ndarray
    rates_hz: np.ndarray
    names: list[str]
    dt_s: float
    mass: np.ndarray | None = None

    def mean_rates(self, t_from_s: float = 0.0, t_to_s: float | None = None) -> np.ndarray:
        """Each population's mean rate (Hz) over the steps inside [t_from_s, t_to_s]."""
        start = self.times_s - self.dt_s
        keep = (start >= t_from_s - 1e-12) & (self.times_s <= (np.inf if t_to_s is None else t_to_s) + 1e-12)
        return self.rates_hz[keep].mean(axis=0)


def constant_rate(rate_hz: float) -> RateFunction:
    """A constant firing rate (Hz) as a function of time."""
    rate_hz = float(rate_hz)
    return lambda t: np.full(np.shape(t), rate_hz)


def table_rate(times_s: Sequence[float], rates_hz: Sequence[float]) -> RateFunction:
    """A rate given at increasing times (s), linear in between and held before the first and after the last."""
    times_s, rates_hz = np.asarray(times_s, dtype=float), np.asarray(rates_hz, dtype=float)
    return lambda t: np.interp(t, times_s, rates_hz)
