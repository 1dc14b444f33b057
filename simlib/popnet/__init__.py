"""PopNet: population-density simulation of leaky integrate-and-fire populations (DiPDE's method)."""

from simlib.popnet.direct import simulate_direct
from simlib.popnet.model import (Connection, PopulationNetwork, PopulationRates, constant_rate, table_rate)
from simlib.popnet.params import LIFPopulation
from simlib.popnet.solver import solve

__all__ = ["LIFPopulation", "Connection", "PopulationNetwork", "PopulationRates", "constant_rate", "table_rate",
           "solve", "simulate_direct"]
