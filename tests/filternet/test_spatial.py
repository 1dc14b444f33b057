"""Gaussian receptive fields on the movie grid, all units in one sparse matrix."""

import numpy as np
import pytest
import scipy.ndimage
import scipy.sparse

from simlib.errors import ConfigError
from simlib.filternet.spatial import (
    _source_profiles,
    gaussian_fields,
    gaussian_filter_matrix,
)

ROWS, COLS = np.arange(40.0), np.arange(60.0)


def dense(matrix, rows=ROWS, cols=COLS):
    return matrix.toarray().reshape(-1, rows.size, cols.size)


def centre(field, rows=ROWS, cols=COLS):
    return (field * cols[None, :]).sum() / field.sum(), (field * rows[:, None]).sum() / field.sum()


def test_fields_sum_to_one_and_sit_at_x_y():
    x, y = np.array([10.0, 30.5, 47.25]), np.array([20.0, 8.5, 30.75])
    m = gaussian_filter_matrix(x, y, [3.0, 2.0, 1.0], 0.0, ROWS, COLS)
    assert isinstance(m, scipy.sparse.csr_array) and m.shape == (3, 40 * 60)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    for i, field in enumerate(dense(m)):
        cx, cy = centre(field)
        assert cx == pytest.approx(x[i], abs=0.02) and cy == pytest.approx(y[i], abs=0.02)


def test_support_is_truncated_at_four_sigma():
    m = gaussian_filter_matrix([30.0], [20.0], [2.0], 0.0, ROWS, COLS)
    cols_used = np.flatnonzero(dense(m)[0].sum(axis=0))
    # BMTK blurs a two-pixel impulse (even grid) with radius int(4 sigma + 0.5) = 8: 18 pixels, then
    # moves it by half a pixel (bilinear): 19 pixels around x = 30
    assert cols_used.tolist() == list(range(21, 40))
    assert m.nnz == 19 * 19


def test_anisotropic_sigma_and_rotation():
    m = gaussian_filter_matrix([30.0, 30.0], [20.0, 20.0], [[4.0, 1.0], [4.0, 1.0]], [0.0, 90.0], ROWS, COLS)
    wide, turned = dense(m)
    spread = lambda f, axis: np.sqrt((f.sum(axis=axis) * (np.arange(f.shape[1 - axis]) - np.average(
        np.arange(f.shape[1 - axis]), weights=f.sum(axis=axis))) ** 2).sum())
    assert spread(wide, 0) > 3 * spread(wide, 1)        # sigma 4 along x (columns), 1 along y (rows)
    assert spread(turned, 1) > 3 * spread(turned, 0)    # rotated by 90 degrees
    np.testing.assert_allclose(turned.sum(), 1.0)


def test_pixel_pitch_scales_sigma():
    rows, cols = np.arange(20.0) * 2.0, np.arange(30.0) * 2.0
    fine = dense(gaussian_filter_matrix([30.0], [20.0], [2.0], 0.0, ROWS, COLS))[0]
    coarse = dense(gaussian_filter_matrix([30.0], [20.0], [2.0], 0.0, rows, cols), rows, cols)[0]
    assert np.count_nonzero(fine) == 19 * 19       # sigma 2 pixels: radius 8
    assert np.count_nonzero(coarse) == 11 * 11     # sigma 1 pixel: radius 4


def test_edge_fields_are_renormalised_inside_the_frame():
    m = gaussian_filter_matrix([0.0, 59.9], [0.0, 39.6], [3.0, 3.0], 0.0, ROWS, COLS)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)


def test_a_node_outside_the_movie_is_named():
    with pytest.raises(ConfigError, match=r"1 LGN unit\(s\) outside the movie: node 7 \(x=300, y=10\).*"
                                          r"x \(columns\) 0\.\.59 and y \(rows\) 0\.\.39 degrees"):
        gaussian_filter_matrix([10.0, 300.0], [10.0, 10.0], [1.0, 1.0], 0.0, ROWS, COLS, labels=[6, 7])


@pytest.mark.parametrize("kwargs, message", [
    (dict(x_deg=[np.nan]), "x: expected finite"),
    (dict(sigma_deg=[-1.0]), "sigma >= 0"),
    (dict(row_range=[0.0]), "at least 2 pixel rows"),
    (dict(col_range=[0.0, 1.0, 3.0]), "evenly spaced"),
])
def test_bad_inputs(kwargs, message):
    args = dict(x_deg=[1.0], y_deg=[1.0], sigma_deg=[1.0], rotation_deg=0.0, row_range=ROWS, col_range=COLS)
    args.update(kwargs)
    with pytest.raises(ConfigError, match=message):
        gaussian_filter_matrix(**args)


def test_zero_sigma_is_the_bilinear_impulse():
    m = gaussian_filter_matrix([30.25], [20.0], [0.0], 0.0, ROWS, COLS)
    field = dense(m)[0]
    assert np.count_nonzero(field) == 9    # the 2 x 2 impulse moved by 0.75 and 0.5 pixels
    np.testing.assert_allclose(field.sum(), 1.0)


def test_many_units_match_one_at_a_time():
    rng = np.random.default_rng(1)
    n = 50
    x, y = rng.uniform(0, 60, n), rng.uniform(0, 40, n)
    sigma, rotation = rng.uniform(0.2, 4, (n, 2)), np.where(rng.random(n) < 0.3, rng.uniform(-90, 90, n), 0.0)
    together = gaussian_filter_matrix(x, y, sigma, rotation, ROWS, COLS).toarray()
    for i in range(0, n, 7):
        alone = gaussian_filter_matrix(x[i:i + 1], y[i:i + 1], sigma[i:i + 1], rotation[i:i + 1], ROWS, COLS)
        np.testing.assert_allclose(together[i], alone.toarray()[0], atol=1e-15)


@pytest.mark.parametrize("n_pixels", [2, 3, 7, 40, 241])
def test_profiles_are_scipys_gaussian_filter_to_the_bit(n_pixels):
    """BMTK's blurred impulse, computed without scipy.ndimage, equals scipy's gaussian_filter1d exactly."""
    sigma = np.r_[np.random.default_rng(n_pixels).uniform(1e-6, 30.0, 200), 0.0, 1e-16, 1 / 3, 1.0, 2.5, 60.0]
    impulse = np.zeros(n_pixels)
    impulse[[(n_pixels - 1) // 2, n_pixels // 2]] = 1.0
    for s, profile in zip(sigma, _source_profiles(n_pixels, sigma)):
        expected = impulse if s <= 1e-15 else scipy.ndimage.gaussian_filter1d(impulse, s, mode="nearest",
                                                                                truncate=4.0)
        np.testing.assert_array_equal(profile, expected, err_msg=f"sigma {s!r} px")


def test_field_matrix_is_the_sparse_matrix_in_arrays():
    rng = np.random.default_rng(2)
    args = (rng.uniform(0, 60, 20), rng.uniform(0, 40, 20), rng.uniform(0.0, 4.0, (20, 2)),
            np.where(rng.random(20) < 0.5, rng.uniform(-90, 90, 20), 0.0), ROWS, COLS)
    fields, matrix = gaussian_fields(*args), gaussian_filter_matrix(*args)
    assert fields.shape == matrix.shape and fields.nnz == matrix.nnz
    np.testing.assert_array_equal(fields.to_scipy().toarray(), matrix.toarray())
    for i in range(20):          # every field's pixels in ascending order (the order of its sums)
        assert np.all(np.diff(fields.indices[fields.indptr[i]:fields.indptr[i + 1]]) > 0)
