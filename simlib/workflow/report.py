"""What the Snakemake report says of each figure: its category, and the values its caption states.

Captions (``report/*.rst``) are Jinja templates that Snakemake renders when it builds the report,
after the run; they read ``snakemake.params.about``, made here from the workflow config, and
``snakemake.params.measured``, a :class:`MeasuredRates` that reads a simulation's rates table
only when the caption is rendered (Snakemake evaluates params before the run, when the table does
not exist yet; such objects are not part of Snakemake's params rerun trigger).
"""

from __future__ import annotations

import csv
from pathlib import Path

CATEGORIES = {"network": "1. Networks", "inputs": "2. Input spike trains", "filternet": "3. FilterNet (LGN)",
              "bionet": "4. BioNet simulations", "extracellular": "5. Extracellular potentials",
              "pointnet": "6. PointNet simulations", "popnet": "7. PopNet simulations", "sweeps": "8. Parameter sweeps"}
EXTRACELLULAR_FIGURES = ("ecp", "lfp_csd", "spectrum", "ecp_populations")


class MeasuredRates:
    """The rates table of a simulation (``population,cells,mean_hz,sd_hz,...``), read when a caption asks."""

    def __init__(self, path):
        self.path = str(path)

    @property
    def rows(self) -> list[dict]:
        if not Path(self.path).is_file():
            return []
        with open(self.path, newline="") as fh:
            return list(csv.DictReader(fh))

    def __str__(self) -> str:
        rows = self.rows
        if not rows:
            return "(not measured yet)"
        if "sd_hz" not in rows[0]:  # a PopNet run: one rate per population, no spread over cells
            return "; ".join(f"{r['population']}: {float(r['mean_hz']):.2f} Hz (range {float(r['min_hz']):.2f}–"
                             f"{float(r['max_hz']):.2f} Hz; {r['cells']} cells)" for r in rows)
        return "; ".join(f"{r['population']}: {float(r['mean_hz']):.2f} ± {float(r['sd_hz']):.2f} Hz "
                         f"({r['cells']} cells)" for r in rows)

    def __repr__(self) -> str:
        return f"MeasuredRates({self.path!r})"


def simulation_category(config: dict, sim: str, kind: str = "raster") -> str:
    """The report category of figure ``kind`` of ``simulations.<sim>``."""
    if kind in EXTRACELLULAR_FIGURES:
        return CATEGORIES["extracellular"]
    return CATEGORIES[config["simulations"][sim].get("simulator", "bionet")]


def raster_category(config: dict, name: str) -> str:
    """The report category of ``figures.rasters.<name>``: input spikes or FilterNet's."""
    return CATEGORIES["filternet" if "filternet" in config["figures"]["rasters"][name] else "inputs"]


def network_figure_about(config: dict, net: str) -> dict:
    """The values a network figure's caption states."""
    return {"name": net, "network": network_about(config, net),
            "population": config["networks"][net].get("positions_population", "V1")}


def network_about(config: dict, net: str) -> str:
    """One line on a network entry: model or script, scale, seed (a point network: its source and cell models)."""
    if net in config.get("population_networks", {}):
        spec = config["population_networks"][net]
        rates = ", ".join(f"{group} {rate} Hz" for group, rate in spec["external_rates_hz"].items())
        return (f"{net}: population version of {network_about(config, spec['network'])}, one population per "
                f"{spec.get('group_by', 'pop_name')}; external rates {rates}")
    if net in config.get("point_networks", {}):
        spec = config["point_networks"][net]
        models = ", ".join(f"{group} → {m['model_template']}" for group, m in spec["cells"].items())
        return f"{net}: point-neuron version of {network_about(config, spec['network'])}; cells {models}"
    spec = config["networks"][net]
    what = f"model {spec['model']}" if "model" in spec else f"script {spec['script']}"
    params = ", ".join(f"{k}={v}" for k, v in sorted(spec.get("params", {}).items()))
    return f"{net} ({what}{', ' + params if params else ''}, seed {spec.get('seed', config['seed'])})"


def input_about(config: dict, inp: dict) -> str:
    """One line on a simulation input: its spikes entry's rates and seed, its FilterNet stimulus, or its module."""
    if "spikes" in inp:
        spec = config["spikes"][inp["spikes"]]
        if spec.get("kind", "poisson") == "poisson":
            rate = f"{spec['firing_rate_hz']} Hz Poisson"
        else:
            rate = f"ramp of {spec['rate_step_hz']} Hz steps"
        return (f"{inp['spikes']}: {rate} for {spec['population']}, {spec.get('start_s', 0.0)}–{spec['stop_s']} s, "
                f"seed {spec.get('seed', config['seed'])}")
    if "filternet" in inp:
        spec = config["filternet"][inp["filternet"]]
        stim = ", ".join(f"{k}={v}" for k, v in spec["stimulus"].items())
        return f"FilterNet run {inp['filternet']} (LGN spikes for {stim}; seed {spec['seed']})"
    extra = {k: v for k, v in inp.items() if k not in ("input_type", "module")}
    return f"{inp.get('input_type')} ({inp.get('module')}): " + ", ".join(f"{k}={v}" for k, v in extra.items())


def simulation_about(config: dict, sim: str) -> dict:
    """The values a simulation figure's caption states (strings and numbers only)."""
    spec = config["simulations"][sim]
    simulator = spec.get("simulator", "bionet")
    if simulator == "popnet":
        run = "PopNet (simlib's population-density solver)"
    elif simulator == "pointnet":
        run = f"PointNet on NEST, {spec.get('threads', 1)} thread(s), rng_seed {spec.get('seed', 'NEST default')}"
    else:
        run = f"BioNet on NEURON ({spec.get('backend', 'neuron')}), {spec.get('ranks', 1)} MPI rank(s)"
    inputs = [f"{name}: {input_about(config, inp)}" for name, inp in spec.get("inputs", {}).items()]
    if simulator == "popnet":  # its external populations' rates come with the population network
        rates = config.get("population_networks", {}).get(spec["network"], {}).get("external_rates_hz", {})
        inputs = [f"{group}: constant {rate} Hz" for group, rate in rates.items()]
    return {"name": sim, "simulator": simulator, "run": run, "network": network_about(config, spec["network"]),
            "components": spec.get("components", "none"), "tstop_ms": spec["tstop_ms"],
            "dt_ms": spec.get("dt_ms", 0.1), "inputs": inputs, "reports": sorted(spec.get("reports", {}))}


def raster_about(config: dict, name: str) -> dict:
    """The values a ``figures.rasters`` caption states."""
    spec = config["figures"]["rasters"][name]
    if "filternet" in spec:
        source = input_about(config, {"filternet": spec["filternet"]})
        network = config["filternet"][spec["filternet"]]["network"]
    else:
        source = input_about(config, {"spikes": spec["spikes"]})
        network = config["spikes"][spec["spikes"]]["network"]
    return {"name": name, "source": source, "network": network_about(config, network),
            "group_by": spec.get("group_by", "")}


def sweep_about(config: dict, sweep: str) -> dict:
    """The values a sweep's captions state: base simulation, varied keys and values, seeds, tstop."""
    spec = config["sweeps"][sweep]
    base = simulation_about(config, spec["simulation"])
    return {"name": sweep, "simulation": spec["simulation"], "run": base["run"], "network": base["network"],
            "vary": [f"{key} = {', '.join(str(v) for v in values)}" for key, values in spec["vary"].items()],
            "seeds": ", ".join(str(s) for s in spec.get("seeds", [1])),
            "tstop_ms": spec.get("tstop_ms", base["tstop_ms"])}
