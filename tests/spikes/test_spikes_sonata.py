"""simlib.spikes.sonata: SONATA spike HDF5 layout, round trips, old layout, errors, atomic writes."""

import h5py
import numpy as np
import pytest

from simlib.errors import ConfigError, FormatError
from simlib.spikes import POP_NA, read_sonata, write_sonata
import simlib.spikes.sonata as sonata_module


def _same(read, expected):
    assert list(read) == list(expected)
    for pop, (ids, times) in expected.items():
        got_ids, got_times = read[pop]
        order = np.lexsort((times, ids))
        got_order = np.lexsort((got_times, got_ids))
        np.testing.assert_array_equal(got_ids[got_order], np.asarray(ids)[order])
        np.testing.assert_allclose(got_times[got_order], np.asarray(times)[order])


def test_layout_matches_bmtk(tmp_path, bmtk_table):
    path = tmp_path / "spikes.h5"
    write_sonata(path, bmtk_table)
    with h5py.File(path, "r") as h5:
        assert h5.attrs["magic"] == np.uint32(0x0A7A) and h5.attrs["magic"].dtype == np.uint32
        np.testing.assert_array_equal(h5.attrs["version"], [0, 1])
        assert h5.attrs["version"].dtype == np.uint32
        for pop in ("V1", "V2"):
            group = h5[f"spikes/{pop}"]
            assert group.attrs["sorting"] == 0  # SONATA enum {none: 0, by_id: 1, by_time: 2}
            assert h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype) == {"none": 0, "by_id": 1, "by_time": 2}
            assert group["node_ids"].dtype == np.int64
            assert group["timestamps"].dtype == np.float64
            assert group["timestamps"].attrs["units"] == "ms"
        # 'none' keeps insertion order
        np.testing.assert_array_equal(h5["spikes/V1/node_ids"][()], bmtk_table["V1"][0])
        np.testing.assert_array_equal(h5["spikes/V1/timestamps"][()], bmtk_table["V1"][1])


def test_round_trip_several_populations(tmp_path, bmtk_table):
    path = tmp_path / "spikes.h5"
    write_sonata(path, bmtk_table)
    _same(read_sonata(path), bmtk_table)
    _same(read_sonata(path, population="V2"), {"V2": bmtk_table["V2"]})


@pytest.mark.parametrize("order, attr", [("by_time", "by_time"), ("time", "by_time"), ("by_id", "by_id"),
                                         ("gid", "by_id"), (None, "none"), ("na", "none")])
def test_sort_orders_honoured(tmp_path, bmtk_table, order, attr):
    path = tmp_path / "spikes.h5"
    write_sonata(path, bmtk_table, sort_order=order)
    with h5py.File(path, "r") as h5:
        group = h5["spikes/V1"]
        assert group.attrs["sorting"] == {"none": 0, "by_id": 1, "by_time": 2}[attr]
        ids, times = group["node_ids"][()], group["timestamps"][()]
    if attr == "by_time":
        assert np.all(np.diff(times) >= 0)
    elif attr == "by_id":
        assert np.all(np.diff(ids) >= 0)
        assert ids.tolist() == [0, 0, 0, 0, 1, 2, 2] and times.tolist()[-2:] == [2.0, 3.0]
    _same(read_sonata(path), bmtk_table)


@pytest.mark.parametrize("dtype", [np.int64, np.uint64, np.uint32])
def test_reads_signed_and_unsigned_node_ids(tmp_path, dtype):
    path = tmp_path / "spikes.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("spikes/V1/node_ids", data=np.array([3, 1, 2], dtype=dtype))
        h5.create_dataset("spikes/V1/timestamps", data=[0.5, 1.0, 2.0])
    ids, times = read_sonata(path)["V1"]
    assert ids.dtype == np.int64 and ids.tolist() == [3, 1, 2]
    assert times.tolist() == [0.5, 1.0, 2.0]


def test_old_gids_layout(tmp_path):
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("spikes/gids", data=np.array([0, 1, 1], dtype=np.uint64))
        h5.create_dataset("spikes/timestamps", data=[1.0, 2.0, 3.0])
    (ids, times), = read_sonata(path).values()
    assert list(read_sonata(path)) == [POP_NA]
    assert ids.tolist() == [0, 1, 1] and times.tolist() == [1.0, 2.0, 3.0]
    assert list(read_sonata(path, population="LGN")) == ["LGN"]


def test_seconds_are_converted_to_ms(tmp_path):
    path = tmp_path / "s.h5"
    write_sonata(path, {"V1": ([0, 1], [0.5, 1.5])}, units="s")
    with h5py.File(path, "r") as h5:
        assert h5["spikes/V1/timestamps"].attrs["units"] == "s"
    assert read_sonata(path)["V1"][1].tolist() == [500.0, 1500.0]


def test_empty_spikes_group(tmp_path):
    path = tmp_path / "empty.h5"
    write_sonata(path, {})
    assert read_sonata(path) == {}
    write_sonata(path, {"V1": ([], [])})
    ids, times = read_sonata(path)["V1"]
    assert ids.size == 0 and times.size == 0


@pytest.mark.parametrize("compression, filters", [
    # 'gzip': byte-shuffle (HDF5 stores the element size, 8 bytes for both datasets), then deflate level 1
    ("gzip", [("shuffle", (8,)), ("deflate", (1,))]),
    (4, [("shuffle", (8,)), ("deflate", (4,))]),
    ("lzf", [("lzf", ())]),
    (None, []), ("none", [])])
def test_compression(tmp_path, bmtk_table, compression, filters):
    """The filters are really in the file's dataset creation properties, in order, with their level."""
    from h5py import h5z

    names = {h5z.FILTER_SHUFFLE: "shuffle", h5z.FILTER_DEFLATE: "deflate", h5z.FILTER_LZF: "lzf"}
    path = tmp_path / "spikes.h5"
    write_sonata(path, bmtk_table, compression=compression)
    _same(read_sonata(path), bmtk_table)
    with h5py.File(path, "r") as h5:
        for pop in bmtk_table:
            for name in ("node_ids", "timestamps"):
                plist = h5[f"spikes/{pop}/{name}"].id.get_create_plist()
                found = [plist.get_filter(i) for i in range(plist.get_nfilters())]
                # lzf stores no parameters of its own; h5py passes none either
                assert [(names.get(f[0], f[0]), tuple(f[2]) if f[0] != h5z.FILTER_LZF else ())
                        for f in found] == filters, (pop, name)


def test_append_mode(tmp_path, bmtk_table):
    path = tmp_path / "spikes.h5"
    write_sonata(path, {"V1": bmtk_table["V1"]})
    write_sonata(path, {"V2": bmtk_table["V2"]}, mode="a")
    _same(read_sonata(path), bmtk_table)
    with pytest.raises(FormatError, match="spikes.h5: /spikes/V2: population already exists"):
        write_sonata(path, {"V2": bmtk_table["V2"]}, mode="a")
    _same(read_sonata(path), bmtk_table)


# ----------------------------------------------------------------------------------------- errors
def test_missing_node_ids_dataset(tmp_path):
    path = tmp_path / "broken.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("spikes/V1/timestamps", data=[1.0])
    with pytest.raises(FormatError) as info:
        read_sonata(path)
    message = str(info.value)
    assert "broken.h5" in message and "/spikes/V1/node_ids" in message and "missing" in message
    assert "expected datasets /spikes/V1/timestamps and /spikes/V1/node_ids" in message


def test_missing_spikes_group(tmp_path):
    path = tmp_path / "nodes.h5"
    with h5py.File(path, "w") as h5:
        h5.create_group("nodes")
    with pytest.raises(FormatError, match=r"nodes.h5: /spikes: group missing; expected a SONATA spike file"):
        read_sonata(path)


def test_mismatched_dataset_lengths(tmp_path):
    path = tmp_path / "broken.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("spikes/V1/node_ids", data=[0, 1, 2])
        h5.create_dataset("spikes/V1/timestamps", data=[1.0, 2.0])
    with pytest.raises(FormatError, match=r"broken.h5: /spikes/V1/node_ids: 3 values but /spikes/V1/timestamps "
                                          r"has 2; expected equal lengths"):
        read_sonata(path)


@pytest.mark.parametrize("times, message", [([1.0, -1.0], "negative"), ([np.nan, 1.0], "NaN")])
def test_invalid_times_in_file(tmp_path, times, message):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("spikes/V1/node_ids", data=[0, 1])
        h5.create_dataset("spikes/V1/timestamps", data=times)
    with pytest.raises(FormatError, match=f"bad.h5: /spikes/V1/timestamps: .*{message}"):
        read_sonata(path)


def test_negative_node_ids_in_file(tmp_path):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("spikes/V1/node_ids", data=[0, -4])
        h5.create_dataset("spikes/V1/timestamps", data=[1.0, 2.0])
    with pytest.raises(FormatError, match="bad.h5: /spikes/V1/node_ids: 1 negative value.*-4 at index 1"):
        read_sonata(path)


def test_unknown_population(tmp_path, bmtk_table):
    path = tmp_path / "spikes.h5"
    write_sonata(path, bmtk_table)
    with pytest.raises(FormatError, match="population 'LGN' not found; the file has V1, V2"):
        read_sonata(path, population="LGN")


def test_not_hdf5_and_missing_file(tmp_path):
    path = tmp_path / "text.h5"
    path.write_text("not hdf5")
    with pytest.raises(FormatError, match="text.h5: not a readable HDF5 file"):
        read_sonata(path)
    with pytest.raises(FormatError, match="absent.h5: file not found"):
        read_sonata(tmp_path / "absent.h5")


def test_bad_arguments(tmp_path, bmtk_table):
    with pytest.raises(ConfigError, match="compression: expected"):
        write_sonata(tmp_path / "a.h5", bmtk_table, compression="zip")
    with pytest.raises(ConfigError, match="mode: expected 'w' or 'a', got 'x'"):
        write_sonata(tmp_path / "a.h5", bmtk_table, mode="x")
    with pytest.raises(ConfigError, match="sort_order"):
        write_sonata(tmp_path / "a.h5", bmtk_table, sort_order="random")
    assert not (tmp_path / "a.h5").exists()


# ----------------------------------------------------------------------------------------- atomic writes
def test_invalid_payload_leaves_no_file(tmp_path, leftover_temp_files):
    path = tmp_path / "out.h5"
    with pytest.raises(FormatError, match="out.h5: /spikes/V1/timestamps: .*negative"):
        write_sonata(path, {"V1": ([0, 1], [1.0, -1.0])})
    with pytest.raises(FormatError, match="out.h5: population: 'a/b' contains '/'"):
        write_sonata(path, {"a/b": ([0], [1.0])})
    assert not path.exists() and leftover_temp_files(tmp_path) == []


def test_failure_mid_write_keeps_old_file(tmp_path, bmtk_table, monkeypatch, leftover_temp_files):
    path = tmp_path / "out.h5"
    write_sonata(path, {"V1": bmtk_table["V1"]})
    real = sonata_module._write_population
    calls = []

    def failing(root, population, *args):
        calls.append(population)
        if len(calls) == 2:
            raise OSError("disk full")
        real(root, population, *args)

    monkeypatch.setattr(sonata_module, "_write_population", failing)
    with pytest.raises(OSError, match="disk full"):
        write_sonata(path, bmtk_table)
    assert calls == ["V1", "V2"]
    assert leftover_temp_files(tmp_path) == []
    _same(read_sonata(path), {"V1": bmtk_table["V1"]})
    monkeypatch.undo()
    with pytest.raises(OSError):
        monkeypatch.setattr(sonata_module, "_write_population", failing)
        calls.clear()
        write_sonata(tmp_path / "new.h5", bmtk_table)
    assert not (tmp_path / "new.h5").exists() and leftover_temp_files(tmp_path) == []
