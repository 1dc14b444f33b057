"""Where the workflow keeps each file: one function per kind, used by the rules and their scripts.

Paths are relative to the workflow folder (Snakemake's working directory). Every argument may
also be a wildcard such as ``"{net}"``, so a rule's output pattern and the paths other rules ask
for come from the same function. Standard library only (scripts/download_allen.py imports it in
AllenSDK's environment).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

RESULTS = "results"
RESOURCES = "resources"
ECEPHYS_CACHE = f"{RESOURCES}/ecephys"
MECHANISMS = f"{RESULTS}/mechanisms"
SPIKE_FORMATS = ("h5", "csv")
FILTERNET_OUTPUTS = ("spikes.h5", "spikes.csv", "rates.h5", "rates.csv")


def network_dir(net: str) -> str:
    """Folder of a built network (its SONATA node and edge files)."""
    return f"{RESULTS}/networks/{net}"


def circuit_config(net: str) -> str:
    """Circuit config of a built network."""
    return f"{network_dir(net)}/circuit_config.json"


def population_network_config(net: str) -> str:
    """The PopNet config written with a population network (beside its network/, population_models/, inputs/)."""
    return f"{network_dir(net)}/config.json"


def mechanism_library(arch: str | None = None) -> str:
    """The compiled mechanisms (nrnivmodl's ``<arch>/libnrnmech.so``); ``arch`` defaults to this machine's."""
    return f"{MECHANISMS}/{arch or platform.machine()}/libnrnmech.so"


def mechanisms_dir(library) -> Path:
    """The folder nrnivmodl ran in (a config's ``mechanisms_dir``) of a :func:`mechanism_library` path."""
    return Path(library).parent.parent


def components_dir(name: str) -> str:
    """Folder of one entry of the config's ``components`` (BMTK's components layout)."""
    return f"{RESULTS}/components/{name}"


def components_manifest(name: str) -> str:
    """The manifest written last into :func:`components_dir` (the rule's output)."""
    return f"{components_dir(name)}/components.json"


def cell_models_dir(name: str) -> str:
    """Where the Allen cell models of a ``components`` entry with ``source: allen`` are downloaded."""
    return f"{RESOURCES}/cell_models/{name}"


def cell_models_listing(name: str) -> str:
    """The listing of the downloaded cell models (written last by the download)."""
    return f"{cell_models_dir(name)}/cells.json"


def session_nwb(session_id, cache_dir=ECEPHYS_CACHE) -> str:
    """A Neuropixels session's NWB file in AllenSDK's ecephys cache layout."""
    return f"{cache_dir}/session_{session_id}/session_{session_id}.nwb"


def spikes_file(name: str, fmt: str = "h5") -> str:
    """A spike-train file of the config's ``spikes`` entry ``name``: ``fmt`` is ``h5`` (SONATA) or ``csv``."""
    if fmt not in SPIKE_FORMATS:
        raise ValueError(f"spikes format '{fmt}' unknown; accepted: {', '.join(SPIKE_FORMATS)}")
    return f"{RESULTS}/inputs/{name}.{fmt}"


def filternet_dir(stim: str) -> str:
    """Folder of one FilterNet run (its config.json and output/)."""
    return f"{RESULTS}/filternet/{stim}"


def filternet_config(stim: str) -> str:
    """The FilterNet config of one run."""
    return f"{filternet_dir(stim)}/config.json"


def filternet_output(stim: str, name: str = "spikes.h5") -> str:
    """One output file of a FilterNet run: one of :data:`FILTERNET_OUTPUTS`."""
    if name not in FILTERNET_OUTPUTS:
        raise ValueError(f"FilterNet output '{name}' unknown; accepted: {', '.join(FILTERNET_OUTPUTS)}")
    return f"{filternet_dir(stim)}/output/{name}"


def sim_dir(sim: str) -> str:
    """Folder of one BioNet simulation (its config.json and output/)."""
    return f"{RESULTS}/sims/{sim}"


def sim_config(sim: str) -> str:
    """The SONATA simulation config of one simulation."""
    return f"{sim_dir(sim)}/config.json"


def sim_output(sim: str) -> str:
    """The output folder of one simulation (spikes.h5, reports, log.txt)."""
    return f"{sim_dir(sim)}/output"


def popnet_rates(sim: str) -> str:
    """The rates file of a PopNet simulation (BMTK's layout: ``<population> <time s> <rate Hz>`` lines)."""
    return f"{sim_output(sim)}/spike_rates.csv"


def sim_rates(sim: str) -> str:
    """The per-population rates table of one simulation (CSV)."""
    return f"{sim_dir(sim)}/rates.csv"


def sweep_dir(sweep: str) -> str:
    """Folder of one parameter sweep: a folder per point, the tidy table."""
    return f"{RESULTS}/sweeps/{sweep}"


def sweep_point_rates(sweep: str, point: str) -> str:
    """The rates table of one point of a sweep (written last: the point's rule output)."""
    return f"{sweep_dir(sweep)}/{point}/rates.csv"


def sweep_table(sweep: str) -> str:
    """The tidy table of a sweep (parameter values, seed, population, rates, ISI CV)."""
    return f"{sweep_dir(sweep)}/table.csv"


def sweep_figure(sweep: str) -> str:
    """The figure of a sweep: population rate against the parameter."""
    return f"{RESULTS}/figures/sweeps/{sweep}.png"


def manifest() -> str:
    """The list of every result with its SHA-256, the config, seeds and library versions."""
    return f"{RESULTS}/manifest.json"


def raster_figure(name: str) -> str:
    """A raster of the config's ``figures.rasters`` entry ``name``."""
    return f"{RESULTS}/figures/rasters/{name}.png"


NETWORK_FIGURES = ("connectivity", "positions")


def network_figure(net: str, kind: str) -> str:
    """A figure of a built network: ``kind`` is one of :data:`NETWORK_FIGURES`."""
    return f"{RESULTS}/figures/networks/{net}/{kind}.png"


def sim_figure(sim: str, kind: str) -> str:
    """A figure of a simulation: ``kind`` is a key of its ``figures`` (raster, traces, ecp, ...)."""
    return f"{RESULTS}/figures/{sim}/{kind}.png"


def portable(path, config_dir) -> str:
    """``${configdir}/<relative path>``: resolved by simlib and BMTK alike, wherever the tree is moved."""
    rel = os.path.relpath(Path(path).resolve(), Path(config_dir).resolve())
    return "${configdir}" if rel == "." else f"${{configdir}}/{rel}"

