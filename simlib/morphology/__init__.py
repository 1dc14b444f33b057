"""Neuron morphologies: SWC files and seeded synthetic cells."""

from simlib.morphology.swc import APICAL, AXON, BASAL, SAMPLE_TYPES, SOMA, Morphology, read_swc, write_swc
from simlib.morphology.synthetic import basket_cell, pyramidal_cell, synthesize

__all__ = [
    "APICAL",
    "AXON",
    "BASAL",
    "SAMPLE_TYPES",
    "SOMA",
    "Morphology",
    "basket_cell",
    "pyramidal_cell",
    "read_swc",
    "synthesize",
    "write_swc",
]
