"""The extracellular (ECP) report: line-source numerics against LFPykit, runs on NEURON, MPI and CoreNEURON."""

import glob
import json
import os

import h5py
import numpy as np
import pytest

from simlib.bionet.line_source import line_source_transfer
from simlib.errors import ConfigError
from simlib.sonata.ecp import read_ecp, write_electrodes
from simnet import (build_network, mechanisms_dir, offline_components, run_simlib, write_config,  # noqa: E402
                    write_poisson)

lfpykit = pytest.importorskip("lfpykit", reason="LFPykit is the independent oracle of the line-source model "
                                                "(pip install simlib[test])")

SIGMA = 0.3
LINEAR = [[0.0, y, 0.0] for y in range(-400, 600, 100)]   # 10 channels through the small network
FAR = [0.0, 20000.0, 0.0]                                  # far from every cell: the point-source limit


def lfpykit_transfer(p0, p1, electrodes, diameter=None):
    cell = lfpykit.CellGeometry(x=np.c_[p0[:, 0], p1[:, 0]], y=np.c_[p0[:, 1], p1[:, 1]],
                                z=np.c_[p0[:, 2], p1[:, 2]],
                                d=np.full(len(p0), 1e-9) if diameter is None else diameter)
    el = np.asarray(electrodes, dtype=float)
    return lfpykit.LineSourcePotential(cell, el[:, 0], el[:, 1], el[:, 2], sigma=SIGMA).get_transformation_matrix()


# --- numerics without NEURON -----------------------------------------------------------------------------

def test_line_source_equals_lfpykit():
    rng = np.random.default_rng(3)
    p0 = rng.uniform(-200, 200, (500, 3))
    p1 = p0 + rng.normal(0, 15, (500, 3))
    electrodes = np.array(LINEAR + [FAR])
    electrodes[0] = 0.5 * (p0[7] + p1[7]) + [0.05, 0.0, 0.0]   # 50 nm from a segment's centre
    mine = line_source_transfer(p0, p1, electrodes, SIGMA)
    theirs = lfpykit_transfer(p0, p1, electrodes)
    np.testing.assert_allclose(mine, theirs, rtol=1e-9)


def test_far_electrode_is_a_point_source():
    p0 = np.array([[0.0, 0.0, 0.0]])
    p1 = np.array([[0.0, 20.0, 0.0]])
    r_um = 1e4
    t = line_source_transfer(p0, p1, [[r_um, 10.0, 0.0]], SIGMA)[0, 0]
    assert t == pytest.approx(1.0 / (4 * np.pi * SIGMA * r_um), rel=1e-6)
    # units: 1 nA at 1 µm in 0.3 S/m is 1e-9 / (4π·0.3·1e-6) V = 0.265 mV
    assert line_source_transfer([[0, 0, 0]], [[0, 0, 0]], [[1.0, 0, 0]], SIGMA)[0, 0] == pytest.approx(
        1e-9 / (4 * np.pi * SIGMA * 1e-6) * 1e3)


def test_minimum_distance_floors_the_distance_to_the_axis():
    p0, p1 = np.array([[0.0, -10.0, 0.0]]), np.array([[0.0, 10.0, 0.0]])
    near = line_source_transfer(p0, p1, [[0.1, 0.0, 0.0]], SIGMA, min_distance_um=2.0)
    at_floor = line_source_transfer(p0, p1, [[2.0, 0.0, 0.0]], SIGMA)
    assert near[0, 0] == pytest.approx(at_floor[0, 0], rel=1e-12)
    beyond = line_source_transfer(p0, p1, [[0.1, 30.0, 0.0]], SIGMA, min_distance_um=2.0)  # projection outside
    assert beyond[0, 0] == pytest.approx(line_source_transfer(p0, p1, [[0.1, 30.0, 0.0]], SIGMA)[0, 0], rel=1e-12)


def test_electrode_on_a_segment_without_minimum_distance_is_an_error():
    with pytest.raises(ConfigError, match="lies on segment 0.*minimum_distance"):
        line_source_transfer([[0.0, 0.0, 0.0]], [[0.0, 10.0, 0.0]], [[0.0, 4.0, 0.0]], SIGMA)
    assert np.isfinite(line_source_transfer([[0.0, 0.0, 0.0]], [[0.0, 10.0, 0.0]], [[0.0, 4.0, 0.0]], SIGMA,
                                            min_distance_um=0.5)).all()


# --- simulations --------------------------------------------------------------------------------------------

ECP = {"module": "extracellular", "variable_name": "v", "electrode_channels": "all", "file_name": "ecp.h5",
       "by_population": True, "contributions_dir": "cells"}


@pytest.fixture(scope="module")
def setup(tmp_path_factory, nrnmech):
    root = tmp_path_factory.mktemp("ecp")
    components = offline_components(root / "components")
    net = build_network(root / "network")
    write_poisson(root / "lgn.h5", 8, 30.0, 0.3)
    write_electrodes(root / "linear.csv", range(11), LINEAR + [FAR])
    return root, components, net


def ecp_config(setup, mech_lib, name, tstop_ms=200.0, reports=None, run=None, **report):
    root, components, net = setup
    inputs = {"lgn": {"input_type": "spikes", "module": "sonata", "input_file": str(root / "lgn.h5"),
                      "node_set": "LGN"}}
    spec = {**ECP, "electrode_positions": str(root / "linear.csv"), **report}
    return write_config(root / name / "config.json", net, components, mechanisms_dir(mech_lib), tstop_ms=tstop_ms,
                        inputs=inputs, reports={"ecp": spec, **(reports or {})}, run=run)


def run_ok(config, ranks=1):
    proc = run_simlib(config, ranks=ranks)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return config.parent / "output"


@pytest.fixture(scope="module")
def neuron_run(setup, nrnmech):
    imem = {"imem": {"module": "membrane_report", "cells": {"population": "V1"},
                     "variable_name": ["i_membrane_", "v"], "sections": "all"}}
    return run_ok(ecp_config(setup, nrnmech, "neuron", reports=imem))


def test_ecp_file_layout_is_bmtks(neuron_run):
    with h5py.File(neuron_run / "ecp.h5") as h5:
        data = h5["ecp/data"]
        assert data.dtype == np.float64 and data.shape == (2000, 11)
        assert data.attrs["units"] == "mV"
        np.testing.assert_array_equal(h5["ecp/time"][()], [0.0, 200.0, 0.1])
        assert h5["ecp/time"].attrs["units"] == "ms"
        np.testing.assert_array_equal(h5["ecp/channel_id"][()], np.arange(11))
        assert np.abs(data[()]).max() > 1e-4, "the cells' currents reach the electrodes"


def test_ecp_equals_lfpykit_on_the_recorded_currents(neuron_run):
    """LFPykit's line source on the cells' segments times the recorded i_membrane_ gives the same ECP."""
    report = read_ecp(neuron_run / "ecp.h5")
    assert not (neuron_run / "imem.h5").exists() and (neuron_run / "imem.v.h5").exists()  # one file per variable
    with h5py.File(neuron_run / "imem.i_membrane_.h5") as h5:
        grp = h5["report/V1"]
        currents = grp["data"][()]                          # (n_steps, n_segments of all cells), nA
        node_ids = grp["mapping/node_ids"][()]
        ptr = grp["mapping/index_pointer"][()]
    expected = np.zeros_like(report.data_mv)
    far_point = np.zeros(report.data_mv.shape[0])
    for k, node_id in enumerate(node_ids):
        with h5py.File(neuron_run / "cells" / f"{node_id}.h5") as cell:   # gid = node id (V1 is first)
            p0, p1 = cell["ecp/segments/p0"][()], cell["ecp/segments/p1"][()]
            own = cell["ecp/data"][()]
        assert p0.shape[0] == ptr[k + 1] - ptr[k]
        i_nA = currents[:, ptr[k]:ptr[k + 1]]
        m = lfpykit_transfer(p0, p1, report.positions_um)
        np.testing.assert_allclose(i_nA @ m.T, own, rtol=1e-9, atol=1e-9 * np.abs(own).max())
        expected += i_nA @ m.T
        mid = 0.5 * (p0 + p1)
        far_point += i_nA @ (1.0 / (4 * np.pi * SIGMA * np.linalg.norm(mid - FAR, axis=1)))
    scale = np.abs(report.data_mv).max()
    np.testing.assert_allclose(report.data_mv, expected, rtol=0, atol=1e-9 * scale)
    # far away the cells are point sources at their segment centres (the far channel is the last)
    far = report.data_mv[:, -1]
    assert np.abs(far).max() > 0
    np.testing.assert_allclose(far, far_point, rtol=0, atol=1e-3 * np.abs(far).max())


def test_population_shares_and_cell_contributions_add_up_to_the_total(neuron_run):
    report = read_ecp(neuron_run / "ecp.h5")
    assert sorted(report.populations) == ["Exc", "Inh"]
    scale = np.abs(report.data_mv).max()
    assert np.abs(sum(report.populations.values()) - report.data_mv).max() <= 1e-12 * scale
    files = sorted(glob.glob(str(neuron_run / "cells" / "*.h5")))
    assert len(files) == 8
    total = sum(h5py.File(f)["ecp/data"][()] for f in files)
    assert np.abs(total - report.data_mv).max() <= 1e-12 * scale


def test_bmtk_analyzer_reads_the_file(neuron_run, monkeypatch):
    pytest.importorskip("bmtk", reason="bmtk's analyzer is the reader this layout must satisfy")
    import matplotlib

    matplotlib.use("Agg")
    from bmtk.analyzer.ecp import plot_ecp

    # bmtk 1.2's plot_ecp(ecp_path=...) fails on its own return value; go through the config as its tutorial
    # does (bmtk resolves the config's relative output folder against the working directory)
    monkeypatch.chdir(neuron_run.parent)
    plot_ecp(config_file="config.json", report_name="ecp", show=False)
    import matplotlib.pyplot as plt

    axes = plt.gcf().axes
    data = read_ecp(neuron_run / "ecp.h5").data_mv
    assert len(axes) == 11
    np.testing.assert_array_equal(axes[3].lines[0].get_ydata(), data[:, 3])
    plt.close("all")


def test_two_ranks_write_the_same_file(setup, nrnmech, neuron_run):
    out = run_ok(ecp_config(setup, nrnmech, "two_ranks"), ranks=2)
    one, two = read_ecp(neuron_run / "ecp.h5"), read_ecp(out / "ecp.h5")
    scale = np.abs(one.data_mv).max()
    assert np.abs(one.data_mv - two.data_mv).max() <= 1e-12 * scale
    for pop in one.populations:
        assert np.abs(one.populations[pop] - two.populations[pop]).max() <= 1e-12 * scale


def test_coreneuron_gives_the_same_ecp(setup, corenrnmech, neuron_run):
    out = run_ok(ecp_config(setup, corenrnmech, "coreneuron", run={"backend": "coreneuron"}))
    mine, core = read_ecp(neuron_run / "ecp.h5"), read_ecp(out / "ecp.h5")
    scale = np.abs(mine.data_mv).max()
    np.testing.assert_allclose(core.data_mv, mine.data_mv, rtol=0, atol=1e-6 * scale)


def test_pointer_gather_path_gives_the_same_ecp(setup, nrnmech, neuron_run):
    """Where NEURON does not tell the storage rows (NEURON 8), one PtrVector gather per step: the same file."""
    import subprocess
    import sys

    config = ecp_config(setup, nrnmech, "gather")
    script = ("import sys\n"
              "import simlib.bionet.extracellular as ex\n"
              "ex._storage_rows = lambda refs: None\n"
              "from simlib.bionet import simulate\n"
              "simulate(sys.argv[1])\n")
    proc = subprocess.run([sys.executable, "-c", script, str(config)], capture_output=True, text=True,
                          cwd=config.parent, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    mine, gathered = read_ecp(neuron_run / "ecp.h5"), read_ecp(config.parent / "output" / "ecp.h5")
    np.testing.assert_allclose(gathered.data_mv, mine.data_mv, rtol=0, atol=1e-12 * np.abs(mine.data_mv).max())


def test_node_type_attributes_select_cells_and_channels_subset(setup, nrnmech, neuron_run):
    """The seed's report names model_type (a node-type attribute): simlib records (bmtk 1.2 on pandas 3 does not)."""
    out = run_ok(ecp_config(setup, nrnmech, "seed_filter", cells={"population": "V1", "model_type": "biophysical"},
                            electrode_channels=[2, 5], by_population=False, contributions_dir=None))
    spec = json.loads((out.parent / "config.json").read_text())["reports"]["ecp"]
    assert spec["cells"] == {"population": "V1", "model_type": "biophysical"}
    sub, full = read_ecp(out / "ecp.h5"), read_ecp(neuron_run / "ecp.h5")
    np.testing.assert_array_equal(sub.channel_ids, [2, 5])
    np.testing.assert_allclose(sub.data_mv, full.data_mv[:, [2, 5]], rtol=0, atol=1e-15)
    assert not sub.populations


def test_minimum_distance_auto_and_a_node_set_of_one_population(setup, nrnmech, neuron_run):
    out = run_ok(ecp_config(setup, nrnmech, "auto", cells={"population": "V1", "pop_name": "Inh"},
                            minimum_distance="auto", contributions_dir=None))
    inh = read_ecp(out / "ecp.h5")
    full = read_ecp(neuron_run / "ecp.h5")
    # no electrode is within a segment radius here, so the floor changes nothing
    np.testing.assert_allclose(inh.data_mv, full.populations["Inh"], rtol=0, atol=1e-12 * np.abs(full.data_mv).max())


@pytest.mark.parametrize("case,expected", [
    ("missing", "el.csv: file not found"),
    ("columns", "column\\(s\\) y_pos missing"),
    ("number", "line 3, column 'y_pos': 'abc' is not a number"),
    ("channel", "channel id\\(s\\) \\[7\\] not in the electrode file"),
    ("on_segment", "lies on segment"),
    ("min_distance", "minimum_distance: expected a distance"),
    ("nwb", "file_name_nwb: an NWB copy of the ECP is not written"),
    ("unknown_key", "unknown key\\(s\\) electrode_file"),
])
def test_bad_electrode_input_is_one_clear_error_before_the_run(setup, nrnmech, tmp_path, case, expected):
    root = setup[0]
    el = tmp_path / "el.csv"
    report = {"electrode_positions": str(el)}
    if case == "columns":
        el.write_text("channel x_pos z_pos\n0 0 0\n")
    elif case == "number":
        el.write_text("channel x_pos y_pos z_pos\n0 0 0 0\n1 0 abc 0\n")
    elif case in ("nwb", "unknown_key"):
        write_electrodes(el, [0, 1], LINEAR[:2])
        report.update({"file_name_nwb": "ecp.nwb"} if case == "nwb" else {"electrode_file": str(el)})
    elif case in ("channel", "min_distance"):
        write_electrodes(el, [0, 1], LINEAR[:2])
        report.update({"electrode_channels": [0, 7]} if case == "channel" else {"minimum_distance": "near"})
    elif case == "on_segment":
        # the centre of node 0's soma, taken from a run's contribution file
        run_ok(ecp_config(setup, nrnmech, "probe", tstop_ms=1.0))
        with h5py.File(root / "probe" / "output" / "cells" / "0.h5") as h5:
            centre = 0.5 * (h5["ecp/segments/p0"][0] + h5["ecp/segments/p1"][0])
        write_electrodes(el, [0], [centre])
        report["minimum_distance"] = 0
    config = ecp_config(setup, nrnmech, f"bad_{case}", tstop_ms=50.0, **report)
    proc = run_simlib(config)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr
    assert lines[-1].startswith("simlib: error:") and "reports.ecp" in lines[-1], lines[-1]
    import re

    assert re.search(expected, lines[-1]), lines[-1]
    assert not (config.parent / "output" / "ecp.h5").exists()
    assert not (config.parent / "output" / "spikes.h5").exists()
    assert not os.listdir(config.parent / "output") or set(os.listdir(config.parent / "output")) <= {"log.txt"}


# --- bmtk as the oracle ------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parity
def test_tutorial_l4_ecp_equals_bmtk(tmp_path, bmtk_nrnmech):
    """The seed's L4 network, linear electrode and report: simlib's /ecp/data equals bmtk's.

    bmtk 1.2 on pandas 3 matches no cell with the seed's ``cells`` filter (model_type is a node-type
    attribute) and writes zeros, so bmtk gets ``{"population": "V1"}``; simlib gets the seed's filter.
    bmtk computes its row k after step k+1 (as its membrane reports); simlib's row k is the state at
    k·dt, so simlib's rows 1.. are compared with bmtk's rows ..n-1.
    """
    pytest.importorskip("bmtk", reason="bmtk is the oracle of the parity tests (pip install simlib[test])")
    import bmtk_oracle as oracle

    tstop_ms = 100.0
    mech = oracle.nrnmech_dir(bmtk_nrnmech)
    net = oracle.write_l4_network(tmp_path / "network", seed=0)
    lgn = oracle.write_poisson_input(tmp_path / "lgn.h5", range(100), 20.0, tstop_ms / 1000, seed=1)
    electrode = write_electrodes(tmp_path / "linear_electrode.csv", range(10),
                                 [[0.0, y, 0.0] for y in range(0, 1000, 100)])
    data = {}
    for who, cells in (("bmtk", {"population": "V1"}),
                       ("simlib", {"population": "V1", "model_type": "biophysical"})):
        report = {"ecp": {"module": "extracellular", "variable_name": "v", "cells": cells,
                          "electrode_positions": str(electrode), "file_name": "ecp.h5", "electrode_channels": "all"}}
        cfg = oracle.write_bmtk_config(tmp_path / f"config_{who}.json", net, oracle.bmtk_components_dir(), mech,
                                       tmp_path / f"output_{who}", tstop_ms,
                                       inputs={"LGN_spikes": oracle.spikes_input(lgn, "LGN")}, reports=report)
        if who == "bmtk":
            oracle.run_bmtk(cfg, timeout=1800)
        else:
            proc = run_simlib(cfg, timeout=900)
            assert proc.returncode == 0, proc.stderr[-3000:]
        data[who] = read_ecp(tmp_path / f"output_{who}" / "ecp.h5")
    theirs, mine = data["bmtk"], data["simlib"]
    assert theirs.data_mv.shape == mine.data_mv.shape == (1000, 10)
    scale = np.abs(theirs.data_mv).max()
    assert scale > 1e-3, "bmtk recorded the cells"
    assert int(np.abs(theirs.data_mv).max(axis=0).argmax()) in (4, 5), "largest near the cells (y 400-500 µm)"
    np.testing.assert_allclose(mine.data_mv[1:], theirs.data_mv[:-1], rtol=0, atol=1e-6 * scale)
