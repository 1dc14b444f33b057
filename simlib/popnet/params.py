"""Parameters of one PopNet internal population (the keys of DiPDE's model files) and their checks.

A model file (``components.population_models_dir/<dynamics_params>``) of BMTK's PopNet tutorial::

    {"tau_m": 0.0429, "record": true, "v_min": -0.05, "v_max": 0.02, "dv": 0.0001,
     "update_method": "gmres", "approx_order": null}

Units are DiPDE's: seconds and volts. Voltages are relative to the resting potential (rest = 0 V),
the leak pulls every neuron toward 0 with time constant ``tau_m``; ``v_max`` is the firing threshold
(DiPDE's absorbing boundary) and a neuron that crosses it restarts at ``v_reset`` (DiPDE: 0 V).
``v_threshold`` and ``v_reset`` are simlib additions with DiPDE's values as defaults.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simlib.errors import ConfigError, show_value

log = logging.getLogger("simlib.popnet")

UPDATE_METHODS = ("approx", "exact", "gmres")
# DiPDE's defaults (dipde.internals.internalpopulation), except v_threshold/v_reset which it does not name
DEFAULTS = {"tau_m": 0.02, "v_min": -0.1, "v_max": 0.02, "dv": 1e-4, "v_threshold": None, "v_reset": 0.0,
            "update_method": "approx", "approx_order": None, "tol": 1e-12, "record": True}
# keys DiPDE accepts that do not change the model solved here (initial state, norm of its tol test, metadata)
IGNORED = ("p0", "norm", "curr_firing_rate", "metadata", "update_callback", "initialize_callback")
MAX_BINS = 2_000_000


@dataclass(frozen=True)
class LIFPopulation:
    """A population of leaky integrate-and-fire neurons on a voltage grid (volts, seconds).

    Attributes
    ----------
    tau_m : membrane time constant (s), > 0.
    v_min, v_max : bottom of the voltage grid and (by default) the threshold (V, relative to rest).
    dv : bin width (V), > 0; ``v_threshold - v_min`` must be a whole number of bins.
    v_threshold : firing threshold (V); None means ``v_max``. The grid ends at the threshold.
    v_reset : where a neuron restarts after crossing threshold (V); inside the grid.
    update_method : ``approx`` (truncated series of the matrix exponential, default), ``exact``
        (``scipy.sparse.linalg.expm_multiply``) or ``gmres`` (implicit backward Euler).
    approx_order : number of series terms for ``approx`` (None: as many as ``tol`` needs).
    tol : truncation error of the ``approx`` series per step.
    record : whether the population's rate is written to the rates file.
    """

    tau_m: float = DEFAULTS["tau_m"]
    v_min: float = DEFAULTS["v_min"]
    v_max: float = DEFAULTS["v_max"]
    dv: float = DEFAULTS["dv"]
    v_threshold: float | None = None
    v_reset: float = DEFAULTS["v_reset"]
    update_method: str = DEFAULTS["update_method"]
    approx_order: int | None = None
    tol: float = DEFAULTS["tol"]
    record: bool = True

    def __post_init__(self):
        check_population(self, "LIFPopulation")

    @property
    def threshold(self) -> float:
        """The firing threshold (V): ``v_threshold``, else ``v_max``."""
        return self.v_max if self.v_threshold is None else self.v_threshold

    @property
    def n_bins(self) -> int:
        """Number of voltage bins between ``v_min`` and the threshold."""
        return int(round((self.threshold - self.v_min) / self.dv))

    @property
    def edges(self) -> np.ndarray:
        """The bin edges (V), ``n_bins + 1`` of them, the last one the threshold."""
        return self.v_min + self.dv * np.arange(self.n_bins + 1)

    @classmethod
    def from_params(cls, params: Mapping, source: str = "dynamics_params") -> "LIFPopulation":
        """A population from a model file's dict (DiPDE's keys; missing keys take DiPDE's defaults).

        Raises
        ------
        ConfigError
            ``<source>: <key>: expected ..., got ...`` for the first bad value (a grid that does not
            hold threshold and reset, ``dv`` <= 0, ``tau_m`` <= 0, an unknown update method ...).
        """
        if not isinstance(params, Mapping):
            raise ConfigError(f"{source}: expected an object of population parameters, got {show_value(params)}")
        unknown = sorted(set(params) - set(DEFAULTS) - set(IGNORED))
        if unknown:
            log.warning("%s: keys %s are not population parameters of simlib's PopNet; ignored (known: %s)",
                        source, unknown, ", ".join(DEFAULTS))
        values = {key: params.get(key, default) for key, default in DEFAULTS.items()}
        for key in ("tau_m", "v_min", "v_max", "dv", "v_reset", "tol"):
            values[key] = _number(values[key], source, key)
        if values["v_threshold"] is not None:
            values["v_threshold"] = _number(values["v_threshold"], source, "v_threshold")
        try:
            return cls(**values)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("LIFPopulation", source, 1)) from None


def _number(value, source: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{source}: {key}: expected a number, got {show_value(value)}")
    return float(value)


def check_population(p: LIFPopulation, source: str) -> None:
    """Raise ConfigError ``<source>: <key>: ...`` for the first inconsistent parameter of ``p``."""
    if not p.tau_m > 0:
        raise ConfigError(f"{source}: tau_m: expected a membrane time constant > 0 (s), got {show_value(p.tau_m)}")
    if not p.dv > 0:
        raise ConfigError(f"{source}: dv: expected a bin width > 0 (V), got {show_value(p.dv)}")
    if not p.v_max > p.v_min:
        raise ConfigError(f"{source}: v_max: expected a value above v_min ({p.v_min} V), got {show_value(p.v_max)}")
    top = p.threshold
    if not p.v_min < top <= p.v_max:
        raise ConfigError(f"{source}: v_threshold: the grid [v_min, v_max] = [{p.v_min}, {p.v_max}] V does not "
                          f"contain the threshold {show_value(top)}; expected v_min < v_threshold <= v_max")
    bins = (top - p.v_min) / p.dv
    if abs(bins - round(bins)) > 1e-6 * max(1.0, bins) or round(bins) < 2:
        what = "v_threshold" if p.v_threshold is not None else "v_max"
        raise ConfigError(f"{source}: {what}: expected v_min plus a whole number (>= 2) of dv ({p.dv} V) bins, "
                          f"got {top} V ({bins:.6g} bins)")
    if round(bins) > MAX_BINS:
        raise ConfigError(f"{source}: dv: {round(bins)} voltage bins; expected at most {MAX_BINS}")
    if not p.v_min <= p.v_reset < top:
        raise ConfigError(f"{source}: v_reset: the grid [{p.v_min}, {top}) V does not contain the reset "
                          f"{show_value(p.v_reset)}; expected v_min <= v_reset < threshold")
    if p.update_method not in UPDATE_METHODS:
        raise ConfigError(f"{source}: update_method: {show_value(p.update_method)} unknown; accepted: "
                          f"{', '.join(UPDATE_METHODS)}")
    order = p.approx_order
    if order is not None and (isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1):
        raise ConfigError(f"{source}: approx_order: expected null or a whole number >= 1, got {show_value(order)}")
    if not 0 < p.tol < 1:
        raise ConfigError(f"{source}: tol: expected a number between 0 and 1, got {show_value(p.tol)}")
    if not isinstance(p.record, (bool, np.bool_)):
        raise ConfigError(f"{source}: record: expected true or false, got {show_value(p.record)}")
