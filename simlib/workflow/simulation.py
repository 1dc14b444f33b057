"""One ``simulations`` entry of the workflow config: its rule's input files, its BioNet config, its report files.

A spikes input names a ``spikes`` entry (``spikes: <name>``) or a FilterNet run (``filternet:
<name>``) instead of an ``input_file``: :func:`sim_config_inputs` lists those files as rule
inputs, under the key :func:`input_key`, and :func:`sim_inputs` puts them back as ``input_file``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from simlib.errors import ConfigError
from simlib.sonata.reports import report_files
from simlib.workflow import paths
from simlib.workflow.bionet_writer import write_bionet_config
from simlib.workflow.pointnet_writer import write_pointnet_config
from simlib.workflow.popnet_writer import write_popnet_config


def input_key(name: str) -> str:
    """The rule-input key of the spike file of input ``name``."""
    return f"spikes_{name}"


def sim_config_inputs(config: dict, sim: str, basedir, arch: str | None = None) -> dict[str, str]:
    """Files the config of ``simulations.<sim>`` refers to: the rule inputs of write_sim_config.

    ``population_network`` (its config) for PopNet, else ``circuit``, ``lib`` (mechanisms, BioNet only), ``components`` (manifest), :func:`input_key` per spikes
    input (the CSV for ``module: csv``, else the SONATA file), ``nwb_<input>_<i>`` per NWB session
    of an ``ecephys_probe`` input (a missing one stops the run, named) and ``functions_file``
    (made absolute against ``basedir``, the workflow folder).
    """
    spec = config["simulations"][sim]
    if simulator(spec) == "popnet":
        return {"population_network": paths.population_network_config(spec["network"])}
    files = {"circuit": paths.circuit_config(spec["network"]), "components": paths.components_manifest(spec["components"])}
    if simulator(spec) == "bionet":
        files["lib"] = paths.mechanism_library(arch)
    for name, inp in spec.get("inputs", {}).items():
        fmt = "csv" if inp.get("module") == "csv" else "h5"
        if "spikes" in inp:
            files[input_key(name)] = paths.spikes_file(inp["spikes"], fmt)
        elif "filternet" in inp:
            files[input_key(name)] = paths.filternet_output(inp["filternet"], f"spikes.{fmt}")
        elif inp.get("module") == "ecephys_probe":
            nwb = inp.get("input_file", [])
            for i, path in enumerate([nwb] if isinstance(nwb, str) else nwb):
                files[f"nwb_{name}_{i}"] = path
    if spec.get("functions_file"):
        files["functions_file"] = str(Path(basedir) / spec["functions_file"])
    return files


def sim_inputs(spec: dict, files: Mapping) -> dict:
    """The ``inputs`` of the simulation config: workflow references replaced by ``input_file`` from ``files``."""
    inputs = {}
    for name, inp in spec.get("inputs", {}).items():
        inp = dict(inp)
        if "spikes" in inp or "filternet" in inp:
            inp.pop("spikes", None)
            inp.pop("filternet", None)
            inp["input_file"] = files[input_key(name)]
        inputs[name] = inp
    return inputs


def simulator(spec: dict) -> str:
    """``bionet``, ``pointnet`` or ``popnet``: which simulator runs a ``simulations`` entry."""
    return spec.get("simulator", "bionet")


# --- the model a written config describes is checked before any simulation starts ---------------

def validate_written_config(config_path) -> Path:
    """Check a config just written and everything it names with :func:`simlib.validation.validate_config`.

    A model that would not run (a missing morphology, a mechanism no mod file declares, edges onto
    nodes that do not exist, ...) fails here, in seconds, instead of after the simulation's setup.

    Raises
    ------
    ConfigError
        Listing every problem, one line each; the config is removed, so no later rule trusts it.
    """
    from simlib.validation import validate_config

    result = validate_config(config_path)
    if not result.ok:
        Path(config_path).unlink(missing_ok=True)
        n = len(result.problems)
        raise ConfigError(f"{config_path}: the model would not run ({n} problem{'s' if n > 1 else ''}; the config "
                          "was removed):\n" + "\n".join(str(problem) for problem in result.problems))
    return Path(config_path)


def validated_model(write):
    """A config writer ``write(spec, files, config_path) -> path`` followed by :func:`validate_written_config`."""
    @functools.wraps(write)
    def write_and_validate(spec: dict, files: Mapping, config_path) -> Path:
        return validate_written_config(write(spec, files, config_path))

    return write_and_validate


@validated_model
def write_sim_config(spec: dict, files: Mapping, config_path) -> Path:
    """Write the BioNet, PointNet or PopNet config of one ``simulations`` entry (``files``: :func:`sim_config_inputs`).

    Raises
    ------
    ConfigError
        If simlib would not accept the written config, or the model it describes would not run
        (:func:`validated_model`; every problem listed, the config removed).
    """
    if simulator(spec) == "popnet":
        return write_popnet_config(config_path, population_network=files["population_network"],
                                   tstop_ms=spec["tstop_ms"], dt_ms=spec["dt_ms"])
    if simulator(spec) == "pointnet":
        return write_pointnet_config(
            config_path, circuit_config=files["circuit"], components_dir=Path(files["components"]).parent,
            tstop_ms=spec["tstop_ms"], dt_ms=spec["dt_ms"], threads=spec.get("threads", 1), seed=spec.get("seed"),
            inputs=sim_inputs(spec, files), reports=spec.get("reports", {}),
            functions_file=files.get("functions_file"))
    return write_bionet_config(
        config_path, circuit_config=files["circuit"], components_dir=Path(files["components"]).parent,
        mechanisms_dir=paths.mechanisms_dir(files["lib"]), tstop_ms=spec["tstop_ms"], dt_ms=spec["dt_ms"],
        dL_um=spec["dL_um"], celsius=spec["celsius"], v_init_mv=spec["v_init_mv"], inputs=sim_inputs(spec, files),
        reports=spec.get("reports", {}), backend=spec["backend"], merge_synapses=spec["merge_synapses"],
        functions_file=files.get("functions_file"))


def figure_report_file(figure: dict, report: dict, output_dir) -> Path:
    """The report file a simulation figure draws: ``figure['report']`` names ``report``, written in ``output_dir``.

    A membrane report with several ``variable_name`` values has one file each: the figure's
    ``variable`` picks one (default: the first).

    Raises
    ------
    ConfigError
        If the figure's ``variable`` is not recorded by the report.
    """
    name = figure["report"]
    if report.get("module") == "extracellular":
        # an extracellular report is one file whatever its variable_name (simlib.bionet.extracellular)
        return report_files(name, {**report, "variable_name": "v"}, output_dir)["v"]
    files = report_files(name, report, output_dir)
    variable = figure.get("variable", next(iter(files)))
    if variable not in files:
        raise ConfigError(f"figures.traces.variable: '{variable}' is not recorded by report '{name}' "
                          f"({', '.join(files)})")
    return files[variable]
