"""simlib.spikes.csv: space-separated spike tables, with or without header, and their errors."""

import numpy as np
import pytest

from simlib.errors import ConfigError, FormatError
from simlib.spikes import POP_NA, read_csv, write_csv


def _per_node(trains):
    """{(population, node): sorted times} for order-independent comparison."""
    out = {}
    for pop, (ids, times) in trains.items():
        for node in np.unique(ids):
            out[(pop, int(node))] = np.sort(np.asarray(times)[np.asarray(ids) == node]).tolist()
    return out


def test_writes_bmtk_header_and_round_trips(tmp_path, bmtk_table):
    path = tmp_path / "spikes.csv"
    write_csv(path, bmtk_table)
    lines = path.read_text().splitlines()
    assert lines[0] == "timestamps population node_ids"
    assert lines[1] == "0.25 V1 0" and lines[-1] == "4.0 V2 10"
    read = read_csv(path)
    assert list(read) == ["V1", "V2"]
    assert read["V1"][0].dtype == np.int64 and read["V1"][1].dtype == np.float64
    assert _per_node(read) == _per_node(bmtk_table)


def test_full_float_precision(tmp_path):
    times = np.array([0.1 + 0.2, 1 / 3, 12345.678901234567])
    write_csv(tmp_path / "p.csv", {"V1": (np.arange(3), times)})
    np.testing.assert_array_equal(read_csv(tmp_path / "p.csv")["V1"][1], times)


def test_text_is_pandas_to_csv(tmp_path):
    """The file is written without pandas (import time) but holds DataFrame.to_csv's text, as before."""
    pd = pytest.importorskip("pandas")
    times = np.array([0.0, 1e16, 1e-05, 123456789012345678.0, 0.1 + 0.2, 2.5, 1e-300, 4.0])
    ids = np.array([3, 0, 7, 1, 2, 5, 4, 6])
    write_csv(tmp_path / "ours.csv", {'p"q': (ids[:5], times[:5]), "V1": (ids[5:], times[5:])})
    table = pd.DataFrame({"timestamps": times, "population": ['p"q'] * 5 + ["V1"] * 3, "node_ids": ids})
    table.to_csv(tmp_path / "pandas.csv", sep=" ", index=False)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


@pytest.mark.parametrize("order", ["by_time", "time", "by_id", "id", "none", None])
def test_sort_order_honoured(tmp_path, bmtk_table, order):
    path = tmp_path / "spikes.csv"
    write_csv(path, bmtk_table, sort_order=order)
    rows = [line.split() for line in path.read_text().splitlines()[1:]]
    times = [float(r[0]) for r in rows]
    ids = [int(r[2]) for r in rows]
    if order in ("by_time", "time"):
        assert times == sorted(times)
    elif order in ("by_id", "id"):
        assert ids == sorted(ids)
    else:
        assert ids == [0, 0, 0, 0, 2, 1, 2, 10, 10, 10]


def test_headerless_two_columns(tmp_path):
    path = tmp_path / "min.csv"
    path.write_text("0.5 3\n1.5 4\n")
    assert list(read_csv(path)) == [POP_NA]
    ids, times = read_csv(path, population="LGN")["LGN"]
    assert ids.tolist() == [3, 4] and times.tolist() == [0.5, 1.5]


def test_headerless_three_columns(tmp_path):
    path = tmp_path / "three.csv"
    path.write_text("0.5 V1 3\n1.5 V2 4\n2.5 V1 3\n")
    read = read_csv(path)
    assert list(read) == ["V1", "V2"]
    assert read["V1"][1].tolist() == [0.5, 2.5] and read["V2"][0].tolist() == [4]


@pytest.mark.parametrize("text", [
    "node_ids population timestamps\n3 V1 0.5\n4 V1 1.5\n",
    "population node_ids timestamps\nV1 3 0.5\nV1 4 1.5\n",
    "gids timestamps population\n3 0.5 V1\n4 1.5 V1\n",
    "timestamps,node_ids,population\n0.5, 3, V1\n1.5,4,V1\n",
    "timestamps\tnode_ids\textra\tpopulation\n0.5\t3\tx\tV1\n1.5\t4\ty\tV1\n",
    "\n  timestamps   population node_ids\n0.5 V1 3\n\n1.5  V1 4  \n\n",
])
def test_column_order_aliases_separators_blank_lines(tmp_path, text):
    path = tmp_path / "any.csv"
    path.write_text(text)
    read = read_csv(path)
    assert list(read) == ["V1"]
    assert read["V1"][0].tolist() == [3, 4] and read["V1"][1].tolist() == [0.5, 1.5]


def test_header_without_population(tmp_path):
    path = tmp_path / "noppop.csv"
    path.write_text("node_ids timestamps\n1 2.0\n")
    assert list(read_csv(path, population="X")) == ["X"]


def test_population_filter(tmp_path, bmtk_table):
    path = tmp_path / "spikes.csv"
    write_csv(path, bmtk_table)
    assert list(read_csv(path, population="V2")) == ["V2"]
    with pytest.raises(FormatError, match="spikes.csv: population: population 'LGN' not found; the file has V1, V2"):
        read_csv(path, population="LGN")


def test_empty_files(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("timestamps population node_ids\n")
    assert read_csv(tmp_path / "empty.csv") == {}
    assert read_csv(tmp_path / "header.csv") == {}
    write_csv(tmp_path / "none.csv", {})
    assert read_csv(tmp_path / "none.csv") == {}


# ----------------------------------------------------------------------------------------- errors
def test_missing_column(tmp_path):
    path = tmp_path / "spikes.csv"
    path.write_text("timestamps population\n0.5 V1\n")
    with pytest.raises(FormatError) as info:
        read_csv(path)
    assert str(info.value) == (f"{path}: header: column 'node_ids' missing (found timestamps population); "
                               "expected columns timestamps, node_ids[, population]")


@pytest.mark.parametrize("text, line, column, what", [
    ("timestamps node_ids\n0.5 1\n0.7 1\nabc 2\n", 4, "timestamps", "'abc' is not a number"),
    ("0.5 1\n0.7 x\n", 2, "node_ids", "'x' is not a number"),
    ("timestamps population node_ids\n0.5 V1 1\n0.7 V1\n", 3, "node_ids", "missing value"),
])
def test_non_numeric_value_names_line(tmp_path, text, line, column, what):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(FormatError) as info:
        read_csv(path)
    message = str(info.value)
    assert message.startswith(f"{path}: line {line}, column '{column}': {what}")
    assert "expected columns timestamps, node_ids[, population]" in message


@pytest.mark.parametrize("value, what", [("-1.0", "negative"), ("nan", "NaN"), ("NaN", "NaN"),
                                         ("inf", "NaN or infinite")])
def test_invalid_times_name_line(tmp_path, value, what):
    path = tmp_path / "bad.csv"
    path.write_text(f"timestamps node_ids\n0.5 1\n{value} 2\n")
    with pytest.raises(FormatError, match=f"bad.csv: timestamps: 1 {what}.* at line 3; expected"):
        read_csv(path)


def test_negative_and_fractional_node_ids(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("timestamps node_ids\n0.5 -1\n")
    with pytest.raises(FormatError, match="bad.csv: node_ids: 1 negative value.*-1 at line 2; expected node ids >= 0"):
        read_csv(path)
    path.write_text("timestamps node_ids\n0.5 1.5\n")
    with pytest.raises(FormatError, match="bad.csv: node_ids: 1.5 at line 2 is not a whole number"):
        read_csv(path)


def test_too_many_fields_and_unknown_header(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("0.5 1\n0.7 2 3\n")
    with pytest.raises(FormatError, match="bad.csv: line 2: 3 fields but 2 in the first line; expected columns"):
        read_csv(path)
    path.write_text("\ntimestamps node_ids\n0.5 1\n0.7 2 3\n")
    with pytest.raises(FormatError, match="bad.csv: line 4: 3 fields but 2"):
        read_csv(path)
    path.write_text("time node\n0.5 1\n")
    with pytest.raises(FormatError, match="bad.csv: header: unrecognised header 'time node'; expected columns"):
        read_csv(path)
    path.write_text("0.5 1 2 3\n")
    with pytest.raises(FormatError, match="bad.csv: line 1: 4 columns without a header; expected 2"):
        read_csv(path)


def test_missing_file(tmp_path):
    with pytest.raises(FormatError, match="nope.csv: file not found"):
        read_csv(tmp_path / "nope.csv")


def test_invalid_payload_leaves_no_file(tmp_path, leftover_temp_files):
    path = tmp_path / "out.csv"
    with pytest.raises(FormatError, match="out.csv: population: 'a b' contains '/' or whitespace"):
        write_csv(path, {"V1": ([0], [1.0]), "a b": ([0], [1.0])})
    with pytest.raises(FormatError, match="out.csv: timestamps: 1 NaN"):
        write_csv(path, {"V1": ([0], [np.nan])})
    with pytest.raises(ConfigError, match="sort_order"):
        write_csv(path, {"V1": ([0], [1.0])}, sort_order="shuffled")
    assert not path.exists() and leftover_temp_files(tmp_path) == []
