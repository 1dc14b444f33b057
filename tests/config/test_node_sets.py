"""select_nodes: named, implicit, filter, id-list and compound node sets."""

import numpy as np
import pandas as pd
import pytest

from simlib.config import select_nodes
from simlib.errors import ConfigError
from simlib.sonata import read_nodes


@pytest.fixture
def populations():
    v1 = pd.DataFrame({
        "node_id": np.array([0, 1, 2, 3, 4, 5], dtype=np.int64),
        "node_type_id": [100, 100, 100, 101, 101, 102],
        "pop_name": ["Scnn1a", "Scnn1a", "Rorb", "PV", "PV", "LIF"],
        "ei": ["e", "e", "e", "i", "i", "e"],
        "layer": ["4", "4", "5", "4", "5", "2/3"],
        "depth": [10.0, 20.0, 30.0, 10.0, np.nan, 5.0],
        "model_type": ["biophysical"] * 5 + ["point_process"],
    })
    lgn = pd.DataFrame({
        "node_id": np.array([3, 1, 0, 2], dtype=np.int64),  # file order need not be id order
        "node_type_id": [200, 200, 201, 201],
        "ei": ["e", "e", "e", "e"],
        "model_type": ["virtual"] * 4,
        "x": [1.0, 2.0, 3.0, 4.0],
    })
    return {"v1": v1, "lgn": lgn}


def ids(selection):
    return {name: arr.tolist() for name, arr in selection.items()}


def test_implicit_names(populations):
    assert ids(select_nodes("all", populations)) == {"v1": [0, 1, 2, 3, 4, 5], "lgn": [0, 1, 2, 3]}
    assert ids(select_nodes("lgn", populations)) == {"lgn": [0, 1, 2, 3]}
    assert ids(select_nodes("biophysical", populations)) == {"v1": [0, 1, 2, 3, 4]}
    assert ids(select_nodes("virtual", populations)) == {"lgn": [0, 1, 2, 3]}
    assert ids(select_nodes("point_process", populations)) == {"v1": [5]}


def test_model_type_sets_without_a_model_type_column_are_empty(populations):
    bare = {"v1": populations["v1"].drop(columns="model_type")}
    assert select_nodes("biophysical", bare) == {}


def test_user_definitions_override_implicit_names(populations):
    node_sets = {"biophysical": {"pop_name": "Rorb"}, "all": [1]}
    assert ids(select_nodes("biophysical", populations, node_sets)) == {"v1": [2]}
    assert ids(select_nodes("all", populations, node_sets)) == {"v1": [1], "lgn": [1]}


def test_filters(populations):
    assert ids(select_nodes({"ei": "i"}, populations)) == {"v1": [3, 4]}
    assert ids(select_nodes({"ei": "e"}, populations)) == {"v1": [0, 1, 2, 5], "lgn": [0, 1, 2, 3]}
    assert ids(select_nodes({"pop_name": ["Rorb", "PV"], "layer": "5"}, populations)) == {"v1": [2, 4]}
    assert ids(select_nodes({"ei": "e", "population": "lgn"}, populations)) == {"lgn": [0, 1, 2, 3]}
    assert ids(select_nodes({"populations": ["v1"], "node_id": [0, 5, 9]}, populations)) == {"v1": [0, 5]}
    assert ids(select_nodes({"node_ids": 2}, populations)) == {"v1": [2], "lgn": [2]}
    assert ids(select_nodes({}, populations)) == ids(select_nodes("all", populations))
    assert select_nodes({"pop_name": "nobody"}, populations) == {}


def test_property_present_in_some_populations_only(populations):
    # pop_name exists only in v1: lgn simply has no match
    assert ids(select_nodes({"pop_name": "PV"}, populations)) == {"v1": [3, 4]}


def test_numbers_and_numeric_strings(populations):
    assert ids(select_nodes({"node_type_id": "101"}, populations)) == {"v1": [3, 4]}
    assert ids(select_nodes({"node_type_id": [100.0, "200"]}, populations)) == {"v1": [0, 1, 2], "lgn": [1, 3]}
    assert ids(select_nodes({"depth": 10}, populations)) == {"v1": [0, 3]}
    assert ids(select_nodes({"depth": "ten"}, populations)) == {}
    assert ids(select_nodes({"layer": 4}, populations)) == {"v1": [0, 1, 3]}  # number vs string column
    assert ids(select_nodes({"layer": "2/3"}, populations)) == {"v1": [5]}


def test_id_lists_and_compound_sets(populations):
    node_sets = {"exc_v1": {"population": "v1", "ei": "e"}, "pv": {"pop_name": "PV"},
                 "both": ["exc_v1", "pv"], "nested": ["both", "lgn"], "ids": [3, 0]}
    assert ids(select_nodes([0, 3], populations)) == {"v1": [0, 3], "lgn": [0, 3]}
    assert ids(select_nodes("ids", populations, node_sets)) == {"v1": [0, 3], "lgn": [0, 3]}
    assert ids(select_nodes("both", populations, node_sets)) == {"v1": [0, 1, 2, 3, 4, 5]}
    assert ids(select_nodes("nested", populations, node_sets)) == {"v1": [0, 1, 2, 3, 4, 5], "lgn": [0, 1, 2, 3]}
    assert ids(select_nodes(["pv", "virtual"], populations, node_sets)) == {"v1": [3, 4], "lgn": [0, 1, 2, 3]}
    assert select_nodes([], populations) == {}


def test_result_is_sorted_unique_int64(populations):
    selection = select_nodes(["lgn", "all", "virtual"], populations)
    assert selection["lgn"].dtype == np.int64 and selection["lgn"].tolist() == [0, 1, 2, 3]
    assert list(selection) == ["v1", "lgn"]


def test_unknown_name_lists_the_available_ones(populations):
    with pytest.raises(ConfigError) as excinfo:
        select_nodes("exc", populations, {"pv": {"pop_name": "PV"}}, source="sim.json: inputs.lgn.node_set")
    assert str(excinfo.value) == ("sim.json: inputs.lgn.node_set: node set 'exc': not found; available: "
                                  "all, biophysical, lgn, point_process, pv, v1, virtual")


def test_unknown_property_lists_the_available_ones(populations):
    with pytest.raises(ConfigError) as excinfo:
        select_nodes("layers", populations, {"layers": {"population": "lgn", "layer": "4"}}, source="cfg")
    assert str(excinfo.value) == ("cfg: node set 'layers': property 'layer' not found in populations lgn; "
                                  "available: ei, model_type, node_id, node_type_id, x")


def test_unknown_population(populations):
    with pytest.raises(ConfigError, match=r"src: node set \{\"population\": \"V1\"\}: population: population 'V1' "
                                          r"not found; available: v1, lgn"):
        select_nodes({"population": "V1"}, populations, source="src")


def test_compound_set_referring_to_itself(populations):
    node_sets = {"a": ["b"], "b": ["pv", "a"], "pv": {"pop_name": "PV"}}
    with pytest.raises(ConfigError, match=r"node set 'a': refers to itself \(a -> b -> a\)"):
        select_nodes("a", populations, node_sets)


@pytest.mark.parametrize("node_set, message", [
    ([1, "pv"], "expected a list of node-set names or a list of node ids"),
    ([True], "expected a list of node-set names or a list of node ids"),
    (3.5, "expected a node-set name, a filter object or a list, got float"),
    ({"depth": {"$gt": 5}}, "depth: expected a value or a list of values"),
])
def test_malformed_node_sets(populations, node_set, message):
    with pytest.raises(ConfigError, match=message):
        select_nodes(node_set, populations)


def test_on_a_built_network(small_network, tmp_path):
    small_network.build()
    small_network.save(output_dir=tmp_path)
    df = read_nodes(tmp_path / "net_nodes.h5", tmp_path / "net_node_types.csv")
    pops = {df.attrs["population"]: df}
    node_sets = {"exc": {"ei": "e"}, "some_inh": {"pop_name": "inh", "tuning_angle": [10.0, 30.0]}}
    assert ids(select_nodes("exc", pops, node_sets)) == {"net": [0, 1, 2, 3, 4]}
    assert ids(select_nodes("some_inh", pops, node_sets)) == {"net": [5, 7]}
    assert ids(select_nodes({"label": ["b", "d"]}, pops)) == {"net": [1, 3]}
    assert ids(select_nodes({"x": "2"}, pops)) == {"net": [2]}
    assert ids(select_nodes("biophysical", pops)) == {"net": list(range(8))}
    assert ids(select_nodes({"node_type_id": int(df["node_type_id"].max())}, pops)) == {"net": [5, 6, 7]}
