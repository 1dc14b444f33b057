"""The PointNet tutorial's network: 400 point neurons of V1 layer 4 driven by 500 LGN cells.

BMTK's tutorial 5 builds it by hand: Scnn1a (80) and PV (20) cells in a central column of radius
30 µm, LIF_exc (200) and LIF_inh (100) cells in a ring around it (30-60 µm), all
``nest:iaf_psc_alpha``; recurrent edges by distance (probability falling linearly from
``d_weight_max`` at distance 0 to ``d_weight_min`` at ``d_max``, 3-7 synapses; 3-25 for e→PV); each
V1 cell receives 3-11 synapses from each of 10-35 randomly chosen LGN cells. Written here with
simlib's rules (``DistanceRule`` evaluates only pairs closer than ``d_max``, via a KD-tree) and the
tutorial's weights (pA) and delays (ms). The workflow runs it with
``networks: {name: {script: examples/pointnet_network.py}}``.
"""
import numpy as np

from simlib.builder import DistanceRule, NetworkBuilder

RNG = np.random.default_rng(0)

# pop_name, count, ei, inner and outer radius (µm), dynamics_params
CELLS = [("Scnn1a", 80, "e", 0.0, 30.0, "Scnn1a_iaf_psc_alpha.json"),
         ("PV", 20, "i", 0.0, 30.0, "PV_iaf_psc_alpha.json"),
         ("LIF_exc", 200, "e", 30.0, 60.0, "exc_iaf_psc_alpha.json"),
         ("LIF_inh", 100, "i", 30.0, 60.0, "inh_iaf_psc_alpha.json")]
# source ei, target pop_names, (d_weight_min, d_weight_max, d_max um), (nsyn_min, nsyn_max), syn_weight pA, synapse file
RECURRENT = [("e", ["Scnn1a"], (0.0, 0.34, 300.0), (3, 7), 3.0, "ExcToExc.json"),
             ("e", ["LIF_exc"], (0.0, 0.34, 300.0), (3, 7), 3.0, "instantaneousExc.json"),
             ("i", ["PV"], (0.0, 1.0, 160.0), (3, 7), -3.0, "InhToInh.json"),
             ("i", ["LIF_inh"], (0.0, 1.0, 160.0), (3, 7), -3.0, "instantaneousInh.json"),
             ("i", ["Scnn1a"], (0.0, 1.0, 160.0), (3, 7), -3.0, "InhToExc.json"),
             ("i", ["LIF_exc"], (0.0, 1.0, 160.0), (3, 7), -3.0, "instantaneousInh.json"),
             ("e", ["PV"], (0.0, 1.0, 300.0), (3, 25), 6.0, "ExcToInh.json"),
             ("e", ["LIF_inh"], (0.0, 0.26, 300.0), (3, 7), 3.0, "instantaneousExc.json")]
# target pop_name, (min, max) LGN sources per cell, syn_weight pA, synapse file
FEEDFORWARD = [("Scnn1a", (10, 25), 15.0, "ExcToExc.json"), ("PV", (15, 35), 6.0, "ExcToInh.json"),
               ("LIF_exc", (10, 25), 10.0, "instantaneousExc.json"), ("LIF_inh", (15, 30), 10.0, "instantaneousExc.json")]


def column_positions(n, inner, outer, height=100.0, center_y=50.0):
    """Uniform positions in a cylindrical shell around the y axis (µm)."""
    r = np.sqrt(RNG.uniform(inner ** 2, outer ** 2, n))
    phi = RNG.uniform(0.0, 2 * np.pi, n)
    return r * np.cos(phi), RNG.uniform(center_y - height / 2, center_y + height / 2, n), r * np.sin(phi)


def linear_falloff(d_min, d_max_weight, d_max):
    return lambda d: d_min + (d_max_weight - d_min) * np.clip(1.0 - d / d_max, 0.0, 1.0)


def select_sources(sources, target, nsources_min, nsources_max, nsyns_min=3, nsyns_max=12):
    """all_to_one: synapse counts from every LGN cell onto one target; a random subset of sources connects."""
    n = len(sources)
    chosen = RNG.choice(n, int(RNG.integers(nsources_min, nsources_max)), replace=False)
    nsyns = np.zeros(n, dtype=int)
    nsyns[chosen] = RNG.integers(nsyns_min, nsyns_max, size=chosen.size)
    return nsyns


def build_network(output_dir, seed, scale=1.0, compression="gzip"):
    global RNG
    RNG = np.random.default_rng(seed)
    v1 = NetworkBuilder("V1", seed=seed)
    for pop_name, n, ei, inner, outer, params in CELLS:
        n = max(1, int(round(n * scale)))
        x, y, z = column_positions(n, inner, outer)
        v1.add_nodes(N=n, pop_name=pop_name, location="VisL4", ei=ei, x=x, y=y, z=z, model_type="point_process",
                     model_template="nest:iaf_psc_alpha", dynamics_params=params)
    for source_ei, targets, (w_min, w_max, d_max), nsyns, weight, synapse in RECURRENT:
        v1.add_edges(source={"ei": source_ei}, target={"pop_name": targets},
                     connection_rule=DistanceRule(linear_falloff(w_min, w_max, d_max), d_max, nsyns=nsyns),
                     syn_weight=weight, delay=2.0, dynamics_params=synapse, model_template="static_synapse")
    v1.build()
    v1.save(output_dir=output_dir, compression=compression)

    lgn = NetworkBuilder("LGN", seed=seed)
    lgn.add_nodes(N=max(1, int(round(500 * scale))), pop_name="tON", potential="exc", model_type="virtual")
    for target, (lo, hi), weight, synapse in FEEDFORWARD:
        lgn.add_edges(source=lgn.nodes(), target=v1.nodes(pop_name=target), iterator="all_to_one",
                      connection_rule=select_sources,
                      connection_params={"nsources_min": max(1, int(lo * min(scale, 1.0))),
                                         "nsources_max": max(2, int(hi * min(scale, 1.0)))},
                      syn_weight=weight, delay=2.0, dynamics_params=synapse, model_template="static_synapse")
    lgn.build()
    lgn.save(output_dir=output_dir, compression=compression)


if __name__ == "__main__":
    import sys

    build_network(sys.argv[1] if len(sys.argv) > 1 else "network", seed=0)
