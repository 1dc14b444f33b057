"""Spatial filters of LGN units: BMTK's Gaussian receptive fields on a movie's pixel grid, as one sparse matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib.errors import ConfigError

_TRUNCATE = 4.0       # scipy.ndimage.gaussian_filter's default, which BMTK relies on: exact zeros beyond 4 sigma
_CHUNK = 2048         # receptive fields built per batch (bounds memory of the dense windows)


@dataclass(frozen=True)
class FieldMatrix:
    """Receptive fields as compressed sparse rows (CSR) in plain arrays (no scipy import: FilterNet's start-up).

    Field ``i`` has the weights ``data[indptr[i]:indptr[i + 1]]`` at the flat pixels
    ``indices[indptr[i]:indptr[i + 1]]``, in ascending pixel order.

    Attributes
    ----------
    indptr : (n_fields + 1,) int64
    indices : (nnz,) int64, pixel ``(r, c)`` is ``r * n_cols + c``
    data : (nnz,) float64
    shape : (n_fields, n_rows * n_cols)
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return int(self.data.size)

    def to_scipy(self):
        """The same matrix as a ``scipy.sparse.csr_array``."""
        import scipy.sparse

        return scipy.sparse.csr_array((self.data, self.indices, self.indptr), shape=self.shape)


@dataclass
class _Weights:
    """The nonzero weights of some fields (coordinate format), field by field, each field's pixels ascending.

    Attributes
    ----------
    field : (k,) int64 row of each weight
    pixel : (k,) int64 flat pixel of each weight
    weight : (k,) float64
    """

    field: np.ndarray
    pixel: np.ndarray
    weight: np.ndarray


def pixel_pitch(values: np.ndarray, axis_name: str) -> float:
    """Spacing (degrees) of a movie's uniform row or column coordinates.

    Raises
    ------
    ConfigError
        If there are fewer than 2 pixels or the coordinates are not evenly spaced.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        raise ConfigError(f"movie: {axis_name}: a receptive field needs at least 2 pixel {axis_name}s, "
                          f"got {values.size}")
    steps = np.diff(values)
    pitch = float(steps[0])
    if pitch == 0 or not np.allclose(steps, pitch, rtol=1e-6, atol=0):
        raise ConfigError(f"movie: {axis_name}_range: expected evenly spaced coordinates, got steps from "
                          f"{steps.min()!r} to {steps.max()!r} degrees")
    return pitch


def _gaussian_blur(line: np.ndarray, sigma_px: np.ndarray, radius: int) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter1d(line, sigma, mode='nearest', truncate=4)`` for each sigma whose
    radius ``int(4 sigma + 0.5)`` is `radius`, with scipy's arithmetic: (n_sigmas, line.size).

    scipy's normalised weights, the end values repeated beyond the ends, and each output summed in
    the order of scipy's symmetric correlation (the centre term, then the pairs from the outermost
    in), so the profiles are the same to the last bit without importing scipy.ndimage.
    """
    weights = np.exp((-0.5 / (sigma_px * sigma_px))[:, None] * np.arange(-radius, radius + 1) ** 2)
    weights = weights / weights.sum(axis=1, keepdims=True)
    padded = np.pad(line, radius, mode="edge")
    n = line.size
    out = line[None, :] * weights[:, radius, None]
    for lag in range(radius, 0, -1):
        pair = padded[radius - lag:radius - lag + n] + padded[radius + lag:radius + lag + n]
        out += pair * weights[:, radius - lag, None]
    return out


def _source_profiles(n_pixels: int, sigma_px: np.ndarray) -> np.ndarray:
    """BMTK's un-shifted 1-D profiles, one row per sigma (pixels): a unit impulse at the centre pixel (two
    for an even size), blurred.

    The blur is scipy's ``gaussian_filter`` along one axis (mode 'nearest', 4-sigma truncation;
    :func:`_gaussian_blur`), which skips axes with sigma <= 1e-15 as BMTK's call does.
    """
    impulse = np.zeros(n_pixels)
    impulse[(n_pixels - 1) // 2] = 1.0
    impulse[n_pixels // 2] = 1.0
    out = np.tile(impulse, (sigma_px.size, 1))
    blurred = sigma_px > 1e-15
    radius = (_TRUNCATE * sigma_px + 0.5).astype(np.int64)
    for r in np.unique(radius[blurred]).tolist():      # one batch per radius, not per unit
        rows = np.flatnonzero(blurred & (radius == r))
        out[rows] = _gaussian_blur(impulse, sigma_px[rows], r)
    return out


def _padded_profiles(n_pixels: int, sigma_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Profiles of the distinct sigmas, each padded with a zero on both ends, and each field's row."""
    unique, which = np.unique(sigma_px, return_inverse=True)
    padded = np.zeros((unique.size, n_pixels + 2))
    padded[:, 1:-1] = _source_profiles(n_pixels, unique)
    return padded, which


def _sample(padded: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Linear interpolation of each field's padded profile at (fractional) pixel positions.

    `padded` and `position` have one row per field. skimage's bilinear warp treats pixels
    beyond the image as 0, as the zero padding does here.
    """
    n_pixels = padded.shape[1] - 2
    inside = (position > -1.0) & (position < n_pixels)
    lower = np.floor(np.where(inside, position, 0.0)).astype(np.int64)
    frac = np.where(inside, position - lower, 0.0)
    rows = np.arange(padded.shape[0])[:, None]
    values = padded[rows, lower + 1] * (1.0 - frac) + padded[rows, lower + 2] * frac
    return np.where(inside, values, 0.0)


def _check_inside(total: np.ndarray, x_deg, y_deg, labels, row_range, col_range) -> None:
    outside = ~(np.isfinite(total) & (total > 0))
    if outside.any():
        idx = np.flatnonzero(outside)
        shown = ", ".join(f"{labels[i]} (x={float(x_deg[i]):g}, y={float(y_deg[i]):g})" for i in idx[:10])
        more = f" and {idx.size - 10} more" if idx.size > 10 else ""
        raise ConfigError(f"{idx.size} LGN unit(s) outside the movie: node {shown}{more} (field centres, in "
                          "degrees); these receptive fields do not overlap the movie, which spans x (columns) "
                          f"{float(col_range[0]):g}..{float(col_range[-1]):g} and y (rows) "
                          f"{float(row_range[0]):g}..{float(row_range[-1]):g} degrees")


def gaussian_filter_matrix(x_deg, y_deg, sigma_deg, rotation_deg, row_range, col_range, *, labels=None):
    """:func:`gaussian_fields` as a ``scipy.sparse.csr_array`` (n, n_rows * n_cols); each row sums to 1."""
    return gaussian_fields(x_deg, y_deg, sigma_deg, rotation_deg, row_range, col_range, labels=labels).to_scipy()


def gaussian_fields(x_deg, y_deg, sigma_deg, rotation_deg, row_range, col_range, *, labels=None) -> FieldMatrix:
    """Gaussian receptive fields of many units on a movie grid, as BMTK's ``GaussianSpatialFilter``.

    BMTK blurs a unit impulse at the frame centre with ``scipy.ndimage.gaussian_filter``
    (sigma in pixels), moves it to (x, y) and rotates it with skimage's bilinear ``warp``
    (about the frame centre, after the move), and normalises the part inside the frame to sum 1.
    This computes the same values directly: the blurred impulse is separable and the warp is
    a bilinear read at the mapped coordinates, so without rotation each field is the outer
    product of two 1-D interpolated profiles. The 4-sigma truncation of scipy's Gaussian is
    kept, so the fields have exactly BMTK's support.

    Parameters
    ----------
    x_deg, y_deg : array_like
        Field centres (degrees of visual field) along the columns and rows of the movie.
    sigma_deg : array_like
        (n, 2) standard deviations (degrees) along x (columns) and y (rows), i.e.
        ``spatial_size / 3`` in BMTK; a (n,) array means isotropic.
    rotation_deg : array_like
        BMTK's ``spatial_rotation`` (degrees): skimage's rotation of the inverse map about the
        frame centre ``(n / 2)``, which is half a pixel off the field's own centre ``((n - 1) / 2)``,
        so a rotated field also moves by up to ~0.7 pixel, as in BMTK.
    row_range, col_range : array_like
        Visual-field coordinates (degrees) of the movie's pixel rows and columns.
    labels : array_like, optional
        Names of the fields (node ids) for error messages; default their index.

    Returns
    -------
    FieldMatrix
        (n, n_rows * n_cols) weights; pixel ``(r, c)`` is column ``r * n_cols + c``, matching
        ``frames.reshape(n_frames, -1)``. Each row sums to 1.

    Raises
    ------
    ConfigError
        If a field lies entirely outside the movie (its weights would be 0/0; BMTK gives NaN
        rates), on non-finite inputs, or on an unevenly spaced grid.
    """
    x_deg = np.asarray(x_deg, dtype=np.float64).reshape(-1)
    y_deg = np.asarray(y_deg, dtype=np.float64).reshape(-1)
    n = x_deg.size
    sigma = np.asarray(sigma_deg, dtype=np.float64)
    sigma = np.broadcast_to(sigma.reshape(-1, 1) if sigma.ndim <= 1 else sigma, (n, 2))
    rotation = np.broadcast_to(np.asarray(rotation_deg, dtype=np.float64).reshape(-1) if np.ndim(rotation_deg)
                               else np.float64(rotation_deg), (n,))
    labels = np.arange(n) if labels is None else np.asarray(labels)
    rows = np.asarray(row_range, dtype=np.float64)
    cols = np.asarray(col_range, dtype=np.float64)
    n_rows, n_cols = rows.size, cols.size
    row_pitch, col_pitch = pixel_pitch(rows, "row"), pixel_pitch(cols, "col")
    shape = (n, n_rows * n_cols)
    if n == 0:
        return FieldMatrix(np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0), shape)
    for name, values in (("x", x_deg), ("y", y_deg), ("sigma", sigma), ("rotation", rotation)):
        bad = ~np.isfinite(values.reshape(n, -1)).all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ConfigError(f"LGN unit {labels[i]}: {name}: expected finite numbers, got {values[i]!r}")
    if np.any(sigma < 0):
        i = int(np.flatnonzero((sigma < 0).any(axis=1))[0])
        raise ConfigError(f"LGN unit {labels[i]}: spatial size: expected sigma >= 0 degrees, got {sigma[i].tolist()}")

    # Source profiles along the columns (BMTK's first image axis) and the rows.
    col_profiles, col_which = _padded_profiles(n_cols, sigma[:, 0] / col_pitch)
    row_profiles, row_which = _padded_profiles(n_rows, sigma[:, 1] / row_pitch)
    # Output pixel p reads the source at p + shift (before rotation), in pixels.
    col_shift = ((cols[-1] + cols[0]) / 2 - x_deg) / col_pitch
    row_shift = ((rows[-1] + rows[0]) / 2 - y_deg) / row_pitch

    parts = []
    totals = np.empty(n)
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(start + _CHUNK, n))
        idx = np.arange(sl.start, sl.stop)
        straight = idx[rotation[sl] == 0]
        rotated = idx[rotation[sl] != 0]
        if straight.size:
            parts.append(_separable_fields(straight, col_profiles[col_which[straight]],
                                           row_profiles[row_which[straight]],
                                           col_shift[straight], row_shift[straight], n_rows, n_cols, totals))
        if rotated.size:
            parts.append(_rotated_fields(rotated, col_profiles, col_which[rotated], row_profiles, row_which[rotated],
                                         col_shift[rotated], row_shift[rotated], rotation[rotated], n_rows, n_cols,
                                         totals))
    _check_inside(totals, x_deg, y_deg, labels, rows, cols)
    field = np.concatenate([p.field for p in parts] + [np.zeros(0, np.int64)])
    pixel = np.concatenate([p.pixel for p in parts] + [np.zeros(0, np.int64)])
    weight = np.concatenate([p.weight for p in parts] + [np.zeros(0)]) / totals[field]
    order = np.argsort(field, kind="stable")    # each part lists a field's pixels once, in ascending order
    indptr = np.concatenate([[0], np.cumsum(np.bincount(field, minlength=n))])
    return FieldMatrix(indptr, pixel[order], weight[order], shape)


def _windows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First nonzero index of each row and the rows cut to a common window width from there."""
    nonzero = values != 0
    any_nonzero = nonzero.any(axis=1)
    first = np.where(any_nonzero, nonzero.argmax(axis=1), 0)
    last = np.where(any_nonzero, values.shape[1] - 1 - nonzero[:, ::-1].argmax(axis=1), -1)
    width = int(max(1, (last - first + 1).max(initial=1)))
    offsets = first[:, None] + np.arange(width)[None, :]
    inside = offsets < values.shape[1]
    window = np.where(inside, np.take_along_axis(values, np.minimum(offsets, values.shape[1] - 1), axis=1), 0.0)
    return first, window


def _separable_fields(idx, col_padded, row_padded, col_shift, row_shift, n_rows, n_cols, totals) -> _Weights:
    """Unrotated fields: outer products of the shifted column and row profiles.

    Returns the nonzero weights, field by field, each field's pixels ascending.
    """
    along_cols = _sample(col_padded, np.arange(n_cols)[None, :] + col_shift[:, None])
    along_rows = _sample(row_padded, np.arange(n_rows)[None, :] + row_shift[:, None])
    totals[idx] = along_cols.sum(axis=1) * along_rows.sum(axis=1)
    col0, col_win = _windows(along_cols)
    row0, row_win = _windows(along_rows)
    weight = row_win[:, :, None] * col_win[:, None, :]                 # (field, row, col)
    pixel = ((row0[:, None, None] + np.arange(row_win.shape[1])[None, :, None]) * n_cols
             + col0[:, None, None] + np.arange(col_win.shape[1])[None, None, :])
    keep = weight != 0
    field = np.broadcast_to(idx[:, None, None], weight.shape)
    return _Weights(field[keep], pixel[keep], weight[keep])


def _rotated_fields(idx, col_profiles, col_which, row_profiles, row_which, col_shift, row_shift, rotation_deg,
                    n_rows, n_cols, totals) -> _Weights:
    """Rotated fields: bilinear reads of the separable source over a window around each centre.

    skimage's inverse map (output -> source) is the move, then a rotation about
    (n_rows / 2, n_cols / 2) in (x = row index, y = column index) image coordinates, the
    axes of BMTK's transposed (columns x rows) kernel image.

    Returns the nonzero weights, field by field, each field's pixels ascending.
    """
    theta = np.deg2rad(rotation_deg)
    cos, sin = np.cos(theta), np.sin(theta)
    pivot_x, pivot_y = n_rows / 2.0, n_cols / 2.0
    # the output pixel mapped onto the source centre, to place the window
    centre_x, centre_y = (n_rows - 1) / 2.0 - pivot_x, (n_cols - 1) / 2.0 - pivot_y
    out_x = cos * centre_x + sin * centre_y + pivot_x - row_shift
    out_y = -sin * centre_x + cos * centre_y + pivot_y - col_shift
    reach = np.concatenate([np.flatnonzero(col_profiles.any(axis=0)) - (n_cols + 1) / 2.0,
                            np.flatnonzero(row_profiles.any(axis=0)) - (n_rows + 1) / 2.0])
    half = int(np.ceil(np.sqrt(2.0) * (np.abs(reach).max() + 2.0)))
    offsets = np.arange(-half, half + 1)
    grid_x = np.rint(out_x)[:, None, None] + offsets[None, :, None]    # output row index
    grid_y = np.rint(out_y)[:, None, None] + offsets[None, None, :]    # output column index
    in_frame = (grid_x >= 0) & (grid_x < n_rows) & (grid_y >= 0) & (grid_y < n_cols)
    moved_x = grid_x + row_shift[:, None, None] - pivot_x
    moved_y = grid_y + col_shift[:, None, None] - pivot_y
    src_x = cos[:, None, None] * moved_x - sin[:, None, None] * moved_y + pivot_x
    src_y = sin[:, None, None] * moved_x + cos[:, None, None] * moved_y + pivot_y
    weight = np.zeros(grid_x.shape[:1] + (offsets.size, offsets.size))
    base_x, base_y = np.floor(src_x), np.floor(src_y)
    fx, fy = src_x - base_x, src_y - base_y
    for dx, wx in ((0, 1.0 - fx), (1, fx)):
        for dy, wy in ((0, 1.0 - fy), (1, fy)):
            px, py = (base_x + dx).astype(np.int64), (base_y + dy).astype(np.int64)
            valid = (px >= 0) & (px < n_rows) & (py >= 0) & (py < n_cols)
            value = (row_profiles[row_which[:, None, None], np.clip(px, -1, n_rows) + 1]
                     * col_profiles[col_which[:, None, None], np.clip(py, -1, n_cols) + 1])
            weight += np.where(valid, wx * wy * value, 0.0)
    weight = np.where(in_frame, weight, 0.0)
    totals[idx] = weight.sum(axis=(1, 2))
    keep = weight != 0
    pixel = grid_x.astype(np.int64) * n_cols + grid_y.astype(np.int64)
    field = np.broadcast_to(idx[:, None, None], weight.shape)
    return _Weights(field[keep], np.broadcast_to(pixel, weight.shape)[keep], weight[keep])
