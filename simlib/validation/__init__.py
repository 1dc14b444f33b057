"""Check a whole model before it runs: every problem of a circuit or simulation config and the files it names.

:func:`validate_config` reads a SONATA circuit or simulation config (BioNet, PointNet, FilterNet or
PopNet: from ``target_simulator``, else from what the config and its nodes hold) with simlib's own
readers and lists every problem it finds as a :class:`Problem` (file, field, message) instead of
stopping at the first: files that do not exist or do not open, node populations and node sets that
do not resolve, node types whose morphology, fit or model file is missing or does not parse, fits
naming mechanisms no mod file declares, edge types whose synaptic model is missing, edges whose
node ids are not nodes, SONATA indices that disagree with the edges, spike inputs naming unknown
populations or node ids, FilterNet stimuli and units, PopNet model files and rates. Neither NEURON
nor NEST is imported, so it takes seconds even for large models (``simlib validate``; the
workflow runs it on every simulation config it writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simlib.validation.problems import Problem, Problems

SIMULATORS = ("bionet", "pointnet", "filternet", "popnet")
NAMES = {"bionet": "BioNet", "pointnet": "PointNet", "filternet": "FilterNet", "popnet": "PopNet", None: "circuit"}
# target_simulator values (lower case) of BMTK's and simlib's configs
TARGET_SIMULATORS = {"neuron": "bionet", "bionet": "bionet", "nest": "pointnet", "pointnet": "pointnet",
                     "lgnmodel": "filternet", "filternet": "filternet", "dipde": "popnet", "popnet": "popnet"}

__all__ = ["Problem", "SIMULATORS", "Validation", "detect_simulator", "validate_config"]


@dataclass
class Validation:
    """What :func:`validate_config` found: the problems (empty: the model would start) and what was checked."""

    config: str
    simulator: str | None                 # None: a circuit config (networks only)
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line: ``OK: <config> (<simulator>): ...`` with what was checked."""
        c = self.counts
        parts = [f"{c.get('populations', 0)} node populations ({c.get('nodes', 0)} nodes)",
                 f"{c.get('edge_populations', 0)} edge populations ({c.get('edges', 0)} edges)"]
        extra = [(c[k], text) for k, text in (("node_sets", "node sets"), ("inputs", "inputs"),
                                              ("reports", "reports"), ("cell_types", "cell types"),
                                              ("cell_groups", "cell groups"), ("units", "LGN units"),
                                              ("groups", "population groups"), ("edge_types", "edge types"),
                                              ("mechanisms", "mechanisms")) if k in c]
        parts += [f"{n} {text}" for n, text in extra]
        return f"OK: {self.config} ({NAMES[self.simulator]}): " + ", ".join(parts)


def detect_simulator(raw: dict, circuit=None) -> str | None:
    """Which simulator runs a config: its ``target_simulator``, else its components and inputs, else its nodes.

    Returns one of :data:`SIMULATORS`, or None when nothing tells (a circuit config).
    """
    target = raw.get("target_simulator")
    if isinstance(target, str) and target.lower() in TARGET_SIMULATORS:
        return TARGET_SIMULATORS[target.lower()]
    components = raw.get("components") if isinstance(raw.get("components"), dict) else {}
    inputs = [s for s in (raw.get("inputs") or {}).values() if isinstance(s, dict)] \
        if isinstance(raw.get("inputs"), dict) else []
    for keys, simulator in ((("mechanisms_dir", "biophysical_neuron_models_dir", "morphologies_dir"), "bionet"),
                            (("point_neuron_models_dir",), "pointnet"), (("population_models_dir",), "popnet")):
        if any(k in components for k in keys):
            return simulator
    if any(s.get("module") == "pop_rates" for s in inputs):
        return "popnet"
    if any(s.get("input_type") == "movie" for s in inputs):
        return "filternet"
    if circuit is None or "run" not in raw:
        return None
    templates, model_types = set(), set()
    for pop in circuit.populations.values():
        for column, found in (("model_template", templates), ("model_type", model_types)):
            if column in pop.nodes:
                found.update(str(v).split(":")[0] for v in pop.nodes[column].dropna().unique())
    for test, simulator in (("nest" in templates, "pointnet"), ("dipde" in templates or "population" in model_types,
                                                                "popnet"),
                            ("biophysical" in model_types, "bionet"), ("lgnmodel" in templates, "filternet")):
        if test:
            return simulator
    return None


def validate_config(path, simulator: str | None = None) -> Validation:
    """Check a circuit or simulation config and everything it names; never raises for a bad model.

    Parameters
    ----------
    path : str or path-like
        A simulation config (``run`` and ``networks``; BMTK's sub-configs are merged) or a circuit
        config (``networks`` only, e.g. the ``circuit_config.json`` of ``simlib build-network``).
    simulator : one of :data:`SIMULATORS`, optional
        Check as for this simulator instead of the one the config names.

    Returns
    -------
    Validation
        Every problem found (one per line of :meth:`Problem.__str__`) and counts of what was checked.

    Raises
    ------
    ValueError
        An unknown `simulator` (a programming error, not a problem of the model).
    """
    if simulator is not None and simulator not in SIMULATORS:
        raise ValueError(f"simulator '{simulator}' unknown; accepted: {', '.join(SIMULATORS)}")
    problems = Problems()
    result = Validation(str(path), simulator, problems)
    config = _load(Path(path), problems)
    if config is None:
        return result
    if result.simulator is None:
        result.simulator = detect_simulator(config.raw)
    from simlib.validation import network

    if result.simulator in ("bionet", "pointnet"):
        network.load_functions_files(config, problems)
    circuit = network.load_circuit(config, problems)
    if result.simulator is None and "run" in config.raw:
        result.simulator = detect_simulator(config.raw, circuit)
    edge_populations = network.check_edges(config, circuit, problems)
    network.check_node_sets(config, circuit, problems)
    counts = result.counts
    if circuit is not None:
        counts.update(populations=len(circuit.populations), nodes=sum(p.size for p in circuit.populations.values()))
    counts.update(edge_populations=len(edge_populations), edges=sum(len(e.table) for e in edge_populations),
                  node_sets=len(config.node_sets))
    _SIMULATOR_CHECKS.get(result.simulator, _no_checks)(config, circuit, edge_populations, problems, counts)
    # the readers name the config by its file name: name it as the caller did
    result.problems = [Problem(str(path), p.field, p.message) if p.file == config.source else p for p in problems]
    return result


def _load(path: Path, problems: Problems):
    """The resolved SimulationConfig of a simulation or circuit config (None, with the problems, if it is not one)."""
    from simlib.config import SimulationConfig
    from simlib.errors import ConfigError
    from simlib.fileio import read_json

    with problems.catch(path) as ok:
        data = read_json(path, error=ConfigError)
    if not ok[0]:
        return None
    circuit_only = not any(k in data for k in ("run", "simulation"))
    with problems.catch(path, prefix=path.name, keyed=True) as ok:
        if circuit_only:     # a circuit config: checked as the networks of a simulation
            config = SimulationConfig.from_dict({**data, "run": {"tstop": 1.0}}, config_dir=path.parent,
                                                source=path.name)
            config.raw.pop("run")
        else:
            config = SimulationConfig.from_json(path)
    return config if ok[0] else None


def _no_checks(config, circuit, edge_populations, problems, counts) -> None:
    """A circuit config: what every simulator needs is checked already."""
    from simlib.validation import network

    for population in edge_populations:
        network.load_edges(circuit, population, problems)


def _bionet(config, circuit, edge_populations, problems, counts) -> None:
    from simlib.bionet.inputs import INPUT_MODULES
    from simlib.bionet.recording import REPORT_MODULES
    from simlib.validation import bionet, inputs

    mechanisms = bionet.compiled_mechanisms(config, problems)
    counts["cell_types"] = bionet.check_cells(config, circuit, problems, mechanisms)
    _, counts["edge_types"] = bionet.check_synapses(config, circuit, edge_populations, problems)
    counts["inputs"] = inputs.check_inputs(config, circuit, problems, INPUT_MODULES, "BioNet", "nA")
    inputs.check_report_cells(config, circuit, problems, REPORT_MODULES, "BioNet", "biophysical")
    counts["reports"] = len(config.reports)
    if mechanisms is not None:
        counts["mechanisms"] = len(mechanisms - set(bionet.NEURON_BUILTIN_MECHANISMS))


def _pointnet(config, circuit, edge_populations, problems, counts) -> None:
    from simlib.pointnet.inputs import INPUT_MODULES
    from simlib.pointnet.recording import REPORT_MODULES
    from simlib.validation import inputs, pointnet

    dt_ms = pointnet.check_run(config, problems)
    counts["cell_groups"] = pointnet.check_cells(config, circuit, problems)
    _, counts["edge_types"] = pointnet.check_synapses(config, circuit, edge_populations, dt_ms, problems)
    counts["inputs"] = inputs.check_inputs(config, circuit, problems, INPUT_MODULES, "PointNet", "pA for NEST models")
    inputs.check_report_cells(config, circuit, problems, REPORT_MODULES, "PointNet", "all")
    counts["reports"] = len(config.reports)


def _filternet(config, circuit, edge_populations, problems, counts) -> None:
    from simlib.validation.filternet import check_filternet

    counts["units"], counts["inputs"] = check_filternet(config, problems)


def _popnet(config, circuit, edge_populations, problems, counts) -> None:
    from simlib.validation.popnet import check_popnet

    counts["groups"], counts["inputs"] = check_popnet(config, circuit, problems)


_SIMULATOR_CHECKS = {"bionet": _bionet, "pointnet": _pointnet, "filternet": _filternet, "popnet": _popnet}

