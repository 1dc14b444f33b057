"""The offline components folder: synthetic morphologies, our fit files and synaptic models.

Laid out as BMTK's components (``morphologies/``, ``biophysical_neuron_models/``,
``synaptic_models/``, ``filter_models/``) so simulation configs written for BMTK find the files by name: each entry
of `cell_map` writes a synthetic cell under the file names a network's node types use.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from simlib.errors import ConfigError, FormatError, show_value
from simlib.fileio import atomic_path, read_json

FITS_DIR = Path(__file__).parent / "fits"

# model name -> (morphology generator name, our fit file): regular-spiking pyramidal, fast-spiking basket
CELL_MODELS = {
    "pyramidal": ("pyramidal_cell", "rs_pyramidal_fit.json"),
    "basket": ("basket_cell", "fs_basket_fit.json"),
}

# Exp2Syn kinetics per tutorial edge type (ms, mV). AMPA-like rise/decay for excitation (faster onto
# fast-spiking interneurons), GABA_A-like for inhibition (Geiger et al. 1997; Xiang et al. 1998;
# Bartos et al. 2002 give rise 0.1-1 ms, decay 0.5-3 ms (AMPA) and 2-15 ms (GABA_A)).
SYNAPTIC_MODELS = {
    "ExcToExc.json": {"level_of_detail": "exp2syn", "tau1": 1.0, "tau2": 3.0, "erev": 0.0},
    "ExcToInh.json": {"level_of_detail": "exp2syn", "tau1": 0.1, "tau2": 0.5, "erev": 0.0},
    "InhToExc.json": {"level_of_detail": "exp2syn", "tau1": 2.7, "tau2": 15.0, "erev": -70.0},
    "InhToInh.json": {"level_of_detail": "exp2syn", "tau1": 0.2, "tau2": 8.0, "erev": -70.0},
    "LGN_ExcToExc.json": {"level_of_detail": "exp2syn", "tau1": 1.0, "tau2": 3.0, "erev": 0.0},
    "LGN_ExcToInh.json": {"level_of_detail": "exp2syn", "tau1": 0.1, "tau2": 0.5, "erev": 0.0},
}


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


# LGN temporal filters of the tutorial's two LGN types, for FilterNet (cosine-bump basis: weights of the
# two bumps, their peak times (ms) and delays (ms)). Our own stand-ins, not the Allen fits: a fast positive
# lobe (~13-15 ms) and a slower negative one (~30-35 ms) give the biphasic, band-pass kernels of mouse
# dLGN cells tuned near 8 Hz (Piscopo et al. 2013; Durand et al. 2016). ON/OFF comes from the name.
FILTER_MODELS = {
    "sON_TF8.json": {"opt_wts": [3.5, -2.0], "opt_kpeaks": [13.0, 30.0], "opt_delays": [0.0, 20.0]},
    "sOFF_TF8.json": {"opt_wts": [3.2, -1.8], "opt_kpeaks": [15.0, 35.0], "opt_delays": [0.0, 20.0]},
}


def write_components(output_dir, seed: int, cell_map: list[dict]) -> Path:
    """Write the components folder; returns its ``components.json`` manifest.

    Parameters
    ----------
    output_dir : the components folder.
    seed : base seed of the synthetic morphologies (entry i uses ``seed + i``).
    cell_map : entries ``{model: pyramidal|basket, morphology: <file name>, dynamics_params: <file name>}``.

    Raises
    ------
    ConfigError
        An unknown model name or an entry missing a key.
    """
    from simlib.morphology import synthetic, write_swc

    out = Path(output_dir)
    written = {"morphologies": [], "biophysical_neuron_models": [], "synaptic_models": [], "filter_models": []}
    for i, entry in enumerate(cell_map):
        missing = [k for k in ("model", "morphology", "dynamics_params") if k not in entry]
        if missing:
            raise ConfigError(f"components.cells[{i}]: key(s) {missing} missing")
        if entry["model"] not in CELL_MODELS:
            raise ConfigError(f"components.cells[{i}].model: '{entry['model']}' unknown; accepted: "
                              f"{', '.join(CELL_MODELS)}")
        generator, fit_name = CELL_MODELS[entry["model"]]
        morphology = getattr(synthetic, generator)(seed + i)
        name = entry["morphology"] if entry["morphology"].endswith(".swc") else entry["morphology"] + ".swc"
        write_swc(out / "morphologies" / name, morphology)
        written["morphologies"].append(name)
        fit_path = out / "biophysical_neuron_models" / entry["dynamics_params"]
        fit_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(fit_path) as tmp:
            shutil.copyfile(FITS_DIR / fit_name, tmp)
        written["biophysical_neuron_models"].append(entry["dynamics_params"])
    written.update(_write_network_models(out))
    manifest = out / "components.json"
    _write_text(manifest, json.dumps({"seed": seed, "cells": cell_map, "files": written}, indent=2) + "\n")
    return manifest


# the tutorial's linear electrode (components/devices/linear_electrode.csv): 10 channels through the
# column's axis, 100 µm apart
LINEAR_ELECTRODE = [(channel, 0.0, 100.0 * channel, 0.0) for channel in range(10)]


def _write_network_models(out: Path) -> dict[str, list[str]]:
    """Our synaptic models, LGN filter models and recording electrode, whatever the cell models."""
    from simlib.sonata.ecp import write_electrodes

    written = {"synaptic_models": [], "filter_models": [], "devices": ["linear_electrode.csv"]}
    write_electrodes(out / "devices" / "linear_electrode.csv", [row[0] for row in LINEAR_ELECTRODE],
                     [row[1:] for row in LINEAR_ELECTRODE])
    for name, params in SYNAPTIC_MODELS.items():
        _write_text(out / "synaptic_models" / name, json.dumps(params, indent=2) + "\n")
        written["synaptic_models"].append(name)
    for name, params in FILTER_MODELS.items():
        _write_text(out / "filter_models" / name, json.dumps(params, indent=2) + "\n")
        written["filter_models"].append(name)
    return written


def write_downloaded_components(output_dir, cells_listing) -> Path:
    """Components of downloaded cell models: their folders, plus our synaptic and filter models.

    ``cells_listing`` is the ``cells.json`` of a download (``{"cells": [{model_id, morphology,
    dynamics_params}, ...]}``) beside its ``morphologies/`` and ``biophysical_neuron_models/``. Each file is
    checked (the SWC parses, the fit holds ``genome``); the manifest's ``folders`` point the simulation
    configs at the downloaded folders, relative to ``output_dir``.

    Raises
    ------
    FormatError
        A listed file is missing or invalid.
    """
    import os

    from simlib.downloads import check_json, check_swc

    out = Path(output_dir)
    listing = Path(cells_listing)
    cells = read_json(listing, required=("cells",), expected="a 'cells' list")["cells"]
    if not isinstance(cells, list):
        raise FormatError(f"{listing}: cells: expected a list of cells, got {show_value(cells)}")
    source = listing.parent
    written = {"morphologies": [], "biophysical_neuron_models": []}
    for cell in cells:
        check_swc(source / "morphologies" / cell["morphology"])
        check_json(source / "biophysical_neuron_models" / cell["dynamics_params"], keys=("genome",))
        written["morphologies"].append(cell["morphology"])
        written["biophysical_neuron_models"].append(cell["dynamics_params"])
    written.update(_write_network_models(out))
    folders = {sub: os.path.relpath(source.resolve() / sub, out.resolve()) for sub in ("morphologies",
                                                                                         "biophysical_neuron_models")}
    manifest = out / "components.json"
    _write_text(manifest, json.dumps({"source": str(listing), "cells": cells, "folders": folders, "files": written},
                                     indent=2) + "\n")
    return manifest


def component_folders(components_dir) -> dict[str, Path]:
    """``{folder name: path}`` of a components folder; its ``components.json`` may place folders elsewhere."""
    base = Path(components_dir)
    folders = {sub: base / sub for sub in ("morphologies", "biophysical_neuron_models", "synaptic_models",
                                           "filter_models")}
    manifest = base / "components.json"
    if manifest.is_file():
        placed = read_json(manifest).get("folders", {})
        folders.update({sub: base / rel for sub, rel in placed.items()})
    return folders
