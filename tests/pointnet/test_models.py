"""What PointNet reads before NEST starts: templates, weights (BMTK's PointNet rule), GLIF files, per-node params."""

from pathlib import Path

import numpy as np
import pytest
from pnet import POINT, networks, read_spikes, write_config

from simlib.builder import NetworkBuilder
from simlib.circuit import Circuit, add_weight_function
from simlib.errors import ConfigError
from simlib.pointnet import simulate
from simlib.pointnet.models import is_null, nest_cell_model, point_weights

POINT_MODELS = Path(__file__).resolve().parents[2] / "simlib" / "models" / "point_models"


def test_cell_templates():
    assert nest_cell_model("nest:iaf_psc_alpha", "here") == "iaf_psc_alpha"
    assert nest_cell_model(" nest:glif_psc ", "here") == "glif_psc"
    for bad, words in (("nrn:IntFire1", "NEURON model"), ("ctdb:Biophys1.hoc", "NEURON model"),
                       ("iaf_psc_alpha", "unknown"), ("nest:", "unknown"), (None, "no model_template")):
        with pytest.raises(ConfigError, match=words) as info:
            nest_cell_model(bad, "types.csv: node type 100")
        assert "types.csv: node type 100" in str(info.value) and "nest:iaf_psc_alpha" in str(info.value)
    assert is_null(None) and is_null(float("nan")) and is_null("NULL") and is_null("none") and not is_null("x.json")


def test_weights_are_syn_weight_times_nsyns_unless_a_user_function_gives_them(tmp_path):
    add_weight_function(lambda edge, src, trg: 7.0, name="pointnet_test_seven")
    v1 = NetworkBuilder("V1", seed=1)
    v1.add_nodes(N=2, dynamics_params="exc.json", **POINT)
    v1.add_edges(source=v1.nodes(), target=v1.nodes(), connection_rule=3, syn_weight=2.0, delay=1.0)
    v1.add_edges(source=v1.nodes(), target=v1.nodes(), connection_rule=3, syn_weight=2.0, delay=1.0,
                 weight_function="wmax")
    v1.add_edges(source=v1.nodes(), target=v1.nodes(), connection_rule=3, syn_weight=2.0, delay=1.0,
                 weight_function="pointnet_test_seven")
    v1.build()
    v1.save(str(tmp_path), compression="none")
    circuit = Circuit(networks(tmp_path, populations=("V1",), edges=(("V1", "V1"),)))
    edges = circuit.edges(circuit.edge_populations()[0])
    types = edges.table["edge_type_id"].to_numpy()
    weights = point_weights(edges)
    assert np.all(edges.nsyns == 3)
    assert np.all(weights[types == 100] == 6.0) and np.all(weights[types == 101] == 6.0)   # BMTK: wmax × nsyns
    assert np.all(weights[types == 102] == 7.0)                                           # a user function's value


def test_glif_node_types_are_converted_and_fire(tmp_path, components):
    """An Allen GLIF file with nest:glif_psc runs as NEST's glif_psc (simlib.pointnet.glif converts it)."""
    v1 = NetworkBuilder("V1", seed=1)
    v1.add_nodes(N=1, model_type="point_process", model_template="nest:glif_psc",
                 dynamics_params=str(POINT_MODELS / "Scnn1a_glif_lif_r_asc.json"))
    v1.build()
    v1.save(str(tmp_path / "net"), compression="none")
    step = {"input_type": "current_clamp", "module": "IClamp", "node_set": "V1", "amp": 400.0, "delay": 50.0,
            "duration": 200.0}
    config = write_config(tmp_path / "run" / "config.json", tmp_path / "net", components, 300.0,
                          inputs={"step": step}, populations=("V1",), edges=())
    simulate(config)
    _, times = read_spikes(tmp_path / "run" / "output" / "spikes.h5")
    assert times.size >= 2 and times.min() > 50.0 and times.max() <= 250.0
