"""PopNet checks: run options, population groups, every internal population's model file, external rates, connections."""

from __future__ import annotations

from simlib.validation.problems import Problems


def check_popnet(config, circuit, problems: Problems) -> tuple[int, int]:
    """Group the nodes and read every population's parameters and rates as the run does; returns (groups, inputs)."""
    from simlib.popnet import network as popnetwork
    from simlib.popnet.simulation import _external_rates, run_options

    with problems.catch(config.source, prefix=config.source, keyed=True) as ok:
        options = run_options(config)
    group_by = options["group_by"] if ok[0] else "node_type_id"
    if circuit is None:
        return 0, 0
    with problems.catch(config.source, prefix=config.source) as ok:
        groups = popnetwork.group_nodes(circuit, group_by)
    if not ok[0]:
        return 0, 0
    if not any(g.internal for g in groups):
        problems.add(config.source, "networks", f"no internal population (model_template {popnetwork.INTERNAL}); "
                                                "nothing to simulate")
    for g in groups:       # one group at a time: every bad model file is named
        if g.internal:
            with problems.catch(config.source, prefix=config.source):
                popnetwork.read_parameters(circuit, [g], config.components, config.source)
    # the pop_rates inputs are read as the run reads them (the first bad input stops this check)
    with problems.catch(config.source, prefix=config.source, keyed=True):
        _external_rates(config, circuit, groups, group_by)
    with problems.catch(config.source, prefix=config.source):
        popnetwork.connections(circuit, groups)
    return len(groups), len(config.inputs)
