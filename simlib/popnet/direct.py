"""Direct (Monte Carlo) simulation of the model the density solver solves: N LIF neurons per population.

The reference the solver is checked against. Every neuron of an internal population receives, on
each connection, a Poisson train at nsyns × the source's rate (the source's measured rate, for an
internal source, ``lag`` steps back, exactly as the solver couples populations); each input spike
moves its membrane potential by the connection's weight. Between inputs the potential decays toward
rest (0 V) exactly, ``v(t) = v(t0) exp(-(t - t0)/tau_m)``; it is clipped at ``v_min`` from below; on
reaching the threshold the neuron spikes and restarts at ``v_reset``. Input times are continuous
(uniform within the step), so the only discretisation is the one the solver shares: input rates
held fixed over a step.

The simulation is event-driven and vectorised: a neuron is touched only when an input arrives, and
the inputs of one step are applied to all neurons at once (a neuron with several inputs in one step
gets them in time order, one round per input).
"""

from __future__ import annotations

import numpy as np

from simlib.errors import ConfigError
from simlib.popnet.model import PopulationNetwork, PopulationRates


def simulate_direct(network: PopulationNetwork, n_neurons: int, tstop_s: float, dt_s: float,
                    seed: int | np.random.Generator = 0) -> PopulationRates:
    """Simulate ``n_neurons`` neurons per internal population of ``network`` from 0 to ``tstop_s``.

    Parameters
    ----------
    network : the populations and connections (as for :func:`simlib.popnet.solver.solve`).
    n_neurons : neurons per internal population.
    tstop_s, dt_s : duration and step (s); the step is the coupling interval (rates are measured and
        input rates updated once per step).
    seed : seed (or Generator) of the input trains; each population draws from its own stream.

    Returns
    -------
    PopulationRates
        Per step, spikes / (n_neurons · dt) of each internal population.

    Raises
    ------
    ConfigError
        ``n_neurons`` < 1, or a population whose rest (0 V) is not below threshold (it would fire
        between inputs, which this event-driven simulation does not follow).
    """
    if not (isinstance(n_neurons, (int, np.integer)) and n_neurons >= 1):
        raise ConfigError(f"simulate_direct: n_neurons: expected a whole number >= 1, got {n_neurons!r}")
    for name, p in zip(network.internal_names, network.internal):
        if not p.threshold > 0:
            raise ConfigError(f"simulate_direct: population {name}: threshold {p.threshold} V is not above rest (0 V)")
    n_steps = int(round(tstop_s / dt_s))
    inputs = network.input_rates(dt_s, n_steps)
    ch = network.channels()
    root = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rngs = root.spawn(network.n_internal)
    cells = [_Neurons(p, int(n_neurons)) for p in network.internal]
    incoming = [np.flatnonzero(ch["target"] == j) for j in range(network.n_internal)]
    history = np.zeros((n_steps, network.n_internal))
    for step in range(n_steps):
        lam = inputs.at(step, history)
        t0 = step * dt_s
        for j, (neurons, rng) in enumerate(zip(cells, rngs)):
            chans = incoming[j]
            counts = rng.poisson(n_neurons * lam[chans] * dt_s)
            total = int(counts.sum())
            if total:
                weights = np.repeat(ch["weight_v"][chans], counts)
                who = rng.integers(0, n_neurons, total)
                when = t0 + rng.random(total) * dt_s
                history[step, j] = neurons.receive(who, when, weights) / (n_neurons * dt_s)
    return PopulationRates((np.arange(n_steps) + 1) * dt_s, history, list(network.internal_names), dt_s)


class _Neurons:
    """Membrane potentials (V) of one population and the time each was last updated (s)."""

    def __init__(self, p, n: int):
        self.p = p
        self.v = np.full(n, min(max(0.0, p.v_min), p.threshold))
        self.t = np.zeros(n)

    def receive(self, who: np.ndarray, when: np.ndarray, weights: np.ndarray) -> int:
        """Apply input events (neuron, time, jump); return the number of spikes."""
        counts = np.bincount(who, minlength=self.v.size)
        single = counts[who] == 1
        spikes = self._apply(who[single], when[single], weights[single])
        if not single.all():
            who, when, weights = who[~single], when[~single], weights[~single]
            order = np.lexsort((when, who))
            who, when, weights = who[order], when[order], weights[order]
            start = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
            rank = np.arange(who.size) - np.repeat(start, np.diff(np.r_[start, who.size]))
            for r in range(int(rank.max()) + 1):
                now = rank == r
                spikes += self._apply(who[now], when[now], weights[now])
        return spikes

    def _apply(self, who: np.ndarray, when: np.ndarray, weights: np.ndarray) -> int:
        """Events on distinct neurons: decay to the event time, jump, clip, fire and reset."""
        p = self.p
        v = np.maximum(self.v[who] * np.exp(-(when - self.t[who]) / p.tau_m), p.v_min)
        v = np.maximum(v + weights, p.v_min)
        fired = v >= p.threshold
        v[fired] = p.v_reset
        self.v[who] = v
        self.t[who] = when
        return int(fired.sum())
