"""BMTK's builder API behaviours, checked against bmtk's NetworkBuilder: build state, counts, filters, errors."""

import numpy as np
import pytest

from simlib.builder import NetworkBuilder
from simlib.errors import BuildError

pytestmark = pytest.mark.parity
bmtk_builder = pytest.importorskip("bmtk.builder.networks", reason="bmtk (test-only oracle) not installed")
BMTK = bmtk_builder.NetworkBuilder


def state(net) -> tuple:
    return net.nodes_built, net.edges_built, net.nnodes, net.nedges


def steps(cls):
    """The same script through either builder; the (nodes_built, edges_built, nnodes, nedges) after each step."""
    out = []
    net = cls("V1")
    out.append(state(net))
    net.add_nodes(N=4, ei="e", x=np.arange(4.0))
    net.add_nodes(N=2, ei="i")
    out.append(state(net))
    net.nodes(ei="e")
    out.append(state(net))
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=3)               # 8 pairs x 3
    net.add_edges(source={"ei": "i"}, target={"ei": "e"},
                  connection_rule=lambda s, t: int(t["node_id"]) % 3)                        # 2 x (0+1+2+0)
    cm = net.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=lambda s, t: 2 * (s.node_id == t.node_id))
    cm.add_properties("syn_weight", rule=lambda s, t: 0.5, dtypes=float)                      # 4 pairs x 2 rows
    out.append(state(net))
    net.build()
    out.append(state(net))
    return out


def test_build_state_and_counts_are_bmtks():
    ours, theirs = steps(NetworkBuilder), steps(BMTK)
    assert ours == theirs
    assert ours[-1] == (True, True, 6, 24 + 6 + 8)     # nedges counts synapses (the sum of nsyns)


def test_nedges_counts_synapses_after_save(tmp_path):
    for cls, folder in ((NetworkBuilder, tmp_path / "ours"), (BMTK, tmp_path / "bmtk")):
        net = cls("net")
        net.add_nodes(N=3)
        net.add_edges(connection_rule=lambda s, t: 4 if s.node_id != t.node_id else 0)
        assert net.nedges == 0
        net.build()
        net.save(output_dir=str(folder))
        assert (net.nnodes, net.nedges) == (3, 24)


@pytest.mark.parametrize("filters", [
    {}, {"ei": "e"}, {"ei": "e", "pop_name": "Scnn1a"}, {"location": 3}, {"tuning": 1.5},
    {"pop_name": ["Scnn1a", "Rorb"]}, {"flag": True},
], ids=lambda f: "-".join(f) or "all")
def test_filter_str_is_bmtks(filters):
    ours, theirs = NetworkBuilder("net"), BMTK("net")
    for net in (ours, theirs):
        net.add_nodes(N=2, ei="e", pop_name="Scnn1a", location=3, tuning=1.5, flag=True)
    assert ours.nodes(**filters).filter_str == theirs.nodes(**filters).filter_str


def test_edge_types_csv_queries_are_bmtks(tmp_path):
    for cls, folder in ((NetworkBuilder, tmp_path / "ours"), (BMTK, tmp_path / "bmtk")):
        net = cls("net")
        net.add_nodes(N=2, location=3, ei="e")
        net.add_edges(source=net.nodes(location=3), target={"ei": "e"}, connection_rule=1)
        net.build()
        net.save(output_dir=str(folder))
    import pandas as pd

    ours = pd.read_csv(tmp_path / "ours" / "net_net_edge_types.csv", sep=" ")
    theirs = pd.read_csv(tmp_path / "bmtk" / "net_net_edge_types.csv", sep=" ")
    assert ours[["source_query", "target_query"]].equals(theirs[["source_query", "target_query"]])


def bmtk_error(call):
    with pytest.raises(Exception) as exc:
        call(BMTK)
    return next(c for c in type(exc.value).__mro__ if c.__module__ == "builtins")


@pytest.mark.parametrize("call, message", [
    (lambda cls: cls(""), "name must be a non-empty string"),
    (lambda cls: cls(None), "name must be a non-empty string"),
    (lambda cls: cls(5), "name must be a non-empty string"),
    (lambda cls: _twice(cls, node_id=[0, 1]), "node_id values must be unique"),
    (lambda cls: _properties(cls), "specify either the 'rule' or the 'values' parameter; got neither"),
    (lambda cls: _properties(cls, rule=1.0, values=[1.0]), "got both"),
], ids=["empty_name", "none_name", "number_name", "duplicate_node_id", "no_rule", "rule_and_values"])
def test_errors_are_the_builtin_bmtk_raises(call, message):
    builtin = bmtk_error(call)
    assert builtin in (ValueError, TypeError)
    with pytest.raises(builtin, match=message) as exc:
        call(NetworkBuilder)
    assert isinstance(exc.value, BuildError)


def _twice(cls, **kwargs):
    net = cls("net")
    net.add_nodes(N=2, **kwargs)
    net.add_nodes(N=2, **kwargs)


def _properties(cls, **kwargs):
    net = cls("net")
    net.add_nodes(N=2)
    net.add_edges(connection_rule=1).add_properties("syn_weight", **kwargs)


def test_clear_keeps_the_description(tmp_path):
    """BMTK's clear(): the built nodes and edges are forgotten, what was added is kept and built again."""
    for cls in (NetworkBuilder, BMTK):
        net = cls("net")
        net.add_nodes(N=3)
        net.add_edges(connection_rule=2)
        net.build()
        net.clear()
        assert state(net) == (False, False, 0, 0), cls
        net.build()
        # bmtk 1.2 keeps its old node list on clear(), so it then holds every node twice (6 nodes, 72 synapses)
        assert state(net) == ((True, True, 3, 18) if cls is NetworkBuilder else (True, True, 6, 72))


def test_add_nodes_after_build_clears_the_built_nodes_and_edges():
    ours = NetworkBuilder("net")
    ours.add_nodes(N=2)
    ours.add_edges(connection_rule=1)
    ours.build()
    ours.add_nodes(N=1)
    assert ours.nnodes == 0 and ours.nedges == 0 and not ours.edges_built   # BMTK: nnodes 0 and nedges 0 too
    ours.build()
    assert state(ours) == (True, True, 3, 9)
