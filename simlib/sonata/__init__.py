"""SONATA network files: nodes, edges (with indices) and the node/edge types CSV tables."""

from simlib.sonata.edges import EdgePart, EdgePopulationData, read_edges, write_edges
from simlib.sonata.files import atomic_h5, SONATA_MAGIC, SONATA_VERSION
from simlib.sonata.index import build_index
from simlib.sonata.nodes import read_nodes, write_nodes, NodePopulationData
from simlib.sonata.types_csv import read_types_csv, write_types_csv

__all__ = [
    "read_nodes", "write_nodes", "NodePopulationData",
    "read_edges", "write_edges", "EdgePart", "EdgePopulationData",
    "read_types_csv", "write_types_csv", "build_index",
    "atomic_h5", "SONATA_MAGIC", "SONATA_VERSION",
]
