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
    return sum(a * np.sin(2 * np.pi * f * t_s) for f, a in zip(freqs_hz, amps, strict=True))


def test_lfp_keeps_slow_and_removes_fast_components_and_downsamples():
    signal = sines([50.0, 600.0], [1.0, 1.0])[:, None] * np.ones((1, 3))
    field, dt_out = lfp(signal, DT_MS, cutoff_hz=300.0)
    assert dt_out == pytest.approx(0.8)                 # 10 kHz -> 1.25 kHz: factor 8 (never upsampled)
    assert field.shape == (2500, 3)
    slow = sines([50.0], [1.0])[::8]
    core = slice(100, -100)                               # away from the edges
    assert np.abs(field[core, 0] - slow[core]).max() < 0.02
    freqs, psd = power_spectrum(field, dt_out)
    assert psd[np.argmin(abs(freqs - 600.0)), 0] < 1e-4 * psd[np.argmin(abs(freqs - 50.0)), 0]


def test_lfp_downsampling_factor_and_shapes():
    signal = sines([50.0], [1.0], n=1000)
    field, dt_out = lfp(signal, DT_MS, cutoff_hz=300.0, downsample_to_hz=2000.0)
    assert field.shape == (200,) and dt_out == pytest.approx(0.5)     # 1-D stays 1-D; 10 kHz / 2 kHz = 5
    field, dt_out = lfp(signal, DT_MS, cutoff_hz=300.0, downsample_to_hz=3000.0)
    assert field.shape == (334,) and dt_out == pytest.approx(0.3)     # floor(10/3) = 3
    field, dt_out = lfp(signal, DT_MS, cutoff_hz=300.0, downsample_to_hz=1e6)
    assert field.shape == (1000,) and dt_out == DT_MS                 # never upsampled
    short, _ = lfp(np.ones((6, 2)), DT_MS, cutoff_hz=300.0, downsample_to_hz=1e4)
    np.testing.assert_allclose(short, 1.0, atol=1e-9)                  # padding shortened, DC kept


@pytest.mark.parametrize("kwargs, message", [
    ({"cutoff_hz": 6000.0}, "Nyquist frequency 5000 Hz"),
    ({"cutoff_hz": 0.0}, "cutoff_hz must be between 0 and the Nyquist frequency 5000 Hz .* got 0.0"),
    ({"downsample_to_hz": 400.0}, r"at least 2 × cutoff_hz = 600 Hz .* got 400.0"),
    ({"order": 0}, "order must be a positive integer, got 0"),
    ({"dt_ms": -0.1}, r"dt_ms must be a positive number, got -0.1"),
])
def test_lfp_rejects_bad_arguments(kwargs, message):
    args = {"dt_ms": DT_MS, "cutoff_hz": 300.0} | kwargs
    with pytest.raises(SimlibError, match=message):
        lfp(np.zeros((100, 2)), **args)
    with pytest.raises(SimlibError, match=r"n_steps >= 2.*got shape \(1, 2\)"):
        lfp(np.zeros((1, 2)), DT_MS)


def test_csd_of_a_quadratic_potential_is_uniform():
    a = 2e-6  # mV/µm²
    phi = np.tile(a * DEPTHS ** 2, (5, 1))
    shuffled = np.random.default_rng(0).permutation(DEPTHS.size)
    positions = np.c_[np.zeros(DEPTHS.size), DEPTHS, np.zeros(DEPTHS.size)][shuffled]
    density, depths = csd(phi[:, shuffled], positions, conductivity_s_per_m=0.3)
    np.testing.assert_allclose(depths, DEPTHS[1:-1])
    # -σ φ'' = -0.3 S/m · 2a mV/µm² = -1.2e-6 S·mV/(m·µm²) = -1.2e-6 · 1e6 µA/mm³
    np.testing.assert_allclose(density, -0.3 * 2 * a * 1e6, rtol=1e-9)
    density, depths = csd(phi, spacing_um=100.0, conductivity_s_per_m=0.3)
    np.testing.assert_allclose(density, -1.2, rtol=1e-9)
    np.testing.assert_allclose(depths, DEPTHS[1:-1])


def test_csd_of_a_cubic_potential_follows_depth():
    # the second difference of y³ is exactly 6 y h²: CSD = -σ · 6 b y, and -CSD of -φ = CSD of φ
    b, h, sigma = 1e-9, 50.0, 0.25                        # mV/µm³, µm, S/m
    y = 200.0 + h * np.arange(7)
    times = np.linspace(-1.0, 1.0, 4)[:, None]            # a time-varying amplitude
    phi = times * b * y ** 3
    positions = np.c_[np.full(7, 5.0), np.full(7, -3.0), y][::-1]   # along z, deepest first
    density, depths = csd(phi[:, ::-1], positions, conductivity_s_per_m=sigma)
    np.testing.assert_allclose(depths, y[1:-1])
    np.testing.assert_allclose(density, -sigma * 6 * b * times * y[None, 1:-1] * 1e6, rtol=1e-9, atol=1e-15)


def test_csd_rejects_bad_geometry():
    phi = np.zeros((5, 10))
    with pytest.raises(SimlibError, match=r"evenly spaced along the electrode \(y\); spacings"):
        csd(phi, np.c_[np.zeros(10), DEPTHS ** 1.1, np.zeros(10)])
    with pytest.raises(SimlibError, match=r"n_channels >= 3.*got shape \(5, 2\)"):
        csd(phi[:, :2], spacing_um=100.0)
    with pytest.raises(SimlibError, match=r"\(10, 3\), got \(9, 3\)"):
        csd(phi, np.zeros((9, 3)))
    with pytest.raises(SimlibError, match="positive spacing_um, got spacing_um=None"):
        csd(phi)
    with pytest.raises(SimlibError, match="conductivity_s_per_m must be positive, got 0"):
        csd(phi, spacing_um=100.0, conductivity_s_per_m=0)


def test_welch_peak_and_power_of_a_sine():
    freqs, psd = power_spectrum(sines([80.0], [0.5])[:, None], DT_MS, nperseg=1000)
    assert freqs[1] == pytest.approx(10.0)                # resolution 1 / (1000 · 0.1 ms)
    assert freqs[np.argmax(psd[:, 0])] == pytest.approx(80.0)
    assert psd[:, 0].sum() * freqs[1] == pytest.approx(0.5 ** 2 / 2, rel=1e-3)   # Parseval: mean square, mV²
    with pytest.raises(SimlibError, match="nperseg must be at least 2, got 1"):
        power_spectrum(np.zeros(10), DT_MS, nperseg=1)


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
    # channel 3 drawn unaltered, 3 offsets of 2·max|ECP| = 4 mV below channel 0
    np.testing.assert_allclose(axes[0, 0].lines[3].get_ydata(), data[:, 3] - 3 * 4.0, atol=1e-12)
    assert [t.get_text() for t in axes[0, 0].get_yticklabels()] == [str(c) for c in range(DEPTHS.size)]
    assert plot_lfp_csd(report, ax=axes[0, 1]) is axes[0, 1]
    assert plot_spectrum(report, ax=axes[1, 0], channels=[0, 9]) is axes[1, 0] and len(axes[1, 0].lines) == 2
    assert [t.get_text() for t in axes[1, 0].get_legend().get_texts()] == ["channel 0", "channel 9"]
    assert plot_ecp_populations(report, ax=axes[1, 1]) is axes[1, 1]
    assert len(axes[1, 1].lines) == 3 * DEPTHS.size     # total and two shares per channel
    assert [t.get_text() for t in axes[1, 1].get_legend().get_texts()] == ["total", "exc", "inh"]
    plt.close(fig)


def test_plot_ecp_selects_channels_window_and_population(tmp_path):
    data = np.outer(sines([20.0], [1.0], n=2000), np.arange(1.0, DEPTHS.size + 1))
    path = write_report(tmp_path / "ecp.h5", data, {"inh": -0.5 * data})
    ax = plot_ecp(path, channels=[7, 2], time_range_ms=(10.0, 20.0), population="inh", spacing=3.0)
    assert len(ax.lines) == 2
    x = ax.lines[0].get_xdata()
    assert x[0] == pytest.approx(10.0) and x[-1] == pytest.approx(20.0) and x.size == 101
    # stacked by depth: channel 2 (y = 200 µm) above channel 7 (y = 700 µm)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), -0.5 * data[100:201, 2], atol=1e-12)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), -0.5 * data[100:201, 7] - 3.0, atol=1e-12)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2", "7"]
    assert ax.get_title() == "ECP, inh" and "3 mV apart" in ax.get_ylabel()
    for kwargs, message in (({"population": "glia"}, f"{path}: plot_ecp: population 'glia'.*it has \\['inh'\\]"),
                            ({"channels": [3, 12]}, r"channel\(s\) \[12\] not in the report"),
                            ({"time_range_ms": (500.0, 600.0)}, "no samples in time_range_ms"),
                            ({"spacing": 0.0}, "spacing must be a positive number")):
        with pytest.raises(SimlibError, match=message):
            plot_ecp(path, ax=ax, **kwargs)
    ax.figure.clf()


def test_plot_lfp_csd_draws_the_csd_of_the_lfp(tmp_path):
    import matplotlib.pyplot as plt

    a = np.sin(2 * np.pi * 20.0 * np.arange(2000) * DT_MS / 1000.0)
    data = a[:, None] * 1e-6 * DEPTHS[None, :] ** 2     # φ = a(t)·1e-6·y², CSD = -σ·2e-6·a(t)·1e6
    report = read_ecp(write_report(tmp_path / "ecp.h5", data))
    ax = plot_lfp_csd(report, cutoff_hz=100.0)
    field, dt_out = lfp(data, DT_MS, cutoff_hz=100.0)
    assert dt_out == pytest.approx(2.5)
    mesh = ax.collections[0]
    image = np.asarray(mesh.get_array()).reshape(DEPTHS.size - 2, field.shape[0])
    np.testing.assert_allclose(image, np.repeat(-0.3 * 2e-6 * 1e6 * field[None, :, 1] / 1e-6 / 100.0 ** 2, 8, axis=0),
                               rtol=1e-9, atol=1e-12)
    assert mesh.get_clim()[0] == pytest.approx(-mesh.get_clim()[1])
    assert ax.figure.axes[1].get_ylabel() == "CSD (µA/mm³)"
    assert ax.get_ylim() == (950.0, -50.0)                 # depth grows downwards
    assert len(ax.lines) == DEPTHS.size
    plt.close(ax.figure)
    three = read_ecp(write_report(tmp_path / "three.h5", data[:, :3], positions=np.c_[np.zeros(3), DEPTHS[:3],
                                                                                       np.zeros(3)]))
    ax = plot_lfp_csd(three, cutoff_hz=100.0)
    assert ax.get_ylim() == (250.0, -50.0)                 # spacing from the channels, even with one CSD row
    plt.close(ax.figure)
    bmtk = read_ecp(write_report(tmp_path / "x.h5", data))
    bmtk.positions_um = None
    with pytest.raises(SimlibError, match="no electrode positions; give the electrode CSV"):
        plot_lfp_csd(bmtk)


def test_plot_spectrum_limits_frequencies(tmp_path):
    import matplotlib.pyplot as plt

    path = write_report(tmp_path / "ecp.h5", np.outer(sines([80.0], [0.5], n=4000), np.ones(DEPTHS.size)))
    ax = plot_spectrum(path, fmax_hz=200.0, nperseg=1000)
    assert len(ax.lines) == DEPTHS.size
    x = ax.lines[0].get_xdata()
    assert x[0] == pytest.approx(10.0) and x[-1] == pytest.approx(200.0)
    assert x[np.argmax(ax.lines[4].get_ydata())] == pytest.approx(80.0)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    with pytest.raises(SimlibError, match=r"no frequency bin in \(0, 1.0\] Hz"):
        plot_spectrum(path, fmax_hz=1.0, ax=ax)
    plt.close(ax.figure)


def test_population_plot_needs_shares_and_spaces_by_the_largest(tmp_path):
    import matplotlib.pyplot as plt

    data = np.outer(sines([20.0], [1.0], n=500), np.ones(DEPTHS.size))
    ax = plot_ecp_populations(read_ecp(write_report(tmp_path / "ecp.h5", data, {"e": 3 * data, "i": -2 * data})))
    assert "6 mV apart" in ax.get_ylabel()                 # the shares (3 mV) exceed the total (1 mV)
    np.testing.assert_allclose(ax.lines[DEPTHS.size + 1].get_ydata(), 3 * data[:, 1] - 6.0, atol=1e-12)
    plt.close(ax.figure)
    bare = write_report(tmp_path / "bare.h5", data)
    with pytest.raises(SimlibError, match=f"{bare}: plot_ecp_populations: the report has no population shares"):
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
    bare = write_report(tmp_path / "bare.h5", np.zeros((10, DEPTHS.size)))
    for bad, kind, expected in ((text, "ecp", "not a readable HDF5 file"), (empty, "ecp", "/ecp/data missing"),
                                (bare, "populations", "no population shares")):
        proc = cli(bad, "-o", tmp_path / "fig.png", "--kind", kind)
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
