"""SONATA nodes/edges files: layout as in the reference inventory §1.5, and readers' validation."""

import h5py
import numpy as np
import pytest

from simlib.errors import FormatError
from simlib.builder import NetworkBuilder
from simlib.sonata import read_edges, read_nodes
from simlib.sonata.edges import read_edge_columns
from simlib.sonata.nodes import read_node_columns


def test_nodes_layout(small_network, tmp_path):
    small_network.build()
    small_network.save(output_dir=tmp_path)
    with h5py.File(tmp_path / "net_nodes.h5") as h5:
        assert h5.attrs["magic"] == 0x0A7A and h5.attrs["version"].tolist() == [0, 1]
        grp = h5["nodes/net"]
        assert grp["node_id"].dtype == np.uint64 and grp["node_id"][()].tolist() == list(range(8))
        assert grp["node_type_id"].dtype == np.uint64 and grp["node_type_id"][()].tolist() == [100] * 5 + [101] * 3
        assert grp["node_group_id"].dtype == np.uint32 and grp["node_group_id"][()].tolist() == [0] * 5 + [1] * 3
        assert grp["node_group_index"].dtype == np.uint64
        assert grp["node_group_index"][()].tolist() == [0, 1, 2, 3, 4, 0, 1, 2]
        assert sorted(grp["0"].keys()) == ["label", "x"] and list(grp["1"].keys()) == ["tuning_angle"]
        assert h5py.check_string_dtype(grp["0/label"].dtype) is not None
        assert grp["0/x"].compression == "gzip"
    header = (tmp_path / "net_node_types.csv").read_text().splitlines()[0].split(" ")
    assert header[0] == "node_type_id" and set(header[1:]) == {"pop_name", "ei", "model_type"}


def test_edges_layout_sorted_with_indices(small_network, tmp_path):
    small_network.build()
    small_network.save(output_dir=tmp_path)
    with h5py.File(tmp_path / "net_net_edges.h5") as h5:
        grp = h5["edges/net_to_net"]
        trg = grp["target_node_id"][()]
        src = grp["source_node_id"][()]
        assert np.all(np.diff(trg.astype(np.int64)) >= 0), "rows must be sorted by target"
        assert grp["source_node_id"].attrs["node_population"] == "net"
        assert grp["target_node_id"].attrs["node_population"] == "net"
        assert grp["edge_type_id"].dtype == np.uint32 and grp["edge_group_id"].dtype == np.uint16
        assert grp["edge_group_index"].dtype == np.uint32
        # nsyns-only edge types share group 0, the per-synapse syn_weight one is group 1
        assert sorted(grp["0"].keys()) == ["nsyns"] and grp["0/nsyns"].dtype == np.uint32
        assert sorted(grp["1"].keys()) == ["syn_weight"]
        gid, gidx = grp["edge_group_id"][()], grp["edge_group_index"][()]
        for g in (0, 1):
            assert gidx[gid == g].tolist() == list(range(int((gid == g).sum())))
        # i->e rows are expanded per synapse: 1 + (s+t)%2 synapses per pair
        etype = grp["edge_type_id"][()]
        ie = etype == 101
        assert ie.sum() == sum(1 + (s + t) % 2 for s in (5, 6, 7) for t in range(5))
        weights = grp["1/syn_weight"][()][gidx[ie]]
        np.testing.assert_allclose(weights, 0.1 * src[ie] + trg[ie])
        for name, ids in (("target_to_source", trg), ("source_to_target", src)):
            n2r = grp[f"indices/{name}/node_id_to_range"][()]
            r2e = grp[f"indices/{name}/range_to_edge_id"][()]
            assert n2r.dtype == np.uint64 and len(n2r) == ids.max() + 1
            assert np.array_equal(grp[f"indices/{name}/node_id_to_ranges"][()], n2r)  # SONATA-spec name
            for node in range(len(n2r)):
                rows = np.concatenate([np.arange(b, e) for b, e in r2e[n2r[node, 0]:n2r[node, 1]]] or [[]])
                assert np.all(ids[rows.astype(int)] == node)
                assert rows.size == np.sum(ids == node)


def test_readers_join_types(small_network, tmp_path):
    small_network.build()
    small_network.save(output_dir=tmp_path)
    nodes = read_nodes(tmp_path / "net_nodes.h5", tmp_path / "net_node_types.csv")
    assert nodes["pop_name"].tolist() == ["exc"] * 5 + ["inh"] * 3
    assert nodes["label"].tolist()[:5] == list("abcde")
    assert np.isnan(nodes["x"].to_numpy()[5:]).all()
    edges = read_edges(tmp_path / "net_net_edges.h5", tmp_path / "net_net_edge_types.csv")
    e2i = edges[edges.edge_type_id == 100]
    assert len(e2i) == 15 and (e2i["nsyns"] == 2).all()
    assert e2i["target_sections"].iloc[0] == ["somatic", "basal"]
    assert edges.attrs["source_population"] == "net"


def test_node_columns_are_read_nodes_without_pandas(small_network, tmp_path):
    """Two groups (a property in one only), strings, numbers and list values from the types table."""
    small_network.build()
    small_network.save(output_dir=tmp_path)
    args = (tmp_path / "net_nodes.h5", tmp_path / "net_node_types.csv")
    table, columns = read_nodes(*args), read_node_columns(*args)
    assert list(columns) == list(table.columns)
    for name, values in columns.items():
        expected = table[name].to_numpy(dtype=object)
        assert values.shape == (8,) and (values.dtype.kind in "iuf") == (table[name].dtype.kind in "iuf"), name
        for ours, theirs in zip(values.tolist(), expected.tolist()):
            missing = theirs is None or (isinstance(theirs, float) and np.isnan(theirs))
            assert (ours is None or (isinstance(ours, float) and np.isnan(ours))) if missing else ours == theirs, name
    assert columns["x"].dtype == np.float64 and np.isnan(columns["x"][5:]).all()
    assert columns["label"][5:].tolist() == [None] * 3


def test_per_node_arrays_in_one_group(tmp_path):
    """A 2-D property (one array per node) in one of two groups: read_nodes used to fail on it."""
    net = NetworkBuilder("net")
    net.add_nodes(N=2, positions=np.arange(6.0).reshape(2, 3), pop_name="a")
    net.add_nodes(N=1, x=5.0, pop_name="b")
    net.save_nodes(output_dir=tmp_path)
    args = (tmp_path / "net_nodes.h5", tmp_path / "net_node_types.csv")
    table, columns = read_nodes(*args), read_node_columns(*args)
    assert list(table.columns) == list(columns)
    assert [list(v) for v in table["positions"][:2]] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert table["positions"][2] is None and columns["positions"][2] is None
    assert table["pop_name"].tolist() == ["a", "a", "b"]


def test_edge_columns_are_read_edges_without_pandas(small_network, tmp_path):
    small_network.build()
    small_network.save(output_dir=tmp_path)
    args = (tmp_path / "net_net_edges.h5", tmp_path / "net_net_edge_types.csv")
    table, columns = read_edges(*args), read_edge_columns(*args)
    assert list(columns) == list(table.columns)
    for name, values in columns.items():
        assert values.dtype == table[name].dtype or values.dtype == object, name
        assert values.tolist() == table[name].tolist() or (np.isnan(values.astype(float)).tolist()
                                                           == table[name].isna().tolist()), name
    assert columns["target_sections"][columns["edge_type_id"] == 100][0] == ["somatic", "basal"]


def _copy_without(src, dst, dataset):
    with h5py.File(src) as a, h5py.File(dst, "w") as b:
        for key, value in a.attrs.items():
            b.attrs[key] = value
        a.copy(a["/nodes" if "nodes" in a else "/edges"], b)
        del b[dataset]


def test_nodes_file_missing_dataset(small_network, tmp_path):
    small_network.save_nodes(output_dir=tmp_path)
    bad = tmp_path / "bad_nodes.h5"
    _copy_without(tmp_path / "net_nodes.h5", bad, "nodes/net/node_type_id")
    with pytest.raises(FormatError) as err:
        read_nodes(bad)
    assert "bad_nodes.h5" in str(err.value) and "/nodes/net/node_type_id" in str(err.value)


def test_nodes_file_inconsistent_lengths(small_network, tmp_path):
    small_network.save_nodes(output_dir=tmp_path)
    path = tmp_path / "net_nodes.h5"
    with h5py.File(path, "a") as h5:
        del h5["nodes/net/node_group_id"]
        h5["nodes/net/node_group_id"] = np.zeros(3, dtype=np.uint32)
    with pytest.raises(FormatError, match="node_group_id' has 3 rows; expected 8"):
        read_nodes(path)


def test_node_types_missing_from_table(small_network, tmp_path):
    small_network.save_nodes(output_dir=tmp_path)
    types = tmp_path / "net_node_types.csv"
    types.write_text(types.read_text().splitlines()[0] + "\n" + types.read_text().splitlines()[1] + "\n")
    with pytest.raises(FormatError, match=r"node_type_id \[101\]"):
        read_nodes(tmp_path / "net_nodes.h5", types)
    with pytest.raises(FormatError, match=r"node_type_id \[101\]"):
        read_node_columns(tmp_path / "net_nodes.h5", types)


def test_edges_missing_dataset_and_not_hdf5(small_network, tmp_path):
    small_network.build()
    small_network.save(output_dir=tmp_path)
    bad = tmp_path / "bad_edges.h5"
    _copy_without(tmp_path / "net_net_edges.h5", bad, "edges/net_to_net/edge_type_id")
    with pytest.raises(FormatError, match="'/edges/net_to_net/edge_type_id' missing"):
        read_edges(bad)
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    with pytest.raises(FormatError, match="junk.h5: not a readable HDF5"):
        read_edges(junk)


def test_compression_uses_every_available_core(monkeypatch):
    """No fixed cap: a 16-core allocation compresses on 16 threads."""
    import os

    from simlib.sonata import chunked

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert chunked.available_cores() == 16
    with chunked.compression_pool() as pool:
        assert pool._max_workers == 16   # ThreadPoolExecutor keeps its size there


@pytest.mark.parametrize("deflate", ["isal", "zlib"])
def test_chunk_writer_deflate_reads_back_through_hdf5(tmp_path, monkeypatch, deflate):
    """Chunks deflated by the writer (ISA-L or zlib, on threads) decode through HDF5's own filter
    pipeline to the rows written; with zlib they are the very bytes HDF5 stores itself."""
    from simlib.sonata import chunked

    monkeypatch.setattr(chunked, "DEFLATE", deflate)
    rng = np.random.default_rng(0)
    rows = np.sort(rng.integers(0, 3000, size=3 * chunked.CHUNK_LEN + 123)).astype(np.uint64)
    with h5py.File(tmp_path / "d.h5", "w") as h5, chunked.compression_pool() as pool:
        ds = chunked.create_chunked(h5, "ids", rows.shape, np.uint64, "gzip")
        assert ds.shuffle and ds.compression == "gzip"
        writer = chunked.ChunkWriter(ds, pool)
        assert writer.direct
        for a in range(0, rows.size, 100_000):           # appends not aligned with chunks
            block = rows[a:a + 100_000].copy()
            writer.append(block, owned=True)
        writer.close()
        h5.create_dataset("reference", data=rows, chunks=ds.chunks, shuffle=True, compression="gzip",
                          compression_opts=ds.compression_opts)
    with h5py.File(tmp_path / "d.h5") as h5:
        np.testing.assert_array_equal(h5["ids"][()], rows)
        ours = h5["ids"].id.read_direct_chunk((0,))[1]
        hdf5s = h5["reference"].id.read_direct_chunk((0,))[1]
        if deflate == "zlib":
            assert ours == hdf5s
        else:
            assert ours != hdf5s and len(ours) < 2 * len(hdf5s)   # another encoder, a similar ratio


def test_isal_is_the_default_deflate():
    """isal is a dependency: the writers use ISA-L's deflate (about 6x zlib's speed at level 1)."""
    from simlib.sonata import chunked

    assert chunked.isal_zlib is not None and chunked.DEFLATE == "isal"


def test_chunk_writer_copies_rows_it_does_not_own(tmp_path):
    """append() without owned=True copies: the caller may reuse its buffer at once."""
    from simlib.sonata import chunked

    buf = np.arange(chunked.CHUNK_LEN, dtype=np.uint64)
    with h5py.File(tmp_path / "d.h5", "w") as h5, chunked.compression_pool() as pool:
        writer = chunked.ChunkWriter(chunked.create_chunked(h5, "x", (2 * buf.size,), np.uint64, "gzip"), pool)
        writer.append(buf)
        buf[:] = 7                                         # reused before its chunk was compressed
        writer.append(buf)
        writer.close()
    with h5py.File(tmp_path / "d.h5") as h5:
        data = h5["x"][()]
    np.testing.assert_array_equal(data[: buf.size], np.arange(buf.size))
    assert np.all(data[buf.size:] == 7)
