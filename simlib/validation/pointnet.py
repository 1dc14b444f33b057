"""PointNet checks without NEST: run options, cell groups (``nest:`` templates, parameter files), synapse groups.

Whether a ``nest:<model>`` exists is NEST's to say: importing NEST takes seconds and loads its
kernel, so the validator checks the template's form only and leaves the model name to the run.
"""

from __future__ import annotations

from simlib.validation.network import load_edges
from simlib.validation.problems import Problems


def check_run(config, problems: Problems) -> float | None:
    """run.tstop/dt/threads/seed as PointNet reads them; returns dt (ms), None if they are wrong."""
    from simlib.pointnet.simulation import run_options

    with problems.catch(config.source, prefix=config.source) as ok:
        options = run_options(config)
    if config.components.get("nest_modules"):
        problems.add(config.source, "components.nest_modules", "extra NEST modules are not supported by simlib's "
                                                               "PointNet yet; expected the models of the NEST installation")
    return options["dt"] if ok[0] else None


def check_cells(config, circuit, problems: Problems) -> int:
    """Every population's cell groups (model types, ``nest:`` templates, dynamics_params files); returns groups."""
    from simlib.pointnet.models import cell_groups

    if circuit is None:
        return 0
    cache: dict = {}
    n_groups = 0
    for pop in circuit.populations.values():
        with problems.catch(pop.source) as ok:
            groups = cell_groups(pop, config.components, cache)
        n_groups += len(groups) if ok[0] else 0
    return n_groups


def check_synapses(config, circuit, edge_populations: list, dt_ms: float | None, problems: Problems
                   ) -> tuple[int, int]:
    """Every edge population's synapse groups (dynamics_params files), weights and delays; returns (edges, types)."""
    from simlib.pointnet.models import check_delays, point_weights, synapse_groups

    cache: dict = {}
    n_edges = n_types = 0
    for population in edge_populations:
        edges = load_edges(circuit, population, problems)
        if edges is None:
            continue
        n_edges += len(edges)
        with problems.catch(population.ref.edges_file, others=(population.types_file,)):
            groups = synapse_groups(edges, config.components, cache)
            n_types += len({t for g in groups for t in g.edge_type_ids})
            point_weights(edges)
            if dt_ms is not None:
                check_delays(edges, groups, dt_ms)
    return n_edges, n_types
