"""The tutorial's L4 network: counts, properties, the four V1 edge sets and two LGN edge sets."""

import filecmp

import numpy as np
import pytest

from simlib.errors import ConfigError
from simlib.models import build_from_script, build_model
from simlib.sonata import read_edges, read_nodes


@pytest.fixture(scope="module")
def l4(tmp_path_factory):
    out = tmp_path_factory.mktemp("l4")
    build_model("l4_tutorial", out, seed=42)
    return out


def test_l4_nodes(l4):
    v1 = read_nodes(l4 / "V1_nodes.h5", l4 / "V1_node_types.csv")
    assert v1.groupby("pop_name").size().to_dict() == {"Scnn1a": 80, "Rorb": 80, "Nr5a1": 80, "PV1": 60}
    assert v1["node_id"].tolist() == list(range(300))
    assert sorted(v1["node_type_id"].unique()) == [100, 101, 102, 103]
    assert set(v1["model_template"]) == {"ctdb:Biophys1.hoc"} and set(v1["model_processing"]) == {"aibs_perisomatic"}
    e = v1[v1.ei == "e"]
    assert np.isnan(v1.loc[v1.ei == "i", "tuning_angle"]).all()
    assert e["y"].between(400, 500).all() and abs(e["x"].mean()) < 5
    lgn = read_nodes(l4 / "LGN_nodes.h5", l4 / "LGN_node_types.csv")
    assert lgn.groupby("model_template").size().to_dict() == {"lgnmodel:sOFF_TF8": 50, "lgnmodel:sON_TF8": 50}
    assert (lgn["model_type"] == "virtual").all() and lgn["x"].between(0, 240).all()


def test_l4_edges(l4):
    v1 = read_nodes(l4 / "V1_nodes.h5", l4 / "V1_node_types.csv").set_index("node_id")
    edges = read_edges(l4 / "V1_V1_edges.h5", l4 / "V1_V1_edge_types.csv")
    ei_src = v1.loc[edges.source_node_id, "ei"].to_numpy()
    ei_trg = v1.loc[edges.target_node_id, "ei"].to_numpy()
    by_type = {t: edges[edges.edge_type_id == t] for t in (100, 101, 102, 103)}
    assert len(by_type[100]) == 240 * 60 and (by_type[100].nsyns == 1).all()            # e -> i, all to all
    assert len(by_type[101]) == 60 * 240                                                # i -> e
    ii = by_type[102]
    assert (ii.source_node_id != ii.target_node_id).all() and ii.nsyns.between(1, 4).all()
    assert len(ii) == 60 * 59                                                           # every pair but autapses
    ee = by_type[103]
    assert (ee.source_node_id != ee.target_node_id).all() and ee.nsyns.between(1, 5).all()
    assert (ee.weight_function == "set_syn_weight").all() and ee.distance_range.iloc[0] == [30.0, 150.0]
    assert set(zip(ei_src, ei_trg)) == {("e", "i"), ("i", "e"), ("i", "i"), ("e", "e")}
    # the tuning rule: similar tuning angles get more synapses
    d = np.abs((v1.loc[ee.source_node_id, "tuning_angle"].to_numpy()
                - v1.loc[ee.target_node_id, "tuning_angle"].to_numpy() + 180) % 360 - 180)
    assert ee.nsyns[d < 30].mean() > ee.nsyns[d > 150].mean() + 2
    lgn = read_edges(l4 / "LGN_V1_edges.h5", l4 / "LGN_V1_edge_types.csv")
    to_e = lgn[lgn.edge_type_id == 100]
    assert set(v1.loc[to_e.target_node_id, "ei"]) == {"e"} and set(v1.loc[lgn[lgn.edge_type_id == 101].target_node_id, "ei"]) == {"i"}
    assert lgn.nsyns.between(1, 4).all()
    assert abs(len(lgn) / (100 * 300) - 0.8) < 0.02  # randint(0, 5) is 0 one time in five


def test_l4_deterministic_and_seeded(tmp_path, l4):
    build_model("l4_tutorial", tmp_path / "again", seed=42)
    build_model("l4_tutorial", tmp_path / "other", seed=43)
    for name in ("V1_nodes.h5", "V1_V1_edges.h5", "LGN_V1_edges.h5", "V1_node_types.csv"):
        a = read_edges if "edges" in name else read_nodes
        if name.endswith(".csv"):
            assert filecmp.cmp(l4 / name, tmp_path / "again" / name, shallow=False)
            continue
        assert a(l4 / name).equals(a(tmp_path / "again" / name))
    assert not read_edges(l4 / "V1_V1_edges.h5").equals(read_edges(tmp_path / "other" / "V1_V1_edges.h5"))


def test_scale_and_errors(tmp_path):
    build_model("l4_tutorial", tmp_path, seed=1, scale=0.1)
    v1 = read_nodes(tmp_path / "V1_nodes.h5", tmp_path / "V1_node_types.csv")
    assert len(v1) == 30
    with pytest.raises(ConfigError, match="unknown; accepted: l4_tutorial"):
        build_model("l5", tmp_path, seed=1)
    with pytest.raises(ConfigError, match="scale must be > 0"):
        build_model("l4_tutorial", tmp_path, seed=1, scale=0)


def test_virtual_inputs_with_weight_scale(tmp_path):
    """virtual_inputs: a number of cells (the LGN's weights), or {cells, syn_weight_scale}."""
    import pandas as pd

    build_model("l4_tutorial", tmp_path / "plain", seed=1, scale=0.1, virtual_inputs={"inputs": 4})
    build_model("l4_tutorial", tmp_path / "strong", seed=1, scale=0.1,
                virtual_inputs={"inputs": {"cells": 4, "syn_weight_scale": 10.0}})
    plain = pd.read_csv(tmp_path / "plain" / "inputs_V1_edge_types.csv", sep=" ")
    strong = pd.read_csv(tmp_path / "strong" / "inputs_V1_edge_types.csv", sep=" ")
    assert plain["syn_weight"].tolist() == [0.0003, 0.002]            # as the LGN's (e, i)
    assert np.allclose(strong["syn_weight"], [0.003, 0.02], rtol=1e-12, atol=0)
    # the same cells and pairs, only the weights differ
    assert read_edges(tmp_path / "plain" / "inputs_V1_edges.h5").equals(read_edges(tmp_path / "strong" / "inputs_V1_edges.h5"))
    assert len(read_nodes(tmp_path / "strong" / "inputs_nodes.h5")) == 4
    for bad, message in [({"cells": 4, "weight": 2}, r"unknown key\(s\) \['weight'\]"),
                         ({"cells": 4, "syn_weight_scale": 0}, "syn_weight_scale: expected a number > 0"),
                         ({"syn_weight_scale": 2.0}, "expected a number of cells > 0, got None"),
                         (True, "expected a number of cells > 0, got True")]:
        with pytest.raises(ConfigError, match=rf"virtual_inputs.inputs.*{message}"):
            build_model("l4_tutorial", tmp_path / "bad", seed=1, scale=0.1, virtual_inputs={"inputs": bad})


def test_tutorial_style_script_ports_by_import(tmp_path, repo):
    """A BMTK-style script with per-pair rule functions builds the same kind of network."""
    build_from_script(repo / "examples" / "l4_network_script.py", tmp_path, seed=5, scale=0.5)
    v1 = read_nodes(tmp_path / "V1_nodes.h5", tmp_path / "V1_node_types.csv")
    assert len(v1) == 150
    edges = read_edges(tmp_path / "V1_V1_edges.h5", tmp_path / "V1_V1_edge_types.csv")
    assert sorted(edges.edge_type_id.unique()) == [100, 101, 102, 103]
    ee = edges[edges.edge_type_id == 103]
    assert (ee.source_node_id != ee.target_node_id).all() and ee.nsyns.max() <= 5
    with pytest.raises(ConfigError, match="network script not found"):
        build_from_script(tmp_path / "nope.py", tmp_path, seed=1)
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\n")
    with pytest.raises(ConfigError, match="expected a function build_network"):
        build_from_script(bad, tmp_path, seed=1)


def test_script_parameters_checked(tmp_path):
    script = tmp_path / "net.py"
    script.write_text("def build_network(output_dir, seed, scale=1.0):\n    return []\n")
    assert build_from_script(script, tmp_path, seed=1, scale=2.0, compression="gzip") == []
    with pytest.raises(ConfigError, match=r"takes no parameter\(s\) \['size'\]; it accepts \['scale'\]"):
        build_from_script(script, tmp_path, seed=1, size=3)
