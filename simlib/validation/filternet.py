"""FilterNet checks: the config's FilterNet keys, the stimulus (movie file or generated), every LGN unit's model files."""

from __future__ import annotations

from simlib.validation.problems import Problems


def check_filternet(config, problems: Problems) -> tuple[int, int]:
    """Read the FilterNet config, build its stimulus and its units as the run would; returns (units, inputs).

    A movie file is read whole (NaN and shape are checked); a generated stimulus is generated.
    """
    from simlib.filternet.config import read_filternet_config
    from simlib.filternet.nodes import read_node_table
    from simlib.filternet.stimuli import movie_from_input
    from simlib.filternet.units import build_units
    from simlib.sonata.nodes import node_populations

    with problems.catch(config.source, prefix=config.source) as ok:
        cfg = read_filternet_config(config)
    if not ok[0]:
        return 0, 0
    for name, spec in cfg.inputs.items():
        data_file = spec.get("data_file")
        with problems.catch(config.source, f"inputs.{name}", prefix=f"{config.source}: inputs.{name}",
                            others=(str(data_file),) if data_file else ()):
            movie_from_input(spec, cfg.tstop_ms, f"{config.source}: inputs.{name}")
    n_units = 0
    for entry in cfg.nodes:
        nodes_file, types_file = entry["nodes_file"], entry["node_types_file"]
        with problems.catch(nodes_file):
            for population in node_populations(nodes_file):
                table = read_node_table(nodes_file, types_file, population)
                with problems.catch(nodes_file, others=(str(types_file),)):
                    units = build_units(table.columns, cfg.filter_models_dir, seed=0,
                                        cell_metrics_dir=cfg.cell_metrics_dir, source=table.source)
                    n_units += units.n_units
    return n_units, len(cfg.inputs)
