"""Spike-train generator functions for ``module: function`` inputs: ``fn(node, sim) -> timestamps (ms)``.

A function registered with :func:`spikes_generator` (or :func:`add_spikes_generator`) is named by an
input's ``spikes_function``; it is called once for every node of the input's ``node_set`` at the start
of the simulation. simlib calls it on rank 0 only and sends the trains to the other ranks, so a
generator that draws random numbers gives the same network input for any number of MPI ranks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from simlib.errors import ConfigError

SpikesGenerator = Callable[[Mapping, "SimulationInfo"], object]

_registry: dict[str, SpikesGenerator] = {}


@dataclass(frozen=True)
class SimulationInfo:
    """What a generator may know of the simulation (times in ms)."""

    tstart: float
    tstop: float
    dt: float


class NodeView(Mapping):
    """A node as a generator sees it: its properties by key, and ``node_id``/``population_name`` attributes."""

    def __init__(self, properties: Mapping, node_id: int, population_name: str):
        self._properties = properties
        self.node_id = node_id
        self.population_name = population_name

    def __getitem__(self, key):
        if key in ("node_id", "population", "population_name"):
            return self.node_id if key == "node_id" else self.population_name
        return self._properties[key]

    def __iter__(self):
        return iter(self._properties)

    def __len__(self) -> int:
        return len(self._properties)


def add_spikes_generator(fn: SpikesGenerator, name: str | None = None) -> SpikesGenerator:
    """Register ``fn(node, sim)`` under ``name`` (default its ``__name__``); returns ``fn``."""
    if not callable(fn):
        raise ConfigError(f"add_spikes_generator: expected a function (node, sim) -> timestamps, got {fn!r}")
    _registry[name or fn.__name__] = fn
    return fn


def spikes_generator(fn: SpikesGenerator | None = None, *, name: str | None = None):
    """Decorator registering a generator: ``@spikes_generator`` or ``@spikes_generator(name='g')``."""
    if fn is None:
        return lambda f: add_spikes_generator(f, name=name)
    return add_spikes_generator(fn, name=name)


def get_spikes_generator(name: str, source: str = "spikes_function") -> SpikesGenerator:
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise ConfigError(f"{source}: no spikes generator named '{name}'; registered: {known}. Register it with "
                          "@spikes_generator (simlib.spikes.generators, also in simlib.bionet) in the file named by "
                          "components.functions_file") from None


def generated_times(fn: SpikesGenerator, node: NodeView, sim: SimulationInfo, source: str) -> np.ndarray:
    """Call ``fn`` for one node and check what it returns: finite, non-negative, sorted times in ms.

    Raises
    ------
    ConfigError
        Non-numeric, negative, infinite or unsorted times (the message names the node and the values).
    """
    where = f"{source}: generator '{getattr(fn, '__name__', fn)}' for node {node.population_name}:{node.node_id}"
    value = fn(node, sim)
    try:
        times = np.asarray([] if value is None else value, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: returned {value!r}; expected a list or array of times in ms") from None
    bad = ~np.isfinite(times) | (times < 0)
    if bad.any():
        raise ConfigError(f"{where}: returned times {times[bad][:5].tolist()}; expected finite times >= 0 ms")
    if times.size > 1 and np.any(np.diff(times) < 0):
        k = int(np.flatnonzero(np.diff(times) < 0)[0])
        raise ConfigError(f"{where}: times not sorted (t[{k}] = {times[k]} > t[{k + 1}] = {times[k + 1]}); expected "
                          "ascending times")
    return times
