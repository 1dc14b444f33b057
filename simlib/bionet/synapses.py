"""Synapses on biophysical cells: synaptic models, placement on segments, and merging.

Placement follows BMTK so that networks place their synapses where BMTK places them: the
candidate segments of an edge are those whose SWC type is in ``target_sections`` and whose
path-distance interval from the soma overlaps ``distance_range``; a segment is drawn with
probability proportional to its length times the overlapping fraction, from a
``numpy.random.RandomState(gid)`` stream of the target cell consumed in edge order. Drawing
``k`` segments with ``RandomState.choice(p=...)`` uses ``k`` uniforms and a search in the
cumulative probabilities; :func:`draw_segments` does the same for all edges of a cell at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib.errors import ConfigError, FormatError, show_value
from simlib.fileio import read_json
from simlib.morphology.sections import SWC_TYPES, TARGET_SECTION_TYPES, section_kind



@dataclass(frozen=True)
class SynapseModel:
    """A synapse point process type and its parameters, from an edge type's model_template + dynamics_params."""

    point_process: str          # NEURON class: Exp2Syn or ExpSyn
    params: tuple               # (name, value) pairs set on every instance

    def create(self, sec, x: float):
        from neuron import h

        syn = getattr(h, self.point_process)(x, sec=sec)
        for name, value in self.params:
            setattr(syn, name, value)
        return syn

    def factory(self):
        """A function (sec, x) -> new point process, with the NEURON class looked up once."""
        from neuron import h

        cls, params = getattr(h, self.point_process), self.params

        def create(sec, x):
            syn = cls(x, sec=sec)
            for name, value in params:
                setattr(syn, name, value)
            return syn

        return create


def _exp2syn(p: dict) -> tuple:
    return ("Exp2Syn", (("e", float(p["erev"])), ("tau1", float(p["tau1"])), ("tau2", float(p["tau2"]))))


def _expsyn(p: dict) -> tuple:
    return ("ExpSyn", (("e", float(p["erev"])), ("tau", float(p["tau1"]))))


SYNAPSE_TEMPLATES = {"exp2syn": (_exp2syn, ("erev", "tau1", "tau2")), "expsyn": (_expsyn, ("erev", "tau1"))}


def load_synapse_model(model_template, params_path, source: str = "edge types") -> SynapseModel:
    """The synapse model of an edge type.

    Raises
    ------
    ConfigError
        Unknown ``model_template`` (the accepted ones are listed).
    FormatError
        Missing or malformed dynamics_params JSON, or a parameter missing from it.
    """
    name = str(model_template).split(":")[-1].lower()
    if name not in SYNAPSE_TEMPLATES:
        raise ConfigError(f"{source}: synapse model_template '{model_template}' unknown; accepted: "
                          f"{', '.join(SYNAPSE_TEMPLATES)} (any case)")
    make, required = SYNAPSE_TEMPLATES[name]
    params = read_json(params_path, required=required, expected=f"the {name} parameters {', '.join(required)}")
    for key in required:
        value = params[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise FormatError(f"{params_path}: {key}: expected a number, got {show_value(value)}")
    return SynapseModel(*make(params))


@dataclass
class SegmentTable:
    """Every segment of a cell in ``Cell.all`` order (identical for cells of the same morphology and dL)."""

    section: np.ndarray    # index in Cell.all
    x: np.ndarray          # segment centre, normalised position in the section
    length_um: np.ndarray
    dist0_um: np.ndarray   # path distance from soma[0](0) of the segment's two ends
    dist1_um: np.ndarray
    swc_type: np.ndarray   # 1 soma, 2 axon, 3 dend, 4 apic

    def __post_init__(self):
        self._candidates: dict = {}

    def candidates(self, target_sections, distance_range) -> tuple[np.ndarray, np.ndarray]:
        """Segments an edge type may target and their cumulative probabilities (last = 1)."""
        key = (tuple(target_sections), tuple(float(d) for d in distance_range))
        if key not in self._candidates:
            dmin, dmax = key[1]
            overlap_um = np.minimum(self.dist1_um, dmax) - np.maximum(self.dist0_um, dmin)
            overlap = np.maximum(0.0, overlap_um) / self.length_um
            codes = [TARGET_SECTION_TYPES[name] for name in key[0]]
            index = np.flatnonzero((overlap > 0) & np.isin(self.swc_type, codes))
            weight = self.length_um[index] * overlap[index]
            cdf = np.cumsum(weight / weight.sum()) if index.size else weight
            if cdf.size:
                cdf /= cdf[-1]
            self._candidates[key] = (index, cdf)
        return self._candidates[key]


def segment_table(cell) -> SegmentTable:
    """The segments of a built cell (NEURON), with their path distances from soma[0](0) as BMTK measures."""
    from neuron import h

    origin = cell.soma[0](0)
    rows = []
    for i, sec in enumerate(cell.all):
        kind = SWC_TYPES[section_kind(sec.name())]
        seg_len = sec.L / sec.nseg
        for seg in sec:
            d = h.distance(origin, seg)
            rows.append((i, seg.x, seg_len, d - seg_len / 2, d + seg_len / 2, kind))
    a = np.array(rows, dtype=float)
    return SegmentTable(a[:, 0].astype(np.int64), a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5].astype(np.int64))


def parse_sections(value, source: str) -> tuple[str, ...]:
    """``target_sections`` as stored in edge types (a list, or its string repr in a CSV)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            text = text[1:-1]
        names = [part.strip().strip("'\"") for part in text.split(",") if part.strip()]
    else:
        names = [str(v) for v in value]
    bad = [n for n in names if n not in TARGET_SECTION_TYPES]
    if bad or not names:
        raise ConfigError(f"{source}: target_sections {value!r}: expected names among "
                          f"{', '.join(TARGET_SECTION_TYPES)}")
    return tuple(names)


def parse_range(value, source: str) -> tuple[float, float]:
    """``distance_range`` as stored in edge types (a 2-list, or its string repr)."""
    if isinstance(value, str):
        value = value.strip().strip("[]").split(",")
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: distance_range {value!r}: expected [min_um, max_um]") from None
    return lo, hi


def draw_segments(uniforms: np.ndarray, cdf: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Segments drawn for ``uniforms`` as ``RandomState.choice(candidates, p=...)`` draws them."""
    return candidates[np.searchsorted(cdf, uniforms, side="right")]


def segment_key(sec_index: int, x: float, nseg: int) -> tuple[int, int]:
    """The NEURON node a point process at ``x`` of a section sits on: (section, node), ends apart."""
    if x <= 0.0:
        return sec_index, -1
    if x >= 1.0:
        return sec_index, nseg
    return sec_index, min(int(x * nseg), nseg - 1)
