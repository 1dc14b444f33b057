"""Extracellular potentials from an ECP report: traces by depth, LFP, current source density, spectra.

Every function works on the report file alone (a path or a :class:`simlib.sonata.ecp.EcpReport`).
Units: potentials in mV, times in ms, positions in µm, frequencies in Hz, CSD in µA/mm³ and power
spectral density in mV²/Hz. Depth is the coordinate along the electrode's axis (the axis along
which the channels spread most; y on the tutorial's linear probe); figures draw it increasing
downwards, as cortical depth.
"""

from __future__ import annotations

import numpy as np

from simlib.errors import SimlibError

CSD_UNITS = "µA/mm³"
# σ·φ/h² in S/m · mV/µm² = 1e-3 V·S/m / 1e-12 m² = 1e9 A/m³, and 1 A/m³ = 1e-3 µA/mm³
_CSD_SCALE = 1e6


def _load(report, electrodes=None):
    """The report and the prefix its errors start with ('<file>: ', or nothing for one passed in memory)."""
    from simlib.sonata.ecp import EcpReport, read_ecp

    if isinstance(report, EcpReport):
        return report, ""
    return read_ecp(report, electrodes), f"{report}: "


def _depth(report) -> tuple[np.ndarray, str]:
    """Channel depth (µm) along the electrode's main axis and the axis label (channel order without positions)."""
    if report.positions_um is None:
        return np.arange(report.channel_ids.size, dtype=float), "channel"
    axis = int(np.argmax(np.ptp(report.positions_um, axis=0)))
    return report.positions_um[:, axis], f"{'xyz'[axis]} (µm)"


def _columns(report, channels, who: str, source: str) -> np.ndarray:
    """Column indices of `channels` (channel ids, in the order given); every column when None."""
    if channels is None:
        return np.arange(report.channel_ids.size)
    index = {int(c): i for i, c in enumerate(report.channel_ids)}
    wanted = np.atleast_1d(np.asarray(channels)).ravel()
    if wanted.size == 0:
        raise SimlibError(f"{source}{who}: no channels selected; its channels: {report.channel_ids.tolist()}")
    unknown = [int(c) for c in wanted if int(c) not in index]
    if unknown:
        raise SimlibError(f"{source}{who}: channel(s) {unknown} not in the report; its channels: "
                          f"{report.channel_ids.tolist()}")
    return np.array([index[int(c)] for c in wanted])


def _check_dt(dt_ms: float, who: str) -> float:
    if not (np.isfinite(dt_ms) and dt_ms > 0):
        raise SimlibError(f"{who}: dt_ms must be a positive number, got {dt_ms!r}")
    return float(dt_ms)


def lfp(data_mv: np.ndarray, dt_ms: float, cutoff_hz: float = 300.0, order: int = 4,
        downsample_to_hz: float | None = None) -> tuple[np.ndarray, float]:
    """Local field potential: zero-phase Butterworth low-pass along time, then integer downsampling.

    Parameters
    ----------
    data_mv : (n_steps,) or (n_steps, n_channels) potentials in mV.
    dt_ms : their sampling interval in ms.
    cutoff_hz : low-pass cut-off in Hz, in (0, Nyquist).
    order : Butterworth order; the forward-backward pass (``sosfiltfilt``) squares the gain and
        cancels the phase.
    downsample_to_hz : target sampling rate in Hz; default 4 × cutoff. Samples are kept every
        ``factor = max(1, floor(fs / target))`` steps, so the data are never upsampled. The target
        must be at least 2 × cutoff, so the kept band stays below the new Nyquist frequency.

    Returns
    -------
    (lfp_mv, dt_out_ms) : the filtered potentials (same number of dimensions as `data_mv`, rows
        0, factor, 2·factor, ...) and their sampling interval ``dt_ms · factor``.

    Raises
    ------
    SimlibError
        A cut-off outside (0, Nyquist), a non-positive dt or order, a target rate below
        2 × cutoff, or fewer than 2 samples. Signals shorter than the filter's default padding
        (15 samples at order 4) are padded with fewer samples instead, so their edges are rougher.
    """
    from scipy.signal import butter, sosfiltfilt

    dt_ms = _check_dt(dt_ms, "lfp")
    data = np.asarray(data_mv, dtype=float)
    if data.ndim not in (1, 2) or data.shape[0] < 2:
        raise SimlibError(f"lfp: needs (n_steps >= 2[, n_channels]) potentials, got shape {data.shape}")
    fs_hz = 1000.0 / dt_ms
    if not 0 < cutoff_hz < fs_hz / 2:
        raise SimlibError(f"lfp: cutoff_hz must be between 0 and the Nyquist frequency {fs_hz / 2:g} Hz "
                          f"(dt = {dt_ms:g} ms), got {cutoff_hz!r}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise SimlibError(f"lfp: order must be a positive integer, got {order!r}")
    target_hz = 4.0 * cutoff_hz if downsample_to_hz is None else float(downsample_to_hz)
    if not target_hz >= 2.0 * cutoff_hz:
        raise SimlibError(f"lfp: downsample_to_hz must be at least 2 × cutoff_hz = {2 * cutoff_hz:g} Hz "
                          f"(else the pass band aliases), got {downsample_to_hz!r}")
    sos = butter(int(order), cutoff_hz, btype="low", fs=fs_hz, output="sos")
    padlen = min(3 * (2 * len(sos) + 1), data.shape[0] - 1)   # scipy's default, shortened for short signals
    filtered = sosfiltfilt(sos, data, axis=0, padlen=padlen)
    factor = max(1, int(np.floor(fs_hz / target_hz)))
    return filtered[::factor], dt_ms * factor


def csd(lfp_mv: np.ndarray, positions_um=None, spacing_um: float | None = None,
        conductivity_s_per_m: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Current source density by the second spatial difference over channels ordered by depth.

    ``CSD_k = -σ (φ_{k+1} - 2 φ_k + φ_{k-1}) / h²`` for the interior channels; positive values are
    sources (current leaving the cells), negative values sinks. With φ in mV, h in µm and σ in S/m,
    σφ/h² is in 1e9 A/m³ = 1e6 µA/mm³; the result is given in µA/mm³.

    Parameters
    ----------
    lfp_mv : (n_steps, n_channels >= 3) potentials in mV.
    positions_um : (n_channels, 3) channel positions in µm. Channels are sorted along the axis of
        the largest spread of positions, which must be evenly spaced. Takes precedence over
        `spacing_um`.
    spacing_um : distance between neighbouring channels in µm, for columns already in depth order
        (depths are then 0, h, 2h, ...).
    conductivity_s_per_m : extracellular conductivity σ in S/m (homogeneous, isotropic).

    Returns
    -------
    (csd, depths_um) : (n_steps, n_channels - 2) CSD in µA/mm³, columns in increasing depth, and
        the interior channels' depths in µm.

    Raises
    ------
    SimlibError
        Fewer than 3 channels, positions that do not match the channels, no spacing, unevenly
        spaced or coincident channels, or a non-positive conductivity.
    """
    phi = np.asarray(lfp_mv, dtype=float)
    if phi.ndim != 2 or phi.shape[1] < 3:
        raise SimlibError(f"csd: needs (n_steps, n_channels >= 3) potentials, got shape {phi.shape}")
    if not (np.isfinite(conductivity_s_per_m) and conductivity_s_per_m > 0):
        raise SimlibError(f"csd: conductivity_s_per_m must be positive, got {conductivity_s_per_m!r}")
    if positions_um is not None:
        pos = np.asarray(positions_um, dtype=float)
        if pos.shape != (phi.shape[1], 3):
            raise SimlibError(f"csd: positions_um must be (n_channels, 3) = ({phi.shape[1]}, 3), got {pos.shape}")
        axis = int(np.argmax(np.ptp(pos, axis=0)))
        order = np.argsort(pos[:, axis], kind="stable")
        depth = pos[order, axis]
        phi = phi[:, order]
        steps = np.diff(depth)
        if not steps[0] > 0 or not np.allclose(steps, steps[0], rtol=1e-6, atol=0.0):
            raise SimlibError(f"csd: channels must be evenly spaced along the electrode ({'xyz'[axis]}); "
                              f"spacings (µm): {np.round(steps, 3).tolist()}")
        h = float(steps[0])
    elif spacing_um is not None and np.isfinite(spacing_um) and spacing_um > 0:
        h = float(spacing_um)
        depth = np.arange(phi.shape[1]) * h
    else:
        raise SimlibError(f"csd: give the channel positions (positions_um) or a positive spacing_um, "
                          f"got spacing_um={spacing_um!r}")
    second = phi[:, 2:] - 2 * phi[:, 1:-1] + phi[:, :-2]
    return -conductivity_s_per_m * second / h ** 2 * _CSD_SCALE, depth[1:-1]


def power_spectrum(data_mv: np.ndarray, dt_ms: float, nperseg: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density of each channel (Hann windows, half overlap, mean removed).

    Parameters
    ----------
    data_mv : (n_steps,) or (n_steps, n_channels) potentials in mV.
    dt_ms : sampling interval in ms.
    nperseg : samples per segment; default ``min(n_steps, 1024)`` (frequency resolution
        ``1000 / (nperseg · dt_ms)`` Hz).

    Returns
    -------
    (freqs_hz, psd) : frequencies in Hz (0 to Nyquist) and the one-sided PSD, (n_freqs, n_channels)
        in mV²/Hz.

    Raises
    ------
    SimlibError
        Fewer than 2 samples, a non-positive dt, or nperseg < 2.
    """
    from scipy.signal import welch

    dt_ms = _check_dt(dt_ms, "power_spectrum")
    data = np.asarray(data_mv, dtype=float)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[0] < 2:
        raise SimlibError(f"power_spectrum: needs (n_steps >= 2[, n_channels]) potentials, got shape {data.shape}")
    if nperseg is not None and not nperseg >= 2:
        raise SimlibError(f"power_spectrum: nperseg must be at least 2, got {nperseg!r}")
    n = data.shape[0]
    nperseg = min(n, int(nperseg) if nperseg is not None else 1024)
    return welch(data, fs=1000.0 / dt_ms, nperseg=nperseg, axis=0)


def _stack(ax, times_ms, data, depth, labels, spacing, color="k", label=None, lw=0.8):
    """Draw the columns of `data` stacked by depth (shallowest at the top), channel labels on the y ticks."""
    order = np.argsort(depth, kind="stable")
    offsets = -np.arange(order.size) * spacing
    for k, ch in enumerate(order):
        ax.plot(times_ms, data[:, ch] + offsets[k], color=color, lw=lw, label=label if k == 0 else None)
    ax.set_yticks(offsets)
    ax.set_yticklabels([labels[ch] for ch in order])


def _spacing(*arrays) -> float:
    """Default offset between stacked traces: twice the largest |value|, so no two traces overlap."""
    peak = max((float(np.abs(a).max()) for a in arrays if a.size), default=0.0)
    return 2.0 * peak if peak > 0 else 1.0


def plot_ecp(report, *, channels=None, ax=None, spacing: float | None = None, title: str | None = None,
             time_range_ms=None, population: str | None = None, electrodes=None):
    """One trace per channel, stacked by depth (shallowest at the top), channel ids on the y ticks.

    Parameters
    ----------
    report : an ECP report file or :class:`~simlib.sonata.ecp.EcpReport`.
    channels : channel ids to draw; default all.
    ax : Axes to draw on (a new figure when None).
    spacing : vertical offset between neighbouring traces in mV; default twice the largest |ECP|
        drawn. The y label states it. Traces are drawn unaltered (no mean removed).
    title : Axes title; default "ECP" (and the population).
    time_range_ms : ``(start_ms, stop_ms)`` window; default the whole report.
    population : draw this population's share (``/ecp/populations/<name>``) instead of the total.
    electrodes : electrode CSV giving positions (hence the depth order) for files without them;
        without positions, traces are stacked in channel order.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    SimlibError
        Unknown channels or population, a non-positive spacing, or an empty time window.
    """
    import matplotlib.pyplot as plt

    rep, source = _load(report, electrodes)
    data = rep.data_mv
    if population is not None:
        if population not in rep.populations:
            raise SimlibError(f"{source}plot_ecp: population '{population}' has no share in the report; it has "
                              f"{sorted(rep.populations) or 'none (written without by_population)'}")
        data = rep.populations[population]
    cols = _columns(rep, channels, "plot_ecp", source)
    times = rep.times_ms
    rows = np.arange(times.size)
    if time_range_ms is not None:
        t0, t1 = time_range_ms
        rows = np.flatnonzero((times >= t0) & (times <= t1))
        if rows.size == 0:
            raise SimlibError(f"{source}plot_ecp: no samples in time_range_ms={tuple(time_range_ms)}; the report "
                              f"covers {times[0]:g}-{times[-1]:g} ms")
    values = data[np.ix_(rows, cols)]
    if spacing is None:
        spacing = _spacing(values)
    elif not spacing > 0:
        raise SimlibError(f"plot_ecp: spacing must be a positive number of mV, got {spacing!r}")
    depth, _ = _depth(rep)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    _stack(ax, times[rows], values, depth[cols], [str(c) for c in rep.channel_ids[cols]], spacing)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"channel (traces {spacing:.3g} mV apart)")
    ax.set_title(title if title is not None else ("ECP" + (f", {population}" if population else "")))
    return ax


def plot_lfp_csd(report, *, cutoff_hz: float = 300.0, ax=None, conductivity_s_per_m: float = 0.3,
                 title: str | None = None, electrodes=None, cmap: str = "RdBu_r"):
    """CSD as a depth × time colour map with the LFP of every channel drawn over it.

    The LFP is :func:`lfp` (low-pass `cutoff_hz`, downsampled to ~4 × cutoff) and the CSD is
    :func:`csd` of it. Depth (the electrode's axis coordinate, in µm) increases downwards. The
    colour scale is symmetric about 0 (sources red, sinks blue with the default map); each LFP trace
    is centred on its channel's depth, positive up, scaled so the largest |LFP| spans 0.45 of the
    channel spacing (the title gives that scale in mV).

    Parameters
    ----------
    report : an ECP report file or :class:`~simlib.sonata.ecp.EcpReport`, with electrode positions.
    cutoff_hz : LFP low-pass cut-off in Hz.
    ax : Axes to draw on (a new figure when None); a colorbar is added next to it.
    conductivity_s_per_m : extracellular conductivity σ in S/m.
    title : Axes title; default names the cut-off and the trace scale.
    electrodes : electrode CSV, for files without positions (BMTK's).
    cmap : a diverging colormap.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    SimlibError
        No electrode positions, fewer than 3 or unevenly spaced channels, or a bad cut-off.
    """
    import matplotlib.pyplot as plt

    rep, source = _load(report, electrodes)
    if rep.positions_um is None:
        raise SimlibError(f"{source}plot_lfp_csd: the report has no electrode positions; give the electrode "
                          f"CSV (electrodes=, or --electrodes)")
    try:
        field, dt_out = lfp(rep.data_mv, rep.dt_ms, cutoff_hz)
        density, depths = csd(field, rep.positions_um, conductivity_s_per_m=conductivity_s_per_m)
    except SimlibError as exc:
        raise SimlibError(f"{source}plot_lfp_csd: {exc}") from None
    times = rep.tstart_ms + np.arange(field.shape[0]) * dt_out
    axis_depth, axis_name = _depth(rep)
    h = float(np.diff(np.sort(axis_depth))[0])
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    limit = float(np.abs(density).max()) or 1.0
    image = ax.pcolormesh(times, depths, density.T, cmap=cmap, vmin=-limit, vmax=limit, shading="nearest")
    ax.figure.colorbar(image, ax=ax, label=f"CSD ({CSD_UNITS})")
    peak = float(np.abs(field).max()) or 1.0
    # y grows downwards (inverted axis), so subtracting draws positive potentials upwards
    ax.plot(times, axis_depth[None, :] - field / peak * 0.45 * h, color="k", lw=0.7)
    ax.set_ylim(axis_depth.max() + h / 2, axis_depth.min() - h / 2)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"depth, {axis_name}")
    ax.set_title(title if title is not None else f"CSD and LFP (< {cutoff_hz:g} Hz; trace scale {peak:.3g} mV)")
    return ax


def plot_spectrum(report, *, channels=None, ax=None, fmax_hz: float | None = None, title: str | None = None,
                  electrodes=None, nperseg: int | None = None):
    """Welch power spectral density of each channel on log-log axes, one labelled line per channel.

    Parameters
    ----------
    report : an ECP report file or :class:`~simlib.sonata.ecp.EcpReport`.
    channels : channel ids to draw; default all.
    ax : Axes to draw on (a new figure when None).
    fmax_hz : highest frequency drawn in Hz; default Nyquist. The 0 Hz bin is never drawn.
    title : Axes title.
    electrodes : accepted for symmetry with the other plots (positions are not used).
    nperseg : Welch segment length in samples (see :func:`power_spectrum`).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    SimlibError
        Unknown channels, or no frequency bin in (0, fmax_hz].
    """
    import matplotlib.pyplot as plt

    rep, source = _load(report, electrodes)
    cols = _columns(rep, channels, "plot_spectrum", source)
    freqs, psd = power_spectrum(rep.data_mv[:, cols], rep.dt_ms, nperseg)
    keep = freqs > 0
    if fmax_hz is not None:
        keep &= freqs <= fmax_hz
    if not keep.any():
        raise SimlibError(f"{source}plot_spectrum: no frequency bin in (0, {fmax_hz!r}] Hz; the resolution is "
                          f"{freqs[1] if freqs.size > 1 else float('nan'):g} Hz")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    for k, col in enumerate(cols):
        ax.loglog(freqs[keep], psd[keep, k], lw=0.9, label=f"channel {int(rep.channel_ids[col])}")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power (mV²/Hz)")
    ax.legend(fontsize="x-small", ncol=2)
    ax.set_title(title if title is not None else "ECP power spectrum (Welch)")
    return ax


def plot_ecp_populations(report, *, ax=None, title: str | None = None, electrodes=None):
    """Each population's share of the ECP stacked by depth, one colour per population, over the total.

    Chosen over a peak-to-peak laminar profile because it keeps the time course: one sees which
    population makes which deflection, and the coloured shares add up to the thick grey total on
    each channel. All traces of a channel share one offset (twice the largest |value| of the total
    and the shares apart), channel ids on the y ticks, shallowest at the top.

    Parameters
    ----------
    report : an ECP report written with population shares (``by_population``), as a file or
        :class:`~simlib.sonata.ecp.EcpReport`.
    ax : Axes to draw on (a new figure when None).
    title : Axes title.
    electrodes : electrode CSV giving the depth order for files without positions.

    Returns
    -------
    matplotlib.axes.Axes : lines are the total per channel, then each population's (sorted by name).

    Raises
    ------
    SimlibError
        The report has no population shares.
    """
    import matplotlib.pyplot as plt

    rep, source = _load(report, electrodes)
    if not rep.populations:
        raise SimlibError(f"{source}plot_ecp_populations: the report has no population shares "
                          f"(/ecp/populations/<name>/data); write it with by_population: true")
    depth, _ = _depth(rep)
    spacing = _spacing(rep.data_mv, *rep.populations.values())
    labels = [str(c) for c in rep.channel_ids]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    _stack(ax, rep.times_ms, rep.data_mv, depth, labels, spacing, color="0.75", label="total", lw=1.6)
    for k, (name, share) in enumerate(sorted(rep.populations.items())):
        _stack(ax, rep.times_ms, share, depth, labels, spacing, color=f"C{k % 10}", label=name)
    ax.legend(fontsize="small", loc="upper right")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"channel (traces {spacing:.3g} mV apart)")
    ax.set_title(title if title is not None else "ECP by population")
    return ax
