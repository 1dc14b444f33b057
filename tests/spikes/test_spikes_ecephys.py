"""Neuropixels NWB inputs: units joined with electrodes, filters, mappings, intervals, several sessions, bad files."""

import numpy as np
import pandas as pd
import pytest

from ecephys_sessions import expected_units, write_broken, write_session
from simlib.errors import ConfigError, FormatError
from simlib.spikes.ecephys import EcephysInput, read_intervals, read_units


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    root = tmp_path_factory.mktemp("ecephys")
    return [write_session(root / f"session_{sid}.nwb", sid, seed=k, n_units_by_area=areas)
            for k, (sid, areas) in enumerate([(715093703, {"VISl": 12, "CA1": 8, "VISp": 6}),
                                              (798911424, {"VISl": 5, "CA3": 4, "grey": 3})])]


def test_units_joined_with_electrodes(sessions):
    units = read_units(sessions[0])
    truth = expected_units(sessions[0])
    assert sorted(units.index) == sorted(truth.index)
    for unit_id in truth.index[:5]:
        assert np.allclose(units.loc[unit_id, "spike_times"], truth.loc[unit_id, "spike_times"])
        assert units.loc[unit_id, "location"] == truth.loc[unit_id, "location"]
    assert set(units["location"]) == {"VISl", "CA1", "VISp"}


def test_filter_and_sample_is_seeded_and_without_replacement(sessions):
    reader = EcephysInput(sessions[0], units={"location": "VISl"}, mapping="sample", seed=3)
    trains = reader.trains(range(10))
    again = EcephysInput(sessions[0], units={"location": "VISl"}, mapping="sample", seed=3).trains(range(10))
    assert all(np.array_equal(trains[n], again[n]) for n in range(10))
    truth = expected_units(sessions[0])
    visl = {u: np.asarray(t) * 1000.0 for u, t in truth.loc[truth["location"] == "VISl", "spike_times"].items()}
    used = []
    for node, times in trains.items():
        match = [u for u, t in visl.items() if t.size == times.size and np.allclose(t, times)]
        assert match, f"node {node} got a VISl unit's train"
        used.append(match[0])
    assert len(set(used)) == 10, "sampling without replacement"
    other = EcephysInput(sessions[0], units={"location": "VISl"}, mapping="sample", seed=4).trains(range(10))
    assert any(not np.array_equal(trains[n], other[n]) for n in range(10)), "the seed matters"


def test_several_sessions_and_list_filters(sessions):
    reader = EcephysInput(sessions, units={"location": ["CA1", "CA3"]}, mapping="sample_with_replacement", seed=1)
    table = reader.units_table()
    assert len(table) == 12 and set(table["file"]) == {0, 1}
    trains = reader.trains(range(30))  # more nodes than units: allowed with replacement
    assert len(trains) == 30 and all(t.size > 0 for t in trains.values())


def test_interval_window_shifts_to_the_start(sessions):
    reader = EcephysInput(sessions[0], units={"location": "VISp"}, mapping="sample", interval=[2000.0, 5000.0],
                          interval_offset_ms=100.0, seed=0)
    trains = reader.trains(range(6))
    for times in trains.values():
        assert times.min() >= 100.0 and times.max() <= 3100.0
    truth = expected_units(sessions[0])
    all_visp = np.concatenate([np.asarray(t) for t in truth.loc[truth["location"] == "VISp", "spike_times"]])
    in_window = np.sum((all_visp >= 2.0) & (all_visp <= 5.0))
    assert sum(t.size for t in trains.values()) == in_window


def test_stimulus_table_interval(sessions):
    table = read_intervals(sessions[0], "drifting_gratings")
    chosen = table[(table["orientation"] == 90.0)]
    assert len(chosen) > 0
    reader = EcephysInput(sessions[0], units={"location": "VISl"}, mapping="sample", seed=0,
                          interval={"interval_name": "drifting_gratings", "orientation": 90.0, "interval_index": 0})
    start, stop = reader._window(0, sessions[0])
    assert (start, stop) == (chosen["start_time"].iloc[0], chosen["stop_time"].iloc[0])
    for times in reader.trains(range(5)).values():
        assert times.size == 0 or times.max() <= (stop - start) * 1000.0 + 1e-9


def test_units_map(sessions, tmp_path):
    truth = expected_units(sessions[0])
    unit_ids = truth.index[:3].tolist()
    path = tmp_path / "map.csv"
    pd.DataFrame({"node_ids": [0, 1, 2], "unit_ids": unit_ids}).to_csv(path, sep=" ", index=False)
    trains = EcephysInput(sessions[0], units=str(path), mapping="units_map").trains([0, 1, 2])
    for node, unit in zip([0, 1, 2], unit_ids):
        assert np.allclose(trains[node], np.asarray(truth.loc[unit, "spike_times"]) * 1000.0)
    with pytest.raises(ConfigError, match=r"nodes \[3\] \(1\) have no unit"):
        EcephysInput(sessions[0], units=str(path), mapping="units_map").trains([0, 1, 2, 3])
    warned = EcephysInput(sessions[0], units=str(path), mapping="units_map", missing_ids="ignore").trains([0, 3])
    assert warned[3].size == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"units": {"location": "Mars"}}, "matches no unit"),
    ({"units": {"location": "VISp"}}, "needs at least as many units as nodes; 6 units for 10 nodes"),
    ({"units": {"nope": 1}}, "column 'nope' not in the table"),
    ({"mapping": "random"}, "mapping: 'random' unknown; accepted: sample"),
    ({"units": {"location": "VISl"}, "interval": {"interval_name": "drifting_gratings", "orientation": 33.0}},
     "no presentation of 'drifting_gratings'"),
    ({"units": {"location": "VISl"}, "interval": {"interval_name": "natural_movies"}}, "no stimulus table"),
])
def test_bad_inputs(sessions, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        EcephysInput(sessions[0], seed=0, **kwargs).trains(range(10))


def test_warn_when_too_few_units(sessions, caplog):
    trains = EcephysInput(sessions[0], units={"location": "VISp"}, missing_ids="warn").trains(range(10))
    assert sum(t.size > 0 for t in trains.values()) == 6 and "get no spikes" in caplog.text


@pytest.mark.parametrize("kind, message", [("no_units", "no units table"), ("not_nwb", "no units table"),
                                           ("truncated", "not a readable HDF5"),
                                           ("no_electrodes_column", "no 'peak_channel_id' column")])
def test_broken_files(tmp_path, kind, message):
    path = write_broken(tmp_path / f"{kind}.nwb", kind)
    with pytest.raises(FormatError, match=message):
        EcephysInput(path, units={"location": "VISl"}).trains(range(2))
