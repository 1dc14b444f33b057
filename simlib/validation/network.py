"""Checks every simulator needs: node files and populations, edge files, ids and indices, node sets, functions files.

The files are read with simlib's own readers (:mod:`simlib.sonata`, :class:`simlib.circuit.Circuit`);
what a reader raises becomes a problem and the check goes on with the next file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib.validation.problems import Problems


@dataclass
class EdgePopulation:
    """One edge population that was read and whose node ids all exist: its reference and its table."""

    ref: object                 # simlib.circuit.EdgePopulationRef
    table: object               # simlib.sonata.edges.EdgeTable
    types_file: str


def load_circuit(config, problems: Problems):
    """The :class:`~simlib.circuit.Circuit` of the config's node populations that can be read (None if none).

    Every nodes file that cannot be read, or population that cannot, is a problem; the circuit then
    holds the others, so edges and node sets are still checked against them.
    """
    from simlib.circuit import Circuit
    from simlib.sonata.nodes import node_populations, read_nodes

    networks = config.networks
    try:
        return Circuit(networks, config.source, config.components)     # every file good: read once
    except Exception:  # noqa: BLE001 - read again file by file below, to name every bad one
        pass
    good = []
    for i, entry in enumerate(networks.get("nodes", [])):
        nodes_file, types_file = entry["nodes_file"], entry["node_types_file"]
        with problems.catch(nodes_file) as ok:
            for name in node_populations(nodes_file):
                read_nodes(nodes_file, types_file, population=name)
        if ok[0]:
            good.append(entry)
    circuit = None
    while circuit is None and good:
        try:
            circuit = Circuit({**networks, "nodes": good}, config.source, config.components)
        except Exception as exc:  # noqa: BLE001 - e.g. a population in two files: named, then left out
            problems.add_error(exc, config.source, "networks.nodes")
            good = good[:-1]
    return circuit


def check_edges(config, circuit, problems: Problems) -> list[EdgePopulation]:
    """Read every edge population; check its node populations, node ids and SONATA indices.

    Returns the edge populations whose source and target ids all exist (the ones worth checking further).
    """
    from simlib.circuit import EdgePopulationRef
    from simlib.sonata.edges import edge_populations, read_edge_table

    good = []
    for i, entry in enumerate(config.networks.get("edges", [])):
        edges_file, types_file = str(entry["edges_file"]), str(entry["edge_types_file"])
        names: list[str] = []
        with problems.catch(edges_file):
            names = edge_populations(edges_file)
        for name in names:
            with problems.catch(edges_file) as ok:
                table = read_edge_table(edges_file, types_file, population=name)
            if not ok[0]:
                continue
            fine = _check_node_ids(table, circuit, edges_file, name, problems)
            with problems.catch(edges_file, f"/edges/{name}/indices"):
                for field, message in index_problems(edges_file, name, table):
                    problems.add(edges_file, field, message)
            if fine:
                good.append(EdgePopulation(EdgePopulationRef(edges_file, types_file, name, f"networks.edges[{i}]"),
                                           table, types_file))
    return good


def _check_node_ids(table, circuit, edges_file: str, name: str, problems: Problems) -> bool:
    from simlib.sonata.columns import distinct_ids

    fine = True
    for role, pop_name in (("source", table.source_population), ("target", table.target_population)):
        field = f"/edges/{name}/{role}_node_id"
        pop = circuit.populations.get(pop_name) if circuit is not None else None
        if pop is None:
            known = ", ".join(circuit.populations) if circuit is not None else "none readable"
            problems.add(edges_file, f"{field} (attribute node_population)",
                         f"node population '{pop_name}' is not in networks.nodes (populations: {known})")
            fine = False
            continue
        ids = distinct_ids(table.own[f"{role}_node_id"])
        bad = ids[~pop.contains(ids)]
        if bad.size:
            problems.add(edges_file, field, f"{bad.size} {role} node ids are not nodes of population '{pop_name}' "
                                            f"({pop.size} nodes, ids {_id_range(pop.node_ids)}): "
                                            f"{bad[:5].tolist()}{' ...' if bad.size > 5 else ''}")
            fine = False
    return fine


def _id_range(ids: np.ndarray) -> str:
    return f"{int(ids.min())}..{int(ids.max())}" if ids.size else "none"


def index_problems(edges_file, name: str, table) -> list[tuple[str, str]]:
    """Disagreements between an edge population's SONATA indices and its node id columns.

    An index is optional (simlib reads edges without it); one that is present must list, for every
    node id, exactly the rows holding that id.
    """
    from simlib.sonata.files import open_h5
    from simlib.sonata.index import index_problem

    out = []
    with open_h5(edges_file) as h5:
        indices = h5.get(f"edges/{name}/indices")
        if indices is None:
            return out
        for index, column in (("source_to_target", "source_node_id"), ("target_to_source", "target_node_id")):
            group = indices.get(index)
            if group is None:
                continue
            field = f"/edges/{name}/indices/{index}"
            n2r = group.get("node_id_to_range", group.get("node_id_to_ranges"))
            r2e = group.get("range_to_edge_id")
            if n2r is None or r2e is None:
                missing = "node_id_to_range" if n2r is None else "range_to_edge_id"
                out.append((field, f"dataset {missing} missing; expected node_id_to_range and range_to_edge_id"))
                continue
            message = _index_shape(n2r, "node_id_to_range") or _index_shape(r2e, "range_to_edge_id") or \
                index_problem(table.own[column].astype(np.int64), n2r[()].astype(np.int64), r2e[()].astype(np.int64))
            if message:
                out.append((field, message))
    return out


def _index_shape(dataset, name: str) -> str | None:
    if dataset.ndim != 2 or dataset.shape[1] != 2 or dataset.dtype.kind not in "iu":
        return f"{name}: expected an integer table of shape (n, 2), got {dataset.dtype} of shape {dataset.shape}"
    return None


def check_node_sets(config, circuit, problems: Problems) -> None:
    """Every node set the config defines resolves against the populations (unknown names, populations, properties)."""
    from simlib.config.node_sets import select_nodes

    if circuit is None:
        return
    file = config.raw.get("node_sets_file") if "node_sets" not in config.raw else None
    file = file or config.source
    tables = {name: pop.nodes for name, pop in circuit.populations.items()}
    for name, definition in config.node_sets.items():
        with problems.catch(file, f"node_sets.{name}", prefix=str(file)):
            select_nodes(definition, tables, config.node_sets, source=str(file))


def load_functions_files(config, problems: Problems) -> None:
    """Run ``components.functions_file`` (weight functions and spike generators register there, as in a run)."""
    from simlib.circuit.weights import load_functions_file

    functions = config.components.get("functions_file")
    for path in [functions] if isinstance(functions, str) else list(functions or []):
        with problems.catch(config.source, "components.functions_file",
                            prefix=f"{config.source}: components.functions_file"):
            load_functions_file(path, source=f"{config.source}: components.functions_file")


def load_edges(circuit, population: EdgePopulation, problems: Problems):
    """The :class:`~simlib.circuit.Edges` of a checked edge population (weights, delays resolved), or None."""
    from simlib.circuit.edges import load_edges as load

    with problems.catch(population.ref.edges_file) as ok:
        edges = load(circuit, population.ref, table=population.table)
    return edges if ok[0] else None
