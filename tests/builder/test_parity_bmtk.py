"""Parity with bmtk (test-only oracle): each reads the other's network files identically."""

import numpy as np
import pandas as pd
import pytest

from simlib.sonata import read_edges, read_nodes

pytestmark = pytest.mark.parity
bmtk_builder = pytest.importorskip("bmtk.builder.networks", reason="bmtk (test-only oracle) not installed")


def describe(builder_cls, vectorized=None):
    """The same deterministic network described through either builder API."""
    v1 = builder_cls("V1")
    v1.add_nodes(N=6, x=np.arange(6.0), tuning_angle=np.linspace(0, 300, 6), pop_name="Scnn1a", ei="e",
                 model_type="biophysical", dynamics_params="472363762_fit.json",
                 rotation_angle_zaxis=-3.6)
    v1.add_nodes(N=3, x=np.arange(3.0) + 10, pop_name="PV1", ei="i", model_type="biophysical")
    v1.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1, syn_weight=0.0006, delay=2.0,
                 dynamics_params="ExcToInh.json", model_template="exp2syn",
                 target_sections=["somatic", "basal"], distance_range=[0.0, 1.0e20])

    def rule(s, t):
        return 0 if s["node_id"] == t["node_id"] else (s["node_id"] + 2 * t["node_id"]) % 4

    v1.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=rule, syn_weight=3e-05,
                 weight_function="set_syn_weight", target_sections=["basal", "apical"],
                 distance_range=[30.0, 150.0])
    cm = v1.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=2, delay=1.0)
    cm.add_properties(["afferent_section_id", "afferent_section_pos"],
                      rule=lambda s, t: (int(s["node_id"] + t["node_id"]), 0.25 * (t["node_id"] % 4)),
                      dtypes=[np.int64, np.float64])
    lgn = builder_cls("LGN")
    lgn.add_nodes(N=4, model_type="virtual", model_template="lgnmodel:sON_TF8", x=[1.0, 2.0, 3.0, 4.0],
                  y=[5.0, 6.0, 7.0, 8.0], spatial_size=1.0)
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="e"),
                  connection_rule=lambda s, t: (s["node_id"] * t["node_id"]) % 3, syn_weight=3e-4,
                  model_template="exp2syn")
    return v1, lgn


def save(builder_cls, out):
    v1, lgn = describe(builder_cls)
    v1.build()
    v1.save(output_dir=str(out))
    lgn.build()
    lgn.save(output_dir=str(out))


def canonical_edges(df):
    cols = sorted(c for c in df.columns if c not in ("edge_group_id", "edge_group_index"))
    df = df[cols].copy()
    for c in cols:
        if df[c].dtype == object:
            df[c] = df[c].map(repr)  # lists are unhashable/unsortable
    return df.sort_values(cols).reset_index(drop=True)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    ours, theirs = tmp_path_factory.mktemp("simlib"), tmp_path_factory.mktemp("bmtk")
    from simlib.builder import NetworkBuilder

    save(NetworkBuilder, ours)
    save(bmtk_builder.NetworkBuilder, theirs)
    return ours, theirs


def test_same_files(both):
    ours, theirs = both
    assert sorted(p.name for p in ours.iterdir()) == sorted(p.name for p in theirs.iterdir())


@pytest.mark.parametrize("pop", ["V1", "LGN"])
def test_simlib_reads_bmtk_nodes_like_its_own(both, pop):
    ours, theirs = both
    a = read_nodes(ours / f"{pop}_nodes.h5", ours / f"{pop}_node_types.csv")
    b = read_nodes(theirs / f"{pop}_nodes.h5", theirs / f"{pop}_node_types.csv")
    pd.testing.assert_frame_equal(a[sorted(a.columns)], b[sorted(b.columns)], check_dtype=False)


@pytest.mark.parametrize("pair", ["V1_V1", "LGN_V1"])
def test_simlib_reads_bmtk_edges_like_its_own(both, pair):
    ours, theirs = both
    a = read_edges(ours / f"{pair}_edges.h5", ours / f"{pair}_edge_types.csv")
    b = read_edges(theirs / f"{pair}_edges.h5", theirs / f"{pair}_edge_types.csv")
    pd.testing.assert_frame_equal(canonical_edges(a), canonical_edges(b), check_dtype=False)


def bmtk_view(folder, src):
    """bmtk's reader on one network: its nodes and its edges onto V1 (node type ids restart at 100 per
    network in both builders, so each network is opened with its own types tables, as a simulation does)."""
    from bmtk.utils.sonata import File

    return File(data_files=[str(folder / f"{src}_nodes.h5"), str(folder / f"{src}_V1_edges.h5")],
                data_type_files=[str(folder / f"{src}_node_types.csv"), str(folder / f"{src}_V1_edge_types.csv")])


def bmtk_summary(folder):
    """What bmtk's own SONATA reader sees: nodes with properties, edges per target via the index."""
    nodes = {}
    for pop in ("V1", "LGN"):
        for node in bmtk_view(folder, pop).nodes[pop]:
            props = {k: node[k] for k in ("x", "pop_name", "tuning_angle", "model_template") if k in node}
            nodes[(pop, node.node_id)] = (node.node_type_id, tuple(sorted((k, str(v)) for k, v in props.items())))
    edges = {}
    for src, pop in (("V1", "V1_to_V1"), ("LGN", "LGN_to_V1")):
        rows = []
        sonata = bmtk_view(folder, src)
        for trg in range(9):
            for e in sonata.edges[pop].get_target(trg):
                keys = [k for k in ("nsyns", "syn_weight", "afferent_section_id", "afferent_section_pos", "delay",
                                    "target_sections", "weight_function") if k in e]
                rows.append((e.source_node_id, e.target_node_id, e.edge_type_id,
                             tuple((k, str(e[k])) for k in keys)))
        edges[pop] = sorted(rows)
    return nodes, edges


def test_bmtk_reads_simlib_files_like_its_own(both):
    ours, theirs = both
    nodes_a, edges_a = bmtk_summary(ours)
    nodes_b, edges_b = bmtk_summary(theirs)
    assert nodes_a == nodes_b
    assert len(edges_a["V1_to_V1"]) > 0 and len(edges_a["LGN_to_V1"]) > 0
    assert edges_a == edges_b


def test_bmtk_reads_l4_model(tmp_path):
    """The workflow's L4 network opens in bmtk with the tutorial's counts and properties."""
    from simlib.models import build_model

    build_model("l4_tutorial", tmp_path, seed=1)
    sonata = bmtk_view(tmp_path, "V1")
    v1 = sonata.nodes["V1"]
    assert len(v1) == 300 and len(bmtk_view(tmp_path, "LGN").nodes["LGN"]) == 100
    pops = [v1.get_node_id(i)["pop_name"] for i in range(300)]
    assert [pops.count(p) for p in ("Scnn1a", "Rorb", "Nr5a1", "PV1")] == [80, 80, 80, 60]
    ours = read_edges(tmp_path / "V1_V1_edges.h5", tmp_path / "V1_V1_edge_types.csv")
    for trg in (0, 150, 299):
        got = sorted((e.source_node_id, e["nsyns"], e.edge_type_id) for e in sonata.edges["V1_to_V1"].get_target(trg))
        sel = ours[ours.target_node_id == trg]
        assert got == sorted(zip(sel.source_node_id, sel.nsyns, sel.edge_type_id))
    e = next(iter(sonata.edges["V1_to_V1"].get_target(5)))
    assert e["model_template"] == "exp2syn"


def test_libsonata_opens_single_group_populations(tmp_path):
    libsonata = pytest.importorskip("libsonata", reason="libsonata not installed")
    from simlib.models import build_model

    # libsonata's PyPI wheel has no gzip filter, so it reads uncompressed files only
    build_model("l4_tutorial", tmp_path, seed=1, compression="none")
    nodes = libsonata.NodeStorage(str(tmp_path / "LGN_nodes.h5")).open_population("LGN")
    ours = read_nodes(tmp_path / "LGN_nodes.h5")
    assert nodes.size == 100
    np.testing.assert_allclose(nodes.get_attribute("x", libsonata.Selection(list(range(100)))), ours["x"])
    edges = libsonata.EdgeStorage(str(tmp_path / "LGN_V1_edges.h5")).open_population("LGN_to_V1")
    df = read_edges(tmp_path / "LGN_V1_edges.h5")
    assert edges.size == len(df)
    for trg in (0, 17, 239):
        sel = edges.afferent_edges([trg])
        assert sorted(edges.source_nodes(sel).tolist()) == sorted(df.source_node_id[df.target_node_id == trg])
    for src in (0, 99):
        sel = edges.efferent_edges([src])
        assert sorted(edges.target_nodes(sel).tolist()) == sorted(df.target_node_id[df.source_node_id == src])


def test_libsonata_reads_simlib_spikes(tmp_path):
    libsonata = pytest.importorskip("libsonata", reason="libsonata not installed")
    from simlib.spikes import PoissonSpikeGenerator

    psg = PoissonSpikeGenerator(population="LGN", seed=3)
    psg.add(node_ids=range(20), firing_rate=15.0, times=(0.0, 1.0))
    psg.to_sonata(tmp_path / "s.h5", compression="none", sort_order="by_time")
    pop = libsonata.SpikeReader(str(tmp_path / "s.h5"))["LGN"]
    got = sorted((int(n), round(float(t), 9)) for n, t in pop.get())
    want = sorted((int(n), round(float(t), 9)) for t, n in zip(psg.to_dataframe()["timestamps"],
                                                                psg.to_dataframe()["node_ids"]))
    assert got == want and len(got) > 100
