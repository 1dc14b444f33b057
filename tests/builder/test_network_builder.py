"""NetworkBuilder: BMTK's API semantics (ids, per-node vs shared, rules, iterators, properties)."""

import numpy as np
import pytest

from simlib.builder import DistanceRule, NetworkBuilder, vectorized
from simlib.errors import BuildError, ConfigError
from simlib.sonata import read_edges


def edge_set(net, **kw):
    return {(e["source_node_id"], e["target_node_id"], e.get("nsyns", 1)) for e in net.edges(**kw)}


def test_ids_and_property_kinds():
    net = NetworkBuilder("a")
    net.add_nodes(N=3, x=[1.0, 2.0, 3.0], pos=(1, 2, 3), tag="t", params={"k": 1}, r=range(3))
    net.add_nodes(N=2, node_type_id=500, x=np.array([4.0, 5.0]))
    net.add_nodes(N=1, x=[6.0])
    table = net.node_table()
    assert table.node_id.tolist() == list(range(6))
    assert table.column("node_type_id").tolist() == [100] * 3 + [500] * 2 + [101]
    first = net._node_sets[0]
    assert set(first.per_node) == {"x", "r"} and set(first.shared) == {"pos", "tag", "params"}
    with pytest.raises(BuildError, match="property 'x' has 2 values; expected 3"):
        net.add_nodes(N=3, x=[1.0, 2.0])
    with pytest.raises(BuildError, match="node_type_id 500 is already used"):
        net.add_nodes(N=1, node_type_id=500)
    with pytest.raises(BuildError, match="single value"):
        net.add_nodes(N=2, node_type_id=[1, 2])


def test_node_filters():
    net = NetworkBuilder("a")
    net.add_nodes(N=4, ei="e", angle=[0.0, 90.0, 180.0, 270.0])
    net.add_nodes(N=2, ei="i")
    assert net.nodes(ei="e").node_ids.tolist() == [0, 1, 2, 3]
    assert net.nodes(ei=["e", "i"]).node_ids.tolist() == list(range(6))
    assert net.nodes(angle=lambda a: a > 100).node_ids.tolist() == [2, 3]
    assert net.nodes(missing=1).node_ids.tolist() == []
    assert net.nodes(ei="e").filter_str == "ei=='e'" and net.nodes().filter_str == "*"
    node = list(net.nodes(ei="i"))[0]
    assert node.node_id == 4 and node["node_id"] == 4 and node["ei"] == "i"


def test_rule_forms_agree():
    """Scalar, per-pair function, flat list, matrix and vectorised rule give the same edges."""
    def make():
        net = NetworkBuilder("a", seed=1)
        net.add_nodes(N=4, v=[0, 1, 2, 3], ei="e")
        net.add_nodes(N=3, v=[4, 5, 6], ei="i")
        return net

    expected = {(s, t, (s + t) % 3) for s in range(4) for t in range(4, 7) if (s + t) % 3}
    forms = [
        dict(connection_rule=lambda s, t: (s["v"] + t["v"]) % 3),
        dict(connection_rule=[(s + t) % 3 for s in range(4) for t in range(4, 7)]),
        dict(connection_rule=np.array([[(s + t) % 3 for t in range(4, 7)] for s in range(4)])),
        dict(connection_rule=vectorized(lambda s, t: (s["v"] + t["v"]) % 3)),
        dict(connection_rule=lambda srcs, t: [(s["v"] + t["v"]) % 3 for s in srcs], iterator="all_to_one"),
        dict(connection_rule=lambda s, trgs: [(s["v"] + t["v"]) % 3 for t in trgs], iterator="one_to_all"),
    ]
    for kw in forms:
        net = make()
        net.add_edges(source={"ei": "e"}, target={"ei": "i"}, **kw)
        net.build()
        assert edge_set(net) == expected, kw
    net = make()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=2)
    net.build()
    assert edge_set(net) == {(s, t, 2) for s in range(4) for t in range(4, 7)}
    net = make()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, nsyns=3)  # BMTK: nsyns= replaces the rule
    net.build()
    assert {n for *_, n in edge_set(net)} == {3}


def test_connection_params_and_list_iterators():
    net = NetworkBuilder("a")
    net.add_nodes(N=2, ei="e")
    net.add_nodes(N=3, ei="i")
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=lambda s, t, k: k,
                  connection_params={"k": 4})
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=[1, 0, 2], iterator="one_to_all",
                  tag="per-target")
    net.build()
    assert {n for *_, n in edge_set(net, tag=None)} >= {4}
    per_target = {(e["source_node_id"], e["target_node_id"], e["nsyns"]) for e in net.edges(tag="per-target")}
    assert per_target == {(s, 2, 1) for s in (0, 1)} | {(s, 4, 2) for s in (0, 1)}


def test_bad_rule_outputs_raise():
    net = NetworkBuilder("a")
    net.add_nodes(N=3, ei="e")
    net.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=lambda s, t: -1)
    with pytest.raises(BuildError, match="negative synapse count -1"):
        net.build()
    net = NetworkBuilder("a")
    net.add_nodes(N=3, ei="e")
    net.add_edges(connection_rule=lambda s, t: 1.5)
    with pytest.raises(BuildError, match="whole number"):
        net.build()
    net = NetworkBuilder("a")
    net.add_nodes(N=3)
    net.add_edges(connection_rule=vectorized(lambda s, t: np.ones(2)))
    with pytest.raises(BuildError, match="shape"):
        net.build()
    net = NetworkBuilder("a")
    net.add_nodes(N=3)
    net.add_edges(connection_rule=np.ones((2, 3)))
    with pytest.raises(BuildError, match=r"expected \(n_sources, n_targets\) = \(3, 3\)"):
        net.build()
    net = NetworkBuilder("a")
    net.add_nodes(N=3)
    with pytest.raises(BuildError, match="iterator 'pairwise' unknown"):
        net.add_edges(connection_rule=1, iterator="pairwise")


def test_add_properties_forms():
    net = NetworkBuilder("a", seed=0)
    net.add_nodes(N=3, ei="e")
    cm = net.add_edges(connection_rule=lambda s, t: 2 if s.node_id != t.node_id else 0)
    cm.add_properties(["sec_id", "sec_x"], rule=lambda s, t: (s.node_id, 0.5), dtypes=[np.int32, float])
    cm.add_properties("delay", rule=1.5, dtypes=float)
    cm.add_properties("w", rule=vectorized(lambda s, t, rng: t["node_id"] * 10.0))
    net.build()
    rows = net.edges()
    assert len(rows) == 12  # 6 pairs x 2 synapses, one row per synapse
    assert all(r["sec_id"] == r["source_node_id"] and r["sec_x"] == 0.5 and r["delay"] == 1.5 for r in rows)
    assert all(r["w"] == 10.0 * r["target_node_id"] for r in rows)
    assert "nsyns" not in rows[0]
    with pytest.raises(BuildError, match="reserved"):
        cm.add_properties("nsyns", rule=1)


def test_cross_network_edges_and_save_names(tmp_path):
    v1 = NetworkBuilder("V1")
    v1.add_nodes(N=3, ei="e")
    lgn = NetworkBuilder("LGN")
    lgn.add_nodes(N=2, model_type="virtual")
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="e"), connection_rule=1, syn_weight=2.0)
    lgn.build()
    lgn.save(output_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "LGN_V1_edge_types.csv", "LGN_V1_edges.h5", "LGN_node_types.csv", "LGN_nodes.h5"]
    edges = read_edges(tmp_path / "LGN_V1_edges.h5")
    assert edges.attrs["population"] == "LGN_to_V1"
    assert edges.attrs["source_population"] == "LGN" and edges.attrs["target_population"] == "V1"
    lgn.save_edges(edges_file_name="custom.h5", edge_types_file_name="custom.csv", output_dir=tmp_path,
                   name="thalamocortical", compression="none")
    edges = read_edges(tmp_path / "custom.h5")
    assert edges.attrs["population"] == "thalamocortical" and len(edges) == 6
    with pytest.raises(ConfigError, match="file exists"):
        lgn.save_edges(edges_file_name="custom.h5", edge_types_file_name="custom.csv", output_dir=tmp_path)


def test_failed_build_writes_nothing(tmp_path):
    net = NetworkBuilder("a")
    net.add_nodes(N=3)
    net.add_edges(connection_rule=lambda s, t: -2)
    with pytest.raises(BuildError):
        net.save(output_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".h5" and "edges" in p.name] == []
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def brute_force_pairs(src_xyz, trg_xyz, radius):
    d = np.linalg.norm(src_xyz[:, None, :] - trg_xyz[None, :, :], axis=2)
    return {(s, t) for s, t in zip(*np.nonzero(d <= radius))}


def test_distance_rule_matches_brute_force():
    rng = np.random.default_rng(5)
    xyz = rng.uniform(0, 100, size=(300, 3))
    net = NetworkBuilder("a", seed=2)
    net.add_nodes(N=300, x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2])
    net.add_edges(connection_rule=DistanceRule(probability=1.0, max_distance=15.0, allow_autapses=True))
    net.build()
    got = {(s, t) for s, t, _ in edge_set(net)}
    assert got == brute_force_pairs(xyz, xyz, 15.0)


def test_distance_rule_probability_and_determinism():
    rng = np.random.default_rng(6)
    xyz = rng.uniform(0, 200, size=(1500, 3))

    def build(seed):
        net = NetworkBuilder("a", seed=seed)
        net.add_nodes(N=1500, x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2])
        net.add_edges(connection_rule=DistanceRule(lambda d: 0.5 * np.exp(-d / 20.0), 60.0, nsyns=(1, 3)))
        net.build()
        return net.connection_maps[0]

    cm = build(1)
    d = np.linalg.norm(xyz[cm.source_node_id] - xyz[cm.target_node_id], axis=1)
    assert d.max() <= 60.0 and np.all(cm.source_node_id != cm.target_node_id)
    assert set(np.unique(cm.nsyns)) == {1, 2, 3}
    # expected number of connections = sum of p over candidate pairs, within 5 sigma
    dd = np.linalg.norm(xyz[:, None] - xyz[None], axis=2)
    p = np.where((dd <= 60.0) & (dd > 0), 0.5 * np.exp(-dd / 20.0), 0.0)
    mean, sd = p.sum(), np.sqrt((p * (1 - p)).sum())
    assert abs(cm.nsyns.size - mean) < 5 * sd
    again = build(1)
    assert np.array_equal(again.source_node_id, cm.source_node_id) and np.array_equal(again.nsyns, cm.nsyns)
    other = build(2)
    assert not np.array_equal(other.source_node_id[:100], cm.source_node_id[:100])


def test_explicit_node_ids_are_reserved_and_edges_stay_sorted(tmp_path):
    net = NetworkBuilder("a")
    net.add_nodes(N=2, node_id=[5, 1], ei="e")
    net.add_nodes(N=4, ei="i")  # auto ids skip the reserved 1 and 5
    assert net.node_table().node_id.tolist() == [5, 1, 0, 2, 3, 4]
    with pytest.raises(BuildError, match="clashing"):
        net.add_nodes(N=1, node_id=[3])
    net.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=1)
    net.build()
    net.save(output_dir=tmp_path)
    edges = read_edges(tmp_path / "a_a_edges.h5")
    assert edges.target_node_id.tolist() == [1] * 4 + [5] * 4


def test_save_edges_force_build(tmp_path):
    """force_build=False on unbuilt edges is an error (BMTK skips the file with a warning); True builds them."""
    net = NetworkBuilder("net", seed=1)
    net.add_nodes(N=3, ei="e")
    net.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=1, syn_weight=1.0)
    with pytest.raises(BuildError, match="not built; call build\\(\\) first or pass force_build=True"):
        net.save_edges(output_dir=str(tmp_path), force_build=False)
    assert not list(tmp_path.iterdir())
    net.save_edges(output_dir=str(tmp_path), force_build=True)
    assert len(read_edges(tmp_path / "net_net_edges.h5", tmp_path / "net_net_edge_types.csv")) == 9


@pytest.mark.parametrize("rule, nodes, message", [
    (DistanceRule(0.5, max_distance=0.0), {}, r"max_distance must be > 0, got 0.0"),
    (DistanceRule(0.5, max_distance=10.0, positions=("x", "y", "depth")), {},
     r"node property 'depth' missing in network 'a'; positions= names \['x', 'y', 'depth'\]"),
    (DistanceRule(lambda d: 2.0 * np.ones_like(d), max_distance=50.0), {},
     r"probability must return one value in \[0, 1\] per distance"),
    (DistanceRule(0.5, max_distance=50.0, nsyns=(3, 1)), {}, r"nsyns \(3, 1\); expected a whole number >= 0"),
    (DistanceRule(0.5, max_distance=50.0), {"z": [0.0, np.nan, 1.0, 2.0]}, "node positions contain NaN"),
])
def test_distance_rule_errors_name_the_edge_type(rule, nodes, message):
    """Which add_edges call failed: the edge type id and its source and target filters."""
    net = NetworkBuilder("a", seed=1)
    props = {"x": [0.0, 1.0, 2.0, 3.0], "y": [0.0] * 4, "z": [0.0] * 4, **nodes}
    net.add_nodes(N=4, ei=["e", "e", "i", "i"], **props)
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1)
    net.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=rule, edge_type_id=205)
    with pytest.raises(BuildError, match=r"^edge type 205 \(a ei=='i' -> a ei=='e'\): DistanceRule: " + message):
        net.build()


def test_distance_rule_probability_of_node_properties():
    """probability(distance, sources, targets) sees the candidate pairs' properties; p(distance) alone is unchanged."""
    def make(prob):
        net = NetworkBuilder("d", seed=5)
        rng = np.random.default_rng(2)
        net.add_nodes(N=300, x=rng.uniform(0, 100, 300), y=rng.uniform(0, 100, 300), z=np.zeros(300),
                      tuning_angle=rng.uniform(0, 360, 300))
        cm = net.add_edges(connection_rule=DistanceRule(prob, max_distance=30.0, nsyns=(1, 3)))
        net.build()
        return net, cm

    _, by_distance = make(lambda d: np.exp(-d / 20.0))
    _, same = make(lambda d, sources, targets: np.exp(-d / 20.0))
    assert by_distance.nsyns.size > 100
    for name in ("source_node_id", "target_node_id", "nsyns"):
        assert np.array_equal(getattr(by_distance, name), getattr(same, name))

    def tuned(d, sources, targets):
        delta = np.abs((sources["tuning_angle"] - targets["tuning_angle"] + 180) % 360 - 180)
        return np.where(delta < 45, 1.0, 0.0)

    net, cm = make(tuned)
    angle = net.node_table().column("tuning_angle")
    delta = np.abs((angle[cm.source_node_id] - angle[cm.target_node_id] + 180) % 360 - 180)
    assert cm.nsyns.size > 100 and (delta < 45).all()
