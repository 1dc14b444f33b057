"""The point-neuron components folder: NEST cell parameter files and NEST synapse parameter files.

Laid out as BMTK's PointNet components (``point_neuron_models/``, ``synaptic_models/``), so a
PointNet config names them with ``components.point_neuron_models_dir`` and ``synaptic_models_dir``.
The cell files are ours (``simlib/models/point_models/``: Allen-format GLIF files for the L4
classes, ``iaf_psc_alpha`` files for the PointNet tutorial's classes). The synapse files:

- ``ExcToExc.json``, ``ExcToInh.json``, ``InhToExc.json``, ``InhToInh.json``,
  ``instantaneousExc.json``, ``instantaneousInh.json``: the PointNet tutorial's synapse classes,
  NEST ``static_synapse`` parameters (none: weight and delay come from the edges);
- ``glif_ExcToExc.json`` ... ``glif_InhToInh.json``: the same classes onto ``glif_psc`` cells, each
  on its own receptor port, whose synaptic time constant :data:`simlib.pointnet.glif.BMTK_TAU_SYN_MS`
  gives (port 1: excitation of excitatory cells, 2: inhibition of excitatory cells, 3: excitation of
  inhibitory cells, 4: inhibition of inhibitory cells).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from simlib.fileio import atomic_path

POINT_MODELS_DIR = Path(__file__).parent / "point_models"

TUTORIAL_SYNAPSES = ("ExcToExc", "ExcToInh", "InhToExc", "InhToInh", "instantaneousExc", "instantaneousInh")
GLIF_RECEPTORS = {"ExcToExc": 1, "InhToExc": 2, "ExcToInh": 3, "InhToInh": 4}


def point_synaptic_models() -> dict[str, dict]:
    """``{file name: NEST synapse parameters}`` of the synaptic_models folder."""
    models = {f"{name}.json": {} for name in TUTORIAL_SYNAPSES}
    models.update({f"glif_{name}.json": {"receptor_type": port} for name, port in GLIF_RECEPTORS.items()})
    return models


def write_point_components(output_dir) -> Path:
    """Write the point components folder; returns its ``components.json`` manifest (written last)."""
    out = Path(output_dir)
    written = {"point_neuron_models": [], "synaptic_models": []}
    for path in sorted(POINT_MODELS_DIR.glob("*.json")):
        target = out / "point_neuron_models" / path.name
        with atomic_path(target) as tmp:
            shutil.copyfile(path, tmp)
        written["point_neuron_models"].append(path.name)
    for name, params in point_synaptic_models().items():
        with atomic_path(out / "synaptic_models" / name) as tmp:
            tmp.write_text(json.dumps(params, indent=2) + "\n")
        written["synaptic_models"].append(name)
    manifest = out / "components.json"
    with atomic_path(manifest) as tmp:
        tmp.write_text(json.dumps({"source": "point", "files": written}, indent=2) + "\n")
    return manifest
