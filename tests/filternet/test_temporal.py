"""Temporal kernels: BMTK's cosine-bump construction, its checks, and resampling to a frame rate."""

import numpy as np
import pytest

from simlib.errors import ConfigError
from simlib.filternet.temporal import resample_kernels, temporal_kernel, temporal_kernels

SON_TF8 = dict(weights=[3.7052596759285548, -1.7538397094416842], kpeaks=[12.941033214060901, 28.27807659299407],
               delays=[0, 25])


def test_kernel_starts_at_lag_zero_and_is_delayed():
    k = temporal_kernel(**SON_TF8)
    assert k.shape == (600,)
    first = np.flatnonzero(k)[0]
    assert 0 < first < 10 and k[first] > 0    # the fast bump's support starts a few ms after lag 0
    assert np.argmax(k) < np.argmin(k) < 200  # fast positive lobe, then the slow negative one
    delayed = temporal_kernel(SON_TF8["weights"], SON_TF8["kpeaks"], [7.9, 32.2])   # whole ms: 7, 32
    assert delayed.shape == (607,)
    assert np.all(delayed[:7] == 0.0)
    assert np.array_equal(delayed[7:], temporal_kernel(SON_TF8["weights"], SON_TF8["kpeaks"], [0, 25]))


def test_kernel_is_linear_in_the_weights():
    k1 = temporal_kernel([1.0, 0.0], SON_TF8["kpeaks"], [0, 0])
    k2 = temporal_kernel([1.0, -1.0], SON_TF8["kpeaks"], [0, 0]) - k1
    mixed = temporal_kernel([2.0, 3.0], SON_TF8["kpeaks"], [0, 0])
    np.testing.assert_allclose(mixed, 2 * k1 - 3 * k2, atol=1e-14)
    np.testing.assert_allclose(np.linalg.norm(k1), 1.0)     # each bump has unit L2 norm


def test_batch_equals_one_at_a_time():
    rng = np.random.default_rng(0)
    w = np.c_[rng.uniform(0.5, 10, 20), rng.uniform(-5, 1, 20)]
    kp = np.sort(rng.uniform(3, 150, (20, 2)), axis=1)
    d = np.sort(rng.uniform(0, 60, (20, 2)), axis=1)
    kernels, lengths = temporal_kernels(w, kp, d)
    for i in range(20):
        single = temporal_kernel(w[i], kp[i], d[i])
        assert lengths[i] == single.size
        assert np.array_equal(kernels[i, :single.size], single)
        assert not kernels[i, single.size:].any()


@pytest.mark.parametrize("change, message", [
    (dict(kpeaks=[30.0, 20.0]), r"kpeaks=\[30.0, 20.0\]: expected kpeaks\[0\] < kpeaks\[1\]"),
    (dict(weights=[-1.0, 2.0]), r"weights=\[-1.0, 2.0\]: expected weights\[0\] > 0"),
    (dict(delays=[20, 10]), r"delays=\[20.0, 10.0\]: expected delays\[0\] <= delays\[1\]"),
    (dict(delays=[0, 700]), r"delays\[1\] - delays\[0\] < 600"),
    (dict(weights=[1.0]), "weights: expected two finite numbers"),
    (dict(kpeaks=[np.nan, 2.0]), "kpeaks: expected two finite numbers"),
])
def test_bmtk_checks_raise_config_errors_naming_the_values(change, message):
    with pytest.raises(ConfigError, match=message):
        temporal_kernel(**{**SON_TF8, **change})


def test_all_problems_are_reported_together():
    with pytest.raises(ConfigError, match=r"kpeaks\[0\] < kpeaks\[1\].*weights\[0\] > 0"):
        temporal_kernel([-1.0, 1.0], [30.0, 20.0], [0, 0])


def test_resampling_is_the_identity_at_1000_hz():
    k = temporal_kernel(**SON_TF8)
    assert np.array_equal(resample_kernels(k[None], 1000.0)[0], k)


@pytest.mark.parametrize("rate_hz", [500.0, 250.0, 60.0, 30.0, 333.3, 2000.0, 1234.5])
def test_resampling_keeps_the_kernel_sum(rate_hz):
    k = temporal_kernel(**SON_TF8)
    np.testing.assert_allclose(resample_kernels(k[None], rate_hz)[0].sum(), k.sum(), rtol=1e-12)


def test_resampling_at_500_hz_adds_the_samples_each_frame_holds():
    k = temporal_kernel(**SON_TF8)
    frames = resample_kernels(k[None], 500.0)[0]
    assert frames[0] == k[0]
    np.testing.assert_allclose(frames[1:300], k[1:599:2] + k[2:600:2], rtol=0, atol=1e-15)
    # a non-integer ratio agrees with the integer one when it happens to be whole
    np.testing.assert_allclose(resample_kernels(k[None], 500.0 * (1 + 1e-13))[0], frames, atol=1e-12)


def test_resampling_rejects_a_bad_frame_rate():
    with pytest.raises(ConfigError, match="frame_rate"):
        resample_kernels(np.ones((1, 3)), 0.0)
