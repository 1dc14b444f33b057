"""connection_matrix / plot_connectivity: counts of a hand-made network, BMTK's edge statistics, bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from simlib.analysis.connectivity import connection_matrix, plot_connectivity
from simlib.circuit import Circuit
from simlib.errors import ConfigError
from simlib.sonata.circuit import read_circuit_config

from small_circuit import CONNECTIONS, SYNAPSES, build_network


def expected(table, rows=("tON", "e", "i"), cols=("e", "i")):
    return pd.DataFrame([[table[r, c] for c in cols] for r in rows], index=list(rows), columns=list(cols))


def test_synapses_connections_and_convergence(network):
    synapses = connection_matrix(network)                       # LGN (virtual) first: the circuit's order
    pd.testing.assert_frame_equal(synapses, expected(SYNAPSES), check_names=False)
    assert synapses.index.name == "source pop_name" and synapses.columns.name == "target pop_name"
    assert synapses.dtypes.unique().tolist() == [np.dtype(np.int64)]
    # i→e: 6 edges of one synapse each (no nsyns) between 2 pairs: 6 synapses, 2 connections
    pd.testing.assert_frame_equal(connection_matrix(network, measure="connections"), expected(CONNECTIONS),
                                  check_names=False)
    convergence = connection_matrix(network, measure="convergence")      # per target cell: e has 3, i has 2
    np.testing.assert_allclose(convergence.to_numpy(), [[18 / 3, 6 / 2], [6 / 3, 12 / 2], [6 / 3, 0.0]])
    assert convergence.attrs["target_cells"] == {"e": 3, "i": 2}


def test_inputs_a_circuit_or_networks_mapping_and_grouping(network, tmp_path):
    networks = read_circuit_config(network)
    by_path = connection_matrix(network, group_by=None)
    pd.testing.assert_frame_equal(connection_matrix(Circuit(networks)), connection_matrix(networks))
    assert by_path.to_dict() == {"V1": {"LGN": 24, "V1": 24}}          # one group per population
    # a population without the attribute is one group named after it; a value in two populations keeps both apart
    assert connection_matrix(network, group_by="ei").index.tolist() == ["LGN", "e", "i"]
    clash = connection_matrix(build_network(tmp_path, lgn_ei="e"), group_by="ei")
    assert clash.index.tolist() == ["LGN:e", "V1:e", "i"] and clash.columns.tolist() == ["V1:e", "i"]
    assert clash.loc["LGN:e", "V1:e"] == 18


@pytest.mark.parity
def test_matches_bmtk_edge_statistics(tmp_path):
    edge_stats = pytest.importorskip("bmtk.utils.sonata.edge_stats", reason="bmtk (the test oracle) not installed")
    # bmtk's to_edges_dataframe gives group properties to rows sliced in group order, which is wrong when an edge
    # file's groups interleave (the per-synapse i→e edges of the fixture): compare on the one-group version
    network = build_network(tmp_path, per_synapse_edges=False)
    networks = read_circuit_config(network)
    files = networks["nodes"] + networks["edges"]
    bmtk_syn, bmtk_conn = {}, {}
    # one edge population per call: bmtk prefixes its grouping columns again for each further population
    for population in ("V1_to_V1", "LGN_to_V1"):
        grouping = dict(populations=[population], source_props_grouping="pop_name", target_props_grouping="pop_name")
        for table, column, out in ((edge_stats.nsyns_distribution(files, **grouping), "nsyns", bmtk_syn),
                                   (edge_stats.nconnections_distributions(files, **grouping), "nconnections",
                                    bmtk_conn)):
            for _, row in table.iterrows():
                key = (row["source_pop_name"], row["target_pop_name"])
                out[key] = out.get(key, 0) + int(row[column])
    assert bmtk_syn == {k: v for k, v in SYNAPSES.items() if v}
    assert bmtk_conn == {k: v for k, v in CONNECTIONS.items() if v}
    pd.testing.assert_frame_equal(connection_matrix(network), expected(SYNAPSES), check_names=False)
    pd.testing.assert_frame_equal(connection_matrix(network, measure="connections"), expected(CONNECTIONS),
                                  check_names=False)


def test_heat_map_writes_the_numbers(network):
    fig, ax = plt.subplots()
    assert plot_connectivity(network, ax=ax) is ax
    assert [t.get_text() for t in ax.texts] == ["18", "6", "6", "12", "6", "0"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["tON", "e", "i"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["e", "i"]
    ax2 = plot_connectivity(connection_matrix(network, measure="convergence"))       # a precomputed matrix
    assert [t.get_text() for t in ax2.texts][:2] == ["6.0", "3.0"] and ax2.get_title() == "convergence"
    assert len(plot_connectivity(network, annotate=False).texts) == 0
    plt.close("all")


def test_bad_input_is_one_config_error(network):
    with pytest.raises(ConfigError, match="measure: 'weights' unknown; accepted: synapses, connections, convergence"):
        connection_matrix(network, measure="weights")
    with pytest.raises(ConfigError, match=r"group_by: 'layer' is not a node attribute of any population \(LGN, V1\)"):
        connection_matrix(network, group_by="layer")
    networks = read_circuit_config(network)
    networks["nodes"] = [n for n in networks["nodes"] if "LGN" not in n["nodes_file"]]
    with pytest.raises(ConfigError, match="LGN_V1_edges.h5: edge population 'LGN_to_V1': node population 'LGN' is "
                                          "not in the network; populations: V1"):
        connection_matrix(networks)
    networks["edges"] = []
    with pytest.raises(ConfigError, match="no edge populations"):
        connection_matrix(networks)
    with pytest.raises(ConfigError, match="circuit: expected a Circuit"):
        connection_matrix(3)
