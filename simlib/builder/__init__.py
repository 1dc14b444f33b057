"""Network builder with BMTK's API plus vectorised and KD-tree connection rules."""

from simlib.builder.connection_map import ConnectionMap
from simlib.builder.network import NetworkBuilder
from simlib.builder.nodes import Node, NodePool
from simlib.builder.rules import Columns, DistanceRule, VectorRule, vectorized

__all__ = ["NetworkBuilder", "ConnectionMap", "Node", "NodePool", "DistanceRule", "VectorRule", "Columns",
           "vectorized"]
