"""Spontaneous rates of single-subunit LGN units: ``spont_fr``, else BMTK's rates from LGN recordings.

A single-subunit unit adds its spontaneous rate (Hz) to its filtered input before
rectification. It is the node's ``spont_fr``; without one BMTK takes the mean spontaneous rate of
the recorded LGN cells of the unit's subclass, from experimental data shipped inside its package
(``<type>_cell_data.csv``: a ``Spont`` rate and ``F0_TF*`` responses per recorded cell). simlib
ships those means as a table of numbers (:mod:`simlib.filternet.spontaneous`); a
``cell_metrics_dir`` the user passes overrides the table, and is read without pandas and to the
bit of BMTK's pandas groupby mean (:func:`spont_rate_from_cell_metrics`). :func:`spont_rates`
combines these for the nodes of a node table.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError
from simlib.filternet import models
from simlib.filternet.nodes import NodeTable
from simlib.filternet.spontaneous import NoSpontaneousRateError, default_spont_rate


def spont_rate_from_cell_metrics(cell_type: str, tf_label: str, cell_metrics_dir) -> float:
    """BMTK's fallback spontaneous rate (Hz) of a single-subunit type, from its experimental CSV.

    BMTK (``lgnmodel/cellmetrics.py``) reads ``<cell_type>_cell_data.csv`` from a folder inside
    its package, labels each recorded cell by the temporal frequency of its largest F0 response
    (columns ``F0_TF1`` ... ``F0_TF15``; the first on ties, missing values ignored) and takes the
    mean ``Spont`` of the cells labelled `tf_label` (pandas' groupby mean: compensated summation
    in file order, missing values skipped). For BMTK's own folder this gives the numbers of
    :data:`simlib.filternet.spontaneous.SPONT_RATES_HZ`; use it for other recordings in that format.

    Raises
    ------
    ConfigError
        If the CSV is missing or unreadable, a cell has no F0 value, or no cell has that label
        (BMTK: KeyError).
    """
    path = Path(cell_metrics_dir) / f"{cell_type}_cell_data.csv"
    columns = _read_cell_metrics(path, cell_type)
    f0 = [name for name in columns if name.startswith("F0_TF")]
    if not f0 or "Spont" not in columns:
        raise ConfigError(f"{path}: expected columns Spont and F0_TF*, got {list(columns)}")
    responses = np.column_stack([columns[name] for name in f0])
    no_f0 = np.flatnonzero(np.isnan(responses).all(axis=1))
    if no_f0.size:
        raise ConfigError(f"{path}: the cell(s) in data row(s) {(no_f0 + 1).tolist()} have no F0_TF* value, so "
                          "their temporal frequency label is undefined")
    labels = np.array([name[3:] for name in f0])[np.nanargmax(responses, axis=1)]
    if tf_label not in labels:
        raise ConfigError(f"{path}: no {cell_type} cell has its peak F0 at {tf_label}, so BMTK's fallback "
                          f"spontaneous rate is undefined (labels present: {sorted(set(labels.tolist()))}); "
                          "give spont_fr")
    spont = columns["Spont"][labels == tf_label]
    return _compensated_mean(spont[~np.isnan(spont)])


# pandas.read_csv's default words for a missing value
_MISSING = frozenset(("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                      "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"))


def _read_cell_metrics(path: Path, cell_type: str) -> dict[str, np.ndarray | None]:
    """The columns of a cell-metrics CSV by name: Spont and F0_TF* as floats (NaN where missing), the others None."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [row for row in csv.reader(fh) if row]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path}: cannot read the cell metrics of {cell_type} ({exc})") from None
    if not rows:
        raise ConfigError(f"{path}: cannot read the cell metrics of {cell_type} (the file is empty)")
    header, body = rows[0], rows[1:]
    columns = dict.fromkeys(header)
    for j, name in enumerate(header):
        if name != "Spont" and not name.startswith("F0_TF"):
            continue
        values = np.empty(len(body))
        for i, row in enumerate(body):
            cell = row[j].strip() if j < len(row) else ""
            try:
                values[i] = np.nan if cell in _MISSING else float(cell)
            except ValueError:
                raise ConfigError(f"{path}: column {name}, data row {i + 1}: expected a number, got {cell!r}") from None
        columns[name] = values
    return columns


def _compensated_mean(values: np.ndarray) -> float:
    """Mean by Kahan-compensated summation in order, as pandas' groupby mean computes it; NaN if empty."""
    total = compensation = 0.0
    for value in values.tolist():
        y = value - compensation
        t = total + y
        compensation = t - total - y
        if math.isnan(compensation):        # an infinite value: keep it rather than NaN
            compensation = 0.0
        total = t
    return total / values.size if values.size else float("nan")


def spont_rates(table: NodeTable, names: np.ndarray, rows: np.ndarray, cell_metrics_dir=None) -> np.ndarray:
    """(n,) spontaneous rates (Hz) of the nodes at `rows`: ``spont_fr``, else the rate of their model's subclass.

    Parameters
    ----------
    table : NodeTable
    names : (n,) model names (:func:`simlib.filternet.models.model_names`)
    rows : index array of the single-subunit nodes
    cell_metrics_dir : path or None
        Folder of ``<type>_cell_data.csv`` files giving the rates of nodes without ``spont_fr``;
        None (the default) uses BMTK's rates, :data:`simlib.filternet.spontaneous.SPONT_RATES_HZ`.

    Raises
    ------
    NoSpontaneousRateError
        Nodes without ``spont_fr`` whose subclass has no rate in BMTK's table (a KeyError in BMTK).
    NodeTableError
        A rate that is not finite.
    ConfigError
        A cell-metrics CSV that cannot give the rate (see :func:`spont_rate_from_cell_metrics`).
    """
    spont = table.numbers("spont_fr")[:, 0]
    missing = rows[np.isnan(spont[rows])]
    for model in sorted(set(names[missing])):
        at = missing[names[missing] == model]
        cell, tf = models.cell_type(model), models.tf_label(model)
        if cell_metrics_dir is not None:
            spont[at] = spont_rate_from_cell_metrics(cell, tf, cell_metrics_dir)
            continue
        try:
            spont[at] = default_spont_rate(cell, tf)
        except NoSpontaneousRateError as exc:
            raise NoSpontaneousRateError(f"{table.where(('spont_fr',))}{table.nodes_at(at)} (no spont_fr): {exc}") from None
    table.require_finite(spont, rows, ("spont_fr",), "spont_fr: expected a finite rate (Hz)")
    return spont
