"""Building LGN units from a node table, as BMTK's FilterNet default cell loader does.

:func:`build_units` reads each node's model (:mod:`~simlib.filternet.models`), field centre,
size and rotation, temporal parameters, jitter and random draws
(:mod:`~simlib.filternet.parameters`) and spontaneous rate (:mod:`~simlib.filternet.metrics`)
from the node table (:mod:`~simlib.filternet.nodes`), builds the subunits of single-subunit,
ON/OFF and two-subunit cells (:mod:`~simlib.filternet.two_subunit`) and returns them as
:class:`~simlib.filternet.subunits.LGNUnits`. The names of the models, :class:`LGNUnits` and
:func:`spont_rate_from_cell_metrics` are importable from here as well.
"""

from __future__ import annotations

import numpy as np

from simlib.errors import ConfigError
from simlib.filternet.metrics import spont_rate_from_cell_metrics, spont_rates
from simlib.filternet.models import (
    ACCEPTED_MODELS,
    ON_OFF_MODEL,
    SINGLE_TYPES,
    TWO_SUBUNIT_MODELS,
    cell_type,
    model_names,
)
from simlib.filternet.nodes import NodeSource, NodeTable, NodeTableError
from simlib.filternet.parameters import (
    DOMINANT_COLUMNS,
    KernelBank,
    RandomDraws,
    check_temporal,
    field_sigma,
    jitter_bounds,
    jittered,
    temporal_params,
)
from simlib.filternet.subunits import LGNUnits, SubunitBlock, assemble
from simlib.filternet.two_subunit import two_subunit_blocks

__all__ = ["ACCEPTED_MODELS", "LGNUnits", "NodeSource", "NodeTableError", "ON_OFF_MODEL", "SINGLE_TYPES",
           "TWO_SUBUNIT_MODELS", "build_units", "spont_rate_from_cell_metrics"]


def build_units(nodes, filter_models_dir=None, *, seed: int | None = None, jitter=None,
                cell_metrics_dir=None, source: NodeSource | None = None) -> LGNUnits:
    """Build the LGN units of a node table, as BMTK's FilterNet ``default_cell_loader`` does.

    Parameters
    ----------
    nodes : pandas.DataFrame or mapping of column name -> 1-D array
        One row per node (e.g. :func:`simlib.sonata.nodes.read_nodes` or
        :func:`~simlib.sonata.nodes.read_node_columns` with the types table):
        ``node_id`` (else the DataFrame's index); ``model_template`` = ``lgnmodel:<model>`` (else
        ``pop_name``); ``x``, ``y`` (degrees); ``spatial_size`` (or ``sigma``; degrees, one
        number or a pair; sigma = value / 3; else the JSON's, else 1); ``spatial_rotation``
        (degrees, default 0); ``spont_fr`` (Hz); ``dynamics_params`` (a JSON in
        `filter_models_dir` with ``opt_wts``, ``opt_kpeaks``, ``opt_delays``), overridden by
        ``weights``/``kpeaks``/``delays`` or BMTK's other column names (``opt_wts``,
        ``weights_dom``, ``weight_dom_0``/``_1``, ...); ``jitter_lower``/``jitter_upper``.
        Two-subunit cells (``sONsOFF_001``, ``sONtOFF_001``) also use ``tuning_angle`` (degrees;
        uniform in [0, 360) when absent, as in BMTK), ``sf_sep`` (degrees) and
        ``non_dom_params`` (a JSON) or ``*_non_dom`` columns; ``LGNOnOFFCell`` uses ``sigma_on``
        and ``sigma_off`` (degrees, used as sigma).
    filter_models_dir : path, optional
        Folder of the ``dynamics_params`` / ``non_dom_params`` JSON files.
    seed : int, optional
        Seed of the jitter and of missing tuning angles. Each node has its own stream
        (``SeedSequence(seed, spawn_key=(tag, node_id))``), so a unit does not depend on the
        other nodes or on how nodes are split across MPI ranks. 0 is a seed; None draws fresh
        entropy (kept in ``LGNUnits.seed_entropy``).
    jitter : (float, float), optional
        Network-wide (lower, upper) jitter for nodes without ``jitter_lower``/``jitter_upper``:
        each temporal parameter (and ``sf_sep``) x becomes uniform(lower x, upper x). BMTK reads
        ``conditions.jitter`` but never applies it (its loader only jitters nodes with both
        columns); simlib applies it.
    cell_metrics_dir : path, optional
        Folder of ``<type>_cell_data.csv`` recordings giving single-subunit nodes without
        ``spont_fr`` their rate (see :func:`spont_rate_from_cell_metrics`); by default they get
        BMTK's rates (:data:`simlib.filternet.spontaneous.SPONT_RATES_HZ`).
    source : NodeSource, optional
        The files `nodes` was read from (see :func:`simlib.filternet.nodes.read_node_table`):
        messages about node data then name the nodes h5 file or the node-types CSV holding the
        column concerned.

    Returns
    -------
    LGNUnits

    Raises
    ------
    NodeTableError
        A :class:`~simlib.errors.FormatError` (and :class:`~simlib.errors.ConfigError`) on data
        problems of the node table: unknown models or templates (listing the accepted ones), a
        dynamics JSON missing from `filter_models_dir` (listing those present), missing or invalid
        parameters (naming the nodes and values); the message names the file holding the column
        when `source` is given.
    NoSpontaneousRateError
        A ``ConfigError`` and ``KeyError``: nodes without ``spont_fr`` whose subclass has no rate
        in BMTK's table (e.g. ``tON_TF4``), when no `cell_metrics_dir` is given.
    ConfigError
        Invalid `jitter` or `seed`, `nodes` that is not a node table, no `filter_models_dir` for
        nodes naming JSON files, an unreadable filter JSON or cell-metrics CSV.
    """
    table = NodeTable(nodes, filter_models_dir, source)
    node_ids = table.node_ids
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ConfigError(f"build_units: seed: expected None or an integer >= 0, got {seed!r}")
    jitter_lower = jitter_upper = None
    if jitter is not None:
        pair = np.asarray(jitter, dtype=np.float64).reshape(-1)
        if pair.size == 2:
            jitter_lower, jitter_upper = pair
        if pair.size != 2 or not (np.all(np.isfinite(pair)) and jitter_lower <= jitter_upper):
            raise ConfigError(f"build_units: jitter: expected (lower, upper) with lower <= upper, got {jitter!r}")
    every = np.arange(len(node_ids))

    names = model_names(table)
    x, y = table.numbers("x")[:, 0], table.numbers("y")[:, 0]
    table.require_finite(np.c_[x, y], every, ("x", "y"), "x, y: expected the receptive-field centre in degrees")
    rotation = table.numbers("spatial_rotation")[:, 0]
    rotation[np.isnan(rotation)] = 0.0
    dynamics = table.json_files("dynamics_params")
    sigma = field_sigma(table, dynamics)
    table.require_finite(np.where(sigma >= 0, sigma, np.nan), every, ("spatial_size", "sigma"),
                         "spatial_size: expected sizes >= 0 degrees")
    bounds = jitter_bounds(table, jitter_lower, jitter_upper)
    two = np.array([m in TWO_SUBUNIT_MODELS for m in names], dtype=bool)
    angle = table.numbers("tuning_angle")[:, 0]
    needs_random = bounds.active | (two & np.isnan(angle))
    entropy = np.random.SeedSequence(None if seed is None else int(seed)).entropy
    draws = RandomDraws.draw(node_ids, needs_random, entropy)

    dominant = temporal_params(table, dynamics, DOMINANT_COLUMNS, every, "dynamics_params")
    dominant = jittered(dominant, every, bounds, draws.dominant)
    check_temporal(dominant, every, table, "")
    bank = KernelBank()
    blocks: list[SubunitBlock] = []

    rows = np.flatnonzero(np.array([cell_type(m) is not None for m in names], dtype=bool))
    if rows.size:
        spont = spont_rates(table, names, rows, cell_metrics_dir)
        on = np.array([cell_type(m) in ("sON", "tON") for m in names[rows]])
        blocks.append(SubunitBlock(unit=rows, order=0, x_deg=x[rows], y_deg=y[rows], sigma_deg=sigma[rows],
                                   rotation_deg=rotation[rows], amplitude=np.where(on, 1.0, -1.0),
                                   offset_hz=spont[rows], kernel_index=bank.indices(dominant, rows)))

    rows = np.flatnonzero(names == ON_OFF_MODEL)
    if rows.size:
        # BMTK: sigma_on / sigma_off used as sigma (no division by 3), amplitudes +-20, no spontaneous rate
        kernel = bank.indices(dominant, rows)
        for order, (name, amplitude) in enumerate((("sigma_on", 20.0), ("sigma_off", -20.0))):
            on_off_sigma = table.first((name,))
            table.require_finite(on_off_sigma, rows, (name,), f"{name}: required by {ON_OFF_MODEL} (degrees)")
            blocks.append(SubunitBlock(unit=rows, order=order, x_deg=x[rows], y_deg=y[rows],
                                       sigma_deg=on_off_sigma[rows], rotation_deg=np.zeros(rows.size),
                                       amplitude=np.full(rows.size, amplitude), offset_hz=np.zeros(rows.size),
                                       kernel_index=kernel))

    rows = np.flatnonzero(two)
    if rows.size:
        blocks.extend(two_subunit_blocks(table, names, rows, dominant, bounds, draws, angle, x, y, sigma, rotation,
                                         bank))

    return assemble(blocks, node_ids, names, bank.matrix(), entropy if needs_random.any() else None)
