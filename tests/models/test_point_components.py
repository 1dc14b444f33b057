"""The point components folder: our NEST cell files (GLIF in Allen's format, iaf_psc_alpha) and synapse files."""

import json

from simlib.models.point_components import GLIF_RECEPTORS, POINT_MODELS_DIR, write_point_components
from simlib.pointnet.glif import BMTK_TAU_SYN_MS, is_allen_glif, to_nest


def test_folder_layout_and_manifest(tmp_path):
    manifest = write_point_components(tmp_path / "point")
    files = json.loads(manifest.read_text())["files"]
    shipped = sorted(p.name for p in POINT_MODELS_DIR.glob("*.json"))
    assert files["point_neuron_models"] == shipped and len(shipped) >= 8
    for name in shipped:
        assert (tmp_path / "point/point_neuron_models" / name).read_bytes() == (POINT_MODELS_DIR / name).read_bytes()
    synapses = {name: json.loads((tmp_path / "point/synaptic_models" / name).read_text())
                for name in files["synaptic_models"]}
    assert synapses["ExcToExc.json"] == {} and synapses["instantaneousInh.json"] == {}
    assert {name: s["receptor_type"] for name, s in synapses.items() if name.startswith("glif_")} == {
        f"glif_{k}.json": v for k, v in GLIF_RECEPTORS.items()}
    assert not list((tmp_path / "point").rglob(".*.tmp*"))


def test_glif_files_convert_and_each_receptor_port_exists():
    """Every GLIF file becomes a glif_psc cell with one port per synapse class (ports 1..4 exist)."""
    glif_files = sorted(POINT_MODELS_DIR.glob("*_glif_*.json"))
    assert len(glif_files) == 4
    for path in glif_files:
        params = json.loads(path.read_text())
        assert is_allen_glif(params)
        model, nest_params = to_nest("glif_psc", params, source=path.name)
        assert model == "glif_psc"
        assert len(nest_params["tau_syn"]) == len(BMTK_TAU_SYN_MS) >= max(GLIF_RECEPTORS.values())
