"""What PointNet builds, read from the circuit without NEST: cell groups per node type, synapse groups per edge type.

A *cell group* is the non-virtual nodes of one population that share a ``model_template``
(``nest:<model>``) and a ``dynamics_params`` JSON file of NEST parameters (an Allen GLIF file is
converted by :mod:`simlib.pointnet.glif`): NEST creates them with one call. Per-node NEST
parameters (the nodes file's ``dynamics_params`` group, as BMTK writes them) become arrays over the
group. A *synapse group* is the edges of one edge population that share a synapse ``model_template``
(a NEST synapse model, default ``static_synapse``) and a ``dynamics_params`` JSON file of synapse
parameters: they are connected in bulk. Weights follow BMTK's PointNet rule,
``syn_weight × nsyns`` (a user weight function's value is used as it is, as BMTK does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from simlib.circuit import Edges, Population, component_path
from simlib.circuit.weights import returns_syn_weight, weight_function
from simlib.errors import ConfigError, FormatError
from simlib.fileio import read_json
from simlib.pointnet import glif

POINT_MODEL_TYPES = ("point_process", "point_neuron")
MODEL_TYPES = (*POINT_MODEL_TYPES, "virtual")
DEFAULT_SYNAPSE = "static_synapse"
_NULL = ("", "none", "null", "nan")


@dataclass
class CellGroup:
    """Nodes of one population created by one NEST call."""

    population: str
    rows: np.ndarray                    # rows of the population table
    node_ids: np.ndarray
    node_type_ids: list
    model: str                          # NEST model name
    params_file: str | None
    params: dict                        # the node type's NEST parameters (the JSON file)
    per_node: dict = field(default_factory=dict)   # parameter -> value per node (NaN: the shared value)
    where: str = ""

    def describe(self) -> str:
        """Node types, model and parameter file, for messages."""
        params = self.params_file or "no dynamics_params (NEST defaults)"
        return f"{self.where}: node type(s) {self.node_type_ids}, model nest:{self.model}, {params}"


@dataclass
class SynapseGroup:
    """Edges of one edge population connected with one NEST synapse model and parameter set."""

    rows: np.ndarray                    # rows of the Edges arrays
    edge_type_ids: list
    model: str                          # NEST synapse model name
    params_file: str | None
    params: dict

    def describe(self, where: str) -> str:
        params = self.params_file or "no dynamics_params"
        return f"{where}: edge type(s) {self.edge_type_ids}, synapse model {self.model}, {params}"


def is_null(value) -> bool:
    """A missing table value (None, NaN, '', 'NULL', 'none')."""
    if value is None:
        return True
    if isinstance(value, float):
        return bool(np.isnan(value))
    return isinstance(value, str) and value.strip().lower() in _NULL


def read_params(path, where: str) -> dict:
    """A dynamics_params JSON file: an object of parameter names (FormatError naming the file otherwise)."""
    try:
        return read_json(path)
    except FormatError as exc:
        raise FormatError(f"{exc} ({where})") from None


def nest_cell_model(template, where: str) -> str:
    """The NEST model of a ``model_template`` such as ``nest:iaf_psc_alpha``.

    Raises
    ------
    ConfigError
        No template, a NEURON template (``nrn:IntFire1``, ...) or another directive.
    """
    if is_null(template):
        raise ConfigError(f"{where}: no model_template; expected nest:<NEST model>, e.g. nest:iaf_psc_alpha")
    text = str(template).strip()
    directive, _, model = text.partition(":")
    if directive == "nest" and model:
        return model
    if directive in ("nrn", "hoc", "ctdb"):
        raise ConfigError(f"{where}: model_template '{text}' is a NEURON model, which PointNet cannot run; "
                          "expected a NEST model nest:<model>, e.g. nest:iaf_psc_alpha")
    raise ConfigError(f"{where}: model_template '{text}' unknown; expected nest:<NEST model>, e.g. nest:iaf_psc_alpha")


def check_model_types(pop: Population) -> np.ndarray:
    """Each node's model_type; biophysical or unknown types are a FormatError naming the node types."""
    types = pop.model_types((*MODEL_TYPES, "biophysical"))
    bio = types == "biophysical"
    if bio.any():
        type_ids = sorted(np.unique(pop.nodes["node_type_id"].to_numpy()[bio]).tolist())
        raise FormatError(f"{pop.source}: population '{pop.name}': {int(bio.sum())} biophysical nodes (node types "
                          f"{type_ids}); PointNet runs point neurons: expected model_type point_process with "
                          "model_template nest:<model> (e.g. nest:iaf_psc_alpha), or virtual")
    return types


def node_dynamics_params(pop: Population) -> dict[str, np.ndarray]:
    """Per-node NEST parameters of the nodes file's ``<group>/dynamics_params`` (NaN where a node has none).

    simlib.sonata's node reader skips that group (BioNet has no use for it), so it is read here.

    Raises
    ------
    FormatError
        A dynamics_params dataset that is not one number per node.
    """
    import h5py

    from simlib.sonata.files import open_h5

    out: dict[str, np.ndarray] = {}
    group_ids = pop.nodes["node_group_id"].to_numpy(dtype=np.int64)
    group_index = pop.nodes["node_group_index"].to_numpy(dtype=np.int64)
    with open_h5(pop.source) as h5:
        base = h5.get(f"nodes/{pop.name}")
        for key in (k for k in (base or {}) if k.isdigit()):
            params = base[key].get("dynamics_params")
            if not isinstance(params, h5py.Group):
                continue
            rows = np.flatnonzero(group_ids == int(key))
            for name, ds in params.items():
                values = ds[()] if isinstance(ds, h5py.Dataset) else None
                if values is None or values.ndim != 1 or values.dtype.kind not in "iufb":
                    raise FormatError(f"{pop.source}: nodes/{pop.name}/{key}/dynamics_params/{name}: expected one "
                                      "number per node (a NEST parameter)")
                column = out.setdefault(name, np.full(pop.size, np.nan))
                column[rows] = values[group_index[rows]]
    return out


def cell_groups(pop: Population, components: Mapping, cache: dict | None = None) -> list[CellGroup]:
    """The cell groups of one population (its point nodes by model_template and dynamics_params).

    Raises
    ------
    ConfigError, FormatError
        Biophysical nodes, a template that is not ``nest:``, a model_processing function, a missing
        or malformed dynamics_params file.
    """
    cache = {} if cache is None else cache
    types = check_model_types(pop)
    point = np.flatnonzero(types != "virtual")
    if not point.size:
        return []
    table = pop.nodes.iloc[point]
    where = f"{pop.source}: population '{pop.name}'"
    if "model_processing" in table:
        used = [v for v in table["model_processing"].unique() if not is_null(v)]
        if used:
            raise ConfigError(f"{where}: model_processing {used} not supported by PointNet; expected none (the NEST "
                              "model is created with its dynamics_params as they are)")
    per_node = node_dynamics_params(pop)
    templates, params = _column(table, "model_template"), _column(table, "dynamics_params")
    codes, n_groups = _group_codes(templates, params)
    groups = []
    for code in range(n_groups):
        members = np.flatnonzero(codes == code)
        rows = point[members]
        type_ids = sorted(np.unique(table["node_type_id"].to_numpy()[members]).tolist())
        label = f"{where}, node type(s) {type_ids}"
        model = nest_cell_model(templates.iat[members[0]], label)
        name = params.iat[members[0]]
        path, values = None, {}
        if not is_null(name):
            path = str(component_path(components, "point_neuron_models_dir", str(name), label))
            if path not in cache:
                cache[path] = read_params(path, label)
            values = dict(cache[path])
        if glif.converts(model, values):   # an Allen GLIF file (SI units) for a NEST glif model
            model, values = glif.to_nest(model, values, path)
        varying = {key: column[rows] for key, column in per_node.items() if not np.all(np.isnan(column[rows]))}
        groups.append(CellGroup(pop.name, rows, pop.node_ids[rows], type_ids, model, path, values, varying, where))
    return groups


def synapse_groups(edges: Edges, components: Mapping, cache: dict | None = None) -> list[SynapseGroup]:
    """The synapse groups of one edge population (by model_template and dynamics_params).

    ``model_template`` may carry BMTK's ``nest:`` prefix; a missing one is ``static_synapse``.

    Raises
    ------
    FormatError
        A missing or malformed dynamics_params file.
    """
    cache = {} if cache is None else cache
    if not len(edges):
        return []
    found = edges.combinations("model_template", "dynamics_params")
    groups = []
    for code, ((template, name), type_ids) in enumerate(zip(found.values, found.type_ids)):
        rows = np.flatnonzero(found.codes == code)
        model = DEFAULT_SYNAPSE if is_null(template) else str(template).strip().removeprefix("nest:")
        path, values = None, {}
        if not is_null(name):
            label = f"{edges.where}, edge type(s) {type_ids}"
            path = str(component_path(components, "synaptic_models_dir", str(name), label))
            if path not in cache:
                cache[path] = read_params(path, label)
            values = dict(cache[path])
        groups.append(SynapseGroup(rows, type_ids, model, path, values))
    return groups


def _column(table, name: str):
    """A table column as objects (None throughout when the table has no such column)."""
    import pandas as pd

    if name in table:
        return table[name].astype(object)
    return pd.Series([None] * len(table), index=table.index, dtype=object)


def _group_codes(*columns) -> tuple[np.ndarray, int]:
    """Code of each row's combination of values (first-seen order) and the number of combinations.

    Each column is factorised on its own and the integer codes combined: on millions of edges this is
    several times quicker than joining the values as text (:func:`simlib.circuit.group_codes`).
    """
    import pandas as pd

    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        combined = combined * (len(uniques) + 1) + codes
    codes, uniques = pd.factorize(combined)
    return np.asarray(codes, dtype=np.int64), len(uniques)


def point_weights(edges: Edges) -> np.ndarray:
    """NEST weight of each edge: ``weight × nsyns`` (BMTK's PointNet rule).

    An edge whose weight comes from a user weight function keeps the function's value (BMTK's
    PointNet multiplies only ``syn_weight`` and its built-in functions that return it).
    """
    codes, names = edges.labels("weight_function")     # decided per name (per edge type), not per edge
    used = np.bincount(codes, minlength=len(names)) > 0
    own = [code for code, name in enumerate(names) if used[code] and not is_null(name) and not returns_syn_weight(
        weight_function(str(name), source=f"{edges.where}: weight_function"))]
    if not own:
        return edges.weight * edges.nsyns
    factor = edges.nsyns.astype(float)
    factor[np.isin(codes, own)] = 1.0
    return edges.weight * factor


def check_delays(edges: Edges, groups: list[SynapseGroup], dt_ms: float) -> None:
    """Every delay >= run.dt (NEST's smallest delay): one FormatError naming the edge file and edge types."""
    bad = edges.delay < dt_ms * (1 - 1e-9)
    if not bad.any():
        return
    types = sorted({t for g in groups if bad[g.rows].any() for t in g.edge_type_ids})
    raise FormatError(f"{edges.where}: edge type(s) {types}: {int(bad.sum())} delays below run.dt = {dt_ms} ms "
                      f"(smallest {float(edges.delay[bad].min()):g} ms); expected delays >= dt (NEST's resolution)")
