"""Neuron morphologies: SWC files and seeded synthetic cells."""

from simlib.morphology.sections import (APICAL, AXON, BASAL, SECTION_GROUPS, SECTION_NAMES, SOMA, SWC_TYPES,
                                        TARGET_SECTION_TYPES, section_kind, section_name)
from simlib.morphology.swc import SAMPLE_TYPES, Morphology, read_swc, write_swc
from simlib.morphology.synthetic import basket_cell, pyramidal_cell, synthesize

__all__ = [
    "APICAL",
    "AXON",
    "BASAL",
    "SAMPLE_TYPES",
    "SECTION_GROUPS",
    "SECTION_NAMES",
    "SOMA",
    "SWC_TYPES",
    "TARGET_SECTION_TYPES",
    "Morphology",
    "basket_cell",
    "pyramidal_cell",
    "read_swc",
    "section_kind",
    "section_name",
    "synthesize",
    "write_swc",
]
