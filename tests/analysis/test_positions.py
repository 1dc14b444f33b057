"""node_positions / plot_positions: coordinates and groups, BMTK's positions arrays, panels, bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from small_circuit import V1_XYZ

from simlib.analysis.positions import node_positions, plot_positions
from simlib.errors import ConfigError


def test_positions_and_groups_of_a_circuit_population(network):
    table = node_positions(network, "V1")
    assert table.index.tolist() == [0, 1, 2, 3, 4]
    assert {axis: table[axis].tolist() for axis in "xyz"} == V1_XYZ
    assert table["group"].tolist() == ["e", "e", "e", "i", "i"] and table.attrs["groups"] == ["e", "i"]
    lgn = node_positions(network, "LGN", group_by=None)                    # x and y only: no z column
    assert list(lgn.columns) == ["x", "y", "group"] and lgn["group"].tolist() == ["LGN", "LGN"]


def test_bmtk_positions_arrays():
    nodes = pd.DataFrame({"node_id": [7, 8], "pop_name": ["a", "b"],
                          "positions": [np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])]})
    table = node_positions(nodes)
    assert table.index.tolist() == [7, 8]
    assert table[["x", "y", "z"]].to_numpy().tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_two_panels_coloured_by_group(network):
    axes = plot_positions(network, "V1")
    assert [ax.get_title() for ax in axes] == ["xz projection", "xy projection"]
    e, i = axes[0].collections                                           # one scatter per group, xz
    assert e.get_offsets().tolist() == [[0.0, -1.0], [10.0, -2.0], [20.0, -3.0]]
    assert i.get_offsets().tolist() == [[30.0, 4.0], [40.0, 5.0]]
    assert axes[1].collections[1].get_offsets().tolist() == [[30.0, 130.0], [40.0, 140.0]]
    assert [t.get_text() for t in axes[-1].get_legend().get_texts()] == ["e (3)", "i (2)"]
    fig, ax = plt.subplots()
    assert plot_positions(network, "V1", projections=("yz",), ax=ax) == [ax]
    fig, pair = plt.subplots(1, 2)
    assert plot_positions(network, "V1", ax=pair) == list(pair)
    plt.close("all")


def test_bad_input_is_one_config_error(network):
    with pytest.raises(ConfigError, match="the circuit holds node populations LGN, V1; choose one"):
        node_positions(network)
    with pytest.raises(ConfigError, match="node population 'X' is not in the network; populations: LGN, V1"):
        node_positions(network, "X")
    with pytest.raises(ConfigError, match="group_by: 'layer' is not a node attribute of population 'V1'"):
        node_positions(network, "V1", group_by="layer")
    with pytest.raises(ConfigError, match="'xz' needs z, which population 'LGN' does not have; it has x, y"):
        plot_positions(network, "LGN", group_by=None)
    with pytest.raises(ConfigError, match="'xx' is not two different axes of x, y, z"):
        plot_positions(network, "V1", projections=("xx",))
    with pytest.raises(ConfigError, match=r"expected 2 Axes \(one per projection xz, xy\), got 1"):
        plot_positions(network, "V1", ax=plt.subplots()[1])
    with pytest.raises(ConfigError, match="has no coordinates"):
        node_positions(pd.DataFrame({"node_id": [0], "pop_name": ["a"]}))
    plt.close("all")
