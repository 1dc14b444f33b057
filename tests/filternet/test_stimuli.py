"""FilterNet stimuli: flash timing, grating formula, looming disk, movie files and normalisation, bad inputs."""

import re

import numpy as np
import pytest

from simlib.errors import ConfigError, FormatError, SimlibError
from simlib.filternet.movie import Movie
from simlib.filternet.stimuli import (
    FLASH_FRAME_RATE_HZ,
    MODULES,
    drifting_gratings,
    full_field_flash,
    load_movie,
    looming,
    movie_from_input,
    normalize_frames,
)


def bmtk_movie_module():
    return pytest.importorskip("bmtk.simulator.filternet.lgnmodel.movie",
                               reason="bmtk (the reference implementation) is not installed")


# --- full-field flash ---------------------------------------------------------------------------

def test_flash_frames_switch_on_at_t_on_and_off_at_t_off():
    movie = full_field_flash(4, 6, t_on_ms=500.0, t_off_ms=1500.0, max_intensity=0.8, frame_rate_hz=1000.0,
                             tstop_ms=2000.0)
    assert isinstance(movie, Movie)
    assert movie.frames.shape == (2001, 4, 6)  # frames at 0, 1, ..., 2000 ms
    assert movie.frame_rate_hz == 1000.0
    level = movie.frames[:, 2, 3]
    assert level[499] == 0.0 and level[500] == 0.8 and level[1499] == 0.8 and level[1500] == 0.0
    assert np.all(level[:500] == 0) and np.all(level[500:1500] == 0.8) and np.all(level[1500:] == 0)
    assert np.all(movie.frames == movie.frames[:, :1, :1])  # full field: every pixel alike
    np.testing.assert_array_equal(movie.row_range, np.arange(4.0))
    np.testing.assert_array_equal(movie.col_range, np.arange(6.0))


def test_flash_at_a_low_frame_rate_and_a_tstop_between_frames():
    movie = full_field_flash(2, 2, 100.0, 300.0, frame_rate_hz=10.0, tstop_ms=450.0)
    # frames at 0, 0.1, ..., 0.5 s: the last one at or just after tstop
    np.testing.assert_allclose(movie.times_s, np.arange(6) * 0.1)
    np.testing.assert_array_equal(movie.frames[:, 0, 0], [0, 1, 1, 0, 0, 0])


def test_flash_from_config_uses_bmtks_default_frame_rate_of_24_hz():
    movie = movie_from_input({"input_type": "movie", "module": "full_field_flash", "row_size": 3, "col_size": 5,
                              "t_on": 500.0, "t_off": 1500.0}, tstop_ms=2000.0)
    assert movie.frame_rate_hz == FLASH_FRAME_RATE_HZ == 24.0
    assert movie.n_frames == 49
    on = np.flatnonzero(movie.frames[:, 0, 0] == 1.0)
    assert on[0] == 12 and on[-1] == 35  # 0.5 s <= k/24 < 1.5 s


@pytest.mark.parametrize("t_on, t_off", [(1500.0, 500.0), (500.0, 500.0)])
def test_flash_t_off_not_after_t_on_is_an_error(t_on, t_off):
    with pytest.raises(ConfigError, match=r"t_off: expected a time \(ms\) greater than t_on"):
        full_field_flash(2, 2, t_on, t_off, tstop_ms=2000.0)


@pytest.mark.parametrize("rate", [0.0, -24.0, float("nan"), "fast"])
def test_flash_frame_rate_must_be_positive(rate):
    with pytest.raises(ConfigError, match=r"frame_rate: expected a number \(Hz\) > 0"):
        full_field_flash(2, 2, 0.0, 10.0, frame_rate_hz=rate, tstop_ms=100.0)


@pytest.mark.parametrize("key, value", [("row_size", 0), ("col_size", 2.5), ("row_size", True)])
def test_flash_sizes_must_be_positive_whole_pixels(key, value):
    sizes = {"row_size": 2, "col_size": 2, key: value}
    with pytest.raises(ConfigError, match=f"{key}: expected"):
        full_field_flash(sizes["row_size"], sizes["col_size"], 0.0, 10.0, tstop_ms=100.0)


@pytest.mark.parity
@pytest.mark.parametrize("rate, tstop, t_on, t_off", [(1000.0, 2000.0, 500.0, 1500.0), (24.0, 2000.0, 500.0, 1500.0),
                                                      (500.0, 2001.0, 300.0, 700.3), (1000.0, 300.0, 10.0, 290.0)])
def test_flash_equals_bmtk(rate, tstop, t_on, t_off):
    mv = bmtk_movie_module()
    theirs = mv.FullFieldFlashMovie(range(5), range(7), t_on / 1000, t_off / 1000, max_intensity=-2.0,
                                    frame_rate=rate).full(t_max=tstop / 1000)
    ours = full_field_flash(5, 7, t_on, t_off, -2.0, rate, tstop_ms=tstop)
    np.testing.assert_array_equal(ours.frames, theirs.data)
    np.testing.assert_allclose(ours.times_s, theirs.t_range, rtol=0, atol=1e-12)


# --- drifting gratings ---------------------------------------------------------------------------

def grating_reference(row_range, col_range, t_s, cpd, tf, theta, phase, contrast):
    """bmtk 1.2's way of writing the formula (rows pointing down): a different but equal expression."""
    th = np.deg2rad(-theta)
    t, y, x = np.meshgrid(t_s, row_range, col_range, indexing="ij")
    return contrast * np.sin(2 * np.pi * (cpd * (x * np.cos(th) + y * np.sin(th)) - tf * t) + np.deg2rad(phase))


def test_grating_formula_without_grey_screen():
    kw = {"cpd": 0.04, "temporal_f": 3.0, "theta": 30.0, "phase": 20.0, "contrast": 0.8}
    movie = drifting_gratings(20, 30, tstop_ms=250.0, frame_rate_hz=200.0, degrees_per_pixel=2.0, **kw)
    assert movie.frames.shape == (51, 10, 15)
    np.testing.assert_allclose(movie.row_range, np.linspace(0, 20, 10))
    np.testing.assert_allclose(movie.col_range, np.linspace(0, 30, 15))
    t_s = np.arange(51) / 200.0
    ref = grating_reference(movie.row_range, movie.col_range, t_s, 0.04, 3.0, 30.0, 20.0, 0.8)
    np.testing.assert_allclose(movie.frames, ref, rtol=0, atol=1e-12)
    # the inventory's form: theta' = pi(180-theta)/180, phi' = pi(180-phase)/180, + tf t
    th, ph = np.pi * (180 - 30.0) / 180, np.pi * (180 - 20.0) / 180
    x, y = movie.col_range[7], movie.row_range[4]
    value = 0.8 * np.sin(2 * np.pi * (0.04 * (x * np.cos(th) + y * np.sin(th)) + 3.0 * t_s[13]) + ph)
    assert movie.frames[13, 4, 7] == pytest.approx(value, abs=1e-12)


def test_grating_grey_screen_is_in_ms_and_shares_its_last_frame():
    movie = drifting_gratings(10, 10, tstop_ms=400.0, frame_rate_hz=1000.0, gray_screen_dur_ms=100.0, cpd=0.1,
                              degrees_per_pixel=1.0)
    # 101 grey frames (0..100 ms), then grating frames 1..300 of its 301 (t = 1..300 ms after the grey)
    assert movie.frames.shape == (401, 10, 10)
    assert np.all(movie.frames[:101] == 0.0)
    ref = grating_reference(movie.row_range, movie.col_range, np.arange(301) / 1000.0, 0.1, 4.0, 45.0, 0.0, 1.0)
    np.testing.assert_allclose(movie.frames[101:], ref[1:], rtol=0, atol=1e-12)


def test_grating_y_dir_up_flips_the_angle():
    down = drifting_gratings(8, 8, tstop_ms=50.0, theta=60.0, degrees_per_pixel=1.0)
    up = drifting_gratings(8, 8, tstop_ms=50.0, theta=-60.0, degrees_per_pixel=1.0, y_dir="up")
    np.testing.assert_allclose(up.frames, down.frames, atol=1e-12)
    with pytest.raises(ConfigError, match=r"y_dir: expected one of 'down', 'up'"):
        drifting_gratings(8, 8, tstop_ms=50.0, y_dir="left")


@pytest.mark.parametrize("module", ["graiting", "grating", "gratings", "Graiting"])
def test_grating_module_names(module):
    spec = {"input_type": "movie", "module": module, "row_size": 12, "col_size": 16, "gray_screen_dur": 20.0,
            "cpd": 0.05, "temporal_f": 2.0, "theta": 90.0, "contrast": 0.5, "frame_rate": 500.0}
    movie = movie_from_input(spec, tstop_ms=100.0)
    ref = drifting_gratings(12, 16, tstop_ms=100.0, frame_rate_hz=500.0, gray_screen_dur_ms=20.0, cpd=0.05,
                            temporal_f=2.0, theta=90.0, contrast=0.5)
    np.testing.assert_array_equal(movie.frames, ref.frames)
    assert movie.frames.shape == (51, 6, 8) and np.all(movie.frames[:11] == 0)


@pytest.mark.parametrize("kw, message", [
    ({"contrast": 1.5}, r"contrast: expected a number >= 0 and <= 1, got 1.5"),
    ({"cpd": 0.0}, r"cpd: expected a number \(cycles/degree\) > 0"),
    ({"gray_screen_dur_ms": 300.0}, r"gray_screen_dur: expected a duration \(ms\) shorter than run.tstop"),
    ({"frame_rate_hz": 0}, r"frame_rate: expected a number \(Hz\) > 0"),
    ({"degrees_per_pixel": 50.0}, r"degrees_per_pixel: expected at most the screen size"),
])
def test_grating_bad_parameters(kw, message):
    with pytest.raises(ConfigError, match=message):
        drifting_gratings(20, 30, tstop_ms=300.0, **{"frame_rate_hz": 100.0, **kw})


@pytest.mark.parity
@pytest.mark.parametrize("grey_ms, tstop, rate, kw", [
    (500.0, 2000.0, 1000.0, {}),
    (0.5, 1000.0, 1000.0, {}),  # BMTK's example value: half a millisecond of grey
    (0.0, 1000.0, 500.0, {"theta": 30.0, "phase": 20.0, "cpd": 0.04, "contrast": 0.8}),
    (100.0, 600.0, 1000.0, {"y_dir": "up", "theta": 70.0}),
    (100.0, 600.0, 1000.0, {"degrees_per_pixel": 1.3, "row_size_new": 50.0}),
])
def test_grating_equals_bmtk(grey_ms, tstop, rate, kw):
    mv = bmtk_movie_module()
    kw = dict(kw)
    y_dir = kw.pop("y_dir", "down")
    theirs = mv.GratingMovie(60, 80, frame_rate=rate, y_dir=y_dir).create_movie(
        t_min=0, t_max=tstop / 1000, gray_screen_dur=grey_ms / 1000, **kw)
    ours = drifting_gratings(60, 80, tstop_ms=tstop, frame_rate_hz=rate, gray_screen_dur_ms=grey_ms, y_dir=y_dir, **kw)
    assert ours.frames.shape == theirs.data.shape
    np.testing.assert_allclose(ours.frames, theirs.data, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.row_range, theirs.row_range)
    np.testing.assert_allclose(ours.col_range, theirs.col_range)


# --- looming ---------------------------------------------------------------------------------------

def test_looming_grey_then_a_growing_dark_disk():
    movie = looming(21, 31, frame_rate_hz=100.0, t_looming_s=0.5, gray_screen_dur_s=0.2)
    assert movie.frames.shape == (70, 21, 31)
    assert np.all(movie.frames[:20] == 0)
    loom = movie.frames[20:]
    assert set(np.unique(loom)) <= {-1.0, 0.0}
    assert loom[0].sum() == 0  # radius 0, and the centre (10.5, 15.5) is no pixel's
    dark = (loom == -1).sum(axis=(1, 2))
    assert np.all(np.diff(dark) >= 0) and dark[-1] > dark[1]
    # frame i darkens the pixels within squared radius i * 0.75 of (rows/2, cols/2)
    r, c = np.mgrid[:21, :31]
    np.testing.assert_array_equal(loom[40] == -1, (r - 10.5) ** 2 + (c - 15.5) ** 2 <= 40 * 0.75)
    np.testing.assert_allclose(movie.row_range, np.linspace(0, 21, 21))


def test_looming_accepts_both_spellings_of_the_grey_key():
    base = {"input_type": "movie", "module": "looming", "row_size": 10, "col_size": 10, "frame_rate": 100.0,
            "t_looming": 0.1}
    assert movie_from_input(base, 1000.0).n_frames == 60  # BMTK's default grey screen: 0.5 s
    assert movie_from_input({**base, "gray_sceen_dur": 0.2}, 1000.0).n_frames == 30
    assert movie_from_input({**base, "gray_screen_dur": 0.3}, 1000.0).n_frames == 40
    with pytest.raises(ConfigError, match="gray_screen_dur: given twice with different values"):
        movie_from_input({**base, "gray_screen_dur": 0.3, "gray_sceen_dur": 0.2}, 1000.0)


@pytest.mark.parity
@pytest.mark.parametrize("rate, t_loom, grey", [(1000.0, 1.0, 0.5), (500.0, 0.3, 0.1), (1000.0, 2.0, 0.0)])
def test_looming_equals_bmtk(rate, t_loom, grey):
    mv = bmtk_movie_module()
    theirs = mv.LoomingMovie(40, 61, frame_rate=rate).create_movie(t_looming=t_loom, gray_screen_dur=grey)
    ours = looming(40, 61, frame_rate_hz=rate, t_looming_s=t_loom, gray_screen_dur_s=grey)
    np.testing.assert_array_equal(ours.frames, theirs.data)
    np.testing.assert_allclose(ours.row_range, theirs.row_range)
    np.testing.assert_allclose(ours.col_range, theirs.col_range)


# --- movie files and normalisation ------------------------------------------------------------------

@pytest.mark.parametrize("data, expected", [
    (np.array([0.0, 0.25, 1.0]), [-1.0, -0.5, 1.0]),        # [0, 1]
    (np.array([-0.5, 0.0, 0.5]), [-0.5, 0.0, 0.5]),         # already in [-1, 1]
    (np.array([0.0, 51.0, 255.0]), [-1.0, -0.6, 1.0]),      # [0, 255]
    (np.array([-10.0, 0.0, 30.0]), [-1.0, -0.5, 1.0]),      # its own min/max
])
def test_normalize_guesses_the_range(data, expected):
    np.testing.assert_allclose(normalize_frames(data.reshape(3, 1, 1)).ravel(), expected)


def test_normalize_with_an_explicit_range():
    np.testing.assert_allclose(normalize_frames(np.array([0.0, 50.0, 100.0]), [0, 100]), [-1, 0, 1])
    with pytest.raises(ConfigError, match=r"normalize: expected a range holding the movie's values \[0, 100\]"):
        normalize_frames(np.array([0.0, 100.0]), [0, 50])
    with pytest.raises(ConfigError, match="normalize: expected \\[min, max\\] with min < max"):
        normalize_frames(np.array([0.0, 1.0]), [1, 0])
    with pytest.raises(ConfigError, match="normalize: expected true, false or \\[min_contrast, max_contrast\\]"):
        normalize_frames(np.array([0.0, 1.0]), [0, 1, 2])
    with pytest.raises(ConfigError, match="the movie is constant"):
        normalize_frames(np.full(4, 300.0))


@pytest.mark.parity
@pytest.mark.parametrize("scale, domain", [(1.0, True), (255.0, True), (37.0, True), (2.0, [-3.0, 5.0])])
def test_normalize_equals_bmtk(scale, domain):
    mv = bmtk_movie_module()
    data = np.random.default_rng(3).uniform(0, 1, (5, 4, 3)) * scale
    np.testing.assert_allclose(normalize_frames(data, domain), mv.Movie.normalize_matrix(data.copy(), domain=domain))


def test_load_npy_and_npz(tmp_path):
    frames = np.random.default_rng(0).uniform(0, 255, (6, 3, 4))
    np.save(tmp_path / "m.npy", frames)
    np.savez(tmp_path / "m.npz", movie=frames)
    for name in ("m.npy", "m.npz"):
        movie = load_movie(tmp_path / name, 30.0, normalize=True)
        np.testing.assert_allclose(movie.frames, frames * 2 / 255 - 1)
        assert movie.frame_rate_hz == 30.0
    flipped = load_movie(tmp_path / "m.npy", 30.0, flip_y=True, row_range=[0, 2, 4], col_range=[1, 2, 3, 4])
    np.testing.assert_array_equal(flipped.frames, frames[:, ::-1, :])
    np.testing.assert_array_equal(flipped.row_range, [0, 2, 4])
    by_times = load_movie(tmp_path / "m.npy", t_range=np.arange(6) * 0.02)
    assert by_times.frame_rate_hz == pytest.approx(50.0)


def test_movie_from_input_reads_a_movie_file(tmp_path):
    np.save(tmp_path / "m.npy", np.zeros((4, 2, 3)))
    movie = movie_from_input({"input_type": "movie", "module": "movie", "data_file": str(tmp_path / "m.npy"),
                              "frame_rate": 1000.0, "evaluation_options": {"separable": True}}, tstop_ms=10.0)
    assert movie.frames.shape == (4, 2, 3) and movie.frame_rate_hz == 1000.0


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4, 5)])
def test_movie_with_the_wrong_number_of_dimensions(tmp_path, shape):
    path = tmp_path / "bad.npy"
    np.save(path, np.zeros(shape))
    with pytest.raises(FormatError) as exc:
        load_movie(path, 1000.0)
    assert str(path) in str(exc.value)
    assert re.search(r"expected a movie of shape \(frames, rows, cols\), got shape " + re.escape(str(shape)),
                     str(exc.value))


def test_bad_movie_files_and_parameters(tmp_path):
    np.save(tmp_path / "m.npy", np.zeros((4, 2, 3)))
    np.savez(tmp_path / "two.npz", a=np.zeros((4, 2, 3)), b=np.zeros((4, 2, 3)))
    with pytest.raises(FormatError, match=r"two.npz: expected one array .* found 2: \['a', 'b'\]"):
        load_movie(tmp_path / "two.npz", 10.0)
    with pytest.raises(FormatError, match="file not found"):
        load_movie(tmp_path / "missing.npy", 10.0)
    with pytest.raises(ConfigError, match=r"unknown movie file type '.mp4'; accepted: .npy, .npz"):
        load_movie(tmp_path / "m.mp4", 10.0)
    with pytest.raises(ConfigError, match="frame_rate: required key missing"):
        load_movie(tmp_path / "m.npy")
    with pytest.raises(ConfigError, match=r"frame_rate: expected a number \(Hz\) > 0, got -5"):
        load_movie(tmp_path / "m.npy", -5)
    with pytest.raises(ConfigError, match="row_range: expected 2 coordinates"):
        load_movie(tmp_path / "m.npy", 10.0, row_range=[0, 1, 2])
    with pytest.raises(ConfigError, match="t_range: expected evenly spaced increasing times"):
        load_movie(tmp_path / "m.npy", t_range=[0, 0.1, 0.3, 0.4])


# --- dispatch --------------------------------------------------------------------------------------

def test_unknown_module_lists_the_accepted_ones():
    with pytest.raises(ConfigError) as exc:
        movie_from_input({"input_type": "movie", "module": "checkerboard"}, 100.0, "cfg.json: inputs.stim")
    message = str(exc.value)
    assert message.startswith('cfg.json: inputs.stim.module: unknown stimulus module "checkerboard"; accepted: ')
    for name in MODULES:
        assert name in message


def test_missing_keys_are_named():
    with pytest.raises(ConfigError, match=r"^src.t_off: required key missing for module 'full_field_flash'"):
        movie_from_input({"module": "full_field_flash", "row_size": 2, "col_size": 2, "t_on": 1.0}, 100.0, "src")
    with pytest.raises(ConfigError, match=r"^src.module: required key missing; accepted: full_field_flash"):
        movie_from_input({"row_size": 2}, 100.0, "src")
    with pytest.raises(ConfigError, match=r"^src.data_file: required key missing for module 'movie'"):
        movie_from_input({"module": "movie", "frame_rate": 10.0}, 100.0, "src")


def test_errors_are_simlib_errors():
    assert issubclass(ConfigError, SimlibError) and issubclass(FormatError, SimlibError)
