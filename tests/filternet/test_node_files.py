"""Node tables read from SONATA files: data problems raise FormatError naming the file, node, column and expectation."""

import json

import numpy as np
import pytest

from simlib.errors import ConfigError, FormatError
from simlib.filternet import build_units
from simlib.filternet.nodes import NodeSource, NodeTableError, read_node_table
from simlib.filternet.run import run_filternet


def save_lgn(folder, **properties):
    """Two sON_TF8 LGN nodes; list properties go to the nodes h5, scalars to the node-types CSV."""
    from simlib.builder import NetworkBuilder

    columns = dict(model_type="virtual", model_template="lgnmodel:sON_TF8", dynamics_params="sON_TF8.json",
                   x=[10.0, 20.0], y=[10.0, 15.0], spatial_size=2.0, spont_fr=2.0)
    columns.update(properties)
    lgn = NetworkBuilder("LGN")
    lgn.add_nodes(N=2, **{name: value for name, value in columns.items() if value is not None})
    lgn.build()
    lgn.save_nodes(output_dir=str(folder))
    return folder / "LGN_nodes.h5", folder / "LGN_node_types.csv"


def build(folder, filter_dir, **properties):
    nodes_file, types_file = save_lgn(folder, **properties)
    table = read_node_table(nodes_file, types_file, "LGN")
    return build_units(table.columns, filter_dir, source=table.source)


def test_the_source_records_the_file_of_each_column(tmp_path):
    nodes_file, types_file = save_lgn(tmp_path)
    table = read_node_table(nodes_file, types_file, "LGN")
    assert table.source == NodeSource(nodes_file, types_file, "LGN", table.source.type_columns)
    assert {"model_template", "dynamics_params", "spatial_size", "spont_fr"} <= table.source.type_columns
    assert not {"x", "y", "node_id"} & table.source.type_columns
    assert table.columns["x"].tolist() == [10.0, 20.0]


def test_a_bad_value_in_the_nodes_h5_names_the_h5_file(tmp_path, filter_dir):
    with pytest.raises(FormatError) as err:
        build(tmp_path, filter_dir, x=[10.0, np.nan])
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'LGN_nodes.h5'} (population 'LGN'): node 1: x, y: expected the "
                              "receptive-field centre in degrees")
    assert "LGN_node_types.csv" not in message
    assert isinstance(err.value, ConfigError)          # the class these problems had before: still caught as one


def test_a_bad_value_in_the_node_types_csv_names_the_csv(tmp_path, filter_dir):
    with pytest.raises(NodeTableError, match=r"^" + str(tmp_path / "LGN_node_types.csv") +
                       r": spatial_size: expected 1 or 2 numbers per node, got \[1.0, 2.0, 3.0\] for nodes 0, 1$"):
        build(tmp_path, filter_dir, spatial_size="[1.0, 2.0, 3.0]")


def test_a_missing_required_column_names_both_files(tmp_path, filter_dir):
    """spont_fr is required only where BMTK's recordings give no rate (tON_TF4): both files are named."""
    assert build(tmp_path / "sON", filter_dir, spont_fr=None).offset_hz.size == 2     # BMTK's sON_TF8 rate
    with pytest.raises(FormatError) as err:
        build(tmp_path, filter_dir, spont_fr=None, model_template="lgnmodel:tON_TF4")
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'LGN_nodes.h5'} (population 'LGN') and "
                              f"{tmp_path / 'LGN_node_types.csv'}: nodes 0, 1 (no spont_fr): tON_TF4: no recorded tON")
    assert "give the nodes a spont_fr (Hz)" in message
    assert isinstance(err.value, KeyError)             # as BMTK's cell loader fails


def test_unknown_models_name_the_file_of_model_template(tmp_path, filter_dir):
    with pytest.raises(FormatError, match=r"LGN_node_types.csv: unknown filter model\(s\) \['xON_TF8'\] "
                                          r"\(nodes 0, 1\); accepted"):
        build(tmp_path, filter_dir, model_template="lgnmodel:xON_TF8")


def test_invalid_temporal_parameters_name_the_files(tmp_path, filter_dir):
    with pytest.raises(FormatError, match=r"LGN_nodes.h5 \(population 'LGN'\) and .*LGN_node_types.csv: invalid "
                                          r"temporal filter: expected kpeaks\[0\] < kpeaks\[1\]"):
        build(tmp_path, filter_dir, kpeaks=[[30.0, 20.0], [30.0, 20.0]])


def test_a_table_built_in_memory_names_no_file(filter_dir, fn):
    with pytest.raises(NodeTableError, match=r"^node 1: x, y: expected"):
        build_units(fn.lgn_nodes(2, x=[1.0, np.nan]), filter_dir)


def test_a_bad_filter_json_is_reported_with_its_line(tmp_path, filter_dir):
    (filter_dir / "sON_TF8.json").write_text('{"opt_wts": [1.0, -1.0],\n oops}')
    with pytest.raises(ConfigError, match=r"sON_TF8.json: line 2, column 2: invalid JSON"):
        build(tmp_path, filter_dir)


def test_run_filternet_names_the_nodes_file(tmp_path, filter_dir):
    network = tmp_path / "network"
    save_lgn(network, y=[10.0, np.inf])
    config = {"run": {"tstop": 100.0, "dt": 1.0},
              "target_simulator": "LGNModel",
              "inputs": {"flash": {"input_type": "movie", "module": "full_field_flash", "row_size": 30,
                                   "col_size": 40, "t_on": 20.0, "t_off": 60.0, "max_intensity": 1.0}},
              "output": {"output_dir": str(tmp_path / "output"), "rates_csv": "rates.csv"},
              "components": {"filter_models_dir": str(filter_dir)},
              "networks": {"nodes": [{"nodes_file": str(network / "LGN_nodes.h5"),
                                      "node_types_file": str(network / "LGN_node_types.csv")}]}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    with pytest.raises(FormatError, match=r"LGN_nodes.h5 \(population 'LGN'\): node 1: x, y: expected"):
        run_filternet(path)
    assert not (tmp_path / "output" / "rates.csv").exists()
