"""Rates of all units at once: separable FFT path, direct space-time path, frame rates, inputs."""

import dataclasses

import numpy as np
import pytest

from simlib.errors import ConfigError
from simlib.filternet import Movie, build_units, evaluate, evaluate_rates
from simlib.filternet.spatial import gaussian_fields

ROWS, COLS = np.arange(40.0), np.arange(60.0)


@pytest.fixture
def units(filter_dir, fn):
    """Four single units and two two-subunit cells."""
    single = build_units(fn.lgn_nodes(4), filter_dir)
    pair = build_units(fn.two_subunit_nodes(), filter_dir)
    return single, pair


def grating(fn, frame_rate_hz=1000.0, n_frames=600):
    t = np.arange(n_frames) / frame_rate_hz
    return Movie(fn.grating_frames(t, ROWS, COLS), frame_rate_hz)


def test_times_are_the_frame_onsets(units, fn):
    result = evaluate_rates(units[0], fn.flash_movie(n_frames=300, frame_rate_hz=250.0))
    np.testing.assert_array_equal(result.times_s, np.arange(300) / 250.0)
    assert result.rates_hz.shape == (300, 4)
    assert result.node_ids.tolist() == [0, 1, 2, 3]


def test_grey_screen_gives_the_spontaneous_rate_and_a_long_flash_the_kernel_sum(filter_dir, fn):
    units = build_units(fn.lgn_nodes(2), filter_dir)
    movie = fn.flash_movie(n_frames=1000, on_ms=100.0, off_ms=950.0)
    rates = evaluate_rates(units, movie).rates_hz
    np.testing.assert_allclose(rates[:100], 2.5, rtol=0, atol=1e-12)
    kernel_sums = units.kernels[units.kernel_index].sum(axis=1)
    # 800 ms into the flash every 600 ms kernel sees only the flash: drive = +-sum(kernel)
    expected = np.maximum(units.amplitude * kernel_sums + 2.5, 0.0)
    np.testing.assert_allclose(rates[900], expected, rtol=1e-12)


def test_on_and_off_units_answer_the_flash_in_opposite_directions(filter_dir, fn):
    units = build_units(fn.lgn_nodes(2), filter_dir)
    rates = evaluate_rates(units, fn.flash_movie()).rates_hz       # sON_TF8, tOFF_TF8; flash 150-450 ms
    on, off = rates[:, 0], rates[:, 1]
    assert on[150:250].max() > 5 * 2.5 and off[150:250].min() == 0.0
    assert off[450:550].max() > 3 * 2.5 and on[450:550].min() == 0.0


@pytest.mark.parametrize("stimulus", ["flash", "grating"])
def test_separable_equals_the_direct_space_time_evaluation(units, fn, stimulus):
    movie = fn.flash_movie(n_frames=500) if stimulus == "flash" else grating(fn, n_frames=500)
    for u in units:
        fast = evaluate_rates(u, movie, separable=True).rates_hz
        direct = evaluate_rates(u, movie, separable=False).rates_hz
        np.testing.assert_allclose(fast, direct, rtol=1e-10, atol=1e-10)
        assert fast.max() > 5.0


def test_threads_do_not_change_the_result(units, fn):
    movie = grating(fn, n_frames=700)
    one = evaluate_rates(units[0], movie, workers=1).rates_hz
    np.testing.assert_array_equal(one, evaluate_rates(units[0], movie, workers=3).rates_hz)


def test_two_subunit_rate_is_the_sum_of_rectified_subunits(units, fn):
    pair = units[1]
    movie = grating(fn, n_frames=500)
    split = dataclasses.replace(pair, node_ids=np.arange(4), model_names=np.array(["x"] * 4, dtype=object),
                                subunit_unit=np.arange(4))
    parts = evaluate_rates(split, movie).rates_hz
    together = evaluate_rates(pair, movie).rates_hz
    np.testing.assert_allclose(together, parts[:, 0::2] + parts[:, 1::2], rtol=1e-13)


def test_a_flash_gives_the_same_rates_at_500_and_1000_hz(units, fn):
    """A 500 Hz flash is the 1000 Hz flash with every frame shown twice, so the rates are equal."""
    for u in units:
        fast = evaluate_rates(u, fn.flash_movie(n_frames=800, frame_rate_hz=1000.0)).rates_hz
        slow = evaluate_rates(u, fn.flash_movie(n_frames=400, frame_rate_hz=500.0)).rates_hz
        np.testing.assert_allclose(slow, fast[::2], rtol=1e-12, atol=1e-12)


def test_a_grating_gives_the_same_rates_at_500_and_1000_hz_within_the_frame_hold_error(units, fn):
    """A 500 Hz grating holds each frame for 2 ms, so its 1 ms samples differ from the 1 kHz movie by at
    most contrast * 2 pi * temporal_f * 1 ms; the rectified rates then differ by at most that times
    sum |kernel| (fields sum to 1, rectification is 1-Lipschitz)."""
    for u in units:
        fast = evaluate_rates(u, grating(fn, 1000.0, 800)).rates_hz
        slow = evaluate_rates(u, grating(fn, 500.0, 400)).rates_hz
        step = 0.8 * 2 * np.pi * 4.0 * 1e-3
        per_unit = np.zeros(u.n_units)
        np.add.at(per_unit, u.subunit_unit, np.abs(u.amplitude) * np.abs(u.kernels[u.kernel_index]).sum(axis=1))
        difference = np.abs(slow - fast[::2]).max(axis=0)
        assert np.all(difference <= step * per_unit + 1e-9)
        assert np.all(difference < 0.05 * fast.max(axis=0))
        # BMTK before PR #375 gave rates proportional to the frame rate (half at 500 Hz): not so here
        np.testing.assert_allclose(slow.mean(axis=0), fast[::2].mean(axis=0), rtol=0.02)


def test_bad_inputs(units, fn):
    with pytest.raises(ConfigError, match="3 dimensions|shape"):
        Movie(np.zeros((10, 5)), 1000.0)
    with pytest.raises(ConfigError, match="frame_rate"):
        Movie(np.zeros((10, 5, 5)), 0.0)
    with pytest.raises(ConfigError, match="frame_rate"):
        Movie(np.zeros((10, 5, 5)), -30.0)
    with pytest.raises(ConfigError, match="expected a simlib.filternet.Movie"):
        evaluate_rates(units[0], np.zeros((10, 40, 60)))
    with pytest.raises(ConfigError, match="expected LGNUnits"):
        evaluate_rates("units", fn.flash_movie())
    small = Movie(np.zeros((20, 10, 10)), 1000.0)
    with pytest.raises(ConfigError, match=r"3 LGN unit\(s\) outside the movie: node 1 \(x=21.6667, y=15\), 2 .*"
                                          r"x \(columns\) 0\.\.9 and y \(rows\) 0\.\.9 degrees"):
        evaluate_rates(units[0], small)
    nan_movie = fn.flash_movie(n_frames=20)
    nan_movie.frames[3, 2, 2] = np.nan
    with pytest.raises(ConfigError, match="NaN"):
        evaluate_rates(units[0], nan_movie)
    broadcast = Movie(np.broadcast_to(np.r_[0.0, np.inf, 0.0][:, None, None], (3, 40, 60)), 1000.0)
    with pytest.raises(ConfigError, match="NaN or infinite"):
        evaluate_rates(units[0], broadcast)


def test_an_empty_node_table_gives_no_rates(filter_dir, fn):
    units = build_units(fn.lgn_nodes(2).iloc[:0], filter_dir)
    assert units.n_units == 0
    result = evaluate_rates(units, fn.flash_movie(n_frames=30))
    assert result.rates_hz.shape == (30, 0) and result.node_ids.size == 0


def test_numpy_and_scipy_spatial_products_give_the_same_bits(fn, monkeypatch):
    """Small products run in numpy (no scipy import), large ones in scipy.sparse: the same sums, in the same order."""
    rng = np.random.default_rng(3)
    n = 30
    fields = gaussian_fields(rng.uniform(0, 60, n), rng.uniform(0, 40, n), rng.uniform(0.0, 5.0, (n, 2)),
                             np.where(rng.random(n) < 0.5, rng.uniform(-90, 90, n), 0.0), ROWS, COLS)
    frames = grating(fn, n_frames=300).frames
    monkeypatch.setattr(evaluate, "_SCIPY_PRODUCT_MIN", np.inf)
    in_numpy = evaluate.spatial_responses(fields, frames, workers=2)
    monkeypatch.setattr(evaluate, "_SCIPY_PRODUCT_MIN", 0)
    in_scipy = evaluate.spatial_responses(fields, frames, workers=2)
    np.testing.assert_array_equal(in_numpy, in_scipy)
    np.testing.assert_allclose(in_numpy, fields.to_scipy() @ frames.reshape(300, -1).T, rtol=1e-12, atol=1e-15)


def test_fft_length_is_scipys_next_fast_len():
    import scipy.fft

    for n in [*range(1, 2000), 2001 + 599, 3001 + 599, 10007, 65537, 1_000_003]:
        assert evaluate.fft_length(n) == scipy.fft.next_fast_len(n, real=True), n
