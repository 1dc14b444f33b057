"""Synaptic weight functions: a registry of ``fn(edge_props, source, target) -> weight`` by name.

An edge type whose ``weight_function`` column names a function gets its NetCon weights from
that function, called once per edge with dict-like views of the edge's properties and of the
source and target nodes (as BMTK does). The built-ins let networks written for BMTK run
unchanged; a user registers their own with :func:`add_weight_function` or the
:func:`synaptic_weight` decorator, or names a Python file in the simulation config
(``components.functions_file``, a path or a list) whose decorated functions register themselves
when it is loaded.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

from simlib.errors import ConfigError
from simlib.userfiles import load_user_module

WeightFunction = Callable[[Mapping, Mapping, Mapping], float]

_registry: dict[str, WeightFunction] = {}


def add_weight_function(fn: WeightFunction, name: str | None = None, overwrite: bool = True) -> WeightFunction:
    """Register ``fn`` under ``name`` (default: its ``__name__``); returns ``fn``.

    Raises
    ------
    ConfigError
        If ``fn`` is not callable, or the name is taken and ``overwrite`` is False.
    """
    if not callable(fn):
        raise ConfigError(f"add_weight_function: expected a function (edge_props, source, target) -> weight, "
                          f"got {fn!r}")
    name = name or fn.__name__
    if not overwrite and name in _registry:
        raise ConfigError(f"add_weight_function: a weight function named '{name}' is already registered")
    _registry[name] = fn
    return fn


def synaptic_weight(fn: WeightFunction | None = None, *, name: str | None = None):
    """Decorator registering a weight function: ``@synaptic_weight`` or ``@synaptic_weight(name='w')``."""
    if fn is None:
        return lambda f: add_weight_function(f, name=name)
    return add_weight_function(fn, name=name)


def weight_function(name: str, source: str = "weight_function") -> WeightFunction:
    """The function registered as ``name``.

    Raises
    ------
    ConfigError
        If no function has that name; the message lists the registered ones.
    """
    try:
        return _registry[name]
    except KeyError:
        raise ConfigError(f"{source}: no weight function named '{name}'; registered: {', '.join(sorted(_registry))}. "
                          "Register it with simlib.circuit.add_weight_function or name the Python file that "
                          "defines it in the config (components.functions_file)") from None


def registered_weight_functions() -> list[str]:
    return sorted(_registry)


def load_functions_file(path, source: str = "config") -> None:
    """Execute a user's Python file, whose ``@synaptic_weight`` / ``add_weight_function`` calls register.

    A file is run once per process; loading it again does nothing.

    Raises
    ------
    ConfigError
        If the file is missing, or has a syntax error or raises while it is executed (the file and
        line are named).
    """
    load_user_module(path, "functions file", source=source, reuse=True)


# --- BMTK's built-in weight functions (same names and formulas)

def default_weight_fnc(edge_props, source, target) -> float:
    """The edge's ``syn_weight``."""
    return edge_props["syn_weight"]


def wmax(edge_props, source, target) -> float:
    """The edge's ``syn_weight`` (BMTK's name for the maximum weight)."""
    return edge_props["syn_weight"]


def gaussianLL(edge_props, source, target) -> float:
    """``syn_weight * exp(-(dθ / weight_sigma)²)``, dθ the tuning-angle difference folded into [0, 180] degrees."""
    delta = abs(abs(abs(180.0 - abs(float(target["tuning_angle"]) - float(source["tuning_angle"])) % 360.0) - 180.0))
    return edge_props["syn_weight"] * math.exp(-(delta / edge_props["weight_sigma"]) ** 2)


def set_syn_weight(edge_props, source, target) -> float:
    """The edge's ``syn_weight``; the tutorial registers its own ``set_syn_weight`` to replace this one."""
    return edge_props["syn_weight"]


def returns_syn_weight(fn: WeightFunction) -> bool:
    """Whether ``fn`` is a built-in that returns the edge's syn_weight (so weights need no call per edge)."""
    return fn in (default_weight_fnc, wmax, set_syn_weight)


for _fn in (default_weight_fnc, wmax, gaussianLL, set_syn_weight):
    add_weight_function(_fn)
