"""Firing rates of all LGN units for a movie: sparse spatial filtering, FFT temporal convolution, rectification."""

from __future__ import annotations

import concurrent.futures
import os
from dataclasses import dataclass

import numpy as np

from simlib.errors import ConfigError
from simlib.filternet.movie import Movie
from simlib.filternet.spatial import FieldMatrix, gaussian_fields
from simlib.filternet.temporal import resample_kernels
from simlib.filternet.subunits import LGNUnits

_FRAMES_PER_BATCH = 128       # frames filtered spatially per sparse product
_SUBUNITS_PER_BATCH = 1024    # temporal convolutions per FFT batch
# Spatial products of more (field pixels x frames) than this use scipy.sparse's compiled product, ~10x
# faster than the numpy one on large problems; below it the numpy product is quicker than importing
# scipy.sparse (~0.2 s). Both sum the same terms in the same order: the results are the same bits.
_SCIPY_PRODUCT_MIN = 5e7


@dataclass
class RatesResult:
    """Firing rates of LGN units sampled at the movie's frame times.

    Attributes
    ----------
    times_s : (n_frames,) frame onsets ``k / frame_rate_hz`` (s), BMTK's time grid
    rates_hz : (n_frames, n_units) rates (Hz)
    node_ids : (n_units,) node id of each column
    """

    times_s: np.ndarray
    rates_hz: np.ndarray
    node_ids: np.ndarray


def spatial_matrix(units: LGNUnits, movie: Movie) -> FieldMatrix:
    """The (n_subunits, n_pixels) sparse matrix of the units' receptive fields on the movie grid."""
    return gaussian_fields(units.x_deg, units.y_deg, units.sigma_deg, units.rotation_deg,
                           movie.row_range, movie.col_range, labels=units.node_ids[units.subunit_unit])


def _numpy_product(indptr: np.ndarray, pixels: np.ndarray, weights: np.ndarray):
    """``x -> fields @ x`` in numpy, for x of shape (n_pixels, n): the k-th pixel of every field at once.

    Each field's sum starts from 0 and adds its terms in ascending pixel order, as scipy's CSR
    product does, so both give the same bits.
    """
    lengths = np.diff(indptr)
    order = np.argsort(-lengths, kind="stable")     # longest first: the fields with a k-th pixel are a prefix
    starts, lengths = indptr[:-1][order], lengths[order]
    n_fields_with = np.searchsorted(-lengths, -np.arange(lengths.max(initial=0)), side="left")

    def product(x: np.ndarray) -> np.ndarray:
        out = np.zeros((order.size, x.shape[1]))
        for k, n in enumerate(n_fields_with.tolist()):
            entry = starts[:n] + k
            out[:n] += weights[entry, None] * x[pixels[entry]]
        unsorted = np.empty_like(out)
        unsorted[order] = out
        return unsorted

    return product


def _scipy_product(indptr: np.ndarray, pixels: np.ndarray, weights: np.ndarray, n_pixels: int):
    """``x -> fields @ x`` with scipy.sparse; fields visited in raster order of their first pixel
    (neighbouring fields read the same pixels while they are cached)."""
    import scipy.sparse

    matrix = scipy.sparse.csr_array((weights, pixels, indptr), shape=(indptr.size - 1, n_pixels))
    order = np.argsort(pixels[indptr[:-1]], kind="stable")     # every field has a pixel
    matrix = matrix[order]

    def product(x: np.ndarray) -> np.ndarray:
        out = np.empty((order.size, x.shape[1]))
        out[order] = matrix @ x
        return out

    return product


def spatial_responses(fields: FieldMatrix, frames: np.ndarray, workers: int = 1) -> np.ndarray:
    """(n_subunits, n_frames): every frame dotted with every receptive field.

    Only the pixels some field covers are read, and batches of frames run on `workers` threads
    (numpy's and scipy's products release the GIL).
    """
    n_frames = frames.shape[0]
    flat = frames.reshape(n_frames, -1)
    if fields.shape[0] == 0:
        return np.zeros((0, n_frames))
    used = np.flatnonzero(np.bincount(fields.indices, minlength=fields.shape[1]))
    local = np.zeros(fields.shape[1], dtype=np.int64)
    local[used] = np.arange(used.size)
    pixels = local[fields.indices]      # numbered among the used pixels, still ascending within a field
    if fields.nnz * n_frames > _SCIPY_PRODUCT_MIN:
        product = _scipy_product(fields.indptr, pixels, fields.data, used.size)
    else:
        product = _numpy_product(fields.indptr, pixels, fields.data)
    out = np.empty((fields.shape[0], n_frames))

    def batch(start: int) -> None:
        stop = min(start + _FRAMES_PER_BATCH, n_frames)
        out[:, start:stop] = product(np.ascontiguousarray(flat[start:stop, used].T))

    with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool:
        list(pool.map(batch, range(0, n_frames, _FRAMES_PER_BATCH)))
    return out


def _check(units: LGNUnits, movie: Movie) -> None:
    if not isinstance(movie, Movie):
        raise ConfigError(f"evaluate_rates: expected a simlib.filternet.Movie, got {type(movie).__name__}")
    if not isinstance(units, LGNUnits):
        raise ConfigError(f"evaluate_rates: expected LGNUnits (from build_units), got {type(units).__name__}")
    if movie.frames.ndim != 3:
        raise ConfigError(f"movie: expected frames of shape (n_frames, n_rows, n_cols), got {movie.frames.shape}")
    if not np.all(np.isfinite(_stored(movie.frames))):
        raise ConfigError("movie: frames contain NaN or infinite values")


def _stored(values: np.ndarray) -> np.ndarray:
    """The values an array holds: a broadcast view (a full-field flash) cut to length 1 along its stride-0 axes."""
    return values[tuple(slice(0, 1) if stride == 0 else slice(None) for stride in values.strides)]


def _rectified_sum(units: LGNUnits, drive: np.ndarray) -> np.ndarray:
    """(n_frames, n_units) rates from (n_subunits, n_frames) drives: rectify each subunit (in place), add a
    unit's subunits."""
    drive *= units.amplitude[:, None]
    drive += units.offset_hz[:, None]
    np.maximum(drive, 0.0, out=drive)
    first = np.r_[True, units.subunit_unit[1:] != units.subunit_unit[:-1]]
    rates = drive if first.all() else drive[first]
    rest = np.flatnonzero(~first)
    # a unit has at most two subunits, so each extra subunit adds to a distinct unit
    rates[units.subunit_unit[rest]] += drive[rest]
    return np.ascontiguousarray(rates.T)


def evaluate_rates(units: LGNUnits, movie: Movie, *, separable: bool = True, workers: int | None = None) -> RatesResult:
    """Firing rates (Hz) of all units for a movie, at the movie's frame times.

    For each subunit: the movie is weighted by its receptive field (one sparse product for
    all subunits), convolved causally with its temporal kernel resampled to the frame period
    (:func:`~simlib.filternet.temporal.resample_kernels`; frames before the movie count as 0),
    scaled by the amplitude, offset by the spontaneous rate and rectified; a unit's rate is
    the sum over its subunits. At 1000 Hz this is BMTK's evaluation. At other frame rates a
    movie gives exactly the rates of the 1 kHz movie that holds each frame (BMTK before its
    PR #375 scaled rates with the frame rate; bmtk 1.2.0 has the fix but samples the kernel at
    the frame times, a few percent of the peak away from its own 1 kHz rates).

    Parameters
    ----------
    units : LGNUnits
        From :func:`~simlib.filternet.units.build_units`.
    movie : Movie
        Frames (n_frames, n_rows, n_cols) and their frame rate and pixel coordinates.
    separable : bool
        True: spatial product then FFT convolution in time (fast). False: direct evaluation of
        the space-time kernel, one unit after another (slow; for testing, as BMTK's default
        non-separable cursor).
    workers : int, optional
        Threads for the spatial products and FFTs; default: the CPUs this process may use
        (pass 1 under MPI with one rank per core).

    Returns
    -------
    RatesResult

    Raises
    ------
    ConfigError
        On a non-Movie input, non-finite frames, or units outside the movie.
    """
    _check(units, movie)
    n_frames = movie.n_frames
    if units.n_units == 0:
        return RatesResult(times_s=movie.times_s, rates_hz=np.zeros((n_frames, 0)), node_ids=units.node_ids.copy())
    matrix = spatial_matrix(units, movie)
    frame_kernels = resample_kernels(units.kernels, movie.frame_rate_hz)
    frame_kernels = frame_kernels[:, :max(1, min(frame_kernels.shape[1], n_frames))]
    workers = len(os.sched_getaffinity(0)) if workers is None else int(workers)
    if separable:
        linear = _separable_drive(matrix, frame_kernels, units.kernel_index, movie.frames, workers)
    else:
        linear = _direct_drive(matrix, frame_kernels, units.kernel_index, movie.frames)
    return RatesResult(times_s=movie.times_s, rates_hz=_rectified_sum(units, linear), node_ids=units.node_ids.copy())


def fft_length(n: int) -> int:
    """The smallest 2**a * 3**b * 5**c >= n: a fast real FFT size (``scipy.fft.next_fast_len(n, real=True)``)."""
    best = 1 << max(0, n - 1).bit_length()
    power_of_5 = 1
    while power_of_5 < best:
        length = power_of_5
        while length < best:
            candidate = length
            while candidate < n:
                candidate *= 2
            best = min(best, candidate)
            length *= 3
        power_of_5 *= 5
    return best


def _separable_drive(matrix: FieldMatrix, frame_kernels: np.ndarray, kernel_index: np.ndarray, frames: np.ndarray,
                     workers: int) -> np.ndarray:
    """(n_subunits, n_frames) linear drive: spatial responses, then causal FFT convolution with the kernels.

    numpy.fft is scipy.fft's pocketfft without its import time (same bits); batches of subunits run
    on `workers` threads.
    """
    drive = spatial_responses(matrix, frames, workers)
    n_subunits, n_frames = drive.shape
    n_fft = fft_length(n_frames + frame_kernels.shape[1] - 1)

    def batch(start: int) -> None:
        sl = slice(start, min(start + _SUBUNITS_PER_BATCH, n_subunits))
        distinct, which = np.unique(kernel_index[sl], return_inverse=True)
        kernel_spectra = np.fft.rfft(frame_kernels[distinct], n_fft, axis=1)     # once each
        spectra = np.fft.rfft(drive[sl], n_fft, axis=1)
        spectra *= kernel_spectra[which.reshape(-1)]
        drive[sl] = np.fft.irfft(spectra, n_fft, axis=1)[:, :n_frames]

    with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool:
        list(pool.map(batch, range(0, n_subunits, _SUBUNITS_PER_BATCH)))
    return drive


def _direct_drive(matrix: FieldMatrix, frame_kernels: np.ndarray, kernel_index: np.ndarray,
                  frames: np.ndarray) -> np.ndarray:
    """(n_subunits, n_frames) linear drive from each subunit's full space-time kernel, without FFT or separation.

    drive[n] = sum over lags q and pixels p of K[q, p] * frames[n - q, p], K = temporal x spatial.
    """
    n_frames = frames.shape[0]
    flat = frames.reshape(n_frames, -1)
    drive = np.empty((matrix.shape[0], n_frames))
    for s in range(matrix.shape[0]):
        lo, hi = matrix.indptr[s], matrix.indptr[s + 1]
        pixels, weights = matrix.indices[lo:hi], matrix.data[lo:hi]
        temporal = frame_kernels[kernel_index[s]]
        space_time = temporal[::-1, None] * weights[None, :]          # (n_lags, n_pixels), oldest lag first
        n_lags = space_time.shape[0]
        history = np.concatenate([np.zeros((n_lags - 1, pixels.size)), flat[:, pixels]])
        windows = np.lib.stride_tricks.sliding_window_view(history, n_lags, axis=0)   # (n_frames, pixel, lag)
        drive[s] = np.einsum("npq,qp->n", windows, space_time, optimize=True)
    return drive
