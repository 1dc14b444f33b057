"""PopNet: population-density simulation of leaky integrate-and-fire populations (DiPDE's method).

The names below are loaded from their modules on first use (``from simlib.popnet import solve``), so
importing one module of the package (``simlib.popnet.rates_io``, as the figures do) does not load the
solver; :mod:`simlib.workflow.code` follows ``_EXPORTS`` to know which module a name comes from.
"""

import importlib

_EXPORTS = {
    "simulate_direct": "simlib.popnet.direct",
    "Connection": "simlib.popnet.model",
    "PopulationNetwork": "simlib.popnet.model",
    "PopulationRates": "simlib.popnet.model",
    "constant_rate": "simlib.popnet.model",
    "table_rate": "simlib.popnet.model",
    "LIFPopulation": "simlib.popnet.params",
    "solve": "simlib.popnet.solver",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simlib.popnet' has no attribute {name!r}")
