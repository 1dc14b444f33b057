"""simlib.sonata.columns: group columns, type rows and the id helpers behind the fast edge reader."""

import numpy as np
import pytest

from simlib.errors import FormatError
from simlib.sonata.columns import add_group_columns, distinct_ids, is_range, type_rows


@pytest.mark.parametrize("values", [
    np.array([5, 0, 5, 3, 0], dtype=np.int64),          # small ids: counted
    np.array([7], dtype=np.uint32),
    np.array([], dtype=np.int64),
    np.array([2**40, 3, 2**40], dtype=np.int64),        # too large to count: sorted
    np.array([-1, 4, -1], dtype=np.int64),              # negative: sorted
])
def test_distinct_ids_is_np_unique(values):
    got = distinct_ids(values)
    np.testing.assert_array_equal(got, np.unique(values))
    assert got.dtype == np.unique(values).dtype


def test_is_range():
    assert is_range(np.arange(5)) and is_range(np.array([], dtype=np.int64))
    assert not is_range(np.array([0, 2, 1])) and not is_range(np.array([1, 2, 3]))
    assert not is_range(np.array([0, 1, 1, 3]))


@pytest.mark.parametrize("ids", [np.array([102, 100, 101]), np.array([2**40 + 2, 2**40, 2**40 + 1])])
def test_type_rows(ids):
    base = ids[1]
    type_ids = np.array([base, base + 2, base + 1, base], dtype=np.int64)
    np.testing.assert_array_equal(type_rows(ids, type_ids, "t.csv", "edge_type_id", "e.h5"), [1, 0, 2, 1])
    missing = np.array([base - 1, base, base + 7, base + 7], dtype=np.int64)
    with pytest.raises(FormatError, match=rf"t.csv: edge_type_id \[{base - 1}, {base + 7}\] used in e.h5 but not "
                                          "in the table"):
        type_rows(ids, missing, "t.csv", "edge_type_id", "e.h5")


def test_group_columns_one_group_in_order_and_not():
    values = np.array([1.0, 2.0, 3.0])
    columns = {}
    add_group_columns(columns, 3, np.zeros(3, dtype=np.int64), np.arange(3), [{"w": values}])
    assert columns["w"] is values          # the dataset itself: no copy
    columns = {}
    add_group_columns(columns, 3, np.zeros(3, dtype=np.int64), np.array([2, 0, 1]), [{"w": values}])
    np.testing.assert_array_equal(columns["w"], [3.0, 1.0, 2.0])
    columns = {}
    add_group_columns(columns, 3, np.array([0, 1, 0]), np.array([0, 0, 1]),
                      [{"w": values[:2]}, {"v": np.array([9])}])
    np.testing.assert_array_equal(columns["w"], [1.0, np.nan, 2.0])
    np.testing.assert_array_equal(columns["v"], [np.nan, 9.0, np.nan])
    columns = {}
    add_group_columns(columns, 2, np.zeros(2, dtype=np.int64), np.arange(2), [{"xyz": np.arange(6.0).reshape(2, 3)}])
    assert [list(v) for v in columns["xyz"]] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_group_without_a_per_row_property_takes_its_types_value(tmp_path):
    """SONATA: one edge type stores syn_weight per edge (its own group), another in the edge-types table; the
    edges of the second keep their type's value (not NaN), in read_edges and in the circuit's resolved weights.
    The same for nodes: one node type's per-node property, another type's shared one."""
    from simlib.builder import NetworkBuilder
    from simlib.circuit import Circuit
    from simlib.circuit.edges import load_edges
    from simlib.sonata.circuit import read_circuit_config, write_circuit_config
    from simlib.sonata.edges import read_edge_columns, read_edges
    from simlib.sonata.nodes import read_nodes

    net = NetworkBuilder("V1", seed=1)
    net.add_nodes(N=3, pop_name="a", tuning=[10.0, 20.0, 30.0], model_type="point_process",
                  model_template="nest:iaf_psc_alpha", dynamics_params="a.json")
    net.add_nodes(N=2, pop_name="b", tuning=45.0, model_type="point_process",
                  model_template="nest:iaf_psc_alpha", dynamics_params="b.json")
    net.add_edges(source={"pop_name": "a"}, target={"pop_name": "b"}, connection_rule=1, syn_weight=2.0, delay=1.0,
                  dynamics_params="s.json", model_template="static_synapse")
    cm = net.add_edges(source={"pop_name": "b"}, target={"pop_name": "a"}, connection_rule=1, delay=1.0,
                       dynamics_params="s.json", model_template="static_synapse")
    cm.add_properties("syn_weight", rule=lambda s, t: 0.5 + t.node_id, dtypes=float)
    net.build()
    net.save(output_dir=str(tmp_path))
    edges = read_edges(tmp_path / "V1_V1_edges.h5", tmp_path / "V1_V1_edge_types.csv")
    shared = edges[edges["source_node_id"] < 3]
    own = edges[edges["source_node_id"] >= 3]
    assert len(shared) == 6 and (shared["syn_weight"] == 2.0).all()
    assert np.array_equal(own["syn_weight"].to_numpy(), 0.5 + own["target_node_id"].to_numpy())
    columns = read_edge_columns(tmp_path / "V1_V1_edges.h5", tmp_path / "V1_V1_edge_types.csv")
    assert not np.isnan(columns["syn_weight"]).any()
    nodes = read_nodes(tmp_path / "V1_nodes.h5", tmp_path / "V1_node_types.csv")
    assert nodes["tuning"].tolist() == [10.0, 20.0, 30.0, 45.0, 45.0]
    write_circuit_config(tmp_path)
    circuit = Circuit(read_circuit_config(tmp_path / "circuit_config.json"), "circuit_config.json")
    (ref,) = circuit.edge_populations()
    resolved = load_edges(circuit, ref)
    expected = np.where(columns["source_node_id"] < 3, 2.0, 0.5 + columns["target_node_id"])
    assert np.array_equal(resolved.weight, expected)
