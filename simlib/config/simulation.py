"""SONATA/BMTK simulation config: read, resolve variables and paths, validate, write."""

from __future__ import annotations

import copy
import datetime
import json
import os
import re
from pathlib import Path

import jsonschema

from simlib.config.validate import describe_error, format_problems
from simlib.errors import ConfigError, show_value
from simlib.fileio import atomic_path, read_json

BACKENDS = ("neuron", "coreneuron")
SPIKES_SORT_ORDERS = ("time", "node_id", "id")
# nsteps_block None means "no blocks" (bmtk defaults it to 0 and then divides by it).
RUN_DEFAULTS = {"tstart": 0.0, "dt": 0.1, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": None,
                "backend": "neuron", "merge_synapses": True}
CONDITIONS_DEFAULTS = {"celsius": None, "v_init": None}
OUTPUT_DEFAULTS = {"overwrite_output_dir": False, "spikes_sort_order": None}
SUB_CONFIGS = ("network", "simulation")  # merged into the parent in this order, like bmtk

_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_REPORT_OUTPUT_KEYS = ("file_name", "contributions_dir")

_STRING = {"type": "string"}
_PATH = {"type": "string", "minLength": 1}
_NUMBER = {"type": "number"}
_ENABLED = {"type": "boolean"}
_SCHEMA = {
    "type": "object",
    "properties": {
        "target_simulator": _STRING,
        "node_sets_file": _PATH,
        "node_sets": {"type": "object", "additionalProperties": {
            "type": ["object", "array"], "expected": "a filter object or a list (node ids or node-set names)"}},
        "run": {
            "type": "object",
            "required": ["tstop"],
            "properties": {
                "tstop": _NUMBER, "tstart": _NUMBER, "spike_threshold": _NUMBER,
                "dt": {"type": "number", "exclusiveMinimum": 0},
                "dL": {"type": "number", "exclusiveMinimum": 0},
                "nsteps_block": {"type": ["integer", "null"], "minimum": 1,
                                 "expected": "a positive integer (time steps per block) or null"},
                "backend": {"enum": list(BACKENDS)},
                "merge_synapses": {"type": "boolean"},
                "max_report_gb": {"type": "number", "exclusiveMinimum": 0,
                                  "expected": "a positive number: the most GB the run's reports may hold"},
            },
        },
        "conditions": {"type": "object", "properties": {
            "celsius": {"type": ["number", "null"]}, "v_init": {"type": ["number", "null"]}}},
        "components": {"type": "object", "additionalProperties": {
            "anyOf": [_PATH, {"type": "array", "items": _PATH}], "expected": "a path or a list of paths"}},
        "networks": {
            "type": "object",
            "required": ["nodes"],
            "properties": {
                "nodes": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["nodes_file", "node_types_file"],
                    "properties": {"nodes_file": _PATH, "node_types_file": _PATH}}},
                "edges": {"type": "array", "items": {
                    "type": "object", "required": ["edges_file", "edge_types_file"],
                    "properties": {"edges_file": _PATH, "edge_types_file": _PATH, "enabled": _ENABLED}}},
                "gap_juncs": {"type": "array", "items": {"type": "object"}},
            },
        },
        "output": {"type": "object", "properties": {
            "output_dir": _PATH,
            "log_file": {"type": ["string", "boolean", "null"]},
            "overwrite_output_dir": {"type": "boolean"},
            "spikes_sort_order": {"enum": [*SPIKES_SORT_ORDERS, None]},
        }},
        "inputs": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["input_type", "module"],
            "properties": {"input_type": _STRING, "module": _STRING, "enabled": _ENABLED}}},
        "reports": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["module"],
            "properties": {"module": _STRING, "enabled": _ENABLED, "file_name": _PATH}}},
    },
}


class SimulationConfig:
    """A resolved and validated SONATA simulation config (BMTK dialect).

    Build one with :meth:`from_json` or :meth:`from_dict`. ``raw`` is the resolved document
    (variables substituted, manifest removed, sub-configs merged, paths absolute); the other
    attributes are views of its sections with defaults filled and disabled entries dropped.
    """

    def __init__(self, raw: dict, config_dir, source: str = "config", path=None):
        """Wrap an already resolved and validated document (use from_json / from_dict)."""
        self.raw = raw
        self.config_dir = Path(config_dir)
        self.source = source
        self.path = None if path is None else Path(path)
        self.run = {**RUN_DEFAULTS, **_section(raw, "run")}
        if isinstance(self.run["nsteps_block"], float):
            self.run["nsteps_block"] = int(self.run["nsteps_block"])
        self.conditions = {**CONDITIONS_DEFAULTS, **_section(raw, "conditions")}
        self.networks = {"nodes": [], **_section(raw, "networks")}
        self.networks["edges"] = [_without_enabled(e) for e in self.networks.get("edges", []) if _enabled(e)]
        self.components = _section(raw, "components")
        self.inputs = {name: _without_enabled(p) for name, p in _section(raw, "inputs").items() if _enabled(p)}
        self.reports = {name: _without_enabled(p) for name, p in _section(raw, "reports").items() if _enabled(p)}
        self.output = {"output_dir": str(self.config_dir), **OUTPUT_DEFAULTS, **_section(raw, "output")}
        if self.output["spikes_sort_order"] == "id":
            self.output["spikes_sort_order"] = "node_id"
        self.node_sets = _section(raw, "node_sets")

    @classmethod
    def from_json(cls, path, **variables) -> SimulationConfig:
        """Read, resolve and validate a simulation config file.

        Parameters
        ----------
        path : str or path-like
            The config JSON. Relative paths inside it are resolved against its directory.
        **variables
            Values for ``$NAME`` / ``${NAME}``; they override manifest entries and built-ins.

        Raises
        ------
        ConfigError
            Unreadable or malformed JSON, unresolvable variables, or every validation problem
            at once (one line each, naming the key path).
        """
        path = Path(os.path.abspath(path))
        return cls._build(read_json(path, error=ConfigError), path.parent, path.name, path, variables)

    @classmethod
    def from_dict(cls, data: dict, config_dir=".", source: str = "config", **variables) -> SimulationConfig:
        """Resolve and validate a config given as a mapping, as if read from `config_dir`/`source`.

        Raises
        ------
        ConfigError
            As :meth:`from_json`.
        """
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a JSON object at the top level, got {type(data).__name__}")
        config_dir = Path(os.path.abspath(config_dir))
        return cls._build(copy.deepcopy(data), config_dir, source, None, variables)

    @classmethod
    def _build(cls, data, config_dir: Path, source: str, path, variables) -> SimulationConfig:
        variables = {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in variables.items()}
        config_file = path or config_dir / source
        raw, origins = _resolve_file(data, config_file, source, variables, datetime.datetime.now())
        _resolve_paths(raw, origins, config_dir)
        problems = _load_node_sets(raw, origins)
        problems += _schema_problems(raw) + _semantic_problems(raw)
        if problems:
            raise ConfigError(_format_problems(problems, source, origins))
        return cls(raw, config_dir, source, path)

    def write(self, path) -> None:
        """Write the resolved config (``raw``) as JSON, atomically."""
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(self.raw, indent=2) + "\n")

    def __repr__(self) -> str:
        return f"SimulationConfig({self.source!r}, config_dir='{self.config_dir}')"


# --- reading and variable substitution -------------------------------------------------------

def _builtin_variables(config_file: Path, now: datetime.datetime) -> dict:
    return {"workingdir": os.getcwd(), "configdir": str(config_file.parent), "configfname": str(config_file),
            "time": now.strftime("%H-%M-%S"), "date": now.strftime("%Y-%m-%d"),
            "datetime": now.strftime("%Y-%m-%d_%H-%M-%S")}


def _names(value) -> set[str]:
    """Variable names referenced by a string value."""
    if not isinstance(value, str):
        return set()
    return {m.group(1) or m.group(2) for m in _VARIABLE.finditer(value)}


def _substitute(value, variables: dict, key: tuple, problems: list):
    """Replace every ``$NAME``/``${NAME}`` in a string; a string that is exactly one variable
    takes that variable's value as-is (so a number or bool keeps its type, as in bmtk)."""
    if not isinstance(value, str):
        return value
    matches = list(_VARIABLE.finditer(value))
    if not matches:
        return value
    unknown = sorted({m.group(0) for m in matches if (m.group(1) or m.group(2)) not in variables})
    if unknown:
        defined = ", ".join(sorted(variables))
        problems.append((key, f"unknown variable {', '.join(unknown)}; defined: {defined}"))
        return value
    if len(matches) == 1 and matches[0].group(0) == value:
        return variables[matches[0].group(1) or matches[0].group(2)]
    return _VARIABLE.sub(lambda m: str(variables[m.group(1) or m.group(2)]), value)


def _substitute_tree(obj, variables: dict, key: tuple, problems: list):
    if isinstance(obj, dict):
        return {k: _substitute_tree(v, variables, (*key, k), problems) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_substitute_tree(v, variables, (*key, i), problems) for i, v in enumerate(obj)]
    return _substitute(obj, variables, key, problems)


def _resolve_manifest(manifest, variables: dict, user: dict, problems: list) -> dict:
    """Built-ins, user values and manifest entries, each manifest entry fully substituted."""
    variables = dict(variables)
    if not isinstance(manifest, dict):
        problems.append((("manifest",), f"expected an object of variables, got {show_value(manifest)}"))
        return variables
    pending = {}
    for key, value in manifest.items():
        name = key.removeprefix("$")
        if name not in user:  # a value passed by the caller wins over the file's
            pending[name] = (key, value)
    while pending:
        ready = [name for name, (_, value) in pending.items() if not _names(value) & pending.keys()]
        if not ready:
            cycle = ", ".join(f"${name}" for name in pending)
            for key, _ in pending.values():
                problems.append((("manifest", key), f"cannot resolve: circular reference among {cycle}"))
            break
        for name in ready:
            key, value = pending.pop(name)
            variables[name] = _substitute(value, variables, ("manifest", key), problems)
    return variables


def substitute_variables(data: dict, config_file, source: str) -> dict:
    """`data` without its manifest, each ``$NAME``/``${NAME}`` replaced by a manifest or built-in variable.

    The built-ins (``configdir``, ``workingdir``, ...) and the manifest's rules are those of a
    simulation config; sub-configs are not merged (a circuit config has none).

    Raises
    ------
    ConfigError
        A manifest that is not an object, circular manifest entries or unknown variables: one line
        each, ``source: key.path: problem``.
    """
    problems: list = []
    config_file = Path(config_file)
    variables = _resolve_manifest(data.get("manifest", {}), _builtin_variables(config_file, datetime.datetime.now()),
                                  {}, problems)
    resolved = {k: _substitute_tree(v, variables, (k,), problems) for k, v in data.items() if k != "manifest"}
    if problems:
        raise ConfigError(format_problems(problems, source))
    return resolved


def _resolve_file(data, config_file: Path, source: str, user: dict, now, chain: tuple = (),
                  top: str | None = None) -> tuple[dict, dict]:
    """Substitute the variables of one config file and merge its sub-configs into it.

    `chain` holds the including files and `top` names the first of them in messages. Returns the
    resolved dict and, per top-level key, the (file name, directory) it came from.
    """
    top = top or source
    note = f" (in {source})" if source != top else ""
    if not isinstance(data, dict):
        raise ConfigError(f"{top}: expected a JSON object at the top level, got {show_value(data)}{note}")
    problems: list = []
    variables = _resolve_manifest(data.get("manifest", {}), {**_builtin_variables(config_file, now), **user},
                                  user, problems)
    resolved = {k: _substitute_tree(v, variables, (k,), problems) for k, v in data.items() if k != "manifest"}
    origins = {key: (source, config_file.parent) for key in data}
    if problems:
        raise ConfigError(_format_problems(problems, top, origins))
    for key in SUB_CONFIGS:
        if not isinstance(resolved.get(key), str):
            continue
        # The merged content replaces the reference, so `raw` is self-contained (bmtk keeps the key).
        child_file = Path(os.path.normpath(config_file.parent / resolved.pop(key)))
        origins.pop(key)
        if child_file in chain or child_file == config_file:
            raise ConfigError(f"{top}: {key}: {child_file} includes itself{note}")
        try:
            child_data = read_json(child_file, error=ConfigError)
        except ConfigError as exc:
            raise ConfigError(f"{top}: {key}: {exc}{note}") from None
        child, child_origins = _resolve_file(child_data, child_file, child_file.name, user, now,
                                             (*chain, config_file), top)
        resolved.update(child)
        origins.update(child_origins)
    origins.pop("manifest", None)
    return resolved, origins


# --- paths -------------------------------------------------------------------------------------

def _absolute(value, base: Path):
    """A relative path (or list of paths) joined to `base`; anything else unchanged."""
    if isinstance(value, list):
        return [_absolute(v, base) for v in value]
    if isinstance(value, str) and value and not os.path.isabs(value):
        return os.path.normpath(base / value)
    return value


def _absolute_keys(section, base: Path, is_path_key) -> None:
    """Make absolute, in place, the values of the path keys of nested dicts and lists."""
    items = section.items() if isinstance(section, dict) else enumerate(section)
    for key, value in items:
        if isinstance(value, (dict, list)) and not (isinstance(key, str) and is_path_key(key)):
            _absolute_keys(value, base, is_path_key)
        elif isinstance(key, str) and is_path_key(key):
            section[key] = _absolute(value, base)


def _is_input_path_key(key: str) -> bool:
    return key in ("file", "electrode_positions") or key.endswith(("_file", "_dir"))


def _in_output_dir(value, output_dir: Path, written, written_base: Path):
    """Join a relative output file to output_dir, unless it already starts with output_dir as
    written (bmtk keeps e.g. ``output/spikes.h5`` when output_dir is ``output``)."""
    if isinstance(value, list):
        return [_in_output_dir(v, output_dir, written, written_base) for v in value]
    if not isinstance(value, str) or not value or os.path.isabs(value):
        return value
    if isinstance(written, str) and not os.path.isabs(written):
        prefix = Path(written).parts
        if prefix and Path(value).parts[:len(prefix)] == prefix:
            return os.path.normpath(written_base / value)
    return os.path.normpath(output_dir / value)


def _resolve_paths(raw: dict, origins: dict, config_dir: Path) -> None:
    """Make every path-valued key absolute, in place.

    Relative paths are resolved against the directory of the file that holds them, as the
    SONATA spec says; bmtk resolves them against the current working directory.
    """
    def base(key):
        return origins.get(key, (None, config_dir))[1]

    if isinstance(raw.get("networks"), dict):
        _absolute_keys(raw["networks"], base("networks"), lambda key: key.endswith("_file"))
    if isinstance(raw.get("components"), dict):
        components = raw["components"]
        for key, value in components.items():
            components[key] = _absolute(value, base("components"))
    if "node_sets_file" in raw:
        raw["node_sets_file"] = _absolute(raw["node_sets_file"], base("node_sets_file"))
    for params in _dict_values(raw.get("inputs")):
        _absolute_keys(params, base("inputs"), _is_input_path_key)

    output_dir, written = config_dir, None
    output = raw.get("output")
    if isinstance(output, dict):
        written = output.get("output_dir")
        if isinstance(written, str) and written:
            output_dir = Path(_absolute(written, base("output")))
            output["output_dir"] = str(output_dir)
        for key, value in output.items():
            if key == "log_file" or key.startswith("spikes_file"):
                output[key] = _in_output_dir(value, output_dir, written, base("output"))
    for params in _dict_values(raw.get("reports")):
        for key in _REPORT_OUTPUT_KEYS:
            if key in params:
                params[key] = _absolute(params[key], output_dir)
        if "electrode_positions" in params:
            params["electrode_positions"] = _absolute(params["electrode_positions"], base("reports"))


def _load_node_sets(raw: dict, origins: dict) -> list:
    """Read ``node_sets_file`` into ``node_sets`` unless the config defines node_sets (bmtk)."""
    path = raw.get("node_sets_file")
    if "node_sets" in raw or not isinstance(path, str) or not path:
        return []
    if not os.path.isfile(path):
        return [(("node_sets_file",), f"file not found: {path}")]
    try:
        raw["node_sets"] = read_json(path, error=ConfigError)
    except ConfigError as exc:
        return [(("node_sets_file",), str(exc))]
    origins["node_sets"] = (Path(path).name, Path(path).parent)
    return []


# --- validation --------------------------------------------------------------------------------

def _schema_problems(raw: dict) -> list:
    view = {"run": {}, "networks": {}, **raw}  # so a missing section reports its missing keys
    validator = jsonschema.Draft7Validator(_SCHEMA)
    return [describe_error(error) for error in validator.iter_errors(view)]


def _semantic_problems(raw: dict) -> list:
    problems = []
    run = raw.get("run")
    if isinstance(run, dict):
        tstart, tstop = run.get("tstart", RUN_DEFAULTS["tstart"]), run.get("tstop")
        if _is_number(tstart) and _is_number(tstop) and tstop <= tstart:
            problems.append((("run", "tstop"),
                             f"expected a number greater than run.tstart ({tstart}), got {show_value(tstop)}"))
    networks = raw.get("networks")
    for kind in ("nodes", "edges", "gap_juncs"):
        entries = networks.get(kind) if isinstance(networks, dict) else None
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict) or not _enabled(entry):
                continue
            for key, value in entry.items():
                if key.endswith("_file") and isinstance(value, str) and value and not os.path.isfile(value):
                    problems.append((("networks", kind, i, key), f"file not found: {value}"))
    return problems


def _format_problems(problems: list, source: str, origins: dict) -> str:
    """One line per problem, ``source: key.path: message``, naming the file a key came from if not `source`."""
    def note(key: tuple) -> str:
        origin = origins.get(key[0], (source,))[0] if key else source
        return f" (in {origin})" if origin != source else ""

    return format_problems(problems, source, note)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _dict_values(section) -> list[dict]:
    return [v for v in section.values() if isinstance(v, dict)] if isinstance(section, dict) else []


def _section(raw: dict, key: str) -> dict:
    return copy.deepcopy(raw.get(key) or {})


def _enabled(entry: dict) -> bool:
    return entry.get("enabled", True) is not False


def _without_enabled(entry: dict) -> dict:
    """An input, report or edges entry without its ``enabled`` flag (bmtk removes it too)."""
    return {k: v for k, v in entry.items() if k != "enabled"}
