"""ECP analysis on report files made here: LFP filter, CSD, spectra, figures and `simlib plot-ecp`."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

from simlib.analysis import csd, lfp, plot_ecp, plot_ecp_populations, plot_lfp_csd, plot_spectrum, power_spectrum
from simlib.errors import FormatError, SimlibError
from simlib.sonata.ecp import EcpWriter, Electrodes, read_ecp

DT_MS = 0.1
DEPTHS = np.arange(0.0, 1000.0, 100.0)


def write_report(path, data, populations=None, positions=None):
    positions = np.c_[np.zeros(DEPTHS.size), DEPTHS, np.zeros(DEPTHS.size)] if positions is None else positions
    sites = Electrodes(np.arange(len(positions)), positions)
    with EcpWriter(path, sites, 0.0, data.shape[0] * DT_MS, DT_MS, populations=list(populations or {})) as w:
        w.append(data, populations)
    return path


def sines(freqs_hz, amps, n=20000):
    t_s = np.arange(n) * DT_MS / 1000.0
    return sum(a * np.sin(2 * np.pi * f * t_s) for f, a in zip(freqs_hz, amps))


def test_lfp_keeps_slow_and_removes_fast_components_and_downsamples():
    signal = sines([50.0, 600.0], [1.0, 1.0])[:, None] * np.ones((1, 3))
    field, dt_out = lfp(signal, DT_MS, cutoff_hz=300.0)
    assert dt_out == pytest.approx(0.8)                 # 10 kHz -> 1.25 kHz: factor 8 (never upsampled)
    slow = sines([50.0], [1.0])[::8]
    core = slice(100, -100)                               # away from the edges
    assert np.abs(field[core, 0] - slow[core]).max() < 0.02
    freqs, psd = power_spectrum(field, dt_out)
    assert psd[np.argmin(abs(freqs - 600.0)), 0] < 1e-4 * psd[np.argmin(abs(freqs - 50.0)), 0]


def test_lfp_rejects_a_cutoff_above_nyquist():
    with pytest.raises(SimlibError, match="Nyquist frequency 5000 Hz"):
        lfp(np.zeros((100, 2)), DT_MS, cutoff_hz=6000.0)


def test_csd_of_a_quadratic_potential_is_uniform():
    a = 2e-6  # mV/µm²
    phi = np.tile(a * DEPTHS ** 2, (5, 1))
    shuffled = np.random.default_rng(0).permutation(DEPTHS.size)
    positions = np.c_[np.zeros(DEPTHS.size), DEPTHS, np.zeros(DEPTHS.size)][shuffled]
    density, depths = csd(phi[:, shuffled], positions, conductivity_s_per_m=0.3)
    np.testing.assert_allclose(depths, DEPTHS[1:-1])
    # -σ φ'' = -0.3 S/m · 2a mV/µm² = -1.2e-6 · 1e6 µA/mm³
    np.testing.assert_allclose(density, -0.3 * 2 * a * 1e6, rtol=1e-9)
    with pytest.raises(SimlibError, match="evenly spaced"):
        csd(phi, np.c_[np.zeros(10), DEPTHS ** 1.1, np.zeros(10)])


def test_welch_peak_at_the_signal_frequency():
    freqs, psd = power_spectrum(sines([80.0], [0.5])[:, None], DT_MS)
    assert freqs[np.argmax(psd[:, 0])] == pytest.approx(80.0, abs=10.0)


def test_figures_from_the_file_alone(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = np.outer(sines([20.0], [1.0], n=4000), np.linspace(1.0, 2.0, DEPTHS.size))
    shares = {"exc": 0.75 * data, "inh": 0.25 * data}
    path = write_report(tmp_path / "ecp.h5", data, shares)
    report = read_ecp(path)
    np.testing.assert_array_equal(report.data_mv, data)
    assert report.times_ms[1] == pytest.approx(DT_MS)
    fig, axes = plt.subplots(2, 2)
    assert plot_ecp(path, ax=axes[0, 0]) is axes[0, 0]
    assert len(axes[0, 0].lines) == DEPTHS.size
    np.testing.assert_allclose(axes[0, 0].lines[3].get_ydata() - axes[0, 0].lines[3].get_ydata().mean(),
                               data[:, 3] - data[:, 3].mean(), atol=1e-12)
    assert plot_lfp_csd(report, ax=axes[0, 1]) is axes[0, 1]
    assert plot_spectrum(report, ax=axes[1, 0], channels=[0, 9]) is axes[1, 0] and len(axes[1, 0].lines) == 2
    assert plot_ecp_populations(report, ax=axes[1, 1]) is axes[1, 1]
    assert len(axes[1, 1].lines) == 3 * DEPTHS.size     # total and two shares per channel
    plot_ecp(report, population="inh", ax=axes[0, 0])
    with pytest.raises(SimlibError, match="population 'glia'"):
        plot_ecp(report, population="glia", ax=axes[0, 0])
    plt.close(fig)
    bare = read_ecp(write_report(tmp_path / "bare.h5", data))
    with pytest.raises(SimlibError, match="no population shares"):
        plot_ecp_populations(bare)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "simlib", "plot-ecp", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("kind", ["ecp", "lfp_csd", "spectrum", "populations"])
def test_cli_writes_each_figure(tmp_path, kind):
    data = np.outer(sines([20.0], [1.0], n=3000), np.linspace(1.0, 2.0, DEPTHS.size))
    path = write_report(tmp_path / "ecp.h5", data, {"a": data})
    proc = cli(path, "-o", tmp_path / "fig.png", "--kind", kind)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "fig.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_bad_files_are_one_line_and_no_output(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    empty = tmp_path / "empty.h5"
    with h5py.File(empty, "w") as h5:
        h5.create_dataset("ecp/time", data=[0.0, 1.0, 0.1])
    for bad, expected in ((text, "not a readable HDF5 file"), (empty, "/ecp/data missing")):
        proc = cli(bad, "-o", tmp_path / "fig.png")
        assert proc.returncode == 1
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and str(bad) in lines[0] and expected in lines[0], proc.stderr
        assert not (tmp_path / "fig.png").exists()


def test_bmtk_layout_without_positions_takes_the_electrode_file(tmp_path):
    data = np.outer(sines([20.0], [1.0], n=1000), np.ones(DEPTHS.size))
    path = tmp_path / "bmtk.h5"
    with h5py.File(path, "w") as h5:                    # BMTK's datasets only
        h5.create_dataset("ecp/data", data=data)
        h5.create_dataset("ecp/time", data=[0.0, 100.0, 0.1])
        h5.create_dataset("ecp/channel_id", data=np.arange(DEPTHS.size))
    assert read_ecp(path).positions_um is None
    csv = tmp_path / "el.csv"
    csv.write_text("channel x_pos y_pos z_pos\n" + "".join(f"{i} 0 {d} 0\n" for i, d in enumerate(DEPTHS)))
    np.testing.assert_array_equal(read_ecp(path, csv).positions_um[:, 1], DEPTHS)
    with pytest.raises(FormatError, match="channel id"):
        read_ecp(path, Electrodes(np.arange(3), np.zeros((3, 3))))
    proc = cli(path, "-o", tmp_path / "csd.png", "--kind", "lfp_csd", "--electrodes", csv)
    assert proc.returncode == 0, proc.stderr
