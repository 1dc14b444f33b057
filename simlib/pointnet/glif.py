"""Allen Cell Types Database GLIF models on NEST: the Allen parameter file (SI units) → NEST's glif models.

The Allen Institute fits Generalized Leaky Integrate-and-Fire models at five levels: LIF, LIF-R
(reset rules and a spike-dependent threshold), LIF-ASC (after-spike currents), LIF-R-ASC and
LIF-R-ASC-A (a voltage-dependent, adapting threshold). Their ``neuron_config`` JSON files
(``"type": "GLIF"``) hold SI values relative to ``El_reference``, scaled by fitted ``coeffs``. NEST
has the five levels as one model with three switches: ``glif_psc`` (current-based synapses with
alpha-shaped currents, one ``tau_syn`` per receptor port) and ``glif_cond``.

A node type is converted when its ``model_template`` is ``nest:glif_psc``, ``nest:glif_cond`` or one
of BMTK's level names (``nest:glif_lif_psc`` … ``nest:glif_lif_r_asc_a_psc``, run as ``glif_psc`` as
BMTK does) and its ``dynamics_params`` file is an Allen GLIF file. With a level name the name sets
the level (as BMTK); with ``glif_psc`` / ``glif_cond`` the file's own reset, threshold and
after-spike-current methods do. Units: V → mV, A → pA, F → pF, Ω → G = nS, s → ms, 1/s → 1/ms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib.errors import FormatError

# the receptor ports BMTK gives glif_psc cells (ms): the L4 and V1 models' four synapse classes
BMTK_TAU_SYN_MS = (5.5, 8.5, 2.8, 5.8)


@dataclass(frozen=True)
class GlifLevel:
    """Which of the three GLIF mechanisms a model uses."""

    reset_rules: bool           # R: voltage reset rule + spike-dependent threshold
    after_spike_currents: bool  # ASC
    adapting_threshold: bool    # A: voltage-dependent threshold

    @property
    def name(self) -> str:
        parts = ["lif"] + [p for p, on in (("r", self.reset_rules), ("asc", self.after_spike_currents),
                                           ("a", self.adapting_threshold)) if on]
        return "_".join(parts)


LEVELS = {level.name: level for level in (GlifLevel(False, False, False), GlifLevel(True, False, False),
                                          GlifLevel(False, True, False), GlifLevel(True, True, False),
                                          GlifLevel(True, True, True))}
# BMTK's template names: nest:glif_<level>_psc, all run as NEST's glif_psc
LEVEL_TEMPLATES = {f"glif_{name}_psc": level for name, level in LEVELS.items()}
NEST_GLIF_MODELS = ("glif_psc", "glif_cond")


def is_allen_glif(params) -> bool:
    """Whether a dynamics_params dict is an Allen GLIF parameter file."""
    return isinstance(params, dict) and params.get("type") == "GLIF"


def converts(model: str, params) -> bool:
    """Whether ``model`` (NEST model name without ``nest:``) with ``params`` is an Allen GLIF to convert."""
    return (model in LEVEL_TEMPLATES or model in NEST_GLIF_MODELS) and is_allen_glif(params)


def level_of(params: dict, source: str) -> GlifLevel:
    """The GLIF level an Allen file describes, from its reset, threshold and after-spike-current methods."""
    reset = _method(params, "voltage_reset_method", source)
    threshold = _method(params, "threshold_dynamics_method", source)
    asc = params.get("AScurrent_dynamics_method", {}).get("name", "none")
    level = GlifLevel(reset_rules=reset == "v_before", after_spike_currents=asc not in ("none", None),
                      adapting_threshold=threshold == "three_components_exact")
    if level.name not in LEVELS:
        raise FormatError(f"{source}: voltage_reset_method '{reset}', threshold_dynamics_method '{threshold}' and "
                          f"AScurrent_dynamics_method '{asc}' make no GLIF level NEST has (levels: "
                          f"{', '.join(LEVELS)})")
    return level


def to_nest(model: str, params: dict, source: str = "dynamics_params") -> tuple[str, dict]:
    """NEST model name and parameters of an Allen GLIF file for ``model`` (see module docstring).

    Parameters
    ----------
    model
        ``glif_psc``, ``glif_cond`` or a BMTK level name such as ``glif_lif_asc_psc``.
    params
        The Allen file's contents (``"type": "GLIF"``); ``tau_syn`` (ms) and, for ``glif_cond``,
        ``E_rev`` (mV) may be added to it to set the receptor ports.
    source
        The file, for messages.

    Raises
    ------
    FormatError
        A value the conversion needs is missing or not a number.
    """
    if model in LEVEL_TEMPLATES:
        level, nest_model = LEVEL_TEMPLATES[model], "glif_psc"
    elif model in NEST_GLIF_MODELS:
        level, nest_model = level_of(params, source), model
    else:
        raise FormatError(f"{source}: model '{model}' is no GLIF model; expected one of "
                          f"{', '.join(NEST_GLIF_MODELS + tuple(LEVEL_TEMPLATES))}")
    get = _Getter(params, source)
    el_ref_mv = get("El_reference") * 1e3
    e_l = get("El") * 1e3 + el_ref_mv
    out = {
        "V_m": e_l,
        "E_L": e_l,
        "V_th": get("coeffs", "th_inf") * get("th_inf") * 1e3 + el_ref_mv,
        "g": get("coeffs", "G") / get("R_input") * 1e9,
        "C_m": get("coeffs", "C") * get("C") * 1e12,
        "t_ref": get("spike_cut_length") * get("dt") * 1e3,
        "spike_dependent_threshold": level.reset_rules,
        "after_spike_currents": level.after_spike_currents,
        "adapting_threshold": level.adapting_threshold,
    }
    if level.reset_rules:
        out["th_spike_add"] = get("threshold_dynamics_method", "params", "a_spike") * 1e3
        out["th_spike_decay"] = get("threshold_dynamics_method", "params", "b_spike") * 1e-3
        out["voltage_reset_fraction"] = get("voltage_reset_method", "params", "a")
        out["voltage_reset_add"] = get("voltage_reset_method", "params", "b") * 1e3
    else:
        out["V_reset"] = el_ref_mv
    if level.adapting_threshold:
        out["th_voltage_index"] = get("threshold_dynamics_method", "params", "a_voltage") * get("coeffs", "a") * 1e-3
        out["th_voltage_decay"] = get("threshold_dynamics_method", "params", "b_voltage") * get("coeffs", "b") * 1e-3
    if level.after_spike_currents:
        tau_s = get.array("asc_tau_array")
        out["asc_init"] = get.array("init_AScurrents") * 1e12
        out["asc_decay"] = 1.0 / tau_s * 1e-3
        out["asc_amps"] = get.array("asc_amp_array") * get.array("coeffs", "asc_amp_array") * 1e12
        if level.reset_rules:
            out["asc_r"] = np.ones(tau_s.size)  # currents reset to their own value (r = 1), as BMTK runs them
    if nest_model == "glif_psc":
        out["tau_syn"] = np.asarray(params.get("tau_syn", BMTK_TAU_SYN_MS), dtype=float)
    else:
        for key in ("tau_syn", "E_rev"):
            if key in params:
                out[key] = np.asarray(params[key], dtype=float)
    return nest_model, out


def _method(params: dict, key: str, source: str) -> str:
    value = params.get(key)
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise FormatError(f"{source}: {key}: missing; expected {{'name': ..., 'params': {{...}}}} as in the Allen "
                          "GLIF files")
    return value["name"]


class _Getter:
    """Nested numbers of an Allen file, each missing or non-numeric one a FormatError naming its key."""

    def __init__(self, params: dict, source: str):
        self.params, self.source = params, source

    def _value(self, keys):
        value = self.params
        for i, key in enumerate(keys):
            if not isinstance(value, dict) or key not in value:
                raise FormatError(f"{self.source}: {'.'.join(keys[:i + 1])}: missing; the Allen GLIF conversion "
                                  "needs it")
            value = value[key]
        return value

    def __call__(self, *keys) -> float:
        value = self._value(keys)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FormatError(f"{self.source}: {'.'.join(keys)}: expected a number, got {value!r}")
        return float(value)

    def array(self, *keys) -> np.ndarray:
        value = self._value(keys)
        try:
            out = np.asarray(value, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise FormatError(f"{self.source}: {'.'.join(keys)}: expected a list of numbers, got {value!r}") from None
        return out
