# Config validation and helpers shared by every stage.
import platform
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
    for name in config.get("spikes", {}):
        targets += [f"results/inputs/{name}.h5", f"results/inputs/{name}.csv"]
    for name in config.get("figures", {}).get("rasters", {}):
        targets.append(f"results/figures/rasters/{name}.png")
    return targets


def raster_input(wc):
    spec = config["figures"]["rasters"][wc.name]
    spikes = spec["spikes"]
    network = config["spikes"][spikes]["network"]
    return {"spikes": f"results/inputs/{spikes}.h5", "circuit": circuit_config(network)}
