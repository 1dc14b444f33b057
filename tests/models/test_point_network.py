"""The point version of a built network: same h5 files, point_process node types, scaled edge types."""

import json

import numpy as np
import pytest

from simlib.circuit import Circuit
from simlib.errors import ConfigError, FormatError
from simlib.models.point_network import derive_point_network
from simlib.sonata.circuit import read_circuit_config
from simlib.tasks import build_network

CELLS = {"Scnn1a": {"model_template": "nest:glif_psc", "dynamics_params": "Scnn1a_glif_lif_r_asc.json"},
         "Rorb": {"model_template": "nest:glif_psc", "dynamics_params": "Rorb_glif_lif_r_asc.json"},
         "Nr5a1": {"model_template": "nest:glif_psc", "dynamics_params": "Nr5a1_glif_lif_r_asc.json"},
         "PV1": {"model_template": "nest:glif_psc", "dynamics_params": "PV_glif_lif_r_asc.json"}}


def synapses(scale=1000.0):
    names = ["ExcToExc.json", "ExcToInh.json", "InhToExc.json", "InhToInh.json", "LGN_ExcToExc.json",
             "LGN_ExcToInh.json"]
    return {n: {"syn_weight_scale": -scale if n.startswith("Inh") else scale, "model_template": "static_synapse",
                "dynamics_params": n.replace(".json", "_point.json")} for n in names}


@pytest.fixture(scope="module")
def l4(tmp_path_factory):
    root = tmp_path_factory.mktemp("point")
    return build_network({"model": "l4_tutorial", "seed": 3, "params": {"scale": 0.1}}, root / "l4")


def test_point_version_of_the_l4_network(l4, tmp_path):
    config = derive_point_network(l4, tmp_path / "l4_point", CELLS, synapses())
    bio, point = read_circuit_config(l4), read_circuit_config(config)
    for kind, key in (("nodes", "nodes_file"), ("edges", "edges_file")):
        for a, b in zip(bio[kind], point[kind]):
            assert open(a[key], "rb").read() == open(b[key], "rb").read()   # the same h5 files
    circuit_bio = Circuit({"nodes": bio["nodes"], "edges": bio["edges"]})
    circuit_pt = Circuit({"nodes": point["nodes"], "edges": point["edges"]})
    v1 = circuit_pt.population("V1").nodes
    assert set(v1["model_type"]) == {"point_process"} and set(v1["model_template"]) == {"nest:glif_psc"}
    assert "morphology" not in v1 and "model_processing" not in v1
    for pop, row in v1.groupby("pop_name"):
        assert set(row["dynamics_params"]) == {CELLS[pop]["dynamics_params"]}
    assert set(circuit_pt.population("LGN").nodes["model_type"]) == {"virtual"}
    for ref_bio, ref_pt in zip(circuit_bio.edge_populations(), circuit_pt.edge_populations()):
        a, b = circuit_bio.edges(ref_bio), circuit_pt.edges(ref_pt)
        np.testing.assert_array_equal(a.source, b.source)
        np.testing.assert_array_equal(a.nsyns, b.nsyns)
        classes = a.table["dynamics_params"].to_numpy()
        scale = np.array([synapses()[c]["syn_weight_scale"] for c in classes])
        np.testing.assert_allclose(b.weight, a.weight * scale, rtol=1e-12)
        assert set(b.table["model_template"]) == {"static_synapse"}
        assert "target_sections" not in b.table


def test_missing_entries_are_named(l4, tmp_path):
    with pytest.raises(ConfigError, match="point network: no entry for cells pop_name 'PV1'"):
        derive_point_network(l4, tmp_path / "a", {k: v for k, v in CELLS.items() if k != "PV1"}, synapses())
    partial = {k: v for k, v in synapses().items() if k != "InhToInh.json"}
    with pytest.raises(ConfigError, match="no entry for synapses dynamics_params 'InhToInh.json'"):
        derive_point_network(l4, tmp_path / "b", CELLS, partial)
    with pytest.raises(ConfigError, match="cells pop_name 'Rorb': missing dynamics_params"):
        derive_point_network(l4, tmp_path / "c", {**CELLS, "Rorb": {"model_template": "nest:iaf_psc_alpha"}},
                             synapses())
    assert not (tmp_path / "a").exists() and not list(tmp_path.glob(".a.*"))   # nothing half-written


def test_model_type_only_per_node_is_an_error(tmp_path):
    from simlib.builder import NetworkBuilder

    net = NetworkBuilder("V1")
    net.add_nodes(N=2, model_type=["biophysical", "biophysical"], pop_name="Scnn1a")
    net.build()
    net.save(str(tmp_path / "n"))
    from simlib.sonata.circuit import write_circuit_config

    config = write_circuit_config(tmp_path / "n")
    with pytest.raises(FormatError, match="V1_node_types.csv: no model_type column"):
        derive_point_network(config, tmp_path / "p", CELLS, synapses())
    assert json.loads(config.read_text())["networks"]["nodes"]
