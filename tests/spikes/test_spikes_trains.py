"""simlib.spikes.trains: the SpikeTrains container (BMTK's API), loading and saving."""

import numpy as np
import pandas as pd
import pytest

from simlib.errors import ConfigError, FormatError, SimlibError
from simlib.spikes import POP_NA, SpikeTrains, spike_file_type
from simlib.spikes.formats import FILE_TYPES


def test_bmtk_table_queries(bmtk_trains):
    st = bmtk_trains
    assert st.populations == ["V1", "V2"]
    assert st.units() == "ms"
    assert st.node_ids("V1").tolist() == [0, 1, 2]
    assert st.node_ids(population="V2").tolist() == [10]
    assert st.n_spikes("V1") == 7 and st.n_spikes("V2") == 3 and len(st) == 10
    assert st.get_times(0, "V1").tolist() == [0.25, 0.5, 0.75, 1.0]
    assert st.get_times(2, "V1").tolist() == [2.0, 3.0]  # sorted although added as 3.0, 2.0
    assert st.get_times(1, "V1").tolist() == [0.001]
    assert st.get_times(10, "V2").tolist() == [4.0, 4.0, 4.0]
    assert st.get_times(5, "V1").size == 0
    assert st.get_times(0, "V1", time_window=(0.5, 0.75)).tolist() == [0.5, 0.75]
    assert st.node_ids("LGN").size == 0 and st.n_spikes("LGN") == 0


def test_population_resolution(bmtk_table):
    single = SpikeTrains()
    single.add_spikes(*bmtk_table["V1"], population="V1")
    assert single.node_ids().tolist() == [0, 1, 2]       # the only population
    assert single.get_times(0).tolist() == [0.25, 0.5, 0.75, 1.0]

    several = SpikeTrains()
    for pop, (ids, times) in bmtk_table.items():
        several.add_spikes(ids, times, population=pop)
    with pytest.raises(SimlibError, match=r"several populations \(V1, V2\); pass population="):
        several.get_times(0)
    with pytest.raises(SimlibError, match="V1, V2"):
        several.n_spikes()

    default = SpikeTrains(population="V2")
    default.add_spikes([10], [4.0])                      # goes to V2
    default.add_spikes(*bmtk_table["V1"], population="V1")
    assert default.node_ids().tolist() == [10]           # the constructor's population

    empty = SpikeTrains()
    assert empty.populations == [] and empty.node_ids().size == 0 and empty.n_spikes() == 0


def test_default_population_is_bmtk_none():
    st = SpikeTrains()
    st.add_spike(3, 1.5)
    assert st.populations == [POP_NA] == ["<sonata:none>"]


def test_add_spike_and_scalar_broadcast():
    st = SpikeTrains(population="V1")
    st.add_spike(node_id=4, timestamp=2.0)
    st.add_spikes(7, [3.0, 1.0])
    st.add_spike(4, 1.0)
    assert st.to_dataframe(with_population_col=False).values.tolist() == [[2.0, 4], [3.0, 7], [1.0, 7], [1.0, 4]]
    assert st.get_times(7).tolist() == [1.0, 3.0]
    assert st.get_times(4).tolist() == [1.0, 2.0]


def test_added_arrays_are_copied():
    ids, times = np.array([1, 2]), np.array([1.0, 2.0])
    st = SpikeTrains()
    st.add_spikes(ids, times)
    ids[0], times[0] = 9, 9.0
    assert st.to_dataframe()["node_ids"].tolist() == [1, 2] and st.get_times(1).tolist() == [1.0]


def test_to_dataframe(bmtk_trains):
    df = bmtk_trains.to_dataframe()
    assert list(df.columns) == ["timestamps", "node_ids", "population"]
    assert df["node_ids"].tolist() == [0, 0, 0, 0, 2, 1, 2, 10, 10, 10]
    by_time = bmtk_trains.to_dataframe(sort_order="by_time")
    assert by_time["timestamps"].is_monotonic_increasing
    by_id = bmtk_trains.to_dataframe(populations="V1", sort_order="id")
    assert by_id["node_ids"].tolist() == [0, 0, 0, 0, 1, 2, 2]
    assert by_id["timestamps"].tolist()[-2:] == [2.0, 3.0]
    only_v2 = bmtk_trains.to_dataframe(populations=["V2"], with_population_col=False)
    assert list(only_v2.columns) == ["timestamps", "node_ids"] and len(only_v2) == 3


def test_spikes_iterator(bmtk_trains):
    spikes = list(bmtk_trains.spikes())
    assert spikes[0] == (0.25, "V1", 0) and spikes[-1] == (4.0, "V2", 10) and len(spikes) == 10
    assert [s[0] for s in bmtk_trains.spikes(sort_order="by_time")][:2] == [0.001, 0.25]


def test_merge_and_equality(bmtk_table, bmtk_trains):
    a = SpikeTrains()
    a.add_spikes(*bmtk_table["V1"], population="V1")
    b = SpikeTrains(units="s")
    b.add_spikes(bmtk_table["V2"][0], bmtk_table["V2"][1] / 1000.0, population="V2")
    a.merge(b)
    assert a == bmtk_trains and a.is_equal(bmtk_trains)

    shifted = SpikeTrains()
    for pop, (ids, times) in bmtk_table.items():
        shifted.add_spikes(ids, times + 1e-6, population=pop)
    assert shifted.is_equal(bmtk_trains) and not shifted.is_equal(bmtk_trains, err=1e-8)

    fewer = SpikeTrains()
    fewer.add_spikes(*bmtk_table["V1"], population="V1")
    assert fewer != bmtk_trains
    other_node = SpikeTrains()
    other_node.add_spikes([0, 0, 0, 0, 2, 1, 3], bmtk_table["V1"][1], population="V1")
    assert other_node != fewer


def test_from_dataframe_round_trip(bmtk_trains):
    assert SpikeTrains.from_dataframe(bmtk_trains.to_dataframe()) == bmtk_trains
    table = pd.DataFrame({"gids": [1, 2], "timestamps": [0.5, 0.6]})
    assert SpikeTrains.from_dataframe(table, population="X").populations == ["X"]
    with pytest.raises(FormatError, match="column 'timestamps' missing"):
        SpikeTrains.from_dataframe(pd.DataFrame({"node_ids": [1]}))


# ----------------------------------------------------------------------------------------- validation
def test_mismatched_lengths():
    with pytest.raises(FormatError, match="Length of node_ids and timestamps must match, but 5 != 4"):
        SpikeTrains().add_spikes([0, 1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize("ids, times, message", [
    ([0, 1], [1.0, -2.0], "add_spikes: timestamps: 1 negative value.*-2.0 at index 1"),
    ([0, 1], [1.0, np.nan], "add_spikes: timestamps: 1 NaN"),
    ([0, -1], [1.0, 2.0], "add_spikes: node_ids: 1 negative value.*-1 at index 1"),
])
def test_invalid_spikes(ids, times, message):
    st = SpikeTrains()
    with pytest.raises(FormatError, match=message):
        st.add_spikes(ids, times)
    with pytest.raises(FormatError, match="add_spike: timestamp: 1 negative"):
        st.add_spike(0, -1.0)
    assert len(st) == 0


def test_bad_constructor_arguments():
    with pytest.raises(ConfigError, match="units: expected 'ms' or 's', got 'us'"):
        SpikeTrains(units="us")
    with pytest.raises(ConfigError, match="population"):
        SpikeTrains(population="")


# ----------------------------------------------------------------------------------------- files
@pytest.mark.parametrize("name, kind", [("a.h5", "sonata"), ("a.hdf5", "sonata"), ("a.HDF", "sonata"),
                                        ("a.sonata", "sonata"), ("a.csv", "csv"), ("a.txt", "csv"),
                                        ("a.nwb", "nwb")])
def test_file_type_from_extension(name, kind):
    assert spike_file_type(name) == kind


def test_unknown_file_type(tmp_path):
    with pytest.raises(FormatError, match=r"spikes.dat: cannot tell the spike file type from extension '.dat'; "
                                          r"expected one of .h5, .hdf5.*\.nwb.*file_type= one of sonata, h5"):
        SpikeTrains.load(tmp_path / "spikes.dat")
    with pytest.raises(ConfigError, match="file_type: unknown value 'parquet'.*expected one of sonata, h5, hdf5.*nwb"):
        SpikeTrains.load(tmp_path / "spikes.h5", file_type="parquet")


@pytest.mark.parametrize("name, file_type", [("s.h5", None), ("s.h5", "sonata"), ("s.spk", "h5"),
                                             ("s.csv", None), ("s.dat", "csv"), ("s.nwb", None)])
def test_save_and_load_every_format(tmp_path, bmtk_trains, name, file_type):
    path = tmp_path / name
    kind = spike_file_type(path, file_type)
    {"sonata": bmtk_trains.to_sonata, "csv": bmtk_trains.to_csv, "nwb": bmtk_trains.to_nwb}[kind](path)
    loaded = SpikeTrains.load(path, file_type=file_type)
    assert loaded == bmtk_trains
    assert loaded.populations == ["V1", "V2"]
    v2 = SpikeTrains.load(path, file_type=file_type, population="V2")
    assert v2.populations == ["V2"] and v2.get_times(10).tolist() == [4.0, 4.0, 4.0]


@pytest.mark.parametrize("name, file_type", [("s.hdf", None), ("s.HDF5", None), ("s.txt", None), ("s.nwb", None),
                                             ("s.spk", "hdf"), ("s.spk", "txt")])
def test_save_picks_the_writer_as_load_picks_the_reader(tmp_path, bmtk_trains, name, file_type):
    bmtk_trains.save(tmp_path / name, file_type=file_type)
    assert SpikeTrains.load(tmp_path / name, file_type=file_type) == bmtk_trains
    with pytest.raises(FormatError, match="s.dat: cannot tell the spike file type from extension '.dat'"):
        bmtk_trains.save(tmp_path / "s.dat")


@pytest.mark.parametrize("file_type", list(FILE_TYPES))
def test_every_file_type_is_a_spike_input_module(file_type):
    """One table: each file type name is accepted by SpikeTrains, BioNet's and PointNet's spike inputs."""
    from simlib.bionet.inputs import INPUT_MODULES as BIONET_MODULES
    from simlib.bionet.inputs import check_input
    from simlib.pointnet.inputs import INPUT_MODULES as POINTNET_MODULES

    assert spike_file_type("s.x", file_type) in ("sonata", "csv", "nwb")
    assert check_input("lgn", {"input_type": "spikes", "module": file_type}, "sim.json") == ("spikes", file_type)
    assert file_type in BIONET_MODULES["spikes"] and file_type in POINTNET_MODULES["spikes"]


def test_from_readers(tmp_path, bmtk_trains):
    bmtk_trains.to_sonata(tmp_path / "s.h5", sort_order="by_id")
    bmtk_trains.to_csv(tmp_path / "s.csv", sort_order="by_time")
    bmtk_trains.to_nwb(tmp_path / "s.nwb")
    assert SpikeTrains.from_sonata(tmp_path / "s.h5") == bmtk_trains
    assert SpikeTrains.from_csv(tmp_path / "s.csv") == bmtk_trains
    assert SpikeTrains.from_nwb(tmp_path / "s.nwb") == bmtk_trains
    times = SpikeTrains.from_csv(tmp_path / "s.csv").to_dataframe()["timestamps"]
    assert times.is_monotonic_increasing  # to_csv honours sort_order (BMTK's ignores it)


def test_seconds_trains_are_written_in_ms_where_units_are_implicit(tmp_path, bmtk_trains):
    seconds = SpikeTrains(units="s")
    for pop in bmtk_trains.populations:
        ids, times = bmtk_trains.to_dataframe(populations=pop)[["node_ids", "timestamps"]].T.values
        seconds.add_spikes(ids.astype(int), times / 1000.0, population=pop)
    seconds.to_sonata(tmp_path / "s.h5")
    seconds.to_csv(tmp_path / "s.csv")
    seconds.to_nwb(tmp_path / "s.nwb")
    for name in ("s.h5", "s.csv", "s.nwb"):
        loaded = SpikeTrains.load(tmp_path / name)
        assert loaded.units() == "ms" and loaded == bmtk_trains, name


def test_sonata_append_mode(tmp_path, bmtk_table):
    v1, v2 = SpikeTrains(population="V1"), SpikeTrains(population="V2")
    v1.add_spikes(*bmtk_table["V1"])
    v2.add_spikes(*bmtk_table["V2"])
    v1.to_sonata(tmp_path / "s.h5")
    v2.to_sonata(tmp_path / "s.h5", mode="a")
    assert SpikeTrains.load(tmp_path / "s.h5").populations == ["V1", "V2"]


def test_empty_trains_round_trip(tmp_path):
    empty = SpikeTrains()
    for name in ("e.h5", "e.csv", "e.nwb"):
        getattr(empty, {"h5": "to_sonata", "csv": "to_csv", "nwb": "to_nwb"}[name.split(".")[1]])(tmp_path / name)
        loaded = SpikeTrains.load(tmp_path / name)
        assert loaded.populations == [] and len(loaded) == 0 and loaded == empty
