"""SONATA files: nodes, edges (with indices), the node/edge types CSV tables and compartment reports."""

from simlib.sonata.edges import EdgePart, EdgePopulationData, read_edges, write_edges
from simlib.sonata.files import atomic_h5, SONATA_MAGIC, SONATA_VERSION
from simlib.sonata.index import build_index
from simlib.sonata.nodes import read_nodes, write_nodes, NodePopulationData
from simlib.sonata.reports import (CompartmentReport, CompartmentReportWriter, ReportMapping,
                                   read_compartment_report, report_populations, write_compartment_report)
from simlib.sonata.types_csv import read_types_csv, write_types_csv

__all__ = [
    "read_nodes", "write_nodes", "NodePopulationData",
    "read_edges", "write_edges", "EdgePart", "EdgePopulationData",
    "read_types_csv", "write_types_csv", "build_index",
    "CompartmentReport", "CompartmentReportWriter", "ReportMapping",
    "read_compartment_report", "report_populations", "write_compartment_report",
    "atomic_h5", "SONATA_MAGIC", "SONATA_VERSION",
]
