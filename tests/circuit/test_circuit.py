"""The circuit layer: populations, gids, node sets, edges and their weights, read with no simulator.

These tests run without NEURON; one runs the circuit in a process where importing ``neuron`` fails.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from simlib.builder import NetworkBuilder, vectorized
from simlib.circuit import Circuit, add_weight_function
from simlib.errors import ConfigError, FormatError
from simlib.sonata import read_edges


def build(tmp_path, *, gaps=False, weight_function=None, delay=True):
    """V1 (4 cells: e0..e2 with tuning angles, i0) driven by LGN (2 virtual cells); V1 ids 0,1,5,6 with gaps."""
    v1 = NetworkBuilder("V1")
    ids = {"node_id": [0, 1, 5]} if gaps else {}
    v1.add_nodes(N=3, pop_name="e", model_type="biophysical", tuning_angle=[0.0, 45.0, 90.0], **ids)
    v1.add_nodes(N=1, pop_name="i", model_type="biophysical", tuning_angle=[10.0],
                 **({"node_id": [6]} if gaps else {}))
    extra = {"weight_function": weight_function, "weight_sigma": 50.0} if weight_function else {}
    v1.add_edges(source={"pop_name": "e"}, target={"pop_name": "i"}, connection_rule=2, syn_weight=1.5,
                 **({"delay": 2.0} if delay else {}), model_template="exp2syn", dynamics_params="e2i.json", **extra)
    v1.add_edges(source={"pop_name": "i"}, target={"pop_name": "e"}, connection_rule=1, syn_weight=-3.0, delay=1.0,
                 model_template="exp2syn", dynamics_params="i2e.json")
    v1.build()
    v1.save(str(tmp_path))
    lgn = NetworkBuilder("LGN")
    lgn.add_nodes(N=2, model_type="virtual", pop_name="tON")
    lgn.add_edges(target=v1.nodes(pop_name="e"), connection_rule=lambda s, t: 1 + s.node_id, syn_weight=0.5,
                  delay=1.5, model_template="exp2syn", dynamics_params="lgn.json")
    lgn.build()
    lgn.save(str(tmp_path))
    networks = {"nodes": [{"nodes_file": str(tmp_path / f"{p}_nodes.h5"),
                           "node_types_file": str(tmp_path / f"{p}_node_types.csv")} for p in ("LGN", "V1")],
                "edges": [{"edges_file": str(tmp_path / f"{s}_V1_edges.h5"),
                           "edge_types_file": str(tmp_path / f"{s}_V1_edge_types.csv")} for s in ("V1", "LGN")]}
    return Circuit(networks, source="sim.json")


def test_populations_gids_and_gaps(tmp_path):
    circuit = build(tmp_path, gaps=True)
    lgn, v1 = circuit.population("LGN"), circuit.population("V1")
    assert (lgn.gid_offset, lgn.size, lgn.id_span) == (0, 2, 2)
    assert (v1.gid_offset, v1.size, v1.id_span) == (2, 4, 7)   # ids 0, 1, 5, 6: 4 nodes over 7 ids
    np.testing.assert_array_equal(circuit.gids("V1", [0, 5, 6]), [2, 7, 8])
    which, node_ids = circuit.population_of_gid([0, 1, 2, 7, 8])
    np.testing.assert_array_equal(which, [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(node_ids, [0, 1, 0, 5, 6])
    assert [(p, ids.tolist()) for p, ids in circuit.nodes_of_type("biophysical", ("biophysical", "virtual"))] == \
        [("V1", [0, 1, 5, 6])]
    with pytest.raises(FormatError, match=r"V1_nodes.h5: population 'V1': model_type \['biophysical'\] not "
                                          r"supported; accepted: point_process, virtual"):
        circuit.nodes_of_type("point_process", ("point_process", "virtual"))
    with pytest.raises(ConfigError, match="sim.json: node population 'X' is not in the network; populations: LGN, V1"):
        circuit.population("X", "sim.json")
    with pytest.raises(FormatError, match=r"node ids \[2\] not in population 'V1'"):
        v1.rows([0, 2])
    view = v1.view(5)
    assert view["node_id"] == 5 and view["pop_name"] == "e" and view["tuning_angle"] == 90.0
    assert view["population"] == "V1"


def test_node_sets(tmp_path):
    circuit = build(tmp_path, gaps=True)
    select = circuit.selector({"exc": {"population": "V1", "pop_name": "e"}})
    assert {k: v.tolist() for k, v in select("exc", "reports.r.cells").items()} == {"V1": [0, 1, 5]}
    assert {k: v.tolist() for k, v in select("virtual", "x").items()} == {"LGN": [0, 1]}
    with pytest.raises(ConfigError, match=r"sim.json: inputs.a.node_set: node set \{'pop_name': 'none'\} matches no "
                                          "node"):
        select({"pop_name": "none"}, "inputs.a.node_set")


def test_edges_sorted_by_target_with_weights_delays_and_nsyns(tmp_path):
    circuit = build(tmp_path)
    refs = circuit.edge_populations()
    assert [(r.name, r.key) for r in refs] == [("V1_to_V1", "networks.edges[0]"), ("LGN_to_V1", "networks.edges[1]")]
    recurrent = circuit.edges(refs[0])
    assert (recurrent.source_population, recurrent.target_population, recurrent.virtual) == ("V1", "V1", False)
    assert np.all(np.diff(recurrent.target) >= 0)
    pairs = sorted(zip(recurrent.source.tolist(), recurrent.target.tolist(), recurrent.nsyns.tolist(),
                       recurrent.weight.tolist(), recurrent.delay.tolist()))
    assert pairs == [(0, 3, 2, 1.5, 2.0), (1, 3, 2, 1.5, 2.0), (2, 3, 2, 1.5, 2.0),
                     (3, 0, 1, -3.0, 1.0), (3, 1, 1, -3.0, 1.0), (3, 2, 1, -3.0, 1.0)]
    assert recurrent.column("dynamics_params") is not None and recurrent.column("no_such") is None
    assert recurrent.rows_of(3) == slice(3, 6)
    lgn = circuit.edges(refs[1])
    assert lgn.virtual and lgn.source_population == "LGN"
    assert sorted(zip(lgn.source.tolist(), lgn.target.tolist(), lgn.nsyns.tolist())) == \
        [(0, 0, 1), (0, 1, 1), (0, 2, 1), (1, 0, 2), (1, 1, 2), (1, 2, 2)]
    # only the edges onto the requested targets; a population not named keeps none
    mine = circuit.edges(refs[0], targets={"V1": np.array([1, 3])})
    assert sorted(zip(mine.source.tolist(), mine.target.tolist())) == [(0, 3), (1, 3), (2, 3), (3, 1)]
    assert len(circuit.edges(refs[0], targets={"LGN": np.array([0])})) == 0


def _expected_table(ref, targets=None):
    """What Edges.table held when it was built eagerly: read_edges, edges onto the targets, stably by target."""
    df = read_edges(ref.edges_file, ref.edge_types_file, population=ref.name)
    if targets is not None:
        df = df.iloc[np.flatnonzero(np.isin(df["target_node_id"].to_numpy(), targets.get("V1", [])))]
    return df.iloc[np.argsort(df["target_node_id"].to_numpy(), kind="stable")].reset_index(drop=True)


def _expected_combinations(table, *names):
    """Combinations as text, first-seen order, and the edge types of each."""
    def as_text(column):
        return column.astype(object).where(column.notna(), None).map(str)

    text = as_text(table[names[0]])
    for name in names[1:]:
        text = text + "|" + as_text(table[name])
    codes, uniques = pd.factorize(text.to_numpy(dtype=object))
    types = [sorted(np.unique(table["edge_type_id"].to_numpy()[codes == c]).tolist()) for c in range(len(uniques))]
    return codes, [tuple(u.split("|")) for u in uniques], types


def test_edge_table_columns_and_combinations(tmp_path):
    """Edge-type columns stay per type; the table, columns and combinations are what the full table gives."""
    circuit = build(tmp_path)
    ref = circuit.edge_populations()[0]
    for targets in (None, {"V1": np.array([3, 1])}):
        edges = circuit.edges(ref, targets)
        expected = _expected_table(ref, targets)
        pd.testing.assert_frame_equal(edges.table, expected, check_exact=True)
        assert edges.table.attrs == expected.attrs
        for name in expected.columns:
            assert np.asarray(edges.column(name), dtype=object).tolist() == expected[name].to_numpy(object).tolist()
        np.testing.assert_array_equal(edges.edge_type_id, expected["edge_type_id"])
        found = edges.combinations("model_template", "dynamics_params")
        codes, values, types = _expected_combinations(expected, "model_template", "dynamics_params")
        np.testing.assert_array_equal(found.codes, codes)
        assert (found.values, found.type_ids) == (values, types)


def test_combinations_merge_types_and_read_per_edge_columns(tmp_path):
    """Two edge types alike are one combination; a per-edge column is combined per edge."""
    net = NetworkBuilder("V1")
    net.add_nodes(N=4, pop_name="e", model_type="point_process")
    for tag in ("a", "b", "a"):       # types 100 and 102 alike, their edges interleaved by target
        net.add_edges(source={"pop_name": "e"}, target={"pop_name": "e"}, connection_rule=lambda s, t: s.node_id % 2,
                      syn_weight=1.0, delay=1.0, model_template="static_synapse", tag=tag)
    per_edge = net.add_edges(source={"pop_name": "e"}, target={"pop_name": "e"}, connection_rule=1, syn_weight=2.0,
                             delay=1.0, model_template="static_synapse", tag="c")
    per_edge.add_properties("dynamics_params", dtypes=object,
                            rule=vectorized(lambda s, t: np.where(t["node_id"] < 2, "b.json", "c.json")))
    net.build()
    net.save(str(tmp_path))
    networks = {"nodes": [{"nodes_file": str(tmp_path / "V1_nodes.h5"),
                           "node_types_file": str(tmp_path / "V1_node_types.csv")}],
                "edges": [{"edges_file": str(tmp_path / "V1_V1_edges.h5"),
                           "edge_types_file": str(tmp_path / "V1_V1_edge_types.csv")}]}
    edges = Circuit(networks, source="sim.json").edges(Circuit(networks).edge_populations()[0])
    for names in (("model_template", "tag"), ("model_template", "dynamics_params"), ("no_such", "tag")):
        found = edges.combinations(*names)
        table = edges.table.assign(no_such=None)
        codes, values, types = _expected_combinations(table, *names)
        np.testing.assert_array_equal(found.codes, codes)
        assert [tuple(str(v) for v in combo) for combo in found.values] == values
        assert found.type_ids == types
    found = edges.combinations("model_template", "tag")
    assert found.values == [("static_synapse", "a"), ("static_synapse", "b"), ("static_synapse", "c")]
    assert found.type_ids == [[100, 102], [101], [103]]
    found = edges.combinations("dynamics_params")        # per edge: none where type 103's property is absent
    assert found.values == [(None,), ("b.json",), ("c.json",)] and found.type_ids == [[100, 101, 102], [103], [103]]


def test_weight_functions_resolved_per_edge(tmp_path):
    calls = []

    def scaled(edge, source, target):
        calls.append((source["node_id"], target["node_id"], source["population"]))
        return edge["syn_weight"] * (1 + source["tuning_angle"] / 45.0)

    add_weight_function(scaled, "circuit_test_scaled")
    edges = build(tmp_path, weight_function="circuit_test_scaled").edges(
        build(tmp_path, weight_function="circuit_test_scaled").edge_populations()[0])
    e2i = edges.source != 3
    np.testing.assert_allclose(np.sort(edges.weight[e2i]), [1.5, 3.0, 4.5])
    assert sorted(calls[-3:]) == [(0, 3, "V1"), (1, 3, "V1"), (2, 3, "V1")]
    np.testing.assert_array_equal(edges.weight[~e2i], -3.0)   # syn_weight where no function is named

    gauss = build(tmp_path / "g", weight_function="gaussianLL")
    edges = gauss.edges(gauss.edge_populations()[0])
    e2i = edges.source != 3
    delta = np.abs(np.array([0.0, 45.0, 90.0]) - 10.0)[edges.source[e2i]]
    np.testing.assert_allclose(edges.weight[e2i], 1.5 * np.exp(-(delta / 50.0) ** 2))


def test_edge_errors(tmp_path):
    circuit = build(tmp_path, weight_function="no_such_function")
    with pytest.raises(ConfigError, match=r"V1_V1_edges.h5: edge population 'V1_to_V1': weight_function: no weight "
                                          "function named 'no_such_function'"):
        circuit.edges(circuit.edge_populations()[0])
    circuit = build(tmp_path / "d", delay=False)   # the e->i edge type has none, the i->e type has one
    with pytest.raises(FormatError, match="edge population 'V1_to_V1': 3 edges have no delay; expected a delay"):
        circuit.edges(circuit.edge_populations()[0])
    networks = dict(circuit.networks, nodes=circuit.networks["nodes"][1:])   # LGN left out
    with pytest.raises(ConfigError, match=r"sim.json: networks.edges\[1\]: .*LGN_V1_edges.h5: edge population "
                                          "'LGN_to_V1' has source population 'LGN', which is not in networks.nodes"):
        small = Circuit(networks, source="sim.json")
        small.edges(small.edge_populations()[1])


def test_population_defined_twice(tmp_path):
    circuit = build(tmp_path)
    networks = dict(circuit.networks, nodes=circuit.networks["nodes"] * 2)
    with pytest.raises(ConfigError, match=r"sim.json: networks.nodes\[2\]: node population 'LGN' defined twice"):
        Circuit(networks, source="sim.json")


def test_circuit_runs_where_neuron_cannot_be_imported(tmp_path):
    """The circuit layer (nodes, node sets, edges, weights) needs no simulator."""
    script = textwrap.dedent(f"""
        import sys
        sys.modules["neuron"] = None        # 'import neuron' raises ImportError from here on
        try:
            import neuron
        except ImportError:
            pass
        else:
            raise SystemExit("neuron imported")
        sys.path.insert(0, {str(__import__('pathlib').Path(__file__).parent)!r})
        from pathlib import Path
        from test_circuit import build
        circuit = build(Path({str(tmp_path)!r}), weight_function="gaussianLL")
        edges = [circuit.edges(ref) for ref in circuit.edge_populations()]
        select = circuit.selector({{}})
        print(sum(len(e) for e in edges), round(float(edges[0].weight.sum()), 6), len(select("V1", "x")["V1"]))
        print(sorted(m for m in sys.modules if m == "neuron" or m.startswith("neuron.") or m.startswith("nest")))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts, loaded = proc.stdout.strip().splitlines()
    n_edges, weight_sum, n_v1 = counts.split()
    assert (int(n_edges), int(n_v1)) == (12, 4)
    assert float(weight_sum) != 0.0
    assert loaded == "['neuron']"   # only the blocking None entry: nothing imported neuron for real
