# Config validation and helpers shared by every stage.
import platform
import sys
from pathlib import Path

from snakemake.utils import validate

from simlib.config import validate_against_schema
from simlib.errors import ConfigError

_config_source = ", ".join(str(f) for f in workflow.configfiles) or "config"
try:
    # our validator first: it lists every problem with its key path
    validate_against_schema(config, Path(workflow.basedir) / "config" / "schema.yaml", source=_config_source)
except ConfigError as exc:
    raise ValueError(f"invalid workflow config:\n{exc}") from None
validate(config, "../config/schema.yaml")  # fills the schema defaults


ARCH = platform.machine()
PYTHON = sys.executable  # the environment snakemake runs in (has simlib, NEURON, mpich)
MPIEXEC = str(Path(PYTHON).with_name("mpiexec")) if Path(PYTHON).with_name("mpiexec").exists() else "mpiexec"


def _reference_problems():
    """Names a simulation refers to that the config does not define."""
    problems = []
    for sim, spec in config.get("simulations", {}).items():
        for key, section in (("network", "networks"), ("components", "components")):
            if spec[key] not in config.get(section, {}):
                problems.append(f"simulations.{sim}.{key}: '{spec[key]}' is not an entry of {section}")
        for name, inp in spec.get("inputs", {}).items():
            ref = inp.get("spikes")
            if ref is not None and ref not in config.get("spikes", {}):
                problems.append(f"simulations.{sim}.inputs.{name}.spikes: '{ref}' is not an entry of spikes")
            ref = inp.get("filternet")
            if ref is not None and ref not in config.get("filternet", {}):
                problems.append(f"simulations.{sim}.inputs.{name}.filternet: '{ref}' is not an entry of filternet")
        traces = spec.get("figures", {}).get("traces")
        if traces and traces["report"] not in spec.get("reports", {}):
            problems.append(f"simulations.{sim}.figures.traces.report: '{traces['report']}' is not a report of it")
        for kind in ("ecp", "lfp_csd", "spectrum", "ecp_populations"):
            fig = spec.get("figures", {}).get(kind)
            if fig and spec.get("reports", {}).get(fig["report"], {}).get("module") != "extracellular":
                problems.append(f"simulations.{sim}.figures.{kind}.report: '{fig['report']}' is not an "
                                f"extracellular report of it")
        if spec.get("backend") == "coreneuron" and not config["mechanisms"].get("coreneuron"):
            problems.append(f"simulations.{sim}.backend: coreneuron needs mechanisms.coreneuron: true")
        if spec.get("functions_file") and not (Path(workflow.basedir) / spec["functions_file"]).is_file():
            problems.append(f"simulations.{sim}.functions_file: file not found: {spec['functions_file']}")
    for stim, spec in config.get("filternet", {}).items():
        for key, section in (("network", "networks"), ("components", "components")):
            if spec[key] not in config.get(section, {}):
                problems.append(f"filternet.{stim}.{key}: '{spec[key]}' is not an entry of {section}")
    for name, spec in config.get("figures", {}).get("rasters", {}).items():
        if ("spikes" in spec) == ("filternet" in spec):
            problems.append(f"figures.rasters.{name}: give exactly one of spikes or filternet")
        elif "filternet" in spec and spec["filternet"] not in config.get("filternet", {}):
            problems.append(f"figures.rasters.{name}.filternet: '{spec['filternet']}' is not an entry of filternet")
    return problems


if _reference_problems():
    raise ValueError("invalid workflow config:\n" + "\n".join(f"{_config_source}: {p}" for p in _reference_problems()))


def network_spec(net):
    spec = dict(config["networks"][net])
    spec.setdefault("seed", config["seed"])
    if "script" in spec:
        spec["script"] = str(Path(spec["script"]).resolve())
    return spec


def circuit_config(net):
    return f"results/networks/{net}/circuit_config.json"


def all_targets():
    targets = [circuit_config(net) for net in config["networks"]]
    targets.append(f"results/mechanisms/{ARCH}/libnrnmech.so")
    targets += [f"results/components/{name}/components.json" for name in config.get("components", {})]
    targets += [f"resources/ecephys/session_{sid}/session_{sid}.nwb" for sid in config["downloads"]["ecephys_sessions"]]
    for name in config.get("spikes", {}):
        targets += [f"results/inputs/{name}.h5", f"results/inputs/{name}.csv"]
    for name in config.get("figures", {}).get("rasters", {}):
        targets.append(f"results/figures/rasters/{name}.png")
    for stim in config.get("filternet", {}):
        targets.append(f"results/filternet/{stim}/output/spikes.h5")
    for sim, spec in config.get("simulations", {}).items():
        targets.append(f"results/sims/{sim}/output")
        targets += [f"results/figures/{sim}/{kind}.png" for kind in spec.get("figures", {})]
    return targets


def sim_spec(sim):
    return config["simulations"][sim]


def sim_network(sim):
    return circuit_config(sim_spec(sim)["network"])


def sim_config_input(wc):
    spec = sim_spec(wc.sim)
    files = {"circuit": sim_network(wc.sim), "lib": f"results/mechanisms/{ARCH}/libnrnmech.so",
             "components": f"results/components/{spec['components']}/components.json"}
    for name, inp in spec.get("inputs", {}).items():
        if "spikes" in inp:  # the CSV for module csv, else the SONATA file
            ext = "csv" if inp.get("module") == "csv" else "h5"
            files[f"spikes_{name}"] = f"results/inputs/{inp['spikes']}.{ext}"
        elif "filternet" in inp:  # LGN spikes made by a filternet run
            ext = "csv" if inp.get("module") == "csv" else "h5"
            files[f"spikes_{name}"] = f"results/filternet/{inp['filternet']}/output/spikes.{ext}"
        elif inp.get("module") == "ecephys_probe":  # NWB sessions: missing ones stop the run, named
            nwb = inp.get("input_file", [])
            for i, path in enumerate([nwb] if isinstance(nwb, str) else nwb):
                files[f"nwb_{name}_{i}"] = path
    if spec.get("functions_file"):
        files["functions_file"] = str(Path(workflow.basedir) / spec["functions_file"])
    return files


def raster_input(wc):
    spec = config["figures"]["rasters"][wc.name]
    if "filternet" in spec:
        stim = spec["filternet"]
        return {"spikes": f"results/filternet/{stim}/output/spikes.h5",
                "circuit": circuit_config(config["filternet"][stim]["network"])}
    spikes = spec["spikes"]
    network = config["spikes"][spikes]["network"]
    return {"spikes": f"results/inputs/{spikes}.h5", "circuit": circuit_config(network)}
