"""Biophysical cells on NEURON: SWC morphology + Allen `*_fit.json` parameters (perisomatic / all-active)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simlib.errors import ConfigError, FormatError, show_value
from simlib.fileio import read_json
from simlib.morphology.sections import SECTION_NAMES, section_kind, section_name

FIT_KEYS = ("passive", "conditions", "genome")


class Cell:
    """One cell's sections: lists ``soma``, ``dend``, ``apic``, ``axon`` and ``all`` (in creation order).

    ``all`` order defines SONATA section ids (``afferent_section_id`` indexes it).
    """

    def __init__(self, gid: int = 0):
        self.gid = gid
        self.soma: list = []
        self.dend: list = []
        self.apic: list = []
        self.axon: list = []
        self.all: list = []
        self.axon_diams: list[float] = []
        self.position = None      # node position (µm) and rotation angles (rad), for coordinates
        self.rotation = None
        self.celsius: float | None = None
        self.v_init: float | None = None

    def __repr__(self) -> str:
        return f"Cell[{self.gid}]"

    def sections(self, key: str) -> list:
        """Sections addressed by an Allen section key: soma/axon/dend/apic, somatic/axonal/basal/apical, all."""
        if key == "all":
            return list(self.all)
        return list(getattr(self, section_name(key)))


@dataclass
class _Morphology:
    """A parsed morphology: what is needed to create its sections again without Import3d."""

    kinds: list[str]            # 'soma' / 'dend' / 'apic' / 'axon' of each section, in `Cell.all` order
    parent: list[int]           # index of the parent section, -1 for the root
    parent_x: list[float]       # where on the parent it attaches
    child_x: list[float]        # which end of the child attaches (section orientation)
    points: list                # (n, 4) arrays of x, y, z, diam per section
    axon_diams: list[float]     # diameters of the first and last axon sections (nseg = 1), for all-active stubs
    anchors: list = field(default_factory=list)  # Import3d's logical connection point (x, y, z) or None
    vectors: list | None = None  # hoc Vectors of `points`, created on first use


@dataclass
class MorphologyCache:
    """Parses each SWC file once (NEURON's Import3d) and creates copies directly from the parsed form.

    Import3d's ``instantiate`` runs interpreted hoc code (about 90 ms per Allen cell); copies made
    from the recorded sections, 3-d points and connections take a few ms and are identical.
    """

    _parsed: dict = field(default_factory=dict)

    def parse(self, swc_path) -> _Morphology:
        path = str(Path(swc_path).resolve())
        if path not in self._parsed:
            self._parsed[path] = _import3d(swc_path, path)
        return self._parsed[path]

    def instantiate(self, swc_path, gid: int = 0, with_axon: bool = True) -> Cell:
        """A new cell with the sections of ``swc_path``; ``with_axon=False`` leaves the axon out."""
        from neuron import h

        morph = self.parse(swc_path)
        if morph.vectors is None:  # hoc Vectors of the points, made once and copied by pt3dadd
            morph.vectors = [tuple(h.Vector(pts[:, k]) for k in range(4)) if len(pts) else None
                             for pts in morph.points]
        cell = Cell(gid)
        counts = dict.fromkeys(SECTION_NAMES, 0)
        created = []
        pt3dadd, section = h.pt3dadd, h.Section
        for kind, vectors in zip(morph.kinds, morph.vectors):
            if kind == "axon" and not with_axon:
                created.append(None)
                continue
            sec = section(name=f"{cell}.{kind}[{counts[kind]}]")
            counts[kind] += 1
            if vectors is not None:
                pt3dadd(*vectors, sec=sec)
            getattr(cell, kind).append(sec)
            created.append(sec)
        for sec, parent, px, cx in zip(created, morph.parent, morph.parent_x, morph.child_x):
            if sec is not None and parent >= 0 and created[parent] is not None:
                sec.connect(created[parent](px), cx)
        for sec, anchor in zip(created, morph.anchors):
            # as Import3d: soma children keep their reconstructed points (define_shape would otherwise
            # translate each dendritic tree onto the soma's centre line)
            if sec is not None and anchor is not None:
                h.pt3dstyle(1, *anchor, sec=sec)
        cell.all = [sec for name in SECTION_NAMES for sec in getattr(cell, name)]
        cell.axon_diams = list(morph.axon_diams)
        return cell


def _import3d(swc_path, path: str) -> _Morphology:
    """Instantiate ``path`` once with Import3d and record its sections."""
    from neuron import h

    if not Path(path).exists():
        raise FormatError(f"{swc_path}: morphology file not found")
    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(path)
    cell = Cell(-1)
    h.Import3d_GUI(reader, False).instantiate(cell)
    secs = [sec for name in SECTION_NAMES for sec in (getattr(cell, name, None) or [])]
    if not getattr(cell, "soma", None):
        raise FormatError(f"{swc_path}: no soma (sample type 1); a cell needs one")
    index = {sec: i for i, sec in enumerate(secs)}
    kinds, parent, parent_x, child_x, points, anchors = [], [], [], [], [], []
    for sec in secs:
        kinds.append(_kind(sec))
        ref = sec.parentseg()
        parent.append(index[ref.sec] if ref is not None else -1)
        parent_x.append(ref.x if ref is not None else 0.0)
        child_x.append(h.section_orientation(sec=sec))
        n = int(sec.n3d())
        points.append(np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i)] for i in range(n)]))
        anchors.append(_connection_point(ref) if ref is not None and h.pt3dstyle(sec=sec) == 1 else None)
    axon = [sec for sec in secs if _kind(sec) == "axon"]
    # all-active stubs take the diameters of the first and the last reconstructed axon section (as BMTK)
    morph = _Morphology(kinds, parent, parent_x, child_x, points,
                        [axon[0].diam, axon[-1].diam] if axon else [], anchors)
    for sec in secs:
        h.delete_section(sec=sec)
    return morph


def _connection_point(segment) -> tuple[float, float, float]:
    """The 3-d location of ``segment`` (a section and x) on its section's points, by arc length."""
    sec = segment.sec
    n = int(sec.n3d())
    arc = np.array([sec.arc3d(i) for i in range(n)])
    where = segment.x * (arc[-1] if n and arc[-1] > 0 else 0.0)
    return tuple(float(np.interp(where, arc, [get(i) for i in range(n)]))
                 for get in (sec.x3d, sec.y3d, sec.z3d))


def replace_axon(cell: Cell, keep_diameters: bool = False, attach_x: float = 0.5, length_um: float = 30.0,
                 define_shape: bool = True) -> None:
    """Replace the reconstructed axon by a 2 x 30 µm stub, as the Allen fits were optimised with.

    Perisomatic models use diameter 1 µm attached at soma(0.5); all-active models keep the
    diameters of the first reconstructed axon sections and attach at soma(1.0). ``define_shape``
    gives the stub 3-d points; it walks every section of the model, so a network builder calls
    ``h.define_shape()`` once after all cells instead.
    """
    from neuron import h

    diams = list(getattr(cell, "axon_diams", [])) or [sec.diam for sec in cell.axon[:2]]
    diams = diams if keep_diameters else []
    for sec in cell.axon:
        h.delete_section(sec=sec)
    stub = [h.Section(name=f"{cell}.axon[{i}]") for i in range(2)]
    for i, sec in enumerate(stub):
        sec.L = length_um
        sec.diam = diams[i] if i < len(diams) else (diams[-1] if diams else 1.0)
    stub[0].connect(cell.soma[0](attach_x), 0)
    stub[1].connect(stub[0](1), 0)
    cell.axon = stub
    cell.all = cell.soma + cell.dend + cell.apic + cell.axon
    if define_shape:
        h.define_shape()


def set_nseg(cell: Cell, dL_um: float) -> None:
    """BMTK's segmentation rule: nseg = 1 + 2 * int(L / (2 dL)) (odd, so a node sits at 0.5)."""
    if not dL_um > 0:
        raise ConfigError(f"run.dL: expected a length > 0 µm, got {dL_um!r}")
    for sec in cell.all:
        sec.nseg = 1 + 2 * int(sec.L / (2.0 * dL_um))


def load_fit(path) -> dict:
    """Read and check an Allen ``*_fit.json`` (keys passive, conditions, genome)."""
    path = Path(path)
    fit = read_json(path, required=FIT_KEYS, expected=f"an Allen fit file, with keys {', '.join(FIT_KEYS)}")
    if not isinstance(fit["genome"], list):
        raise FormatError(f"{path}: genome: expected a list of {{section, name, value, mechanism}} objects, got "
                          f"{show_value(fit['genome'])}")
    for i, entry in enumerate(fit["genome"]):
        if not isinstance(entry, dict):
            raise FormatError(f"{path}: genome[{i}]: expected an object {{section, name, value, mechanism}}, got "
                              f"{show_value(entry)}")
        for key in ("section", "name", "value"):
            if key not in entry:
                raise FormatError(f"{path}: genome[{i}].{key} missing; expected section, name, value, mechanism")
    return fit


def _insert(sec, mechanism: str, source: str, index: int) -> None:
    try:
        sec.insert(mechanism)
    except ValueError:
        raise ConfigError(f"{source}: genome[{index}].mechanism '{mechanism}' is not a compiled NEURON "
                          f"mechanism; compile the mod files that define it (components.mechanisms_dir)") from None


def _setattr(sec, name: str, value: float, source: str, index: int) -> None:
    try:
        setattr(sec, name, float(value))
    except (AttributeError, NameError, LookupError, TypeError, ValueError):
        raise ConfigError(f"{source}: genome[{index}].name '{name}' is not a parameter of the inserted "
                          f"mechanisms of section {sec.name()}") from None


def apply_perisomatic(cell: Cell, fit: dict, source: str = "fit") -> None:
    """Set the parameters of an Allen perisomatic fit: Ra, cm per section type, pas, genome, ena/ek."""
    passive = fit["passive"][0]
    cm = {entry["section"]: float(entry["cm"]) for entry in passive.get("cm", [])}
    ra, e_pas = float(passive["ra"]), float(passive["e_pas"])
    for kind in SECTION_NAMES:  # the section lists partition the cell by the 4-letter type BMTK matches
        for sec in getattr(cell, kind):
            sec.Ra = ra
            if kind in cm:
                sec.cm = cm[kind]
            sec.insert("pas")
            sec.e_pas = e_pas
    _apply_genome_and_conditions(cell, fit, source,
                                 lambda key: getattr(cell, key) if key in SECTION_NAMES else [])


def apply_allactive(cell: Cell, fit: dict, source: str = "fit") -> None:
    """Set the parameters of an Allen all-active fit: pas everywhere, passive e_pas/ra/cm when given,
    then the genome per section type ('glob' entries skipped; they are run conditions)."""
    passive = fit["passive"][0]
    cm = {entry["section"]: float(entry["cm"]) for entry in passive.get("cm", [])}
    for kind in SECTION_NAMES:
        for sec in getattr(cell, kind):
            sec.insert("pas")
            if "e_pas" in passive:
                sec.e_pas = float(passive["e_pas"])
            if "ra" in passive:
                sec.Ra = float(passive["ra"])
            if kind in cm:
                sec.cm = cm[kind]
    _apply_genome_and_conditions(cell, fit, source,
                                 lambda key: getattr(cell, key) if key in SECTION_NAMES else [])


def _apply_genome_and_conditions(cell: Cell, fit: dict, source: str, sections) -> None:
    """Insert and set every genome entry on ``sections(entry['section'])``; reversal potentials; conditions."""
    for i, entry in enumerate(fit["genome"]):
        for sec in sections(entry["section"]):
            if entry.get("mechanism"):
                _insert(sec, entry["mechanism"], source, i)
            _setattr(sec, entry["name"], entry["value"], source, i)
    conditions = fit["conditions"][0]
    for entry in conditions.get("erev", []):
        for sec in sections(entry["section"]):
            _set_reversals(sec, entry)
    cell.celsius = conditions.get("celsius")
    cell.v_init = conditions.get("v_init")


def _kind(sec) -> str:
    """'soma', 'dend', 'apic' or 'axon' of a NEURON section."""
    return section_kind(sec.name())


def _set_reversals(sec, entry: dict[str, Any]) -> None:
    from neuron import h

    if "ena" in entry and h.ismembrane("na_ion", sec=sec):
        sec.ena = float(entry["ena"])
    if "ek" in entry and h.ismembrane("k_ion", sec=sec):
        sec.ek = float(entry["ek"])


PROCESSORS = {"aibs_perisomatic": (False, 0.5, apply_perisomatic),
              "aibs_allactive": (True, 1.0, apply_allactive)}


def build_cell(swc_path, fit_path, model_processing: str = "aibs_perisomatic", dL_um: float = 20.0,
               gid: int = 0, cache: MorphologyCache | None = None, fit: dict | None = None,
               define_shape: bool = True) -> Cell:
    """Instantiate one biophysical cell: morphology, axon stub, segmentation, parameters.

    Raises
    ------
    FormatError
        Missing or malformed morphology / fit files.
    ConfigError
        Unknown `model_processing`, or a genome entry naming a mechanism that is not compiled.
    """
    if model_processing not in PROCESSORS:
        raise ConfigError(f"model_processing '{model_processing}' unknown; accepted: {', '.join(PROCESSORS)}")
    keep_diam, attach_x, apply = PROCESSORS[model_processing]
    fit = fit if fit is not None else load_fit(fit_path)
    cell = (cache or MorphologyCache()).instantiate(swc_path, gid, with_axon=False)
    replace_axon(cell, keep_diameters=keep_diam, attach_x=attach_x, define_shape=define_shape)
    set_nseg(cell, dL_um)
    apply(cell, fit, str(fit_path))
    return cell
