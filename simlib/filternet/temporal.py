"""Temporal filters of LGN units: BMTK's two-bump cosine kernel, and its resampling to a movie's frame rate."""

from __future__ import annotations

import numpy as np

from simlib.errors import ConfigError

KERNEL_DT_MS = 1.0
"""Sample spacing of the kernels built by :func:`temporal_kernel` (ms)."""

# BMTK's constants (lgnmodel/fitfuns.py::makeBasis_StimKernel), fixed there as here:
_OFFSET = 0.3                 # b: shift inside the log time axis
_N_SAMPLES = 600              # nkt: samples kept of the basis before delays are added
_LOG_RANGE = (100.0, 200.0)   # "ylim", hard-coded in BMTK: sets the bump width, whatever the peaks
_EPS = 1e-20                  # BMTK's log(x + eps) / exp(x) - eps, kept so kernels are bit-identical
_KERNELS_PER_BATCH = 1024


def _as_pair(values, name: str, where: str) -> np.ndarray:
    try:
        pair = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}{name}: expected two numbers, got {values!r}") from None
    if pair.size != 2 or not np.all(np.isfinite(pair)):
        raise ConfigError(f"{where}{name}: expected two finite numbers, got {values!r}")
    return pair


def check_temporal_params(weights, kpeaks, delays, where: str = "") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate the (weights, kpeaks, delays) of a cosine-bump kernel as BMTK does, reporting all problems.

    Parameters
    ----------
    weights, kpeaks, delays : array_like of 2 floats
        Bump amplitudes, bump peak positions (ms, on BMTK's log axis) and bump delays (ms).
    where : str
        Prefix naming the node or file in error messages.

    Returns
    -------
    (weights, kpeaks, delays) as float64 arrays of length 2.

    Raises
    ------
    ConfigError
        If a value is not a pair of finite numbers, or unless ``kpeaks[0] < kpeaks[1]``,
        ``weights[0] > 0``, ``0 <= delays[0] <= delays[1]`` and ``kpeaks > 0``.
    """
    weights = _as_pair(weights, "weights", where)
    kpeaks = _as_pair(kpeaks, "kpeaks", where)
    delays = _as_pair(delays, "delays", where)
    problems = []
    if not kpeaks[0] < kpeaks[1]:
        problems.append(f"kpeaks={kpeaks.tolist()}: expected kpeaks[0] < kpeaks[1]")
    if not np.all(kpeaks > 0):
        problems.append(f"kpeaks={kpeaks.tolist()}: expected peaks > 0 ms")
    if not weights[0] > 0:
        problems.append(f"weights={weights.tolist()}: expected weights[0] > 0")
    if not delays[0] <= delays[1]:
        problems.append(f"delays={delays.tolist()}: expected delays[0] <= delays[1]")
    if not delays[0] >= 0:
        problems.append(f"delays={delays.tolist()}: expected delays >= 0 ms")
    if problems:
        raise ConfigError(f"{where}invalid temporal filter: " + "; ".join(problems))
    return weights, kpeaks, delays


def _unit_columns(basis: np.ndarray) -> np.ndarray:
    """Scale columns to unit L2 norm, summing down axis 0 (time) row by row, as BMTK's ``sum(A**2, 0)``."""
    return basis / np.sqrt(np.sum(basis ** 2, axis=0))


def temporal_kernel(weights, kpeaks, delays) -> np.ndarray:
    """The temporal kernel of an LGN unit, exactly as BMTK's ``TemporalFilterCosineBump`` builds it.

    Two raised-cosine bumps on a log time axis, each scaled to unit L2 norm, delayed by
    ``int(delays[k])`` ms, renormalised, then summed with `weights`. The formula (BMTK's,
    including its hard-coded log range [100, 200] that fixes the bump width, see BMTK issue
    #334) is in ``shared/reference/bmtk-inventory.md`` section 4.1.

    Parameters
    ----------
    weights : (float, float)
        Amplitudes of the fast (positive) and slow bump.
    kpeaks : (float, float)
        Peak positions (ms) of the two bumps, fast one first.
    delays : (float, float)
        Delays (ms) of the bumps; truncated to whole ms as in BMTK.

    Returns
    -------
    numpy.ndarray
        ``600 + int(delays[0])`` samples spaced :data:`KERNEL_DT_MS` = 1 ms. **Index 0 is
        t = 0 (lag 0, the current frame)**; index j weights the frame shown j ms earlier.

    Raises
    ------
    ConfigError
        Unless ``kpeaks[0] < kpeaks[1]``, ``weights[0] > 0`` and ``0 <= delays[0] <= delays[1]``
        (BMTK's asserts), naming the values.
    """
    weights, kpeaks, delays = check_temporal_params(weights, kpeaks, delays)
    kernels, lengths = temporal_kernels(weights[None], kpeaks[None], delays[None])
    return kernels[0, :lengths[0]]


def temporal_kernels(weights: np.ndarray, kpeaks: np.ndarray, delays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Many :func:`temporal_kernel` at once (parameters already checked), bit-identical to one at a time.

    Parameters
    ----------
    weights, kpeaks, delays : (n, 2) arrays

    Returns
    -------
    kernels : (n, max length) array, zero-padded, 1 ms samples, index 0 = lag 0
    lengths : (n,) number of samples of each kernel, ``600 + int(delays[:, 0])``
    """
    weights, kpeaks = (np.asarray(a, dtype=np.float64).reshape(-1, 2) for a in (weights, kpeaks))
    whole = np.asarray(delays, dtype=np.float64).reshape(-1, 2).astype(np.int64)   # BMTK: astype(int)
    d0, d1 = whole[:, 0], whole[:, 1]
    if np.any(d1 - d0 >= _N_SAMPLES):
        i = int(np.flatnonzero(d1 - d0 >= _N_SAMPLES)[0])
        raise ConfigError(f"invalid temporal filter: delays={delays[i].tolist()}: expected "
                          f"delays[1] - delays[0] < {_N_SAMPLES} ms")
    n = weights.shape[0]
    lengths = _N_SAMPLES + d0
    out = np.zeros((n, int(lengths.max(initial=_N_SAMPLES))))
    for start in range(0, n, _KERNELS_PER_BATCH):
        sl = slice(start, min(start + _KERNELS_PER_BATCH, n))
        out[sl] = _kernel_batch(weights[sl], kpeaks[sl], d0[sl], d1[sl], out.shape[1])
    return out, lengths


def _kernel_batch(weights, kpeaks, d0, d1, width) -> np.ndarray:
    # Arrays are (time, kernel, bump) in BMTK's orientation (row 0 = the oldest sample), so the
    # normalising sums run down the rows in BMTK's order and each kernel's final product is the
    # same BLAS call as BMTK's: the kernels come out bit-identical.
    n = weights.shape[0]
    log_range = np.log(np.array(_LOG_RANGE) + _OFFSET + _EPS)
    width_log = log_range[1] - log_range[0]
    centres = np.log(kpeaks + _EPS)
    t_max = np.exp(log_range[1] + 2 * width_log) - _EPS - _OFFSET
    log_t = np.log(np.arange(0, t_max, KERNEL_DT_MS) + _OFFSET + _EPS)[::-1]
    phase = np.clip((log_t[:, None, None] - centres[None, :, :]) * np.pi / width_log / 2, -np.pi, np.pi)
    bumps = (np.cos(phase) + 1) / 2          # bump k of each kernel at t = ..., 2, 1, 0 ms

    # BMTK keeps 600 rows by also dropping the last row (t = 0): kept rows are t = 600 ... 1 ms
    # (the basis always has ~796 rows, so this is the only branch BMTK's constants reach).
    kept = _unit_columns(bumps[-1 - _N_SAMPLES:-1])

    # delays append zeros at the recent end; the slow bump's oldest d1 - d0 samples are cut
    rows = np.arange(width)[:, None]
    delayed = np.zeros((width, n, 2))
    delayed[:_N_SAMPLES, :, 0] = kept[:, :, 0]
    source = rows + (d1 - d0)[None, :]
    delayed[:, :, 1] = np.where(source < _N_SAMPLES, kept[np.minimum(source, _N_SAMPLES - 1), np.arange(n), 1], 0.0)
    delayed = _unit_columns(delayed)
    combined = np.matmul(np.ascontiguousarray(delayed.transpose(1, 0, 2)), weights[:, :, None])[:, :, 0]
    # back to lag order: sample j of a kernel of length L is row L - 1 - j
    lag_rows = (_N_SAMPLES + d0)[:, None] - 1 - np.arange(width)[None, :]
    return np.where(lag_rows >= 0, np.take_along_axis(combined, np.maximum(lag_rows, 0), axis=1), 0.0)


def resample_kernels(kernels: np.ndarray, frame_rate_hz: float) -> np.ndarray:
    """Kernels in 1 ms samples -> weights per movie frame, so rates do not depend on the frame rate.

    The 1 ms kernel convolves a 1 kHz movie. A movie at another rate holds each frame for
    ``1000 / frame_rate_hz`` ms, so the weight of the frame `q` frames back is the sum of the
    1 ms samples that fall on it (sample j sits on frame ``ceil(j * frame_rate_hz / 1000)``;
    for a non-integer ratio, the step-wise integral of the kernel over the frame). At 1000 Hz
    this is the identity; at 500 Hz, frame q gets samples 2q-1 and 2q, and a 500 Hz movie gives
    exactly the rates of the 1 kHz movie that shows each frame twice. (BMTK before PR #375
    sampled the kernel at the frame times without this scaling, so its rates grew with the
    frame rate; after it, BMTK multiplies point samples by ``1000 / frame_rate``.)

    Parameters
    ----------
    kernels : numpy.ndarray
        (n_kernels, n_samples) kernels, 1 ms samples, index 0 = lag 0.
    frame_rate_hz : float
        Frame rate of the movie (Hz), > 0.

    Returns
    -------
    numpy.ndarray
        (n_kernels, n_frames) frame weights, index 0 = the current frame; the sum over frames
        equals the sum over 1 ms samples.
    """
    kernels = np.atleast_2d(np.asarray(kernels, dtype=np.float64))
    if not np.isfinite(frame_rate_hz) or frame_rate_hz <= 0:
        raise ConfigError(f"frame_rate: expected a rate > 0 Hz, got {frame_rate_hz!r}")
    n_k, n_samples = kernels.shape
    ms_per_frame = 1000.0 / float(frame_rate_hz)
    ratio = round(ms_per_frame)
    if ratio >= 1 and abs(ms_per_frame - ratio) < 1e-9:
        # a whole number of ms per frame: plain sums of `ratio` samples (exact at 1000 Hz)
        n_frames = 1 + -(-(n_samples - 1) // ratio)
        padded = np.zeros((n_k, 1 + (n_frames - 1) * ratio))
        padded[:, :n_samples] = kernels
        out = np.empty((n_k, n_frames))
        out[:, 0] = padded[:, 0]
        out[:, 1:] = padded[:, 1:].reshape(n_k, n_frames - 1, ratio).sum(axis=2)
        return out
    # general ratio: the cumulative sum of the step kernel (sample j covering (j-1, j] ms),
    # linearly interpolated at the frame edges q * ms_per_frame, q = -1, 0, 1, ...
    cumulative = np.concatenate([np.zeros((n_k, 1)), np.cumsum(kernels, axis=1)], axis=1)
    n_frames = int(np.ceil((n_samples - 1) / ms_per_frame - 1e-9)) + 1
    position = np.clip(np.arange(-1, n_frames) * ms_per_frame + 1.0, 0.0, float(n_samples))
    lower = np.minimum(np.floor(position).astype(np.int64), n_samples - 1)
    frac = position - lower
    at_edges = cumulative[:, lower] * (1.0 - frac) + cumulative[:, lower + 1] * frac
    return np.diff(at_edges, axis=1)
