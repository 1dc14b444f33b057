"""Extracellular potentials from an ECP report: traces by depth, LFP, current source density, spectra.

Every function works on the report file alone (a path or a :class:`simlib.sonata.ecp.EcpReport`).
Units: potentials in mV, times in ms, positions in µm, CSD in µA/mm³ (σ·mV/µm² = 1e6 µA/mm³ with σ
in S/m), power spectral density in mV²/Hz. Depth is the coordinate along the electrode's axis (the
axis along which the channels spread most); figures draw it increasing downwards, as cortical depth.
"""

from __future__ import annotations

import numpy as np

from simlib.errors import SimlibError

CSD_UNITS = "µA/mm³"
_CSD_SCALE = 1e6   # S/m · mV/µm² -> µA/mm³


def _load(report, electrodes=None):
    from simlib.sonata.ecp import EcpReport, read_ecp

    return report if isinstance(report, EcpReport) else read_ecp(report, electrodes)


def _depth(report, where: str = "report") -> tuple[np.ndarray, str]:
    """Channel depth (µm) along the electrode's main axis, and the axis name."""
    if report.positions_um is None:
        return np.arange(report.channel_ids.size, dtype=float), "channel"
    spread = np.ptp(report.positions_um, axis=0)
    axis = int(np.argmax(spread))
    return report.positions_um[:, axis], f"{'xyz'[axis]} (µm)"


def lfp(data_mv: np.ndarray, dt_ms: float, cutoff_hz: float = 300.0, order: int = 4,
        downsample_to_hz: float | None = None) -> tuple[np.ndarray, float]:
    """Local field potential: zero-phase Butterworth low-pass along time, then integer downsampling.

    Parameters
    ----------
    data_mv : (n_steps, n_channels) potentials.
    dt_ms : their sampling interval.
    cutoff_hz : low-pass cut-off, below the Nyquist frequency.
    order : filter order (the forward-backward pass doubles it).
    downsample_to_hz : target sampling rate; default 4 × cutoff. The factor is
        ``max(1, floor(fs / target))``, so the data are never upsampled.

    Returns
    -------
    (lfp_mv, dt_out_ms)

    Raises
    ------
    SimlibError
        A cut-off outside (0, Nyquist), or fewer samples than the filter needs.
    """
    from scipy.signal import butter, sosfiltfilt

    data = np.asarray(data_mv, dtype=float)
    if data.ndim == 1:
        data = data[:, None]
    fs_hz = 1000.0 / dt_ms
    if not 0 < cutoff_hz < fs_hz / 2:
        raise SimlibError(f"lfp: cutoff_hz must be between 0 and the Nyquist frequency {fs_hz / 2:g} Hz "
                          f"(dt = {dt_ms:g} ms), got {cutoff_hz!r}")
    sos = butter(order, cutoff_hz, btype="low", fs=fs_hz, output="sos")
    padlen = min(3 * (2 * len(sos) + 1), data.shape[0] - 1)
    if data.shape[0] < 2:
        raise SimlibError(f"lfp: {data.shape[0]} sample(s); the filter needs at least 2")
    filtered = sosfiltfilt(sos, data, axis=0, padlen=padlen)
    target = 4.0 * cutoff_hz if downsample_to_hz is None else float(downsample_to_hz)
    if not target > 0:
        raise SimlibError(f"lfp: downsample_to_hz must be > 0, got {downsample_to_hz!r}")
    factor = max(1, int(np.floor(fs_hz / target)))
    return filtered[::factor], dt_ms * factor


def csd(lfp_mv: np.ndarray, positions_um=None, spacing_um: float | None = None,
        conductivity_s_per_m: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Current source density by the second spatial difference over channels ordered by depth.

    ``CSD_k = -σ (φ_{k+1} - 2 φ_k + φ_{k-1}) / h²`` for the interior channels (positive = source).

    Parameters
    ----------
    lfp_mv : (n_steps, n_channels) potentials.
    positions_um : (n_channels, 3) channel positions; channels are sorted by depth along the axis
        of largest spread. Or give ``spacing_um`` for channels already in depth order.
    conductivity_s_per_m : extracellular conductivity σ.

    Returns
    -------
    (csd, depths_um): (n_steps, n_channels - 2) in µA/mm³ and the interior channels' depths.

    Raises
    ------
    SimlibError
        Fewer than 3 channels, no spacing, or unevenly spaced channels.
    """
    phi = np.asarray(lfp_mv, dtype=float)
    if phi.ndim != 2 or phi.shape[1] < 3:
        raise SimlibError(f"csd: needs (n_steps, n_channels >= 3) potentials, got shape {phi.shape}")
    if positions_um is not None:
        pos = np.asarray(positions_um, dtype=float).reshape(-1, 3)
        axis = int(np.argmax(np.ptp(pos, axis=0)))
        order = np.argsort(pos[:, axis], kind="stable")
        depth = pos[order, axis]
        phi = phi[:, order]
        steps = np.diff(depth)
        if steps.size == 0 or not steps[0] > 0 or not np.allclose(steps, steps[0], rtol=1e-6):
            raise SimlibError(f"csd: channels must be evenly spaced along the electrode; spacings (µm): "
                              f"{np.round(steps, 3).tolist()}")
        h = float(steps[0])
    elif spacing_um is not None and spacing_um > 0:
        h = float(spacing_um)
        depth = np.arange(phi.shape[1]) * h
    else:
        raise SimlibError("csd: give the channel positions (positions_um) or a positive spacing_um")
    second = phi[:, 2:] - 2 * phi[:, 1:-1] + phi[:, :-2]
    return -conductivity_s_per_m * second / h ** 2 * _CSD_SCALE, depth[1:-1]


def power_spectrum(data_mv: np.ndarray, dt_ms: float, nperseg: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density per channel: (freqs_hz, psd (n_freqs, n_channels) in mV²/Hz)."""
    from scipy.signal import welch

    data = np.asarray(data_mv, dtype=float)
    if data.ndim == 1:
        data = data[:, None]
    n = data.shape[0]
    if n < 2:
        raise SimlibError(f"power_spectrum: {n} sample(s); need at least 2")
    nperseg = min(n, nperseg or min(n, 1024))
    freqs, psd = welch(data, fs=1000.0 / dt_ms, nperseg=nperseg, axis=0)
    return freqs, psd


def _stack(ax, times_ms, data, depth, labels, color=None, spacing=None, label=None, lw=0.8):
    """Traces stacked by depth (deepest at the bottom); returns the offset per channel."""
    order = np.argsort(depth, kind="stable")
    peak = np.abs(data).max() if data.size else 0.0
    spacing = spacing if spacing is not None else (2.0 * peak if peak > 0 else 1.0)
    offsets = -np.arange(order.size) * spacing
    for k, ch in enumerate(order):
        ax.plot(times_ms, data[:, ch] + offsets[k], color=color or "k", lw=lw, label=label if k == 0 else None)
    ax.set_yticks(offsets)
    ax.set_yticklabels([labels[ch] for ch in order])
    return spacing


def plot_ecp(report, *, channels=None, ax=None, spacing: float | None = None, title: str | None = None,
             time_range_ms=None, population: str | None = None, electrodes=None):
    """One trace per channel, stacked by depth (channel ids on the y axis), time in ms.

    ``population`` draws that population's share instead of the total; ``spacing`` is the vertical
    offset between traces in mV (default twice the largest |ECP|), shown in the y label.
    """
    import matplotlib.pyplot as plt

    rep = _load(report, electrodes)
    data = rep.data_mv
    if population is not None:
        if population not in rep.populations:
            raise SimlibError(f"plot_ecp: population '{population}' has no share in the report; it has "
                              f"{sorted(rep.populations) or 'none (written without by_population)'}")
        data = rep.populations[population]
    times = rep.times_ms
    cols = np.arange(rep.channel_ids.size)
    if channels is not None:
        index = {int(c): i for i, c in enumerate(rep.channel_ids)}
        unknown = [c for c in channels if int(c) not in index]
        if unknown:
            raise SimlibError(f"plot_ecp: channel(s) {unknown} not in the report ({rep.channel_ids.tolist()})")
        cols = np.array([index[int(c)] for c in channels])
    sel = slice(None)
    if time_range_ms is not None:
        sel = (times >= time_range_ms[0]) & (times <= time_range_ms[1])
    depth, _ = _depth(rep)
    ax = ax or plt.gca()
    step = _stack(ax, times[sel], data[sel][:, cols], depth[cols], [str(c) for c in rep.channel_ids[cols]],
                  spacing=spacing)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"channel (traces {step:.3g} mV apart)")
    ax.set_title(title if title is not None else ("ECP" + (f", {population}" if population else "")))
    return ax


def plot_lfp_csd(report, *, cutoff_hz: float = 300.0, ax=None, conductivity_s_per_m: float = 0.3,
                 title: str | None = None, electrodes=None, cmap: str = "RdBu_r"):
    """CSD as a depth × time colour map (sinks blue, sources red), the LFP traces drawn over it."""
    import matplotlib.pyplot as plt

    rep = _load(report, electrodes)
    if rep.positions_um is None:
        raise SimlibError("plot_lfp_csd: the report has no electrode positions; pass electrodes= (the CSV)")
    field, dt = lfp(rep.data_mv, rep.dt_ms, cutoff_hz)
    times = rep.tstart_ms + np.arange(field.shape[0]) * dt
    density, depths = csd(field, rep.positions_um, conductivity_s_per_m=conductivity_s_per_m)
    ax = ax or plt.gca()
    limit = float(np.abs(density).max()) or 1.0
    h = depths[1] - depths[0] if depths.size > 1 else 1.0
    image = ax.pcolormesh(times, depths, density.T, cmap=cmap, vmin=-limit, vmax=limit, shading="nearest")
    ax.figure.colorbar(image, ax=ax, label=f"CSD ({CSD_UNITS})")
    axis_depth, axis_name = _depth(rep)
    peak = float(np.abs(field).max()) or 1.0
    for ch in range(field.shape[1]):
        ax.plot(times, axis_depth[ch] - field[:, ch] / peak * 0.45 * h, color="k", lw=0.7)
    ax.set_ylim(axis_depth.max() + h / 2, axis_depth.min() - h / 2)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"depth, {axis_name}")
    ax.set_title(title if title is not None else f"CSD and LFP (< {cutoff_hz:g} Hz; trace scale {peak:.3g} mV)")
    return ax


def plot_spectrum(report, *, channels=None, ax=None, fmax_hz: float | None = None, title: str | None = None,
                  electrodes=None):
    """Welch power spectral density of each channel, log-log, one line per channel."""
    import matplotlib.pyplot as plt

    rep = _load(report, electrodes)
    freqs, psd = power_spectrum(rep.data_mv, rep.dt_ms)
    ax = ax or plt.gca()
    keep = freqs > 0
    if fmax_hz is not None:
        keep &= freqs <= fmax_hz
    ids = rep.channel_ids if channels is None else np.asarray(channels)
    index = {int(c): i for i, c in enumerate(rep.channel_ids)}
    for c in ids:
        if int(c) not in index:
            raise SimlibError(f"plot_spectrum: channel {c} not in the report ({rep.channel_ids.tolist()})")
        ax.loglog(freqs[keep], psd[keep, index[int(c)]], lw=0.9, label=f"channel {int(c)}")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power (mV²/Hz)")
    ax.legend(fontsize="x-small", ncol=2)
    ax.set_title(title if title is not None else "ECP power spectrum (Welch)")
    return ax


def plot_ecp_populations(report, *, ax=None, title: str | None = None, electrodes=None):
    """Each population's share of the ECP, stacked by depth in one colour per population, over the total (grey)."""
    import matplotlib.pyplot as plt

    rep = _load(report, electrodes)
    if not rep.populations:
        raise SimlibError("plot_ecp_populations: the report has no population shares; write it with "
                          "by_population: true")
    depth, _ = _depth(rep)
    spacing = 2.0 * (np.abs(rep.data_mv).max() or 1.0)
    ax = ax or plt.gca()
    labels = [str(c) for c in rep.channel_ids]
    _stack(ax, rep.times_ms, rep.data_mv, depth, labels, color="0.75", spacing=spacing, label="total", lw=1.6)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (name, share) in enumerate(sorted(rep.populations.items())):
        _stack(ax, rep.times_ms, share, depth, labels, color=colors[k % len(colors)], spacing=spacing, label=name)
    ax.legend(fontsize="small", loc="upper right")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"channel (traces {spacing:.3g} mV apart)")
    ax.set_title(title if title is not None else "ECP by population")
    return ax
