"""Compartment reports: streaming writer, reader, atomicity, broken files and BMTK/libsonata parity."""

import h5py
import numpy as np
import pytest

from simlib.errors import FormatError, SimlibError
from simlib.sonata.reports import (CompartmentReportWriter, ReportMapping, read_compartment_report,
                                   report_populations, write_compartment_report)

N_STEPS = 30  # 0..3 ms at dt = 0.1 ms


@pytest.fixture
def mappings():
    """Two populations: 'v1' with multi-element cells (unsorted node ids), 'lgn' with one element each."""
    return {
        "v1": ReportMapping.from_elements([3, 1, 7], [[0], [0, 1, 1], [0, 2]],
                                          [[0.5], [0.5, 0.25, 0.75], [0.5, 0.5]]),
        "lgn": ReportMapping([10, 11], [0, 1, 2], [0, 0], [0.5, 0.5]),
    }


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    return {"v1": rng.normal(-65.0, 5.0, size=(N_STEPS, 6)), "lgn": rng.normal(size=(N_STEPS, 2))}


def write_in_blocks(path, mappings, data, block_rows=(7, 13, 10), **kw):
    with CompartmentReportWriter(path, "v", mappings, 0.0, 3.0, 0.1, units="mV", **kw) as writer:
        start = 0
        for k in block_rows:
            for pop in ("lgn", "v1"):
                writer.append(pop, data[pop][start:start + k])
            start += k


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_round_trip_in_blocks(tmp_path, mappings, data, compression):
    path = tmp_path / "v_report.h5"
    write_in_blocks(path, mappings, data, compression=compression)
    assert sorted(report_populations(path)) == ["lgn", "v1"]

    rep = read_compartment_report(path, "v1")
    assert (rep.population, rep.variable, rep.units) == ("v1", "v", "mV")
    np.testing.assert_array_equal(rep.data, data["v1"])
    # row 0 is the initial state at tstart; tstop is not sampled
    np.testing.assert_allclose(rep.time_ms, 0.1 * np.arange(N_STEPS))
    assert rep.node_ids.tolist() == [3, 1, 7]
    assert rep.index_pointer.tolist() == [0, 1, 4, 6]
    np.testing.assert_array_equal(rep.traces(1), data["v1"][:, 1])
    np.testing.assert_array_equal(rep.traces(1, "all"), data["v1"][:, 1:4])
    np.testing.assert_array_equal(rep.traces(1, 1), data["v1"][:, 2:4])
    np.testing.assert_array_equal(rep.traces(7, 2), data["v1"][:, 5:6])

    lgn = read_compartment_report(path, "lgn")
    np.testing.assert_array_equal(lgn.traces(11), data["lgn"][:, 1])
    with h5py.File(path, "r") as h5:
        mapping = h5["report/v1/mapping"]
        assert mapping["node_ids"].dtype == np.uint64 and mapping["index_pointer"].dtype == np.uint64
        assert mapping["element_pos"].dtype == np.float64
        assert mapping["time"][()].tolist() == pytest.approx([0.0, 3.0, 0.1])
        assert h5.attrs["magic"] == 0x0A7A


def test_write_compartment_report_one_shot(tmp_path, mappings, data):
    path = tmp_path / "cai.h5"
    write_compartment_report(path, "cai", mappings, data, tstart_ms=100.0, dt_ms=0.5)
    rep = read_compartment_report(path, "lgn")
    assert rep.units is None and rep.variable == "cai"
    np.testing.assert_allclose(rep.time_ms, 100.0 + 0.5 * np.arange(N_STEPS))
    np.testing.assert_array_equal(rep.data, data["lgn"])


def test_bmtk_truncation_safe_tstop(tmp_path):
    """(0.3 - 0) / 0.1 is 2.9999999999999996: the stored tstop is nudged so int() still gives 3."""
    path = tmp_path / "r.h5"
    write_compartment_report(path, "v", {"p": ReportMapping([0], [0, 1], [0], [0.5])},
                             {"p": np.ones((3, 1))}, tstart_ms=0.0, dt_ms=0.1)
    with h5py.File(path, "r") as h5:
        t0, t1, dt = h5["report/p/mapping/time"][()]
    assert int((t1 - t0) / dt) == 3 and t1 == pytest.approx(0.3)
    assert read_compartment_report(path).data.shape == (3, 1)


def test_exception_inside_with_leaves_old_file(tmp_path, mappings, data):
    path = tmp_path / "v_report.h5"
    write_in_blocks(path, mappings, data)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="simulation crashed"):
        with CompartmentReportWriter(path, "v", mappings, 0.0, 3.0, 0.1) as writer:
            writer.append("v1", data["v1"][:5])
            raise RuntimeError("simulation crashed")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v_report.h5"]

    fresh = tmp_path / "new.h5"
    with pytest.raises(RuntimeError):
        with CompartmentReportWriter(fresh, "v", mappings, 0.0, 3.0, 0.1):
            raise RuntimeError("boom")
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v_report.h5"]


def test_row_count_errors(tmp_path, mappings, data):
    path = tmp_path / "r.h5"
    with pytest.raises(SimlibError, match=r"'v1' has 10, 'lgn' has 0"):
        with CompartmentReportWriter(path, "v", mappings, 0.0, 3.0, 0.1) as writer:
            writer.append("v1", data["v1"][:10])
    assert not path.exists() and list(tmp_path.iterdir()) == []

    writer = CompartmentReportWriter(path, "v", mappings, 0.0, 3.0, 0.1)
    writer.append("v1", data["v1"][:25])
    with pytest.raises(SimlibError, match="10 rows after 25 would exceed n_steps = 30"):
        writer.append("v1", data["v1"][:10])
    with pytest.raises(SimlibError, match=r"shape \(4, 5\), expected \(k, 6\)"):
        writer.append("v1", np.zeros((4, 5)))
    with pytest.raises(SimlibError, match=r"shape \(6,\), expected \(k, 6\)"):
        writer.append("v1", np.zeros(6))
    with pytest.raises(SimlibError, match=r"population 'v2' is not in this report; known: \['lgn', 'v1'\]"):
        writer.append("v2", np.zeros((1, 6)))
    writer.abort()
    with pytest.raises(SimlibError, match="closed"):
        writer.append("v1", data["v1"][:1])
    assert list(tmp_path.iterdir()) == []


def test_bad_writer_arguments(tmp_path, mappings):
    path = tmp_path / "r.h5"
    with pytest.raises(SimlibError, match=r"n_steps=10 but .* gives 30"):
        CompartmentReportWriter(path, "v", mappings, 0.0, 3.0, 0.1, n_steps=10)
    with pytest.raises(SimlibError, match=r"dt_ms must be > 0.*tstop_ms \(0.0\) must be > tstart_ms"):
        CompartmentReportWriter(path, "v", mappings, 0.0, 0.0, 0.0)
    bad = {"p": ReportMapping([0, 1], [0, 2], [0, 0, 0], [0.5]), "q": ReportMapping([4, 4], [0, 1, 2], [0, 0], [0, 0])}
    with pytest.raises(SimlibError) as err:
        CompartmentReportWriter(path, "v", bad, 0.0, 1.0, 0.1)
    msg = str(err.value)
    assert "'p': index_pointer has 2 entries, expected n_nodes + 1 = 3" in msg
    assert "'p': element_pos has 1 entries but element_ids has 3" in msg
    assert "'q': node_ids repeated: [4]" in msg
    with pytest.raises(SimlibError, match="node_ids must be non-negative integers"):
        ReportMapping([-1], [0, 1], [0], [0.5])
    with pytest.raises(SimlibError, match="element_ids must be non-negative integers, got dtype float64"):
        ReportMapping([0], [0, 1], [0.5], [0.5])
    assert ReportMapping([0], [0, 1], np.zeros(1), [0.5]).element_ids.dtype == np.uint64
    with pytest.raises(SimlibError, match=r"differ in|different numbers of time steps"):
        write_compartment_report(path, "v", mappings, {"v1": np.zeros((3, 6)), "lgn": np.zeros((4, 2))}, 0.0, 0.1)
    assert list(tmp_path.iterdir()) == []


def test_reader_node_and_element_errors(tmp_path, mappings, data):
    path = tmp_path / "r.h5"
    write_in_blocks(path, mappings, data)
    with pytest.raises(FormatError, match=r"holds report populations .*; name one with population="):
        read_compartment_report(path)
    with pytest.raises(FormatError, match="report population 'v2' not found"):
        read_compartment_report(path, "v2")
    rep = read_compartment_report(path, "v1")
    with pytest.raises(SimlibError, match=r"r.h5: v1: 2 node id\(s\) not in the report: \[5, 99\]"):
        rep.node_index([1, 5, 99])
    with pytest.raises(SimlibError, match="node\\(s\\) \\[3\\] have no element id 4"):
        rep.traces(3, 4)
    with pytest.raises(SimlibError, match="element must be 'origin', 'all'"):
        rep.traces(3, "soma")
    assert rep.node_index([7, 3]).tolist() == [2, 0]


def _broken_copy(src, dst, edit):
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "a") as h5:
        edit(h5)
    return dst


def test_bad_files(tmp_path, mappings, data):
    good = tmp_path / "good.h5"
    write_in_blocks(good, mappings, data)

    def drop_mapping(h5):
        del h5["report/v1/mapping"]

    def wrong_pointer(h5):
        for name in ("index_pointer", "index_pointers"):
            del h5[f"report/v1/mapping/{name}"]
        h5["report/v1/mapping/index_pointer"] = np.array([0, 1, 4, 5], dtype=np.uint64)

    def short_time(h5):
        del h5["report/v1/mapping/time"]
        h5["report/v1/mapping/time"] = [0.0, 5.0, 0.1]

    def no_report(h5):
        del h5["report"]

    with pytest.raises(FormatError, match=r"bad1.h5: dataset\(s\) \['report/v1/mapping/node_ids'.* missing"):
        read_compartment_report(_broken_copy(good, tmp_path / "bad1.h5", drop_mapping), "v1")
    with pytest.raises(FormatError) as err:
        read_compartment_report(_broken_copy(good, tmp_path / "bad2.h5", wrong_pointer), "v1")
    assert "index_pointer[-1] is 5, expected n_elements = 6" in str(err.value)
    with pytest.raises(FormatError, match=r"data has 30 rows but time = \[0.0, 5.0, 0.1\]"):
        read_compartment_report(_broken_copy(good, tmp_path / "bad3.h5", short_time), "v1")
    with pytest.raises(FormatError, match="group '/report' missing"):
        read_compartment_report(_broken_copy(good, tmp_path / "bad4.h5", no_report))
    with pytest.raises(FormatError, match="file not found"):
        read_compartment_report(tmp_path / "absent.h5")

    # data width that disagrees with a self-consistent mapping
    width = tmp_path / "bad5.h5"
    write_compartment_report(width, "v", {"p": ReportMapping([0], [0, 1], [0], [0.5])}, {"p": np.zeros((3, 1))}, 0, 1)
    with h5py.File(width, "a") as h5:
        del h5["report/p/data"]
        h5["report/p/data"] = np.zeros((3, 2))
    with pytest.raises(FormatError, match=r"data has 2 columns but the mapping describes 1 elements"):
        read_compartment_report(width)


def test_reads_spec_name_index_pointers(tmp_path, mappings, data):
    """Files following the SONATA spec (neurodamus, libsonata) name the pointer 'index_pointers'."""
    path = tmp_path / "spec.h5"
    write_in_blocks(path, mappings, data)
    with h5py.File(path, "a") as h5:
        del h5["report/v1/mapping/index_pointer"]
    rep = read_compartment_report(path, "v1")
    np.testing.assert_array_equal(rep.traces(7, "all"), data["v1"][:, 4:6])


@pytest.mark.parity
def test_bmtk_reads_our_file(tmp_path, mappings, data):
    bmtk_report = pytest.importorskip("bmtk.utils.reports.compartment")
    path = tmp_path / "v_report.h5"
    write_in_blocks(path, mappings, data)
    cr = bmtk_report.CompartmentReport(str(path), mode="r")
    assert sorted(cr.populations) == ["lgn", "v1"]
    assert cr.variable(population="v1") == "v" and cr.units(population="v1") == "mV"
    assert cr["v1"].n_steps() == N_STEPS
    np.testing.assert_array_equal(cr.data(node_id=1, population="v1", sections="all"), data["v1"][:, 1:4])
    # bmtk's sections='origin' still returns every column of the node; its first is the origin
    np.testing.assert_array_equal(cr.data(node_id=7, population="v1", sections="origin")[:, 0],
                                  read_compartment_report(path, "v1").traces(7))
    np.testing.assert_array_equal(cr.element_ids(node_id=1, population="v1"), [0, 1, 1])
    np.testing.assert_array_equal(cr.element_pos(node_id=1, population="v1"), [0.5, 0.25, 0.75])


@pytest.mark.parity
def test_we_read_bmtk_file(tmp_path):
    bmtk_writer = pytest.importorskip("bmtk.utils.reports.compartment.compartment_writer")
    path = tmp_path / "bmtk_report.h5"
    rng = np.random.default_rng(2)
    values = {4: rng.normal(size=(20, 1)), 2: rng.normal(size=(20, 3))}
    writer = bmtk_writer.CompartmentWriterv01(str(path), mode="w", default_population="cortex", variable="v",
                                              units="mV", tstart=0.0, tstop=2.0, dt=0.1)
    writer.add_cell(4, element_ids=[0], element_pos=[0.5])
    writer.add_cell(2, element_ids=[0, 3, 3], element_pos=[0.5, 0.1, 0.9])
    writer.initialize()
    for node_id, vals in values.items():
        writer.record_cell_block(node_id, vals, 0, 20)
    writer.close()

    rep = read_compartment_report(path)
    assert (rep.population, rep.variable, rep.units) == ("cortex", "v", "mV")
    assert rep.node_ids.tolist() == [4, 2] and rep.element_ids.tolist() == [0, 0, 3, 3]
    np.testing.assert_array_equal(rep.traces(4), values[4][:, 0])
    np.testing.assert_array_equal(rep.traces(2, 3), values[2][:, 1:])
    np.testing.assert_allclose(rep.time_ms, 0.1 * np.arange(20))


@pytest.mark.parity
def test_libsonata_reads_float32_file(tmp_path, mappings, data):
    libsonata = pytest.importorskip("libsonata")
    path = tmp_path / "v32.h5"
    write_in_blocks(path, mappings, data, dtype=np.float32)
    pop = libsonata.ElementReportReader(str(path))["v1"]
    frame = pop.get(node_ids=[1])
    np.testing.assert_allclose(frame.times, 0.1 * np.arange(N_STEPS))
    np.testing.assert_array_equal(np.asarray(frame.ids).tolist(), [[1, 0], [1, 1], [1, 1]])
    np.testing.assert_array_equal(np.asarray(frame.data), data["v1"][:, 1:4].astype(np.float32))


def test_columns_of_several_nodes(tmp_path):
    mapping = ReportMapping.from_elements([3, 1, 7, 8], [[0], [0, 1, 1], [0, 2], []],
                                          [[0.5], [0.5, 0.25, 0.75], [0.5, 0.5], []])
    path = tmp_path / "r.h5"
    write_compartment_report(path, "v", {"p": mapping}, {"p": np.zeros((2, 6))}, 0.0, 1.0)
    rep = read_compartment_report(path)
    cols, owners = rep.columns([7, 1], "all")
    assert cols.tolist() == [4, 5, 1, 2, 3] and owners.tolist() == [7, 7, 1, 1, 1]
    assert rep.columns([7, 1, 3])[0].tolist() == [4, 1, 0]
    cols, owners = rep.columns([1, 7], 0)
    assert cols.tolist() == [1, 4] and owners.tolist() == [1, 7]
    with pytest.raises(SimlibError, match=r"node\(s\) \[8\] have no recorded elements"):
        rep.traces(8)


def test_report_files_name_one_file_per_variable(tmp_path):
    from simlib.sonata.reports import report_files

    assert report_files("soma", {"variable_name": "v"}, tmp_path) == {"v": tmp_path / "soma.h5"}
    assert report_files("soma", {}, tmp_path) == {"v": tmp_path / "soma.h5"}
    both = report_files("soma", {"variable_name": ["v", "cai"], "file_name": "rec.h5"}, tmp_path)
    assert both == {"v": tmp_path / "rec.v.h5", "cai": tmp_path / "rec.cai.h5"}
    absolute = tmp_path / "elsewhere" / "x.h5"
    assert report_files("soma", {"file_name": str(absolute)}, "output") == {"v": absolute}
