"""Fixtures for the morphology tests: BMTK's Allen SWC files and a NEURON Import3d loader."""

from pathlib import Path

import numpy as np
import pytest

NEURON_TYPES = {"soma": 1, "axon": 2, "dend": 3, "apic": 4}


@pytest.fixture(scope="session")
def allen_swc_dir() -> Path:
    """The folder of real Allen Cell Types SWC files shipped inside the bmtk package."""
    bmtk = pytest.importorskip("bmtk", reason="bmtk (test-only oracle with Allen SWC files) not installed")
    folder = Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet" / "morphologies"
    if not sorted(folder.glob("*.swc")):
        pytest.skip(f"no SWC files in {folder}")
    return folder


class _Cell:
    """Python cell object for Import3d: sections become its attributes and die with it."""

    def __init__(self):
        self.all = []


@pytest.fixture(scope="session")
def import3d():
    """Load an SWC file with NEURON's Import3d; return per-type lengths and counts.

    Returns a function path -> dict with ``lengths`` {type: sum of sec.L (µm)}, ``sections``
    {type: number of sections}, ``samples`` {type: number of SWC samples Import3d read} and
    ``soma`` (the soma[0] section's L and diam).
    """
    neuron = pytest.importorskip("neuron", reason="NEURON is needed to compare with Import3d")
    h = neuron.h
    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")

    def load(path) -> dict:
        reader = h.Import3d_SWC_read()
        reader.quiet = 1
        reader.input(str(path))
        gui = h.Import3d_GUI(reader, False)
        cell = _Cell()
        gui.instantiate(cell)
        lengths, sections = {}, {}
        for sec in cell.all:
            kind = NEURON_TYPES[sec.name().split(".")[-1].split("[")[0]]
            lengths[kind] = lengths.get(kind, 0.0) + sec.L
            sections[kind] = sections.get(kind, 0) + 1
        roots = {h.SectionRef(sec=sec).root.name() for sec in cell.all}
        kinds, counts = np.unique(np.array(reader.type, dtype=int), return_counts=True)
        return {"lengths": lengths, "sections": sections, "roots": roots,
                "samples": dict(zip(kinds.tolist(), counts.tolist())),
                "soma": (cell.soma[0].L, cell.soma[0].diam)}

    return load
