"""Connectivity between groups of cells: synapses, connections or convergence per (source, target) pair, as a matrix.

Every edge population of the circuit counts, virtual sources (LGN, other inputs) included. Groups
are the values of a node attribute (``pop_name`` by default) in each node population; a
population whose nodes lack the attribute (the tutorial's LGN has no ``pop_name``) is one group
named after the population, and a value found in two populations is labelled
``<population>:<value>`` in both so that they stay apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from simlib.analysis.cells import group_labels
from simlib.errors import ConfigError, FormatError

MEASURES = {
    "synapses": "synapses (sum of nsyns; an edge without nsyns is one synapse)",
    "connections": "connected cell pairs (a pair joined by several edges counts once)",
    "convergence": "mean synapses per target cell (silent inputs and unconnected cells included)",
}


def as_circuit(circuit):
    """A :class:`simlib.circuit.Circuit` from one, a circuit config path or a ``networks`` mapping."""
    from simlib.circuit import Circuit

    if isinstance(circuit, Circuit):
        return circuit
    if isinstance(circuit, Mapping):
        return Circuit(circuit, source="networks")
    if isinstance(circuit, (str, Path)):
        from simlib.sonata.circuit import read_circuit_config

        return Circuit(read_circuit_config(circuit), source=str(circuit))
    raise ConfigError(f"connection_matrix: circuit: expected a Circuit, a circuit config file or a networks "
                      f"mapping, got {type(circuit).__name__}")


def _population_groups(circuit, group_by: str | None) -> dict[str, tuple[list[str], np.ndarray]]:
    """Per node population: the labels of its groups and each node's group (in table order)."""
    if group_by is not None and not any(group_by in pop.nodes.columns for pop in circuit.populations.values()):
        columns = sorted({str(c) for pop in circuit.populations.values() for c in pop.nodes.columns})
        raise ConfigError(f"{circuit.source}: connection_matrix: group_by: '{group_by}' is not a node attribute of "
                          f"any population ({', '.join(circuit.populations)}); the nodes have {', '.join(columns)}")
    values = {}
    for name, pop in circuit.populations.items():
        if group_by is None or group_by not in pop.nodes.columns:
            values[name] = ([name], np.zeros(pop.size, dtype=np.int64))
        else:
            labels, codes = group_labels(pop.nodes[group_by].to_numpy())
            values[name] = ([str(v) for v in labels], codes)
    seen: dict[str, int] = {}
    for labels, _ in values.values():
        for label in set(labels):
            seen[label] = seen.get(label, 0) + 1
    return {name: ([f"{name}:{v}" if seen[v] > 1 and v != name else v for v in labels], codes)
            for name, (labels, codes) in values.items()}


def _edge_arrays(ref) -> tuple[str, str, np.ndarray, np.ndarray, np.ndarray]:
    """Source and target population names, source and target node ids and synapse count of every edge."""
    from simlib.sonata.columns import population_columns
    from simlib.sonata.edges import EDGE_DATASETS, read_edge_population

    pop = read_edge_population(ref.edges_file, ref.name)
    for side, name in (("source", pop.source_population), ("target", pop.target_population)):
        if not name:
            raise FormatError(f"{ref.edges_file}: edge population '{ref.name}': {side}_node_id has no "
                              "node_population attribute; expected the name of a node population")
    columns = population_columns(pop, "edge", EDGE_DATASETS, ref.edge_types_file or None, ref.edges_file)[0]
    nsyns = np.ones(len(pop.source_node_id))
    if "nsyns" in columns:
        values = pd.to_numeric(pd.Series(columns["nsyns"]), errors="coerce").to_numpy(dtype=float)
        nsyns = np.where(np.isnan(values), 1.0, values)
    return pop.source_population, pop.target_population, pop.source_node_id, pop.target_node_id, nsyns


def connection_matrix(circuit, group_by: str | None = "pop_name", measure: str = "synapses") -> pd.DataFrame:
    """Count what joins each source group to each target group.

    Parameters
    ----------
    circuit : Circuit, path or mapping
        A :class:`simlib.circuit.Circuit`, a circuit config file (the ``circuit_config.json`` that
        ``simlib build-network`` writes), or a ``networks`` mapping (``{"nodes": [...], "edges": [...]}``).
    group_by : str or None
        Node attribute that forms the groups (None: one group per node population). Populations
        without it are one group named after the population.
    measure : {'synapses', 'connections', 'convergence'}
        ``synapses``: total synapses (the sum of ``nsyns``; an edge without it is one synapse);
        ``connections``: distinct connected (source cell, target cell) pairs, however many edges join them;
        ``convergence``: synapses divided by the number of cells of the target group, i.e. the mean number
        of synapses a target cell receives from the source group.

    Returns
    -------
    pandas.DataFrame
        Rows: source groups; columns: target groups — the groups of the node populations that are a source
        (rows) or a target (columns) of some edge population, in the circuit's population order and sorted
        within a population. Integers for synapses and connections, floats for convergence. ``attrs``:
        ``measure``, ``group_by``, ``target_cells`` (cells per column).

    Raises
    ------
    ConfigError
        An unknown measure, a ``group_by`` no node population has, a circuit without edges, or an edge
        population whose source or target population is not in the circuit.
    FormatError
        Unreadable edge files, or edges naming node ids their population lacks.
    """
    if measure not in MEASURES:
        raise ConfigError(f"connection_matrix: measure: '{measure}' unknown; accepted: {', '.join(MEASURES)}")
    circuit = as_circuit(circuit)
    groups = _population_groups(circuit, group_by)
    refs = circuit.edge_populations()
    if not refs:
        raise ConfigError(f"{circuit.source}: the circuit has no edge populations; nothing connects the groups")
    synapses: dict[tuple[str, str], np.ndarray] = {}
    pair_keys: dict[tuple[str, str], list[np.ndarray]] = {}
    for ref in refs:
        src_pop, trg_pop, src, trg, nsyns = _edge_arrays(ref)
        for name in (src_pop, trg_pop):
            circuit.population(name, f"{ref.edges_file}: edge population '{ref.name}'")
        where = f"{ref.edges_file}: '/edges/{ref.name}/%s_node_id'"
        s_codes = groups[src_pop][1][circuit.populations[src_pop].rows(src, where % "source")]
        t_codes = groups[trg_pop][1][circuit.populations[trg_pop].rows(trg, where % "target")]
        n_s, n_t = len(groups[src_pop][0]), len(groups[trg_pop][0])
        counts = np.bincount(s_codes * n_t + t_codes, weights=nsyns, minlength=n_s * n_t).reshape(n_s, n_t)
        synapses[src_pop, trg_pop] = synapses.get((src_pop, trg_pop), 0) + counts
        pair_keys.setdefault((src_pop, trg_pop), []).append(src * circuit.populations[trg_pop].id_span + trg)
    sources = [p for p in circuit.populations if any(s == p for s, _ in synapses)]
    targets = [p for p in circuit.populations if any(t == p for _, t in synapses)]
    rows = [label for p in sources for label in groups[p][0]]
    cols = [label for p in targets for label in groups[p][0]]
    out = np.zeros((len(rows), len(cols)))
    row0 = dict(zip(sources, np.cumsum([0] + [len(groups[p][0]) for p in sources])))
    col0 = dict(zip(targets, np.cumsum([0] + [len(groups[p][0]) for p in targets])))
    for (s, t), counts in synapses.items():
        if measure == "connections":
            span = circuit.populations[t].id_span
            keys = np.unique(np.concatenate(pair_keys[s, t]))
            s_codes = groups[s][1][circuit.populations[s].rows(keys // span)]
            t_codes = groups[t][1][circuit.populations[t].rows(keys % span)]
            counts = np.bincount(s_codes * counts.shape[1] + t_codes, minlength=counts.size).reshape(counts.shape)
        out[row0[s]:row0[s] + counts.shape[0], col0[t]:col0[t] + counts.shape[1]] += counts
    target_cells = np.concatenate([np.bincount(groups[p][1], minlength=len(groups[p][0])) for p in targets])
    key = group_by or "population"
    if measure == "convergence":
        frame = pd.DataFrame(out / target_cells[None, :], index=rows, columns=cols)
    else:
        frame = pd.DataFrame(np.rint(out).astype(np.int64), index=rows, columns=cols)
    frame.index.name, frame.columns.name = f"source {key}", f"target {key}"
    frame.attrs.update(measure=measure, group_by=group_by, target_cells=dict(zip(cols, target_cells.tolist())))
    return frame


def plot_connectivity(circuit, group_by: str | None = "pop_name", measure: str = "synapses", *,
                      annotate: bool | None = None, title: str | None = None, ax=None):
    """Heat map of :func:`connection_matrix` (sources as rows, targets as columns), with the numbers written in.

    Parameters
    ----------
    circuit : Circuit, path, mapping or DataFrame
        As :func:`connection_matrix`, or a matrix it returned.
    group_by, measure
        As :func:`connection_matrix` (ignored when ``circuit`` is a matrix).
    annotate : bool, optional
        Write each cell's value; default when the matrix has at most 30 rows and 30 columns.
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (a new figure when None); the colour bar takes room from it.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ConfigError
        As :func:`connection_matrix`.
    """
    import matplotlib.pyplot as plt

    matrix = circuit if isinstance(circuit, pd.DataFrame) else connection_matrix(circuit, group_by, measure)
    measure = matrix.attrs.get("measure", measure)
    n_rows, n_cols = matrix.shape
    if ax is None:
        _, ax = plt.subplots(figsize=(min(16.0, 2.5 + 0.75 * n_cols), min(14.0, 2.0 + 0.55 * n_rows)))
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="viridis", aspect="auto", interpolation="nearest",
                      vmin=0.0, vmax=max(float(values.max()) if values.size else 0.0, 1e-12))
    ax.figure.colorbar(image, ax=ax, label=MEASURES[measure].split(" (")[0])
    ax.set_xticks(np.arange(n_cols), [str(c) for c in matrix.columns], rotation=45, ha="right")
    ax.set_yticks(np.arange(n_rows), [str(r) for r in matrix.index])
    ax.set_xlabel(str(matrix.columns.name or "target"))
    ax.set_ylabel(str(matrix.index.name or "source"))
    if annotate if annotate is not None else (n_rows <= 30 and n_cols <= 30):
        top = values.max() if values.size else 0.0
        for (r, c), v in np.ndenumerate(values):
            text = f"{v:.1f}" if measure == "convergence" else f"{int(round(v))}"
            ax.text(c, r, text, ha="center", va="center", fontsize=8,
                    color="black" if top and v > 0.6 * top else "white")
    ax.set_title(title if title is not None else measure)
    return ax
