"""The PopNet tutorial's network: an excitatory and an inhibitory population driven by one LGN population.

BMTK's tutorial 6 builds it with the NetworkBuilder: V1 ``excitatory`` (``exc_model.json``) and
``inhibitory`` (``inh_model.json``) populations, ``model_type: population``, ``model_template:
dipde:Internal``; e→i 20 synapses of 5 mV, i→e 10 synapses of -2 mV; a virtual LGN population ``tON``
onto the excitatory one, 10 synapses of 2.5 mV; every delay 2 ms. PopNet's units: volts and seconds.
Only the import differs from the tutorial's script. :func:`write_simulation` adds what the tutorial
fetches or edits by hand: the model files (the values of BMTK's bundled ``exc_model.json`` and
``inh_model.json``), the LGN rates CSV and the config (``run.dt`` in seconds, as BMTK's PopNet).
The tutorial does not state the LGN rate; 15 Hz is ours.
"""
import json
from pathlib import Path

from simlib.builder import NetworkBuilder

MODELS = {
    "exc_model.json": {"tau_m": 0.0429, "record": True, "v_min": -0.05, "v_max": 0.02, "dv": 0.0001,
                       "update_method": "gmres", "approx_order": None},
    "inh_model.json": {"tau_m": 0.0299, "record": True, "v_min": -0.05, "v_max": 0.02, "dv": 0.0001,
                       "update_method": "gmres", "approx_order": None},
}
LGN_RATE_HZ = 15.0


def build_network(output_dir, seed=0, compression="gzip"):
    net = NetworkBuilder("V1", seed=seed)
    net.add_nodes(pop_name="excitatory", ei="e", location="VisL4", model_type="population",
                  model_template="dipde:Internal", dynamics_params="exc_model.json")
    net.add_nodes(pop_name="inhibitory", ei="i", model_type="population", model_template="dipde:Internal",
                  dynamics_params="inh_model.json")
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, syn_weight=0.005, nsyns=20, delay=0.002,
                  dynamics_params="ExcToInh.json")
    net.add_edges(source={"ei": "i"}, target={"ei": "e"}, syn_weight=-0.002, nsyns=10, delay=0.002,
                  dynamics_params="InhToExc.json")
    net.build()
    net.save(output_dir=str(output_dir), compression=compression)

    input_net = NetworkBuilder("LGN", seed=seed)
    input_net.add_nodes(pop_name="tON", ei="e", model_type="virtual")
    input_net.add_edges(target=net.nodes(ei="e"), syn_weight=0.0025, nsyns=10, delay=0.002,
                        dynamics_params="input_ExcToExc.json")
    input_net.build()
    input_net.save(output_dir=str(output_dir), compression=compression)


def write_simulation(base_dir, tstop_ms=1500.0, dt_s=0.001, lgn_rate_hz=LGN_RATE_HZ, seed=0) -> Path:
    """Network, model files, LGN rates and config.json in ``base_dir`` (the tutorial's sim_ch06); the config."""
    base = Path(base_dir)
    build_network(base / "network", seed)
    models = base / "components" / "population_models"
    models.mkdir(parents=True, exist_ok=True)
    for name, params in MODELS.items():
        (models / name).write_text(json.dumps(params, indent=2) + "\n")
    # gid: the LGN population's id, its node_type_id (BMTK groups nodes by node_type_id by default)
    (base / "lgn_rates.csv").write_text(f"gid firing_rate\n100 {lgn_rate_hz}\n")
    config = {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network"},
        "target_simulator": "DiPDE",
        "run": {"tstop": tstop_ms, "dt": dt_s},
        "inputs": {"LGN_pop_rates": {"input_type": "csv", "module": "pop_rates", "rates": "${BASE_DIR}/lgn_rates.csv",
                                     "node_set": "LGN"}},
        "output": {"output_dir": "$BASE_DIR/output", "rates_file": "spike_rates.csv", "log_file": "log.txt"},
        "components": {"population_models_dir": "$BASE_DIR/components/population_models"},
        "networks": {
            "nodes": [{"nodes_file": f"$NETWORK_DIR/{p}_nodes.h5", "node_types_file": f"$NETWORK_DIR/{p}_node_types.csv"}
                      for p in ("V1", "LGN")],
            "edges": [{"edges_file": f"$NETWORK_DIR/{e}_edges.h5", "edge_types_file": f"$NETWORK_DIR/{e}_edge_types.csv"}
                      for e in ("V1_V1", "LGN_V1")]},
    }
    path = base / "config.json"
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


if __name__ == "__main__":
    import sys

    print(write_simulation(sys.argv[1] if len(sys.argv) > 1 else "sim_ch06"))
