import pandas as pd
import pytest

from simlib.errors import FormatError
from simlib.sonata.types_csv import read_types_columns, read_types_csv, write_types_csv


def test_types_roundtrip_null_quotes_and_lists(tmp_path):
    path = tmp_path / "t.csv"
    rows = [{"edge_type_id": 100, "target_query": "ei=='i'", "source_query": "*", "syn_weight": 5e-05,
             "target_sections": ["somatic", "basal"], "distance_range": (0.0, 50.0)},
            {"edge_type_id": 101, "target_query": "*", "source_query": "*", "delay": 2.0, "note": "has space"}]
    write_types_csv(path, rows, ["edge_type_id", "target_query", "source_query"])
    lines = path.read_text().splitlines()
    assert lines[0].split(" ")[:3] == ["edge_type_id", "target_query", "source_query"]
    assert "\"['somatic', 'basal']\"" in lines[1] and "\"[0.0, 50.0]\"" in lines[1]
    assert "NULL" in lines[1] and "NULL" in lines[2]
    df = read_types_csv(path, "edge_type_id")
    columns = read_types_columns(path, "edge_type_id")
    assert list(columns) == list(df.columns)
    for name, values in columns.items():
        assert values.dtype == df[name].dtype and df[name].equals(pd.Series(values, dtype=values.dtype)), name
    assert df["edge_type_id"].tolist() == [100, 101]
    assert df.loc[0, "target_sections"] == ["somatic", "basal"]
    assert df.loc[0, "distance_range"] == [0.0, 50.0]
    assert df.loc[1, "note"] == "has space"
    assert df.loc[1, "delay"] == 2.0 and df.loc[0, "syn_weight"] == 5e-05


def test_types_errors(tmp_path):
    with pytest.raises(FormatError, match="file not found"):
        read_types_csv(tmp_path / "missing.csv", "node_type_id")
    bad = tmp_path / "bad.csv"
    bad.write_text("pop_name model_type\na b\n")
    with pytest.raises(FormatError, match="column 'node_type_id' missing"):
        read_types_csv(bad, "node_type_id")
    dup = tmp_path / "dup.csv"
    dup.write_text("node_type_id a\n100 x\n100 y\n")
    for read in (read_types_csv, read_types_columns):
        with pytest.raises(FormatError, match="file not found"):
            read(tmp_path / "missing.csv", "node_type_id")
        with pytest.raises(FormatError, match="column 'node_type_id' missing"):
            read(bad, "node_type_id")
        with pytest.raises(FormatError, match=r"duplicate ids \[100\]"):
            read(dup, "node_type_id")
    long = tmp_path / "long.csv"
    long.write_text("node_type_id a\n100 x y\n")
    with pytest.raises(FormatError, match="line 2 has more cells than the 2 column names"):
        read_types_columns(long, "node_type_id")


def test_types_columns_split_cells_as_pandas(tmp_path):
    """Repeated and leading spaces, blank lines, quotes, NULL and short rows, as read_types_csv reads them."""
    path = tmp_path / "t.csv"
    path.write_text('node_type_id  a b c\n\n1 x  "[1, 2]" NULL\n2 y\n 3 "" 4.5 6\n')
    table, columns = read_types_csv(path, "node_type_id"), read_types_columns(path, "node_type_id")
    assert columns["node_type_id"].tolist() == table["node_type_id"].tolist() == [1, 2, 3]
    for name in "abc":
        assert columns[name].dtype == table[name].dtype == object
        assert columns[name].tolist() == table[name].tolist()
    assert columns["b"].tolist() == [[1, 2], "", 4.5] and columns["c"].tolist() == [None, "", 6]
