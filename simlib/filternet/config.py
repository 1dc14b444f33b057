"""FilterNet simulation config (BMTK's ``config.filternet.json``): read, resolve and check its FilterNet keys."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from simlib.config import SimulationConfig
from simlib.errors import ConfigError
from simlib.fileio import h5_compression
from simlib.filternet.stimuli import MODULES

TARGET_SIMULATORS = ("LGNModel", "FilterNet")  # what BMTK's FilterNet configs say (case-insensitive)
INPUT_TYPES = ("movie",)
EVALUATION_OPTIONS = ("separable", "downsample", "t_min", "t_max")
# output key -> BMTK's alternative spellings, the first present wins (BMTK: `spikes_h5 or spikes_file`)
OUTPUT_KEYS = {
    "rates_csv": ("rates_csv",),
    "rates_h5": ("rates_h5",),
    "spikes_h5": ("spikes_h5", "spikes_file"),
    "spikes_csv": ("spikes_csv", "spikes_file_csv"),
    "spikes_nwb": ("spikes_nwb", "spikes_file_nwb"),
    "log_file": ("log_file",),
}


@dataclass
class FilterNetOutputs:
    """Absolute paths of the files a FilterNet run writes (None = not written)."""

    output_dir: Path
    rates_csv: Path | None = None
    rates_h5: Path | None = None
    spikes_h5: Path | None = None
    spikes_csv: Path | None = None
    spikes_nwb: Path | None = None
    log_file: Path | None = None
    compression: object = "gzip"

    def files(self) -> dict[str, Path]:
        """The outputs that are configured, by key (``log_file`` excluded)."""
        return {key: getattr(self, key) for key in OUTPUT_KEYS if key != "log_file" and getattr(self, key)}


@dataclass
class FilterNetConfig:
    """A validated FilterNet config.

    Attributes
    ----------
    simulation : SimulationConfig
        The resolved SONATA config (variables substituted, paths absolute).
    tstop_ms, dt_ms : float
        ``run.tstop`` and ``run.dt`` (ms). Movies run from 0 to ``tstop`` (``run.tstart`` is not used,
        as in BMTK); ``dt`` is not used by FilterNet (the frame rate sets the time step).
    seed : int or None
        ``run.seed`` (BMTK has none: it draws per-cell seeds from numpy's global generator).
    jitter : (float, float) or None
        ``conditions.jitter_lower``/``jitter_upper``, checked but not applied by
        :func:`~simlib.filternet.run.run_filternet`: BMTK reads them and jitters only nodes with
        ``jitter_lower``/``jitter_upper`` columns, and simlib follows so its configs give BMTK's rates.
    filter_models_dir : Path or None
        ``components.filter_models_dir``.
    cell_metrics_dir : Path or None
        ``components.cell_metrics_dir`` (a simlib key): a folder of ``<type>_cell_data.csv``
        recordings from which single-subunit nodes without ``spont_fr`` get their spontaneous rate,
        overriding BMTK's rates (:data:`simlib.filternet.spontaneous.SPONT_RATES_HZ`, used when None).
    nodes : list of dict
        ``networks.nodes`` entries (``nodes_file``, ``node_types_file``).
    inputs : dict
        The enabled movie inputs by name, each with ``evaluation_options`` filled in
        (``separable`` defaults to True: simlib's separable and full evaluations agree).
    output : FilterNetOutputs
    """

    simulation: SimulationConfig
    tstop_ms: float
    dt_ms: float
    seed: int | None
    jitter: tuple[float, float] | None
    filter_models_dir: Path | None
    nodes: list[dict]
    inputs: dict[str, dict]
    output: FilterNetOutputs
    evaluation_options: dict[str, dict] = field(default_factory=dict)
    cell_metrics_dir: Path | None = None

    @property
    def source(self) -> str:
        return self.simulation.source


def read_filternet_config(config, *, config_dir=".", **variables) -> FilterNetConfig:
    """Read a BMTK FilterNet config (a path, a dict or a :class:`SimulationConfig`) and check it.

    The generic SONATA checks come from :class:`SimulationConfig`; this adds FilterNet's: the
    ``target_simulator``, ``run.seed``, the jitter pair, ``components.filter_models_dir`` (and simlib's
    ``cell_metrics_dir``), the
    inputs (``input_type: movie``, a known ``module``, ``evaluation_options``), and the output keys.

    Relative output files are placed in ``output.output_dir`` (unless they already lie inside it, as
    BMTK decides for spike files). ``overwrite_output_dir`` never deletes anything here (BMTK deletes
    the whole folder); the files written are replaced.

    Parameters
    ----------
    config : path, dict or SimulationConfig
    config_dir : path
        For a dict: the folder its relative paths are resolved against.
    **variables
        Values of ``${NAME}`` variables (passed to :meth:`SimulationConfig.from_json`).

    Raises
    ------
    ConfigError
        Every problem at once, one line each, naming the key and the expected value.
    """
    if isinstance(config, SimulationConfig):
        sim = config
    elif isinstance(config, dict):
        sim = SimulationConfig.from_dict(config, config_dir=config_dir, **variables)
    else:
        sim = SimulationConfig.from_json(config, **variables)
    raw = sim.raw
    problems: list[tuple[str, str]] = []

    target = raw.get("target_simulator")
    if target is not None and (not isinstance(target, str)
                               or target.lower() not in {t.lower() for t in TARGET_SIMULATORS}):
        expected = f"expected one of {', '.join(TARGET_SIMULATORS)} (FilterNet), got {target!r}"
        problems.append(("target_simulator", expected))
    seed = sim.run.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        problems.append(("run.seed", f"expected an integer >= 0, got {seed!r}"))
    jitter = _jitter(sim.conditions, problems)
    filter_dir = _component_dir(sim.components, "filter_models_dir", problems)
    metrics_dir = _component_dir(sim.components, "cell_metrics_dir", problems)
    inputs, options = _inputs(sim.inputs, problems)
    output = _outputs(sim, problems)
    if problems:
        raise ConfigError("\n".join(f"{sim.source}: {key}: {message}" for key, message in problems))
    return FilterNetConfig(simulation=sim, tstop_ms=float(sim.run["tstop"]), dt_ms=float(sim.run["dt"]), seed=seed,
                           jitter=jitter, filter_models_dir=filter_dir, nodes=list(sim.networks["nodes"]),
                           inputs=inputs, output=output, evaluation_options=options, cell_metrics_dir=metrics_dir)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _jitter(conditions: dict, problems: list) -> tuple[float, float] | None:
    present = [k for k in ("jitter_lower", "jitter_upper") if k in conditions]
    if not present:
        return None
    if len(present) == 1:
        missing = ({"jitter_lower", "jitter_upper"} - set(present)).pop()
        message = "required key missing (give both jitter_lower and jitter_upper, or neither)"
        problems.append((f"conditions.{missing}", message))
        return None
    lower, upper = conditions["jitter_lower"], conditions["jitter_upper"]
    for key, value in (("jitter_lower", lower), ("jitter_upper", upper)):
        if not _is_number(value) or value < 0:
            problems.append((f"conditions.{key}", f"expected a number >= 0 (a scale factor), got {value!r}"))
            return None
    if lower > upper:
        problems.append(("conditions.jitter_upper", f"expected a number >= jitter_lower ({lower}), got {upper!r}"))
        return None
    return float(lower), float(upper)


def _component_dir(components: dict, key: str, problems: list) -> Path | None:
    value = components.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append((f"components.{key}", f"expected one folder path, got {value!r}"))
        return None
    if not os.path.isdir(value):
        problems.append((f"components.{key}", f"folder not found: {value}"))
        return None
    return Path(value)


def _inputs(inputs: dict, problems: list) -> tuple[dict, dict]:
    movies, options = {}, {}
    for name, spec in inputs.items():
        key = f"inputs.{name}"
        if spec.get("input_type") not in INPUT_TYPES:
            message = (f"expected one of {', '.join(INPUT_TYPES)}, got {spec.get('input_type')!r} "
                       f"(audio inputs are not supported)")
            problems.append((f"{key}.input_type", message))
            continue
        module = spec.get("module")
        if not isinstance(module, str) or module.lower() not in MODULES:
            problems.append((f"{key}.module", f"unknown stimulus module {module!r}; accepted: {', '.join(MODULES)}"))
            continue
        opts = _evaluation_options(spec.get("evaluation_options", {}), f"{key}.evaluation_options", problems)
        if opts is not None:
            movies[name], options[name] = spec, opts
    if not inputs:
        problems.append(("inputs", "expected one movie input (input_type: movie), found none"))
    elif len(inputs) > 1:
        # BMTK's rate recorder breaks with several movies (it overruns its per-cell table).
        message = (f"expected one enabled movie input per FilterNet run, got {len(inputs)} ({', '.join(inputs)}); "
                   f"run one config per stimulus or disable the others (\"enabled\": false)")
        problems.append(("inputs", message))
    return movies, options


def _evaluation_options(opts, key: str, problems: list) -> dict | None:
    if not isinstance(opts, dict):
        problems.append((key, f"expected an object, got {opts!r}"))
        return None
    unknown = sorted(set(opts) - set(EVALUATION_OPTIONS))
    if unknown:
        problems.append((key, f"unknown option(s) {', '.join(unknown)}; accepted: {', '.join(EVALUATION_OPTIONS)}"))
        return None
    out = {"separable": opts.get("separable", True), "downsample": opts.get("downsample", 1),
           "t_min": opts.get("t_min"), "t_max": opts.get("t_max")}
    ok = True
    if not isinstance(out["separable"], bool):
        problems.append((f"{key}.separable", f"expected true or false, got {out['separable']!r}"))
        ok = False
    down = out["downsample"]
    if not _is_number(down) or down != int(down) or down < 1:
        problems.append((f"{key}.downsample", f"expected a whole number >= 1 (keep every n-th frame), got {down!r}"))
        ok = False
    for name in ("t_min", "t_max"):
        if out[name] is not None and (not _is_number(out[name]) or out[name] < 0):
            problems.append((f"{key}.{name}", f"expected a time (s) >= 0, got {out[name]!r}"))
            ok = False
    if ok and out["t_min"] is not None and out["t_max"] is not None and out["t_max"] < out["t_min"]:
        problems.append((f"{key}.t_max", f"expected a time (s) >= t_min ({out['t_min']}), got {out['t_max']!r}"))
        ok = False
    if not ok:
        return None
    out["downsample"] = int(down)
    return out


def _in_output_dir(value: str, output_dir: Path, config_dir: Path) -> Path:
    """A relative output file inside output_dir; kept as is (from the config folder) if it already is."""
    if os.path.isabs(value):
        return Path(value)
    candidate = Path(os.path.normpath(config_dir / value))
    if candidate == output_dir or output_dir in candidate.parents:
        return candidate
    return Path(os.path.normpath(output_dir / value))


def _outputs(sim: SimulationConfig, problems: list) -> FilterNetOutputs:
    section = sim.output
    output_dir = Path(section["output_dir"])
    out = FilterNetOutputs(output_dir=output_dir, compression=section.get("compression", "gzip"))
    try:
        h5_compression(out.compression)
    except ConfigError as exc:
        problems.append(("output.compression", str(exc).split(": ", 1)[-1]))
    for name, aliases in OUTPUT_KEYS.items():
        value = next((section[k] for k in aliases if section.get(k)), None)
        if value is None or value is False:
            continue
        key = next(k for k in aliases if section.get(k))
        if not isinstance(value, str):
            problems.append((f"output.{key}", f"expected a file name, got {value!r}"))
            continue
        setattr(out, name, _in_output_dir(value, output_dir, sim.config_dir))
    paths = [p for p in out.files().values()] + ([out.log_file] if out.log_file else [])
    dupes = sorted({str(p) for p in paths if paths.count(p) > 1})
    if dupes:
        problems.append(("output", f"two outputs write the same file: {', '.join(dupes)}"))
    return out
