"""Network and activity figures of result files in one call: read the circuit and spikes, draw, write the PNG.

What the ``simlib plot-connectivity``, ``plot-positions``, ``plot-rates-boxplot``, ``plot-rates``,
``plot-isi-cv`` and ``plot-synchrony`` commands (and rule scripts) call. Figures are written by
:func:`simlib.analysis.output.save_figure`: atomically, at a fixed resolution, without a date or
version inside, so the same inputs give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from simlib.errors import ConfigError

# kind -> (plot function name in simlib.analysis, the options it takes besides the common ones)
ACTIVITY_FIGURES = {
    "rates_boxplot": ("simlib.analysis.activity", "plot_rates_boxplot", ()),
    "rates": ("simlib.analysis.activity", "plot_rates", ("bin_ms",)),
    "isi_cv": ("simlib.analysis.isi", "plot_isi_cv", ("min_spikes",)),
    "synchrony": ("simlib.analysis.synchrony", "plot_synchrony", ("bin_ms", "max_pairs", "seed")),
}


def connectivity_figure(circuit_config, output, group_by: str | None = "pop_name", measure: str = "synapses",
                        title: str | None = None) -> Path:
    """Draw :func:`simlib.analysis.connectivity.plot_connectivity` of a circuit config into ``output`` (PNG/SVG/PDF)."""
    from simlib.analysis.connectivity import plot_connectivity
    from simlib.analysis.output import save_figure

    ax = plot_connectivity(circuit_config, group_by, measure, title=title)
    return save_figure(ax.figure, output)


def positions_figure(circuit_config, output, population: str | None = None, group_by: str | None = "pop_name",
                     projections: Sequence[str] = ("xz", "xy"), title: str | None = None) -> Path:
    """Draw :func:`simlib.analysis.positions.plot_positions` of a circuit config's population into ``output``."""
    from simlib.analysis.output import save_figure
    from simlib.analysis.positions import plot_positions

    axes = plot_positions(circuit_config, population, group_by, projections, title=title)
    return save_figure(axes[0].figure, output)


def population_nodes(circuit_config, population: str):
    """The node table of ``population`` in a circuit config (FormatError naming the populations it has)."""
    from simlib.sonata.circuit import find_nodes, read_circuit_config
    from simlib.sonata.nodes import read_nodes

    nodes_file, types_file = find_nodes(read_circuit_config(circuit_config), population, circuit_config)
    return read_nodes(nodes_file, types_file, population)


def activity_figure(kind: str, spikes_file, circuit_config, output, t_range: Sequence[float],
                    population: str | None = None, group_by: str | None = "pop_name", title: str | None = None,
                    **options) -> Path:
    """Draw one activity figure of a spikes file, the cells taken from a circuit config, into ``output``.

    Parameters
    ----------
    kind : str
        One of :data:`ACTIVITY_FIGURES`: ``rates_boxplot``, ``rates``, ``isi_cv`` or ``synchrony``.
    spikes_file : path
        SONATA, CSV or NWB spikes.
    circuit_config : path
        The network's circuit config; every node of the population counts (silent cells too).
    output : path
        The figure file.
    t_range : (float, float)
        Window ``[start_ms, stop_ms)``.
    population : str, optional
        Spike population (default the file's only one).
    group_by : str or None
        Node attribute that forms the groups.
    options
        The kind's own: ``bin_ms`` (rates, synchrony), ``min_spikes`` (isi_cv), ``max_pairs``, ``seed`` (synchrony).

    Raises
    ------
    ConfigError
        An unknown kind or option, and the plot's own errors, prefixed by the file they concern.
    """
    import importlib

    from simlib.analysis.cells import check_group_by, check_window
    from simlib.analysis.output import save_figure
    from simlib.spikes import SpikeTrains

    if kind not in ACTIVITY_FIGURES:
        raise ConfigError(f"activity figure '{kind}' unknown; accepted: {', '.join(ACTIVITY_FIGURES)}")
    module, name, accepted = ACTIVITY_FIGURES[kind]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigError(f"{kind} figure: options {unknown} unknown; accepted: {', '.join(accepted) or 'none'}")
    t_range = check_window(t_range, f"{kind} figure")
    trains = SpikeTrains.load(spikes_file)
    if population is None:
        if len(trains.populations) != 1:
            raise ConfigError(f"{spikes_file}: holds spike populations {', '.join(trains.populations) or '(none)'}; "
                              "choose one with population= (--population)")
        population = trains.populations[0]
    nodes = population_nodes(circuit_config, population)
    check_group_by(nodes, group_by, str(circuit_config), population)
    plot = getattr(importlib.import_module(module), name)
    try:
        ax = plot(trains, nodes, group_by, t_range=t_range, population=population, title=title, **options)
    except ConfigError as exc:
        # the plot read the files into memory; say which one the problem is about
        raise ConfigError(f"{spikes_file}: {exc}") from None
    return save_figure(ax.figure, output)
