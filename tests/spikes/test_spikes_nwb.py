"""simlib.spikes.nwb: the NWB Units-table layout (seconds), round trips and errors."""

import datetime

import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb", reason="pynwb is needed for NWB spike files")

from simlib.errors import ConfigError, FormatError  # noqa: E402
from simlib.spikes import POP_NA, read_nwb, write_nwb  # noqa: E402


def _per_node(trains):
    out = {}
    for pop, (ids, times) in trains.items():
        for node in np.unique(ids):
            out[(pop, int(node))] = np.sort(np.asarray(times)[np.asarray(ids) == node])
    return out


def _assert_same(read, expected):
    a, b = _per_node(read), _per_node(expected)
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-12, atol=1e-9)


def _new_nwbfile():
    return pynwb.NWBFile(session_description="test", identifier="test",
                         session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))


def test_units_table_layout_in_seconds(tmp_path, bmtk_table):
    path = tmp_path / "spikes.nwb"
    write_nwb(path, bmtk_table)
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        table = io.read().units.to_dataframe()
    assert list(table.columns) == ["spike_times", "node_id", "population"]
    assert list(zip(table["population"], table["node_id"])) == [("V1", 0), ("V1", 1), ("V1", 2), ("V2", 10)]
    np.testing.assert_allclose(table["spike_times"].iloc[0], [0.25e-3, 0.5e-3, 0.75e-3, 1.0e-3])
    np.testing.assert_allclose(table["spike_times"].iloc[2], [2.0e-3, 3.0e-3])


def test_round_trip_several_populations(tmp_path, bmtk_table):
    path = tmp_path / "spikes.nwb"
    write_nwb(path, bmtk_table)
    read = read_nwb(path)
    assert list(read) == ["V1", "V2"]
    assert read["V1"][0].dtype == np.int64
    _assert_same(read, bmtk_table)
    assert list(read_nwb(path, population="V2")) == ["V2"]
    with pytest.raises(FormatError, match="spikes.nwb: /units/population: population 'X' not found; "
                                          "the file has V1, V2"):
        read_nwb(path, population="X")


def test_same_node_id_in_two_populations(tmp_path):
    trains = {"A": (np.array([1, 1]), np.array([5.0, 6.0])), "B": (np.array([1]), np.array([7.0]))}
    write_nwb(tmp_path / "s.nwb", trains)
    _assert_same(read_nwb(tmp_path / "s.nwb"), trains)


def test_units_without_node_id_and_population_columns(tmp_path):
    path = tmp_path / "plain.nwb"
    nwbfile = _new_nwbfile()
    nwbfile.add_unit(id=4, spike_times=[0.1, 0.2])
    nwbfile.add_unit(id=9, spike_times=[0.05])
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    read = read_nwb(path)
    assert list(read) == [POP_NA]
    ids, times = read_nwb(path, population="LGN")["LGN"]
    assert ids.tolist() == [4, 4, 9]
    np.testing.assert_allclose(times, [100.0, 200.0, 50.0])
    np.testing.assert_allclose(read_nwb(path, time_units="ms")[POP_NA][1], [0.1, 0.2, 0.05])


def test_no_units_table(tmp_path):
    path = tmp_path / "nounits.nwb"
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(_new_nwbfile())
    with pytest.raises(FormatError, match="nounits.nwb: /units: Units table missing"):
        read_nwb(path)


def test_not_nwb_and_bad_arguments(tmp_path, bmtk_table):
    path = tmp_path / "text.nwb"
    path.write_text("hello")
    with pytest.raises(FormatError, match="text.nwb: not a readable NWB file"):
        read_nwb(path)
    with pytest.raises(ConfigError, match="time_units: expected 'ms', 's' or None, got 'us'"):
        read_nwb(path, time_units="us")


def test_invalid_payload_leaves_no_file(tmp_path, leftover_temp_files):
    path = tmp_path / "out.nwb"
    with pytest.raises(FormatError, match="out.nwb: timestamps: 1 negative"):
        write_nwb(path, {"V1": ([0, 1], [1.0, -1.0])})
    assert not path.exists() and leftover_temp_files(tmp_path) == []
