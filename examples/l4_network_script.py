"""The L4 tutorial network written as a BMTK-style script with per-pair rule functions.

Only the import differs from a BMTK script: `from simlib.builder import NetworkBuilder`.
The workflow runs such scripts with `networks: {name: {script: examples/l4_network_script.py}}`;
they must define `build_network(output_dir, seed, **params)`.
"""
import numpy as np

from simlib.builder import NetworkBuilder

RNG = np.random.default_rng(0)


def ignore_autapses(source, target):
    if source["node_id"] == target["node_id"]:
        return 0
    return int(RNG.integers(1, 5))


def tuning_angle(source, target, max_syns):
    if source["node_id"] == target["node_id"]:
        return 0
    delta = np.abs((source["tuning_angle"] - target["tuning_angle"] + 180) % 360 - 180)
    p_connect = 1.0 - max(delta, 10.0) / 180.0
    return int(RNG.binomial(n=max_syns, p=p_connect))


def build_network(output_dir, seed, scale=1.0, compression="gzip"):
    global RNG
    RNG = np.random.default_rng(seed)
    v1 = NetworkBuilder("V1")
    cells = [("Scnn1a", 80, "e", "472363762_fit.json", "Scnn1a_473845048_m.swc", -3.646878266),
             ("Rorb", 80, "e", "473863510_fit.json", "Rorb_325404214_m.swc", -4.159763785),
             ("Nr5a1", 80, "e", "473863035_fit.json", "Nr5a1_471087815_m.swc", -4.159763785),
             ("PV1", 60, "i", "472912177_fit.json", "Pvalb_470522102_m.swc", -2.539551891)]
    for pop_name, n, ei, fit, morphology, rot_z in cells:
        n = max(1, int(round(n * scale)))
        extra = {"tuning_angle": np.linspace(0.0, 360.0, n, endpoint=False)} if ei == "e" else {}
        v1.add_nodes(N=n, pop_name=pop_name, location="L4", ei=ei, model_type="biophysical",
                     model_template="ctdb:Biophys1.hoc", dynamics_params=fit, morphology=morphology,
                     model_processing="aibs_perisomatic",
                     x=RNG.normal(0.0, 20.0, n), y=RNG.uniform(400.0, 500.0, n), z=RNG.normal(0.0, 20.0, n),
                     rotation_angle_xaxis=RNG.uniform(0.0, 2 * np.pi, n),
                     rotation_angle_yaxis=RNG.uniform(0.0, 2 * np.pi, n),
                     rotation_angle_zaxis=rot_z, **extra)

    v1.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1, syn_weight=0.0006, delay=2.0,
                 dynamics_params="ExcToInh.json", model_template="exp2syn",
                 target_sections=["somatic", "basal"], distance_range=[0.0, 1.0e20])
    v1.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=1, syn_weight=0.0002, delay=2.0,
                 dynamics_params="InhToExc.json", model_template="exp2syn",
                 target_sections=["somatic", "basal", "apical"], distance_range=[0.0, 50.0])
    v1.add_edges(source={"ei": "i"}, target={"ei": "i"}, connection_rule=ignore_autapses, syn_weight=0.00015,
                 delay=2.0, dynamics_params="InhToInh.json", model_template="exp2syn",
                 target_sections=["somatic", "basal"], distance_range=[0.0, 1.0e20])
    v1.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=tuning_angle,
                 connection_params={"max_syns": 5}, syn_weight=3.0e-05, delay=2.0,
                 dynamics_params="ExcToExc.json", model_template="exp2syn", target_sections=["basal", "apical"],
                 distance_range=[30.0, 150.0], weight_function="set_syn_weight")
    v1.build()
    v1.save(output_dir=output_dir, compression=compression)

    lgn = NetworkBuilder("LGN")
    for template in ("sOFF_TF8", "sON_TF8"):
        n = max(1, int(round(50 * scale)))
        lgn.add_nodes(N=n, model_type="virtual", model_template=f"lgnmodel:{template}",
                      dynamics_params=f"{template}.json", x=RNG.uniform(0.0, 240.0, n),
                      y=RNG.uniform(0.0, 120.0, n), spatial_size=1.0,
                      spont_fr=5.0)  # FilterNet spontaneous rate (Hz); BMTK looks it up in tables it ships
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="e"), connection_rule=lambda *_: int(RNG.integers(0, 5)),
                  syn_weight=0.0003, delay=2.0, dynamics_params="LGN_ExcToExc.json", model_template="exp2syn",
                  target_sections=["basal", "apical", "somatic"], distance_range=[0.0, 50.0])
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(ei="i"), connection_rule=lambda *_: int(RNG.integers(0, 5)),
                  syn_weight=0.002, delay=2.0, dynamics_params="LGN_ExcToInh.json", model_template="exp2syn",
                  target_sections=["basal", "apical"], distance_range=[0.0, 1.0e20])
    lgn.build()
    lgn.save(output_dir=output_dir, compression=compression)


if __name__ == "__main__":
    import sys

    build_network(sys.argv[1] if len(sys.argv) > 1 else "network", seed=0)
