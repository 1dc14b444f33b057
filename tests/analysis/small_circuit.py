"""A small V1 + LGN network with known synapse counts, for the connectivity, positions and CLI tests."""

from simlib.builder import NetworkBuilder
from simlib.sonata.circuit import write_circuit_config

# V1: e = nodes 0-2, i = nodes 3-4; LGN: 2 virtual tON cells. Synapses by construction:
#   LGN→e 3 per pair (2×3 pairs), LGN→i 1 + source id per pair, e→i 2 per pair,
#   e→e 1 per pair without autapses, i→e 3 onto node 0 only, written one edge per synapse
#   (a per-edge property: no nsyns column)
SYNAPSES = {("tON", "e"): 18, ("tON", "i"): 6, ("e", "e"): 6, ("e", "i"): 12, ("i", "e"): 6, ("i", "i"): 0}
CONNECTIONS = {("tON", "e"): 6, ("tON", "i"): 4, ("e", "e"): 6, ("e", "i"): 6, ("i", "e"): 2, ("i", "i"): 0}
V1_XYZ = {"x": [0.0, 10.0, 20.0, 30.0, 40.0], "y": [100.0, 110.0, 120.0, 130.0, 140.0],
          "z": [-1.0, -2.0, -3.0, 4.0, 5.0]}


def build_network(folder, lgn_ei=None, per_synapse_edges=True):
    """Write the network into ``folder``; ``lgn_ei`` gives the LGN cells an ``ei`` attribute (V1's have one);
    ``per_synapse_edges=False`` writes i→e as edges with nsyns, like the others (one edge group)."""
    v1 = NetworkBuilder("V1")
    v1.add_nodes(N=3, pop_name="e", ei="e", model_type="biophysical", x=V1_XYZ["x"][:3], y=V1_XYZ["y"][:3],
                 z=V1_XYZ["z"][:3])
    v1.add_nodes(N=2, pop_name="i", ei="i", model_type="biophysical", x=V1_XYZ["x"][3:], y=V1_XYZ["y"][3:],
                 z=V1_XYZ["z"][3:])
    v1.add_edges(source={"pop_name": "e"}, target={"pop_name": "i"}, connection_rule=2, syn_weight=1.0)
    v1.add_edges(source={"pop_name": "e"}, target={"pop_name": "e"},
                 connection_rule=lambda s, t: 0 if s.node_id == t.node_id else 1, syn_weight=1.0)
    cm = v1.add_edges(source={"pop_name": "i"}, target={"pop_name": "e"},
                      connection_rule=lambda s, t: 3 if t.node_id == 0 else 0,
                      **({} if per_synapse_edges else {"syn_weight": -1.0}))
    if per_synapse_edges:
        cm.add_properties("syn_weight", rule=lambda s, t: -1.0, dtypes=float)
    v1.build()
    v1.save(str(folder))
    lgn = NetworkBuilder("LGN")
    extra = {"ei": lgn_ei} if lgn_ei else {}
    lgn.add_nodes(N=2, pop_name="tON", model_type="virtual", x=[0.0, 50.0], y=[0.0, 25.0], **extra)
    lgn.add_edges(target=v1.nodes(pop_name="e"), connection_rule=3, syn_weight=1.0)
    lgn.add_edges(target=v1.nodes(pop_name="i"), connection_rule=lambda s, t: 1 + s.node_id, syn_weight=1.0)
    lgn.build()
    lgn.save(str(folder))
    return write_circuit_config(folder)
