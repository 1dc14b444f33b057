"""LGN units from a node table: filter parameters, ON/OFF and two-subunit cells, as BMTK's default cell loader."""

from __future__ import annotations

import ast
import csv
import json
import math
import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError
from simlib.filternet.temporal import temporal_kernels

SINGLE_TYPES = ("sON", "sOFF", "tON", "tOFF")
"""Cell types of single-subunit units, used as ``<type>_<TF>`` (e.g. ``sON_TF8``); ON types have amplitude +1."""

TWO_SUBUNIT_MODELS = {"sONsOFF_001": "sONsOFF", "sONsOFF": "sONsOFF", "sONtOFF_001": "sONtOFF", "sONtOFF": "sONtOFF"}
ON_OFF_MODEL = "LGNOnOFFCell"
ACCEPTED_MODELS = tuple(f"{t}_<TF>" for t in SINGLE_TYPES) + SINGLE_TYPES + tuple(TWO_SUBUNIT_MODELS) + (ON_OFF_MODEL,)

# BMTK's constants of the two-subunit cells (default_setters/cell_loaders.py): time-to-peak
# targets (ms) of the ON and OFF kernels, and the rates used to balance the two subunits.
_TWO_SUBUNIT = {
    "sONsOFF": dict(ttp_on_ms=121.0, ttp_off_ms=115.0, spont_hz=4.0, max_off_hz=35.0, max_on_hz=21.0, scale=1.0),
    "sONtOFF": dict(ttp_on_ms=93.5, ttp_off_ms=64.8, spont_hz=5.5, max_off_hz=46.0, max_on_hz=31.0, scale=0.7),
}
_FIT_WINDOW = 600       # samples BMTK reads (its default 600 ms grid) when re-fitting two-subunit delays

# Node columns BMTK accepts for the temporal parameters, in its order of preference; a pair of
# names means two scalar columns. The last resort is the JSON key.
_DOMINANT_COLUMNS = {
    "weights": ("weights", "opt_wts", "weights_dom", ("weight_dom_0", "weight_dom_1")),
    "kpeaks": ("kpeaks", "opt_kpeaks", "kpeaks_dom", ("kpeaks_dom_0", "kpeaks_dom_1")),
    "delays": ("delays", "opt_delays", "delays_dom", ("delays_dom_0", "delays_dom_1"),
               ("delay_dom_0", "delay_dom_1")),
}
_NON_DOMINANT_COLUMNS = {
    "weights": ("weights_non_dom", ("weight_non_dom_0", "weight_non_dom_1")),
    "kpeaks": ("kpeaks_non_dom", ("kpeaks_non_dom_0", "kpeaks_non_dom_1")),
    "delays": ("delays_non_dom", ("delay_non_dom_0", "delay_non_dom_1")),
}
_JSON_KEYS = {"weights": "opt_wts", "kpeaks": "opt_kpeaks", "delays": "opt_delays"}

_STREAM = zlib.crc32(b"simlib.filternet.units")
_N_DRAWS = 14   # per node: 6 dominant jitters, 6 non-dominant, sf_sep, tuning angle (a fixed layout)
_SHOWN = 10     # nodes named per problem in error messages


@dataclass
class LGNUnits:
    """LGN units as arrays of subunits (one per unit, two for two-subunit cells).

    A unit's rate (Hz) is ``sum over its subunits s of max(0, amplitude[s] * L_s(t) + offset_hz[s])``,
    where ``L_s`` is the movie filtered by the subunit's Gaussian field (weights summing to 1)
    and its temporal kernel ``kernels[kernel_index[s]]`` (1 ms samples, index 0 = lag 0).

    Attributes
    ----------
    node_ids : (n_units,) int64
    model_names : (n_units,) str, e.g. ``sON_TF8``
    subunit_unit : (n_subunits,) index of each subunit's unit, non-decreasing
    x_deg, y_deg : (n_subunits,) field centres (degrees)
    sigma_deg : (n_subunits, 2) Gaussian sigma along x (columns) and y (rows), degrees
    rotation_deg : (n_subunits,)
    amplitude : (n_subunits,) +1 ON, -1 OFF, or the fitted amplitudes of two-subunit cells
    offset_hz : (n_subunits,) added before rectification: the spontaneous rate, or half of
        BMTK's fixed rate for each subunit of a two-subunit cell
    kernel_index : (n_subunits,) row of `kernels`
    kernels : (n_kernels, n_samples) distinct temporal kernels, zero-padded, 1 ms samples
    seed_entropy : entropy of the random streams (jitter, missing tuning angles), None if unused
    """

    node_ids: np.ndarray
    model_names: np.ndarray
    subunit_unit: np.ndarray
    x_deg: np.ndarray
    y_deg: np.ndarray
    sigma_deg: np.ndarray
    rotation_deg: np.ndarray
    amplitude: np.ndarray
    offset_hz: np.ndarray
    kernel_index: np.ndarray
    kernels: np.ndarray
    seed_entropy: int | None = None

    @property
    def n_units(self) -> int:
        return int(self.node_ids.size)

    @property
    def n_subunits(self) -> int:
        return int(self.subunit_unit.size)


# --- reading the node table ------------------------------------------------------------------

def _parse(value):
    """A cell value as a number or list (lists may arrive as text from a node-types CSV); None if missing."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text in ("", "NULL", "None"):
            return None
        if text[:1] in "[(":
            try:
                return ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return text
        return text
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _array(column, dtype) -> np.ndarray:
    """A node-table column (a pandas Series or a 1-D array) as a numpy array of `dtype`."""
    if hasattr(column, "to_numpy"):
        return column.to_numpy(dtype=dtype)
    return np.asarray(column, dtype=dtype)


class _Table:
    """Column access with BMTK's look-up rules: a missing column, None or NaN means absent.

    `nodes` is a pandas DataFrame or a mapping of column name -> 1-D array (both answer ``name in nodes``
    and ``nodes[name]``).
    """

    def __init__(self, nodes, node_ids: np.ndarray, filter_models_dir):
        self.nodes = nodes
        self.node_ids = node_ids
        self.n = node_ids.size
        self.dir = None if filter_models_dir is None else Path(filter_models_dir)
        self._json: dict = {}

    def values(self, name: str) -> list:
        if name not in self.nodes:
            return [None] * self.n
        return [_parse(v) for v in _array(self.nodes[name], object)]

    def numbers(self, name: str, width: int = 1, scalar_fills: bool = True) -> np.ndarray:
        """(n, width) floats, NaN where absent; a scalar fills all `width` entries if `scalar_fills`
        (BMTK's isotropic sizes), else it is an error."""
        out = np.full((self.n, width), np.nan)
        if name not in self.nodes:
            return out
        column = self.nodes[name]
        if column.dtype.kind in "iuf" and (width == 1 or scalar_fills):
            out[:] = _array(column, np.float64)[:, None]
            return out
        bad = []
        for i, value in enumerate(self.values(name)):
            if value is None:
                continue
            try:
                row = np.asarray(value, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                row = np.zeros(0)
            if row.size == 1 and (width == 1 or scalar_fills):
                out[i] = row[0]
            elif row.size == width:
                out[i] = row
            else:
                bad.append(i)
        if bad:
            expected = "a number" if width == 1 else f"1 or {width} numbers" if scalar_fills else f"{width} numbers"
            raise ConfigError(f"{name}: expected {expected} per node, "
                              f"got {self.values(name)[bad[0]]!r} for {_nodes(self.node_ids[bad])}")
        return out

    def first(self, names, width: int = 2, scalar_fills: bool = True) -> np.ndarray:
        """(n, width) values of the first present column among `names` (a tuple = scalar columns), per node."""
        out = np.full((self.n, width), np.nan)
        for name in names:
            if isinstance(name, tuple):
                value = np.concatenate([self.numbers(part) for part in name], axis=1)
            else:
                value = self.numbers(name, width, scalar_fills)
            fill = np.isnan(out).all(axis=1) & ~np.isnan(value).any(axis=1)
            out[fill] = value[fill]
        return out

    def json_files(self, column: str) -> list:
        """The JSON named in `column` for each node (dict or None), read once per file from filter_models_dir."""
        out = []
        for i, value in enumerate(self.values(column)):
            if value is None or isinstance(value, dict):
                out.append(value)
                continue
            out.append(self._read_json(str(value), column, i))
        return out

    def _read_json(self, name: str, column: str, i: int) -> dict:
        if self.dir is None:
            raise ConfigError(f"LGN node {self.node_ids[i]}: {column}={name!r}, but no filter_models_dir was given")
        path = self.dir / name
        if path not in self._json:
            if not path.is_file():
                held = sorted(p.name for p in self.dir.glob("*.json")) if self.dir.is_dir() else []
                raise ConfigError(f"LGN node {self.node_ids[i]}: {column}: unknown filter model {name!r} ({path} not "
                                  f"found); filter_models_dir {self.dir} holds {held or 'no .json files'}")
            try:
                self._json[path] = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise ConfigError(f"{path}: not a readable JSON filter model ({exc})") from None
        return self._json[path]


def _nodes(ids) -> str:
    ids = list(np.asarray(ids).tolist())
    more = f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    return f"node{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids[:_SHOWN]))}{more}"


def _model_names(table: _Table) -> np.ndarray:
    """Model name per node from ``lgnmodel:<model>`` templates, else pop_name; unknown ones raise together."""
    templates, pop_names = table.values("model_template"), table.values("pop_name")
    names, bad_directive, unnamed = [], [], []
    for i, (template, pop_name) in enumerate(zip(templates, pop_names)):
        if template is not None:
            directive, _, name = str(template).partition(":")
            if not name:
                directive, name = "lgnmodel", directive
            if directive.strip() != "lgnmodel":
                bad_directive.append((i, template))
            names.append(name.strip())
        elif pop_name is not None:
            names.append(str(pop_name).strip())
        else:
            unnamed.append(i)
            names.append("")
    names = np.array(names, dtype=object)
    if bad_directive:
        idx = [i for i, _ in bad_directive]
        raise ConfigError(f"model_template {bad_directive[0][1]!r} ({_nodes(table.node_ids[idx])}): FilterNet builds "
                          f"'lgnmodel:<model>' templates only, with <model> one of {list(ACCEPTED_MODELS)}")
    if unnamed:
        raise ConfigError(f"{_nodes(table.node_ids[unnamed])}: no model_template ('lgnmodel:<model>') and no pop_name; "
                          f"accepted models: {list(ACCEPTED_MODELS)}")
    known = np.array([_cell_type(m) is not None or m in TWO_SUBUNIT_MODELS or m == ON_OFF_MODEL for m in names])
    if not known.all():
        unknown = sorted(set(names[~known]))
        raise ConfigError(f"unknown filter model(s) {unknown} ({_nodes(table.node_ids[~known])}); accepted: "
                          f"{list(ACCEPTED_MODELS)} (<TF> e.g. TF8)")
    return names


def _cell_type(model: str) -> str | None:
    head = model.split("_")[0]
    return head if head in SINGLE_TYPES else None


def _tf_label(model: str) -> str:
    parts = model.split("_")
    return parts[1] if len(parts) > 1 else "TF8"    # BMTK's default when the name has no TF part


def _finite_or_raise(values: np.ndarray, rows: np.ndarray, table: _Table, what: str) -> None:
    if rows.size == 0:
        return
    bad = rows[~np.isfinite(values[rows].reshape(rows.size, -1)).all(axis=1)]
    if bad.size:
        raise ConfigError(f"{_nodes(table.node_ids[bad])}: {what}")


def _temporal(table: _Table, params: list, columns: dict, rows: np.ndarray, source: str) -> dict:
    """weights, kpeaks, delays (n, 2) of the given nodes: node columns first, then the JSON's opt_* keys."""
    out = {}
    for key, names in columns.items():
        value = table.first(names, scalar_fills=False)
        json_key = _JSON_KEYS[key]
        for i in rows[np.isnan(value[rows]).any(axis=1)]:
            if params[i] is not None and params[i].get(json_key) is not None:
                pair = np.asarray(params[i][json_key], dtype=np.float64).reshape(-1)
                if pair.size == 2:
                    value[i] = pair
        accepted = [n if isinstance(n, str) else "+".join(n) for n in names]
        _finite_or_raise(value, rows, table, f"no valid {key} (two numbers) for the temporal filter: expected a node "
                                             f"column among {accepted} or the key {json_key!r} in the {source} JSON")
        out[key] = value
    return out


def _check_temporal(p: dict, rows: np.ndarray, table: _Table, which: str) -> None:
    """BMTK's asserts on (weights, kpeaks, delays), for all the given nodes at once."""
    w, k, d = p["weights"][rows], p["kpeaks"][rows], p["delays"][rows]
    problems = []
    for bad, rule in (((k[:, 0] >= k[:, 1]), "kpeaks[0] < kpeaks[1]"), ((k <= 0).any(axis=1), "kpeaks > 0"),
                      ((w[:, 0] <= 0), "weights[0] > 0"), ((d[:, 0] > d[:, 1]), "delays[0] <= delays[1]"),
                      ((d < 0).any(axis=1), "delays >= 0"),
                      ((d[:, 1].astype(np.int64) - d[:, 0].astype(np.int64) >= 600), "delays[1] - delays[0] < 600")):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(f"expected {rule}, got weights={w[i].tolist()}, kpeaks={k[i].tolist()}, "
                            f"delays={d[i].tolist()} ({_nodes(table.node_ids[rows[bad]])})")
    if problems:
        raise ConfigError(f"invalid {which}temporal filter: " + "; ".join(problems))


def _jittered(p: dict, rows: np.ndarray, bounds: np.ndarray, draws: np.ndarray) -> dict:
    """BMTK's jitter on the given rows: each value x becomes uniform(lo * x, hi * x)."""
    out = {key: value.copy() for key, value in p.items()}
    active = rows[~np.isnan(bounds[rows, 0])]
    if active.size:
        values = np.concatenate([p["weights"][active], p["kpeaks"][active], p["delays"][active]], axis=1)
        lo, hi = bounds[active, 0:1], bounds[active, 1:2]
        values = values * lo + draws[active] * (values * hi - values * lo)
        out["weights"][active], out["kpeaks"][active], out["delays"][active] = np.split(values, 3, axis=1)
    return out


def _kernels_for(p: dict, rows: np.ndarray, bank: dict) -> np.ndarray:
    """Kernel index of each row, building each distinct (weights, kpeaks, whole-ms delays) once."""
    keys = np.concatenate([p["weights"][rows], p["kpeaks"][rows], np.trunc(p["delays"][rows])], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    new = [tuple(row) not in bank for row in unique.tolist()]
    if any(new):
        todo = unique[new]
        built, lengths = temporal_kernels(todo[:, 0:2], todo[:, 2:4], todo[:, 4:6])
        for row, kernel, length in zip(todo.tolist(), built, lengths):
            bank[tuple(row)] = (len(bank), kernel[:length])
    return np.array([bank[tuple(row)][0] for row in unique.tolist()], dtype=np.int64)[inverse.reshape(-1)]


def _refit(p: dict, rows: np.ndarray, ttp_ms: float, table: _Table, which: str) -> tuple[dict, np.ndarray]:
    """BMTK's createOneUnitOfTwoSubunitFilter: shift the delays so that the kernel's zero crossing
    (after its maximum, before its minimum, within 600 ms) lands at `ttp_ms`; also return the
    kernel's sum before the crossing."""
    kernels, _ = temporal_kernels(p["weights"][rows], p["kpeaks"][rows], p["delays"][rows])
    window = kernels[:, :_FIT_WINDOW]
    top, bottom = window.argmax(axis=1), window.argmin(axis=1)
    j = np.arange(_FIT_WINDOW - 1)[None, :]
    crosses = ((window[:, :-1] >= 0) & (window[:, 1:] < 0) & (j >= top[:, None]) & (j <= bottom[:, None] - 2))
    if not crosses.any(axis=1).all():
        bad = rows[~crosses.any(axis=1)]
        raise ConfigError(f"{_nodes(table.node_ids[bad])}: the {which} subunit's temporal kernel does not cross zero "
                          "between its maximum and minimum, so its delays cannot be fitted to the time to peak")
    tcross = crosses.argmax(axis=1) + 1
    lobe_sum = np.where(np.arange(_FIT_WINDOW)[None, :] < tcross[:, None], window, 0.0).sum(axis=1)
    offset = ttp_ms - tcross
    if np.any(offset < 0):
        bad = rows[offset < 0]
        raise ConfigError(f"{_nodes(table.node_ids[bad])}: the {which} subunit's kernel crosses zero later than the "
                          f"target time to peak {ttp_ms} ms, so its delays cannot be fitted")
    out = {key: value.copy() for key, value in p.items()}
    out["delays"][rows] = p["delays"][rows] + offset[:, None]
    return out, lobe_sum


def _jitter_bounds(table: _Table, default) -> np.ndarray:
    lower, upper = table.numbers("jitter_lower")[:, 0], table.numbers("jitter_upper")[:, 0]
    one_sided = np.isnan(lower) != np.isnan(upper)
    if one_sided.any():
        raise ConfigError(f"{_nodes(table.node_ids[one_sided])}: jitter_lower and jitter_upper: give both or neither")
    bounds = np.c_[lower, upper]
    if default is not None:
        bounds[np.isnan(lower)] = default
    bad = ~np.isnan(bounds[:, 0]) & ~(bounds[:, 0] <= bounds[:, 1])
    if bad.any():
        raise ConfigError(f"{_nodes(table.node_ids[bad])}: jitter: expected jitter_lower <= jitter_upper, got "
                          f"{bounds[bad][0].tolist()}")
    return bounds


def spont_rate_from_cell_metrics(cell_type: str, tf_label: str, cell_metrics_dir) -> float:
    """BMTK's fallback spontaneous rate (Hz) of a single-subunit type, from its experimental CSV.

    BMTK (``lgnmodel/cellmetrics.py``) reads ``<cell_type>_cell_data.csv`` from a folder inside
    its package, labels each recorded cell by the temporal frequency of its largest F0 response
    (columns ``F0_TF1`` ... ``F0_TF15``; the first on ties, missing values ignored) and takes the
    mean ``Spont`` of the cells labelled `tf_label` (pandas' groupby mean: compensated summation
    in file order, missing values skipped). simlib does not ship these data; pass the folder
    (bmtk's ``simulator/filternet/lgnmodel/cell_metrics``) to use them.

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


def _spont_rates(table: _Table, models: np.ndarray, rows: np.ndarray, cell_metrics_dir) -> np.ndarray:
    spont = table.numbers("spont_fr")[:, 0]
    missing = rows[np.isnan(spont[rows])]
    if missing.size and cell_metrics_dir is None:
        raise ConfigError(f"{_nodes(table.node_ids[missing])} ({', '.join(sorted(set(models[missing])))}): no "
                          "spont_fr. BMTK then takes a spontaneous rate from experimental CSVs shipped inside bmtk "
                          "(simulator/filternet/lgnmodel/cell_metrics/<type>_cell_data.csv), which simlib does not "
                          "ship: add a spont_fr column (Hz) to the nodes, or pass cell_metrics_dir= that folder")
    for model in sorted(set(models[missing])):
        at = missing[models[missing] == model]
        spont[at] = spont_rate_from_cell_metrics(_cell_type(model), _tf_label(model), cell_metrics_dir)
    _finite_or_raise(spont, rows, table, "spont_fr: expected a finite rate (Hz)")
    return spont


def _sigma(table: _Table, dynamics: list) -> np.ndarray:
    """Gaussian sigma (degrees, x then y) = spatial_size / 3 (BMTK divides a `sigma` property by 3 too)."""
    size = table.first(("spatial_size", "sigma"))
    for i in np.flatnonzero(np.isnan(size).any(axis=1)):
        params = dynamics[i] or {}
        value = params.get("spatial_size", params.get("sigma", 1.0))    # BMTK's default: 1 degree
        size[i] = np.broadcast_to(np.asarray(value, dtype=np.float64).reshape(-1), (2,))
    return size / 3.0


def _random_draws(node_ids: np.ndarray, needed: np.ndarray, entropy: int) -> np.ndarray:
    """(n, 14) uniform draws, from each node's own stream, for the nodes that need randomness (else NaN)."""
    draws = np.full((node_ids.size, _N_DRAWS), np.nan)
    for i in np.flatnonzero(needed):          # one generator per node: results do not depend on the split
        stream = np.random.SeedSequence(entropy, spawn_key=(_STREAM, int(node_ids[i])))
        draws[i] = np.random.default_rng(stream).random(_N_DRAWS)
    return draws


def build_units(nodes, filter_models_dir=None, *, seed: int | None = None, jitter=None,
                cell_metrics_dir=None) -> LGNUnits:
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
        Folder of BMTK's experimental ``<type>_cell_data.csv`` files, used only for
        single-subunit nodes without ``spont_fr`` (see :func:`spont_rate_from_cell_metrics`).

    Returns
    -------
    LGNUnits

    Raises
    ------
    ConfigError
        On unknown models or templates (listing the accepted ones), a missing filter JSON
        (listing those present), missing or invalid parameters (naming the nodes and values),
        a missing ``spont_fr`` without `cell_metrics_dir`, or invalid jitter or seed.
    """
    nodes, node_ids = _node_table(nodes)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ConfigError(f"build_units: seed: expected None or an integer >= 0, got {seed!r}")
    if jitter is not None:
        pair = np.asarray(jitter, dtype=np.float64).reshape(-1)
        if pair.size != 2 or not (np.all(np.isfinite(pair)) and pair[0] <= pair[1]):
            raise ConfigError(f"build_units: jitter: expected (lower, upper) with lower <= upper, got {jitter!r}")
        jitter = pair
    table = _Table(nodes, node_ids, filter_models_dir)
    every = np.arange(len(node_ids))

    models = _model_names(table)
    x, y = table.numbers("x")[:, 0], table.numbers("y")[:, 0]
    _finite_or_raise(np.c_[x, y], every, table, "x, y: expected the receptive-field centre in degrees")
    rotation = table.numbers("spatial_rotation")[:, 0]
    rotation[np.isnan(rotation)] = 0.0
    dynamics = table.json_files("dynamics_params")
    sigma = _sigma(table, dynamics)
    _finite_or_raise(np.where(sigma >= 0, sigma, np.nan), every, table, "spatial_size: expected sizes >= 0 degrees")
    bounds = _jitter_bounds(table, jitter)
    two = np.array([m in TWO_SUBUNIT_MODELS for m in models], dtype=bool)
    angle = table.numbers("tuning_angle")[:, 0]
    needs_random = ~np.isnan(bounds[:, 0]) | (two & np.isnan(angle))
    entropy = np.random.SeedSequence(None if seed is None else int(seed)).entropy
    draws = _random_draws(node_ids, needs_random, entropy)

    dominant = _temporal(table, dynamics, _DOMINANT_COLUMNS, every, "dynamics_params")
    dominant = _jittered(dominant, every, bounds, draws[:, 0:6])
    _check_temporal(dominant, every, table, "")
    bank: dict = {}
    parts = []   # (unit, order within unit, x, y, sigma x, sigma y, rotation, amplitude, offset, kernel)

    rows = np.flatnonzero(np.array([_cell_type(m) is not None for m in models], dtype=bool))
    if rows.size:
        spont = _spont_rates(table, models, rows, cell_metrics_dir)
        on = np.array([_cell_type(m) in ("sON", "tON") for m in models[rows]])
        parts.append((rows, 0, x[rows], y[rows], sigma[rows], rotation[rows], np.where(on, 1.0, -1.0), spont[rows],
                      _kernels_for(dominant, rows, bank)))

    rows = np.flatnonzero(models == ON_OFF_MODEL)
    if rows.size:
        # BMTK: sigma_on / sigma_off used as sigma (no division by 3), amplitudes +-20, no spontaneous rate
        kernel = _kernels_for(dominant, rows, bank)
        for order, (name, amplitude) in enumerate((("sigma_on", 20.0), ("sigma_off", -20.0))):
            field_sigma = table.first((name,))
            _finite_or_raise(field_sigma, rows, table, f"{name}: required by {ON_OFF_MODEL} (degrees)")
            parts.append((rows, order, x[rows], y[rows], field_sigma[rows], np.zeros(rows.size),
                          np.full(rows.size, amplitude), np.zeros(rows.size), kernel))

    rows = np.flatnonzero(two)
    if rows.size:
        parts.extend(_two_subunit_parts(table, models, rows, dominant, bounds, draws, angle, x, y, sigma, rotation,
                                        bank))

    if not parts:
        empty = np.zeros(0)
        parts = [(np.zeros(0, np.int64), 0, empty, empty, np.zeros((0, 2)), empty, empty, empty,
                  np.zeros(0, np.int64))]
    unit = np.concatenate([p[0] for p in parts])
    order = np.concatenate([np.full(p[0].size, p[1]) for p in parts])
    column = [np.concatenate([np.broadcast_to(p[k], (p[0].size,) + np.shape(p[k])[1:]) for p in parts])
              for k in range(2, 9)]
    sort = np.lexsort((order, unit))
    kernels = np.zeros((len(bank), max((k.size for _, k in bank.values()), default=0)))
    for index, kernel in bank.values():
        kernels[index, :kernel.size] = kernel
    return LGNUnits(node_ids=node_ids, model_names=models, subunit_unit=unit[sort], x_deg=column[0][sort],
                    y_deg=column[1][sort], sigma_deg=column[2][sort], rotation_deg=column[3][sort],
                    amplitude=column[4][sort], offset_hz=column[5][sort], kernel_index=column[6][sort],
                    kernels=kernels, seed_entropy=entropy if needs_random.any() else None)


def _node_table(nodes) -> tuple[object, np.ndarray]:
    """The node table (a DataFrame, or a mapping turned into a dict of 1-D arrays) and its int64 node ids
    (``node_id``, else a DataFrame's index)."""
    pandas = sys.modules.get("pandas")       # not imported here: a DataFrame exists only if pandas was imported
    if pandas is not None and isinstance(nodes, pandas.DataFrame):
        ids = (nodes["node_id"] if "node_id" in nodes.columns else nodes.index.to_series()).to_numpy()
    elif isinstance(nodes, Mapping):
        nodes = {name: np.asarray(column) for name, column in nodes.items()}
        if "node_id" not in nodes:
            raise ConfigError(f"build_units: the node columns have no node_id (got {list(nodes)})")
        ids = nodes["node_id"]
        shapes = {name: column.shape for name, column in nodes.items() if column.shape != ids.shape or ids.ndim != 1}
        if shapes:
            raise ConfigError(f"build_units: expected node columns of one value per node, like node_id, got shapes "
                              f"{shapes}")
    else:
        raise ConfigError("build_units: expected a pandas DataFrame of nodes or a mapping of column name -> "
                          f"array, got {type(nodes).__name__}")
    try:
        return nodes, ids.astype(np.int64)
    except (TypeError, ValueError):
        raise ConfigError("build_units: node_id: expected integer node ids") from None


def _two_subunit_parts(table, models, rows, dominant, bounds, draws, angle, x, y, sigma, rotation, bank) -> list:
    """Subunits of the two-subunit cells: the dominant OFF field at (x, y) and the ON field offset by
    sf_sep along tuning_angle, with re-fitted delays and BMTK's balancing OFF amplitude."""
    non_dominant = _temporal(table, table.json_files("non_dom_params"), _NON_DOMINANT_COLUMNS, rows,
                             "non_dom_params")
    non_dominant = _jittered(non_dominant, rows, bounds, draws[:, 6:12])
    _check_temporal(non_dominant, rows, table, "non-dominant ")
    separation = table.numbers("sf_sep")[:, 0]
    _finite_or_raise(separation, rows, table, "sf_sep: required by two-subunit cells (subfield separation, degrees)")
    jittered = rows[~np.isnan(bounds[rows, 0])]
    lo, hi = bounds[jittered, 0], bounds[jittered, 1]
    s = separation[jittered]
    separation[jittered] = s * lo + draws[jittered, 12] * (s * hi - s * lo)
    angle = np.where(np.isnan(angle), 360.0 * draws[:, 13], angle)

    parts = []
    kinds = np.array([TWO_SUBUNIT_MODELS[m] for m in models[rows]])
    for kind, c in _TWO_SUBUNIT.items():
        sub = rows[kinds == kind]
        if not sub.size:
            continue
        on_params, on_sum = _refit(non_dominant, sub, c["ttp_on_ms"], table, "ON (non-dominant)")
        off_params, off_sum = _refit(dominant, sub, c["ttp_off_ms"], table, "OFF (dominant)")
        amp_on = 1.0
        amp_off = (-c["scale"] * (c["max_off_hz"] / c["max_on_hz"]) * (on_sum / off_sum) * amp_on
                   - (c["spont_hz"] * (c["max_off_hz"] - c["max_on_hz"])) / (c["max_on_hz"] * off_sum))
        offset = np.full(sub.size, c["spont_hz"] / 2)
        on_x = np.cos(angle[sub] * np.pi / 180.0) * separation[sub] + x[sub]
        on_y = np.sin(angle[sub] * np.pi / 180.0) * separation[sub] + y[sub]
        parts.append((sub, 0, x[sub], y[sub], sigma[sub], rotation[sub], amp_off, offset,
                      _kernels_for(off_params, sub, bank)))
        parts.append((sub, 1, on_x, on_y, sigma[sub], rotation[sub], np.full(sub.size, amp_on), offset,
                      _kernels_for(on_params, sub, bank)))
    return parts
