"""BioNet checks without NEURON: cell types (template, morphology, fit, mechanisms), synapse models, inputs, reports.

Mechanism names come from the mod files of ``components.mechanisms_dir`` (their SUFFIX,
POINT_PROCESS and ARTIFICIAL_CELL declarations, :func:`simlib.mechanisms.mechanism_names`), so
nothing is compiled or loaded: a fit naming a mechanism no mod file declares is a problem.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simlib.validation.network import load_edges
from simlib.validation.problems import Problems

# mechanisms every NEURON build has (no mod file declares them)
NEURON_BUILTIN_MECHANISMS = ("pas", "hh", "extracellular", "fastpas", "capacitance", "morphology",
                             "na_ion", "k_ion", "ca_ion")
_CELL_COLUMNS = ("model_template", "model_processing", "morphology", "dynamics_params")


def compiled_mechanisms(config, problems: Problems) -> set[str] | None:
    """Mechanism names declared by the mod files of ``components.mechanisms_dir`` (None: cannot tell).

    A folder may hold the mod files, hold them in ``modfiles/`` (BMTK's layout), or be a folder
    :func:`simlib.mechanisms.compile_mechanisms` made (its mod files copied beside the library).
    """
    from simlib.mechanisms import mechanism_names

    value = config.components.get("mechanisms_dir")
    folders = [value] if isinstance(value, str) else list(value or [])
    if not folders:
        problems.add(config.source, "components.mechanisms_dir", "missing; expected the folder of the compiled "
                                                                  "mechanisms (or of their mod files)")
        return None
    names: set[str] = set(NEURON_BUILTIN_MECHANISMS)
    known = True
    for folder in map(Path, folders):
        if folder.is_file():        # a libnrnmech.so: its mod files lie one folder up (nrnivmodl's layout)
            folder = folder.parent.parent
        if not folder.is_dir():
            problems.add(config.source, "components.mechanisms_dir", f"folder not found: {folder}")
            known = False
            continue
        mods = folder / "modfiles" if (folder / "modfiles").is_dir() else folder
        if not list(mods.glob("*.mod")):
            known = False           # a compiled library without its sources: the names cannot be read
            continue
        with problems.catch(config.source, "components.mechanisms_dir") as ok:
            names.update(mechanism_names(mods))
        known = known and ok[0]
    return names if known else None


def check_cells(config, circuit, problems: Problems, mechanisms: set[str] | None) -> int:
    """Every biophysical cell type: template, model_processing, morphology (SWC read) and fit (read, mechanisms).

    Each distinct (template, processing, morphology, fit) is checked once; returns how many there were.
    """
    from simlib.bionet.network import MODEL_TYPES

    if circuit is None:
        return 0
    checked: dict = {}
    n_types = 0
    types_files = {str(e["nodes_file"]): str(e["node_types_file"]) for e in config.networks.get("nodes", [])}
    for name, pop in circuit.populations.items():
        with problems.catch(pop.source) as ok:
            types = pop.model_types(MODEL_TYPES)
        if not ok[0]:
            continue
        rows = np.flatnonzero(types == "biophysical")
        if not rows.size:
            continue
        for spec, type_ids in _cell_specs(pop.nodes.iloc[rows]):
            n_types += 1
            label = f"population '{name}', node type(s) {type_ids}"
            _check_cell(spec, label, config, types_files.get(pop.source, pop.source), problems, mechanisms, checked)
    return n_types


def _cell_specs(nodes) -> list[tuple[tuple, list[int]]]:
    """The distinct (model_template, model_processing, morphology, dynamics_params) of some nodes (None: no
    value) and the node types having each."""
    present = [c for c in _CELL_COLUMNS if c in nodes]
    if not present:
        return [((None,) * len(_CELL_COLUMNS), sorted(int(t) for t in nodes["node_type_id"].unique()))]
    missing = "\x00"
    table = nodes[present].astype(object).where(nodes[present].notna(), missing).astype(str)
    table["node_type_id"] = nodes["node_type_id"].to_numpy()
    out = []
    for key, type_ids in table.groupby(present, sort=False)["node_type_id"].unique().items():
        values = dict(zip(present, key if isinstance(key, tuple) else (key,)))
        spec = tuple(None if values.get(c, missing) == missing else values[c] for c in _CELL_COLUMNS)
        out.append((spec, sorted(int(t) for t in type_ids)))
    return out


def _check_cell(spec: tuple, label: str, config, types_file: str, problems: Problems,
                mechanisms: set[str] | None, checked: dict) -> None:
    from simlib.bionet.cells import PROCESSORS
    from simlib.bionet.network import CELL_TEMPLATES
    from simlib.circuit import component_path

    template, processing, morphology, fit = spec
    where = f"{types_file}: {label}"
    if template not in CELL_TEMPLATES:
        problems.add(types_file, f"{label}: model_template", f"'{template}' unknown; accepted for biophysical cells: "
                                                             f"{', '.join(CELL_TEMPLATES)}")
    for step in (processing or "aibs_perisomatic").split(","):
        if step.strip() not in PROCESSORS:
            problems.add(types_file, f"{label}: model_processing", f"'{step}' unknown; accepted: "
                                                                   f"{', '.join(PROCESSORS)}")
    for column, value, key, suffix, read in (
            ("morphology", morphology, "morphologies_dir", ".swc", _read_morphology),
            ("dynamics_params", fit, "biophysical_neuron_models_dir", "", _read_fit)):
        if value is None:
            problems.add(types_file, f"{label}: {column}", "missing; expected a file name (node or node-type column)")
            continue
        with problems.catch(types_file, f"{label}: {column}", prefix=where) as ok:
            path = component_path(config.components, key, value, where, suffix=suffix)
        if not ok[0]:
            continue
        if str(path) not in checked:
            checked[str(path)] = read(path, problems, mechanisms)


def _read_morphology(path: Path, problems: Problems, mechanisms) -> bool:
    from simlib.morphology import read_swc

    with problems.catch(path) as ok:
        read_swc(path, allow_custom_types=True)     # NEURON's Import3d accepts custom sample types
    return ok[0]


def _read_fit(path: Path, problems: Problems, mechanisms: set[str] | None) -> bool:
    from simlib.bionet.cells import load_fit

    with problems.catch(path) as ok:
        fit = load_fit(path)
    if not ok[0] or mechanisms is None:
        return ok[0]
    unknown: dict[str, list[int]] = {}
    for i, entry in enumerate(fit["genome"]):
        mechanism = entry.get("mechanism")
        if mechanism and mechanism not in mechanisms:
            unknown.setdefault(str(mechanism), []).append(i)
    for mechanism, entries in unknown.items():
        where = ", ".join(f"genome[{i}]" for i in entries[:3]) + (" ..." if len(entries) > 3 else "")
        problems.add(path, f"{where}.mechanism", f"'{mechanism}' is not declared by any mod file of "
                                                 f"components.mechanisms_dir; expected one of "
                                                 f"{', '.join(sorted(mechanisms - set(NEURON_BUILTIN_MECHANISMS)))} "
                                                 "or a NEURON built-in (pas, hh, ...)")
    return not unknown


def check_synapses(config, circuit, edge_populations: list, problems: Problems) -> tuple[int, int]:
    """Every edge type's synapse model (template + dynamics_params JSON) and placement rule; weights and delays.

    Returns (edges, edge types) checked.
    """
    from simlib.bionet.synapses import load_synapse_model, parse_range, parse_sections
    from simlib.circuit import component_path

    n_edges = n_types = 0
    models: set = set()
    for population in edge_populations:
        edges = load_edges(circuit, population, problems)
        if edges is None:
            continue
        file, where = population.ref.edges_file, edges.where
        n_edges += len(edges)
        if not len(edges):
            continue
        found = edges.combinations("model_template", "dynamics_params")
        n_types += len({t for ids in found.type_ids for t in ids})
        for (template, params), type_ids in zip(found.values, found.type_ids):
            label = f"edge population '{edges.name}', edge type(s) {type_ids}"
            if _missing(template) or _missing(params):
                column = "model_template" if _missing(template) else "dynamics_params"
                problems.add(population.types_file, f"{label}: {column}", "missing; expected a synapse model "
                                                                          "(e.g. exp2syn) and its JSON file")
                continue
            with problems.catch(file, f"{label}: dynamics_params", prefix=where, others=(population.types_file,)):
                path = component_path(config.components, "synaptic_models_dir", str(params), where)
                if (template, str(path)) not in models:
                    load_synapse_model(template, path, source=f"{where}, {label}")
                    models.add((template, str(path)))
        explicit = edges.column("afferent_section_id")
        if explicit is None:
            explicit = edges.column("sec_id")
        random = np.ones(len(edges), dtype=bool) if explicit is None else np.isnan(np.asarray(explicit, dtype=float))
        if not random.any():
            continue
        # decided per distinct value (per edge type when the columns come from the edge-types table);
        # the values may be lists, which pandas cannot factorise, so the codes of each column are paired
        (ts_codes, ts_values), (dr_codes, dr_values) = edges.labels("target_sections"), edges.labels("distance_range")
        for a, b in np.unique(np.c_[ts_codes[random], dr_codes[random]], axis=0).tolist():
            sections, drange = ts_values[a], dr_values[b]
            rows = random & (ts_codes == a) & (dr_codes == b)
            label = f"edge population '{edges.name}', edge type(s) {np.unique(edges.edge_type_id[rows]).tolist()}"
            if _missing(sections) or _missing(drange):
                problems.add(population.types_file, label, "edges without afferent_section_id need target_sections "
                                                           "and distance_range to place their synapses")
                continue
            with problems.catch(file, label, prefix=where):
                parse_sections(sections, f"{where}: {label}: target_sections")
                parse_range(drange, f"{where}: {label}: distance_range")
    return n_edges, n_types


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
