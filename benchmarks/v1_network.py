"""A V1-scale network for bench_builder.py --v1: 230,000 nodes in layers, ~70 million edges.

Nine populations (L1 inhibitory; L2/3, L4, L5, L6 excitatory and inhibitory) fill a cortical
column 845 µm in radius and 900 µm deep (the Allen V1 model's size), each node with a position and
a preferred orientation. Four edge types (e→e, e→i, i→e, i→i) connect with a probability that falls
with distance (Gaussian), depends on the two layers (a layer-to-layer factor) and, for e→e, on the
difference of preferred orientations; 1–5 synapses per connection. Every rule is a KD-tree
DistanceRule: only pairs closer than 2.5 sigma are evaluated, block by block.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

N_NODES = 230_000
RADIUS_UM, DEPTH_UM = 845.0, 900.0
# layer: (top, bottom depth in µm, share of the nodes, excitatory share)
LAYERS = {"L1": (0.0, 100.0, 0.02, 0.0), "L23": (100.0, 310.0, 0.27, 0.85), "L4": (310.0, 430.0, 0.22, 0.85),
          "L5": (430.0, 650.0, 0.26, 0.83), "L6": (650.0, 900.0, 0.23, 0.85)}
# connection probability factor from source layer (rows) to target layer (columns), order of LAYERS
LAYER_FACTOR = np.array([[1.0, 0.8, 0.3, 0.3, 0.2],
                         [0.3, 1.0, 0.5, 0.9, 0.3],
                         [0.2, 0.9, 1.0, 0.6, 0.4],
                         [0.2, 0.5, 0.3, 1.0, 0.6],
                         [0.1, 0.3, 0.6, 0.5, 1.0]])
# (source ei, target ei): (peak probability, Gaussian sigma in µm)
RULES = {("e", "e"): (0.55, 83.0), ("e", "i"): (0.45, 83.0), ("i", "e"): (0.5, 77.0), ("i", "i"): (0.45, 77.0)}


def v1_builder(seed: int = 0, n_nodes: int = N_NODES):
    """Describe the network (nodes and edge types, not yet built)."""
    from simlib.builder import DistanceRule, NetworkBuilder

    rng = np.random.default_rng(seed)
    net = NetworkBuilder("v1", seed=seed)
    for layer_id, (name, (top, bottom, share, e_share)) in enumerate(LAYERS.items()):
        n_layer = int(round(n_nodes * share))
        for ei, n in (("e", int(round(n_layer * e_share))), ("i", n_layer - int(round(n_layer * e_share)))):
            if n == 0:
                continue
            r, phi = RADIUS_UM * np.sqrt(rng.random(n)), rng.uniform(0.0, 2 * np.pi, n)
            net.add_nodes(N=n, pop_name=f"{name}_{ei}", layer=name, ei=ei, model_type="point_neuron",
                          model_template="nest:iaf_psc_alpha", x=r * np.cos(phi), y=rng.uniform(top, bottom, n),
                          z=r * np.sin(phi), layer_id=np.full(n, layer_id, dtype=np.int8),
                          tuning_angle=rng.uniform(0.0, 360.0, n))
    for (src, trg), (peak, sigma) in RULES.items():
        net.add_edges(source={"ei": src}, target={"ei": trg},
                      connection_rule=DistanceRule(_probability(peak, sigma, tuned=(src, trg) == ("e", "e")),
                                                   max_distance=2.5 * sigma, nsyns=(1, 5)),
                      syn_weight=2e-4 if src == "e" else -8e-4, delay=1.5, dynamics_params=f"{src}2{trg}.json",
                      model_template="static_synapse")
    return net


def _probability(peak: float, sigma: float, tuned: bool):
    def probability(distance_um, sources, targets):
        p = peak * np.exp(-(distance_um * distance_um) / (2.0 * sigma * sigma))
        p *= LAYER_FACTOR[sources["layer_id"], targets["layer_id"]]
        if tuned:   # like-tuned cells connect more: 0.3 .. 1.0 with the cosine of the angle difference
            delta = np.deg2rad(sources["tuning_angle"] - targets["tuning_angle"])
            p *= 0.65 + 0.35 * np.cos(delta)
        return p
    return probability


def build_v1(out, seed: int = 0) -> dict:
    """Build and save into `out`; returns counts and the build/save split (seconds)."""
    t0 = time.perf_counter()
    net = v1_builder(seed)
    net.build()
    t1 = time.perf_counter()
    net.save(output_dir=str(out))
    t2 = time.perf_counter()
    maps = net.connection_maps
    return {"nodes": int(net.nnodes), "populations": len(LAYERS) * 2 - 1,
            "edges": int(sum(cm.nsyns.size for cm in maps)), "synapses": int(net.nedges),
            "files_mb": sum(p.stat().st_size for p in Path(out).iterdir()) / 1e6,
            "build_seconds": t1 - t0, "save_seconds": t2 - t1}


def check_v1(out, n_nodes: int = 20) -> dict:
    """Read the saved network back with simlib's SONATA readers and with bmtk's (benchmark-only oracle)."""
    from simlib.sonata.edges import edge_populations, read_edge_population
    from simlib.sonata.index import edges_of

    import h5py

    out = Path(out)
    edges_h5, types_csv = out / "v1_v1_edges.h5", out / "v1_v1_edge_types.csv"
    name = edge_populations(edges_h5)[0]
    pop = read_edge_population(edges_h5, name)
    rng = np.random.default_rng(1)
    targets = rng.choice(int(pop.target_node_id.max()) + 1, n_nodes, replace=False)
    with h5py.File(edges_h5, "r") as h5:
        idx = h5[f"edges/{name}/indices/target_to_source"]
        n2r, r2e = idx["node_id_to_range"][()], idx["range_to_edge_id"][()]
    ours = {}
    for t in targets.tolist():
        rows = edges_of(t, n2r, r2e)
        assert np.array_equal(rows, np.flatnonzero(pop.target_node_id == t)), f"index of target {t}"
        ours[t] = sorted(zip(pop.source_node_id[rows].tolist(), pop.edge_type_id[rows].tolist()))

    from bmtk.utils.sonata import File    # benchmark-only: bmtk's SONATA reader opens the same files

    sonata = File(data_files=[str(edges_h5), str(out / "v1_nodes.h5")],
                  data_type_files=[str(types_csv), str(out / "v1_node_types.csv")])
    bmtk_pop = sonata.edges[name]
    theirs = {t: sorted((e.source_node_id, e.edge_type_id) for e in bmtk_pop.get_target(t)) for t in ours}
    return {"simlib_edges": int(pop.source_node_id.size), "simlib_checked_nodes": n_nodes,
            "bmtk_edges": int(len(bmtk_pop)), "agree": ours == theirs}
