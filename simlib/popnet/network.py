"""A SONATA circuit read as a population network: nodes grouped into populations, edges into connections.

Nodes are grouped by the value of one attribute (``group_by``; BMTK's default ``node_type_id``),
separately in each node population; a node without the attribute belongs to the group named after
its node population. A group is

* internal: ``model_type: population`` and ``model_template: dipde:Internal``; its parameters are
  the JSON file its ``dynamics_params`` names in ``components.population_models_dir`` (one file per
  group);
* external: ``model_type: virtual`` or ``model_template: dipde:External``; its rate comes from a
  ``pop_rates`` input or from a ``firing_rate`` attribute (of its nodes or of its
  ``dynamics_params`` file).

Edges (``syn_weight`` in volts, ``nsyns``, ``delay`` in seconds, DiPDE's units as in BMTK's PopNet)
become one connection per (source group, target group, weight, delay) with ``nsyns`` = the synapses
of those edges divided by the target group's nodes: the mean number a target neuron receives. With
one node per population and one edge per pair (the tutorial's networks) this is the edge's own
``nsyns``, as in BMTK, which reads only the first edge of a pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from simlib.errors import ConfigError, FormatError, show_value
from simlib.popnet.model import Connection, PopulationNetwork, RateFunction, constant_rate
from simlib.popnet.params import LIFPopulation

INTERNAL, EXTERNAL = "dipde:Internal", "dipde:External"


@dataclass
class Group:
    """The nodes of one node population that share a value of the grouping attribute."""

    population: str
    key: str                  # the attribute's value, as text
    internal: bool
    node_ids: np.ndarray
    label: str = ""           # id in the rates files (``key``, qualified by the population if ambiguous)
    params: LIFPopulation | None = None
    rate: RateFunction | None = None
    rows: np.ndarray = field(default=None, repr=False)


def group_nodes(circuit, group_by: str) -> list[Group]:
    """Every population group of ``circuit`` (internal and external), in node order per node population.

    Raises
    ------
    FormatError
        A node that is neither an internal nor an external population, or a group mixing both.
    """
    groups: list[Group] = []
    for name, pop in circuit.populations.items():
        nodes = pop.nodes
        model_type = pop.model_type
        template = (nodes["model_template"].astype(str).to_numpy() if "model_template" in nodes
                    else np.full(len(nodes), "", dtype=object))
        internal = (model_type == "population") & (template == INTERNAL)
        external = (model_type == "virtual") | (template == EXTERNAL)
        other = ~(internal | external)
        if other.any():
            row = int(np.argmax(other))
            raise FormatError(f"{pop.source}: population '{name}': node {int(nodes['node_id'].iat[row])} has "
                              f"model_type {model_type[row]!r}, model_template {template[row]!r}; PopNet expects "
                              f"model_type population with model_template {INTERNAL} or {EXTERNAL}, or model_type "
                              "virtual")
        keys = _keys(nodes, group_by, name)
        for key in dict.fromkeys(keys):
            rows = np.flatnonzero(keys == key)
            if internal[rows].any() and not internal[rows].all():
                raise FormatError(f"{pop.source}: population '{name}': group {group_by}={key} mixes internal "
                                  f"({INTERNAL}) and external nodes; expected one kind per group")
            groups.append(Group(name, key, bool(internal[rows[0]]), nodes["node_id"].to_numpy()[rows], rows=rows))
    _label(groups)
    return groups


def _keys(nodes, group_by: str, population: str) -> np.ndarray:
    """Each node's group value as text (the population's name where the attribute is missing)."""
    if group_by not in nodes:
        return np.full(len(nodes), population, dtype=object)
    out = []
    for value in nodes[group_by].tolist():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out.append(population)
        elif isinstance(value, float) and value.is_integer():
            out.append(str(int(value)))
        else:
            out.append(str(value))
    return np.array(out, dtype=object)


def _label(groups: list[Group]) -> None:
    for kind in (True, False):
        mine = [g for g in groups if g.internal is kind]
        seen: dict[str, int] = {}
        for g in mine:
            seen[g.key] = seen.get(g.key, 0) + 1
        for g in mine:
            g.label = g.key if seen[g.key] == 1 else f"{g.population}.{g.key}"


def read_parameters(circuit, groups: list[Group], components: Mapping, source: str) -> None:
    """Set ``params`` of every internal group from its ``dynamics_params`` file (components.population_models_dir).

    Raises
    ------
    ConfigError, FormatError
        A group with several or no ``dynamics_params``, a missing file, or bad parameters (the
        message names the file and the key).
    """
    from simlib.circuit.components import component_path
    from simlib.fileio import read_json

    cache: dict[str, LIFPopulation] = {}
    for g in groups:
        if not g.internal:
            continue
        pop = circuit.populations[g.population]
        where = f"{pop.source}: population '{g.population}' group {g.key}"
        names = _values(pop, g, "dynamics_params")
        if len(names) != 1 or names[0] is None:
            raise FormatError(f"{where}: dynamics_params {show_value(names)}; expected one model file per internal "
                              "population")
        if isinstance(names[0], Mapping):
            g.params = LIFPopulation.from_params(names[0], f"{where}: dynamics_params")
            continue
        path = component_path(components, "population_models_dir", str(names[0]), f"{source}: {where}", ".json")
        if str(path) not in cache:
            cache[str(path)] = LIFPopulation.from_params(read_json(path, error=ConfigError), str(path))
        g.params = cache[str(path)]


def external_rate(circuit, g: Group, components: Mapping, source: str) -> RateFunction:
    """The ``firing_rate`` of an external group's nodes (or of its dynamics_params file), as a rate function.

    Raises
    ------
    ConfigError
        No firing rate anywhere, or nodes of the group with different rates.
    """
    from simlib.circuit.components import component_path
    from simlib.fileio import read_json

    pop = circuit.populations[g.population]
    where = f"{source}: external population {g.label} (node population '{g.population}')"
    rates = [r for r in _values(pop, g, "firing_rate") if r is not None]
    if not rates:
        files = [f for f in _values(pop, g, "dynamics_params") if isinstance(f, str)]
        if len(files) == 1 and "population_models_dir" in components:
            params = read_json(component_path(components, "population_models_dir", files[0], where, ".json"))
            rates = [params["firing_rate"]] if "firing_rate" in params else []
    if len(rates) != 1:
        found = f"firing_rate values {show_value(rates)}" if rates else "no firing rate"
        raise ConfigError(f"{where}: {found}; expected one rate (Hz): a pop_rates input row for id {g.label} or a "
                          "firing_rate attribute")
    rate = rates[0]
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)) or not rate >= 0:
        raise ConfigError(f"{where}: firing_rate {show_value(rate)}; expected a number >= 0 (Hz)")
    return constant_rate(float(rate))


def pop_name(circuit, g: Group) -> str:
    """The group's ``pop_name`` if its nodes share one, else its id (a label for figures)."""
    names = _values(circuit.populations[g.population], g, "pop_name")
    return str(names[0]) if len(names) == 1 and names[0] is not None else g.label


def _values(pop, g: Group, column: str) -> list:
    """The distinct values of ``column`` over the group's nodes (None where missing)."""
    if column not in pop.nodes:
        return [None]
    values = []
    for v in pop.nodes[column].to_numpy()[g.rows].tolist():
        v = None if (isinstance(v, float) and np.isnan(v)) else v
        if v not in values:
            values.append(v)
    return values


def connections(circuit, groups: list[Group]) -> list[Connection]:
    """The circuit's edges as connections between groups (see module docstring).

    Raises
    ------
    FormatError
        An edge that ends on an external population.
    """
    import pandas as pd

    n_int = sum(g.internal for g in groups)
    index, internal_index, size = {}, 0, {}
    for g in groups:
        index[(g.population, g.key)] = internal_index if g.internal else None
        internal_index += g.internal
    ext = 0
    for g in groups:
        if not g.internal:
            index[(g.population, g.key)] = n_int + ext
            ext += 1
        size[index[(g.population, g.key)]] = g.node_ids.size
    group_of = {}
    for name in circuit.populations:
        pop = circuit.populations[name]
        codes = np.full(pop.size, -1, dtype=np.int64)
        for g in groups:
            if g.population == name:
                codes[g.rows] = index[(name, g.key)]
        group_of[name] = codes
    parts = []
    for ref in circuit.edge_populations():
        edges = circuit.edges(ref)
        if not len(edges):
            continue
        src = group_of[edges.source_population][circuit.populations[edges.source_population].rows(edges.source)]
        trg = group_of[edges.target_population][circuit.populations[edges.target_population].rows(edges.target)]
        if np.any(trg >= n_int):
            raise FormatError(f"{edges.where}: edges end on external population nodes; expected targets of "
                              f"model_template {INTERNAL}")
        nsyns = edges.column("nsyns")    # read as floats: a population network's mean counts are fractional
        nsyns = np.ones(len(edges)) if nsyns is None else np.nan_to_num(np.asarray(nsyns, dtype=float), nan=1.0)
        parts.append(pd.DataFrame({"source": src, "target": trg, "weight": edges.weight, "delay": edges.delay,
                                   "nsyns": nsyns}))
    if not parts:
        return []
    table = pd.concat(parts).groupby(["source", "target", "weight", "delay"], sort=False)["nsyns"].sum()
    out = []
    for (s, t, w, d), n in table.items():
        if n > 0:
            out.append(Connection(int(s), int(t), float(w), float(n) / size[int(t)], float(d)))
    return out


def population_network(circuit, groups: list[Group]) -> PopulationNetwork:
    """The :class:`PopulationNetwork` of grouped nodes whose ``params`` and ``rate`` are set."""
    internal = [g for g in groups if g.internal]
    external = [g for g in groups if not g.internal]
    return PopulationNetwork([g.params for g in internal], [g.rate for g in external], connections(circuit, groups),
                             [g.label for g in internal], [g.label for g in external])
