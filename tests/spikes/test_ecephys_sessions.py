"""The Neuropixels test-session generator: files open with pynwb and h5py in the Allen layout."""

import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb", reason="pynwb is needed to write the NWB test sessions")
h5py = pytest.importorskip("h5py", reason="h5py is needed to read the NWB test sessions")

import ecephys_sessions as es  # tests/spikes is on sys.path

DURATION_S = 20.0


@pytest.fixture(scope="module")
def sessions(tmp_path_factory) -> dict:
    """{session_id: path} of the three example sessions."""
    paths = es.write_sessions(tmp_path_factory.mktemp("ecephys"))
    return {int(p.stem): p for p in paths}


def _h5_units(path) -> dict:
    """{unit_id: spike_times} decoded from /units as a reader without pynwb does."""
    with h5py.File(path, "r") as f:
        ids = f["units/id"][:]
        times = f["units/spike_times"][:]
        ends = f["units/spike_times_index"][:].astype(np.int64)
    starts = np.concatenate([[0], ends[:-1]])
    return {int(u): times[a:b] for u, a, b in zip(ids, starts, ends)}


def test_sessions_open_with_pynwb(sessions):
    for sid, path in sessions.items():
        params = es.SESSIONS[sid]
        with pynwb.NWBHDF5IO(str(path), "r") as io:
            nwb = io.read()
            assert nwb.identifier == str(sid) and nwb.session_id == str(sid)
            assert len(nwb.units) == sum(params["n_units_by_area"].values())
            assert set(nwb.intervals) == {"drifting_gratings_presentations", "flashes_presentations"}
            assert list(nwb.devices) == ["probeA"] and list(nwb.electrode_groups) == ["probeA"]
            assert {"peak_channel_id", "spike_times", "firing_rate", "quality"} <= set(nwb.units.colnames)
            assert "location" in nwb.electrodes.colnames


def test_sessions_are_valid_nwb(sessions, tmp_path):
    paths = list(sessions.values())
    paths += [es.write_broken(tmp_path / f"{k}.nwb", k) for k in ("no_units", "no_electrodes_column",
                                                                   "empty_intervals")]
    for path in paths:
        assert pynwb.validate(path=str(path)) == [], path.name


def test_hdf5_paths_and_dtypes(sessions):
    path = sessions[715093703]
    with h5py.File(path, "r") as f:
        assert f.attrs["namespace"] == "core" and "nwb_version" in f.attrs
        electrodes = f["general/extracellular_ephys/electrodes"]
        assert electrodes["id"].dtype == np.int64
        # Strings are variable-length UTF-8: h5py returns bytes unless asked with .asstr().
        assert h5py.check_string_dtype(electrodes["location"].dtype).encoding == "utf-8"
        assert isinstance(electrodes["location"][0], bytes)
        assert electrodes["location"].asstr()[:].tolist() == ["VISl", "VISl", "CA1", "CA1", "VISp", "VISp",
                                                              "grey", "grey"]
        units = f["units"]
        assert units["id"].dtype == np.int64 and units["peak_channel_id"].dtype == np.int64
        assert units["spike_times"].dtype == np.float64
        # pynwb picks the smallest unsigned type that holds the last offset (uint16 here).
        assert units["spike_times_index"].dtype.kind == "u"
        assert units["spike_times_index"].attrs["neurodata_type"] == "VectorIndex"
        assert units["quality"].asstr()[:].tolist()[0] in ("good", "noise")
        grat = f["intervals/drifting_gratings_presentations"]
        for col in ("start_time", "stop_time", "orientation", "temporal_frequency"):
            assert grat[col].dtype == np.float64, col
        assert grat["stimulus_name"].asstr()[:].tolist() == ["drifting_gratings"] * 12
        assert f["intervals/flashes_presentations/color"].dtype == np.float64


def test_h5py_decoding_matches_pynwb(sessions):
    for path in sessions.values():
        expected = es.expected_units(path)
        decoded = _h5_units(path)
        assert list(decoded) == expected.index.tolist()
        for uid, times in decoded.items():
            np.testing.assert_array_equal(times, expected.loc[uid, "spike_times"])


def test_units_sit_on_channels_of_their_area(sessions):
    for sid, path in sessions.items():
        units = es.expected_units(path)
        areas = es.SESSIONS[sid]["n_units_by_area"]
        assert units["location"].tolist() == [a for a, n in areas.items() for _ in range(n)]
        with h5py.File(path, "r") as f:
            channel_ids = set(f["general/extracellular_ephys/electrodes/id"][:].tolist())
        assert set(units["peak_channel_id"]) <= channel_ids
        assert (units["session_id"] == sid).all()


def test_spike_trains_are_sorted_poisson_within_duration(sessions):
    scipy_stats = pytest.importorskip("scipy.stats", reason="scipy is needed for the KS test")
    rescaled = []
    for path in sessions.values():
        units = es.expected_units(path)
        for times, rate in zip(units["spike_times"], units["firing_rate"]):
            assert times.dtype == np.float64 and np.all(np.diff(times) > 0)
            assert times.min() >= 0.0 and times.max() < DURATION_S
            assert rate == pytest.approx(len(times) / DURATION_S)
            rescaled.append(np.diff(times) * rate)
        assert units["firing_rate"].between(0.5, 30.0).all()
    # Inter-spike intervals scaled by the unit's rate are exponential with mean 1.
    assert scipy_stats.kstest(np.concatenate(rescaled), "expon").pvalue > 1e-3


def test_same_seed_same_file_content_other_seed_differs(tmp_path):
    a = es.write_session(tmp_path / "a.nwb", 715093703, seed=5)
    b = es.write_session(tmp_path / "b.nwb", 715093703, seed=5)
    c = es.write_session(tmp_path / "c.nwb", 715093703, seed=6)
    ua, ub, uc = (es.expected_units(p) for p in (a, b, c))
    for x, y in zip(ua["spike_times"], ub["spike_times"]):
        np.testing.assert_array_equal(x, y)
    assert ua.drop(columns="spike_times").equals(ub.drop(columns="spike_times"))
    assert es.expected_presentations(a).equals(es.expected_presentations(b))
    assert not np.array_equal(ua["spike_times"].iloc[0], uc["spike_times"].iloc[0])


def test_seed_zero_is_a_seed(tmp_path):
    a = es.expected_units(es.write_session(tmp_path / "a.nwb", 1, seed=0))
    b = es.expected_units(es.write_session(tmp_path / "b.nwb", 1, seed=0))
    np.testing.assert_array_equal(a["spike_times"].iloc[3], b["spike_times"].iloc[3])


def test_sessions_have_distinct_ids_and_counts(sessions):
    unit_ids, channel_ids, counts = [], [], []
    for path in sessions.values():
        with h5py.File(path, "r") as f:
            unit_ids.append(f["units/id"][:])
            channel_ids.append(f["general/extracellular_ephys/electrodes/id"][:])
        counts.append(len(unit_ids[-1]))
    assert len(set(counts)) == len(counts)
    for ids in (unit_ids, channel_ids):
        allids = np.concatenate(ids)
        assert len(np.unique(allids)) == len(allids)


def test_explicit_first_ids_can_repeat_units_across_files(tmp_path):
    a = es.write_session(tmp_path / "a.nwb", 1, seed=1, first_unit_id=7, first_channel_id=100)
    b = es.write_session(tmp_path / "b.nwb", 2, seed=2, first_unit_id=7, first_channel_id=100)
    assert es.expected_units(a).index[0] == es.expected_units(b).index[0] == 7
    assert es.expected_units(a)["peak_channel_id"].iloc[0] == 100


def test_gratings_table(sessions):
    table = es.expected_presentations(sessions[798911424])
    assert len(table) == 12
    assert set(table["orientation"]) <= set(es.ORIENTATIONS_DEG)
    assert set(table["temporal_frequency"]) <= set(es.TEMPORAL_FREQUENCIES_HZ)
    assert table["orientation"].nunique() == 8 and table["temporal_frequency"].nunique() == 5
    start, stop = table["start_time"].to_numpy(), table["stop_time"].to_numpy()
    assert np.all(start < stop) and np.all(stop[:-1] < start[1:]) and stop[-1] <= DURATION_S
    flashes = es.expected_presentations(sessions[798911424], "flashes_presentations")
    assert set(flashes["color"]) == {-1.0, 1.0} and flashes["stop_time"].max() < start[0]
    # Presentation ids run on across the stimulus tables, as in the Allen sessions.
    assert table.index.tolist() == list(range(len(flashes), len(flashes) + 12))


def test_blank_sweeps_and_missing_tables(tmp_path):
    path = es.write_session(tmp_path / "s.nwb", 1, seed=1, n_presentations=5, n_blank=2, flashes=False)
    table = es.expected_presentations(path)
    assert len(table) == 7 and table["orientation"].isna().sum() == 2
    assert table["temporal_frequency"].isna().sum() == 2
    no_gratings = es.write_session(tmp_path / "n.nwb", 1, seed=1, gratings=False)
    with h5py.File(no_gratings, "r") as f:
        assert list(f["intervals"]) == ["flashes_presentations"]


def test_broken_no_units(tmp_path):
    path = es.write_broken(tmp_path / "x.nwb", "no_units")
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        assert nwb.units is None and len(nwb.electrodes) > 0
    with h5py.File(path, "r") as f:
        assert "units" not in f and "drifting_gratings_presentations" in f["intervals"]


def test_broken_no_electrodes_column(tmp_path):
    path = es.write_broken(tmp_path / "x.nwb", "no_electrodes_column")
    with h5py.File(path, "r") as f:
        assert "peak_channel_id" not in f["units"] and "spike_times" in f["units"]


def test_broken_not_nwb(tmp_path):
    path = es.write_broken(tmp_path / "x.nwb", "not_nwb")
    with h5py.File(path, "r") as f:
        assert "nwb_version" not in f.attrs and "units" not in f and "spikes" in f
    with pytest.raises(TypeError, match="Missing NWB version"), pynwb.NWBHDF5IO(str(path), "r") as io:
        io.read()


def test_broken_truncated(tmp_path):
    good = es.write_session(tmp_path / "good.nwb", 715093703, seed=0)
    path = es.write_broken(tmp_path / "x.nwb", "truncated")
    assert path.stat().st_size == good.stat().st_size // 2
    with pytest.raises(OSError):
        h5py.File(path, "r")


def test_broken_empty_intervals(tmp_path):
    path = es.write_broken(tmp_path / "x.nwb", "empty_intervals")
    table = es.expected_presentations(path)
    assert len(table) == 0 and {"orientation", "temporal_frequency"} <= set(table.columns)
    with h5py.File(path, "r") as f:
        grat = f["intervals/drifting_gratings_presentations"]
        assert grat["start_time"].shape == (0,) and grat["orientation"].dtype == np.float64
    assert len(es.expected_units(path)) == 26


def test_unknown_broken_kind_lists_the_kinds(tmp_path):
    with pytest.raises(ValueError, match="unknown broken-file kind 'bad'; accepted: no_units, "
                                         "no_electrodes_column, not_nwb, truncated, empty_intervals"):
        es.write_broken(tmp_path / "x.nwb", "bad")


@pytest.mark.parametrize("kwargs, message", [
    ({"n_units_by_area": {"VISl": -1}}, "counts must be >= 0"),
    ({"n_units_by_area": {"VISl": 0}}, "at least one unit"),
    ({"rate_hz": (5.0, 1.0)}, "rate_hz must be"),
    ({"duration_s": 2.5}, "duration_s must exceed"),
])
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        es.write_session(tmp_path / "x.nwb", 1, seed=0, **kwargs)


def test_files_are_small(sessions):
    for path in sessions.values():
        assert path.stat().st_size < 600_000


@pytest.mark.parity
def test_bmtk_reads_the_sessions(sessions):
    """bmtk's ecephys_probe reader joins units with electrodes and selects the gratings window."""
    ecephys = pytest.importorskip("bmtk.simulator.core.modules.ecephys_module",
                                  reason="bmtk is the reference reader of these files")
    path = sessions[715093703]
    strategy = ecephys.SamplingStrategy(input_file=str(path), units={"location": ["VISl", "VISp"]},
                                        interval={"interval_name": "drifting_gratings", "orientation": 90.0})
    expected = es.expected_units(path)
    expected = expected[expected["location"].isin(["VISl", "VISp"])]
    assert strategy.units_table.index.tolist() == expected.index.tolist()
    table = es.expected_presentations(path)
    chosen = table[table["orientation"] == 90.0]
    window = strategy._time_window[expected.index[0], str(path)]
    assert window == [chosen["start_time"].min(), chosen["stop_time"].max()]
