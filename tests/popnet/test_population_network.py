"""A built network reduced to populations: sizes, mean synapses per target cell, weights and delays, and a run."""

import json

import numpy as np
import pandas as pd
import pytest

from simlib.builder import NetworkBuilder, vectorized
from simlib.errors import ConfigError
from simlib.models.population_network import derive_population_network
from simlib.popnet.simulation import simulate
from simlib.sonata.circuit import write_circuit_config
from simlib.sonata.edges import read_edges
from simlib.sonata.nodes import read_nodes

SCALES = {"e2e.json": 0.5, "e2i.json": 2.0, "i2e.json": -1.5, "lgn.json": 1.2}   # V per unit syn_weight


@vectorized
def sparse_random(src, trg, rng, p):
    return np.where(rng.random(len(src)) < p, rng.integers(1, 5, len(src)), 0)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """V1: groups A (12 e), B (6 e), C (5 i), point cells; LGN: 20 virtual cells without pop_name."""
    folder = tmp_path_factory.mktemp("small_network")
    v1 = NetworkBuilder("V1", seed=4)
    v1.add_nodes(N=12, pop_name="A", ei="e", model_type="point_process", model_template="nest:iaf_psc_delta")
    v1.add_nodes(N=6, pop_name="B", ei="e", model_type="point_process", model_template="nest:iaf_psc_delta")
    v1.add_nodes(N=5, pop_name="C", ei="i", model_type="point_process", model_template="nest:iaf_psc_delta")
    v1.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=sparse_random, connection_params={"p": 0.4},
                 syn_weight=2e-4, delay=1.5, dynamics_params="e2e.json")
    v1.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=sparse_random, connection_params={"p": 0.6},
                 syn_weight=5e-4, delay=1.0, dynamics_params="e2i.json")
    # a second edge type onto the same pairs (A -> A): weights and delays average over synapses
    v1.add_edges(source={"pop_name": "A"}, target={"pop_name": "A"}, connection_rule=sparse_random,
                 connection_params={"p": 0.5}, syn_weight=6e-4, delay=3.0, dynamics_params="e2e.json")
    v1.add_edges(source={"ei": "i"}, target={"pop_name": "A"}, connection_rule=2, syn_weight=1e-4, delay=2.5,
                 dynamics_params="i2e.json")
    v1.build()
    v1.save(output_dir=str(folder))
    lgn = NetworkBuilder("LGN", seed=5)
    lgn.add_nodes(N=20, model_type="virtual")
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(), connection_rule=sparse_random, connection_params={"p": 0.3},
                  syn_weight=3e-4, delay=2.0, dynamics_params="lgn.json")
    lgn.build()
    lgn.save(output_dir=str(folder))
    return write_circuit_config(folder)


def expected_pairs(folder) -> pd.DataFrame:
    """Per (source group, target group): mean nsyns per target cell, synapse-weighted weight (V) and delay (s)."""
    groups, sizes = {}, {}
    for pop in ("V1", "LGN"):
        nodes = read_nodes(folder / f"{pop}_nodes.h5", folder / f"{pop}_node_types.csv")
        names = nodes["pop_name"] if "pop_name" in nodes else pd.Series(pop, index=nodes.index)
        groups[pop] = dict(zip(nodes["node_id"], names))
        sizes.update(names.value_counts().to_dict())
    rows = []
    for src_pop, file in (("V1", "V1_V1"), ("LGN", "LGN_V1")):
        edges = read_edges(folder / f"{file}_edges.h5", folder / f"{file}_edge_types.csv")
        for _, e in edges.iterrows():
            jump = e["syn_weight"] * SCALES[e["dynamics_params"]]
            rows.append((groups[src_pop][e["source_node_id"]], groups["V1"][e["target_node_id"]], e["nsyns"],
                         e["nsyns"] * jump, e["nsyns"] * e["delay"]))
    df = pd.DataFrame(rows, columns=["source", "target", "n", "nw", "nd"]).groupby(["source", "target"]).sum()
    return pd.DataFrame({"nsyns": df["n"] / [sizes[t] for t in df.index.get_level_values("target")],
                         "syn_weight": df["nw"] / df["n"], "delay": df["nd"] / df["n"] / 1000.0})


@pytest.fixture(scope="module")
def derived(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("population") / "pop"
    config = derive_population_network(built, out, external_rates={"LGN": 12.0}, weight_scales=SCALES,
                                       internal_params={"C": {"tau_m": 0.01}}, tstop_ms=200.0, dt_s=2e-4)
    return config


def test_sizes_nsyns_weights_and_delays(built, derived):
    net = derived.parent / "network"
    nodes = pd.concat([read_nodes(net / f"{p}_nodes.h5", net / f"{p}_node_types.csv") for p in ("V1", "LGN")])
    assert dict(zip(nodes["pop_name"], nodes["n_cells"])) == {"A": 12, "B": 6, "C": 5, "LGN": 20}
    assert sorted(nodes["model_type"]) == ["population"] * 3 + ["virtual"]
    name = dict(zip(zip(nodes["model_type"] == "virtual", nodes["node_id"]), nodes["pop_name"]))
    got = []
    for file, virtual in (("V1_V1", False), ("LGN_V1", True)):
        edges = read_edges(net / f"{file}_edges.h5", net / f"{file}_edge_types.csv")
        for _, e in edges.iterrows():
            got.append((name[(virtual, e["source_node_id"])], name[(False, e["target_node_id"])], e["nsyns"],
                        e["syn_weight"], e["delay"]))
    got = pd.DataFrame(got, columns=["source", "target", "nsyns", "syn_weight", "delay"]).set_index(
        ["source", "target"]).sort_index()
    expected = expected_pairs(built.parent).sort_index()
    assert list(got.index) == list(expected.index)
    for column in ("nsyns", "syn_weight", "delay"):
        np.testing.assert_allclose(got[column].to_numpy(), expected[column].to_numpy(), rtol=1e-9, err_msg=column)


def test_model_files_rates_and_config(derived):
    base = derived.parent
    assert json.loads((base / "population_models" / "C.json").read_text())["tau_m"] == 0.01
    assert json.loads((base / "population_models" / "A.json").read_text())["dv"] == 1e-4
    lgn_type = read_nodes(base / "network" / "LGN_nodes.h5", base / "network" / "LGN_node_types.csv")["node_type_id"]
    assert (base / "inputs" / "LGN_rates.csv").read_text().splitlines() == ["gid pop_name firing_rate",
                                                                            f"{lgn_type.iloc[0]} LGN 12.0"]
    result = simulate(derived)
    assert result.ids == ["A", "B", "C"]
    assert np.abs(result.rates.mass - 1).max() < 1e-9
    assert result.rates_file == base / "output" / "spike_rates.csv"


def test_default_scales_follow_ei(built, tmp_path):
    config = derive_population_network(built, tmp_path / "pop", external_rates=5.0)
    edges = read_edges(config.parent / "network" / "V1_V1_edges.h5", config.parent / "network" / "V1_V1_edge_types.csv")
    assert (edges["syn_weight"] < 0).sum() == 1          # C (ei = i) -> A only
    assert edges["syn_weight"].max() == pytest.approx(5e-4 * 1.0)


def test_missing_rate_or_scale(built, tmp_path):
    with pytest.raises(ConfigError, match="external_rates.LGN: expected a rate >= 0"):
        derive_population_network(built, tmp_path / "a")
    with pytest.raises(ConfigError, match="no entry for synapse class 'i2e.json'"):
        derive_population_network(built, tmp_path / "b", external_rates=5.0,
                                  weight_scales={k: v for k, v in SCALES.items() if k != "i2e.json"})
    with pytest.raises(ConfigError, match="internal_params.A: tau_m"):
        derive_population_network(built, tmp_path / "c", external_rates=5.0, internal_params={"A": {"tau_m": -1}})
    assert not (tmp_path / "a").exists()
