"""Visual stimuli as movies: full-field flash, drifting gratings, looming disk and movie files (BMTK inputs)."""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from simlib.errors import ConfigError, FormatError, show_value
from simlib.fileio import require_file
from simlib.filternet.movie import Movie

# Frame rates BMTK uses when an input gives none: FullFieldFlashMovie defaults to 24 Hz (not 1 kHz),
# GratingMovie and LoomingMovie to 1000 Hz.
FLASH_FRAME_RATE_HZ = 24.0
GRATING_FRAME_RATE_HZ = 1000.0
LOOMING_FRAME_RATE_HZ = 1000.0
LOOMING_GRAY_SCREEN_S = 0.5
LOOMING_RADIUS_PX = 25  # the disk's squared radius grows by 0.75 px^2 per frame and wraps at 25^2

# module name -> stimulus; `graiting` is BMTK's spelling, `grating` the one its code also accepts.
MODULES = ("full_field_flash", "graiting", "grating", "gratings", "looming", "movie")
_GRATING_NAMES = ("graiting", "grating", "gratings")
Y_DIRS = ("down", "up")
_REQUIRED = object()


# --- parameter checks --------------------------------------------------------------------------

def _fail(source: str, key: str, expected: str, value) -> ConfigError:
    return ConfigError(f"{source}.{key}: expected {expected}, got {show_value(value)}")


def _number(value, source: str, key: str, *, minimum=None, above=None, maximum=None, unit: str = "") -> float:
    """A finite real number, optionally bounded; errors name the key and the accepted range."""
    bounds = []
    if above is not None:
        bounds.append(f"> {above:g}")
    if minimum is not None:
        bounds.append(f">= {minimum:g}")
    if maximum is not None:
        bounds.append(f"<= {maximum:g}")
    expected = "a number" + (f" ({unit})" if unit else "") + (" " + " and ".join(bounds) if bounds else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise _fail(source, key, expected, value)
    value = float(value)
    if (not math.isfinite(value) or (above is not None and not value > above)
            or (minimum is not None and value < minimum) or (maximum is not None and value > maximum)):
        raise _fail(source, key, expected, value)
    return value


def _size(value, source: str, key: str) -> int:
    """A screen size in pixels: a positive whole number (120 or 120.0)."""
    number = _number(value, source, key, above=0, unit="pixels")
    if number != int(number):
        raise _fail(source, key, "a whole number of pixels > 0", value)
    return int(number)


def _frame_rate(value, source: str) -> float:
    return _number(value, source, "frame_rate", above=0, unit="Hz")


def _y_dir(value, source: str) -> str:
    if value not in Y_DIRS:
        raise _fail(source, "y_dir", "one of " + ", ".join(map(repr, Y_DIRS)), value)
    return value


def _n_frames(duration_s: float, frame_rate_hz: float) -> int:
    """Number of frames k/rate, k = 0, 1, ..., covering [0, duration]: the last at or just after it.

    BMTK counts ``len(arange(duration*rate + 1))``, the same except where the product lands one ulp
    above a whole number (e.g. 2007 ms at 1 kHz): it then adds a frame past the end; simlib does not.
    """
    x = duration_s * frame_rate_hz
    k = round(x)
    if abs(x - k) > 1e-9 * max(1.0, abs(x)):
        k = math.ceil(x)
    return int(k) + 1


# --- stimuli ----------------------------------------------------------------------------------

def full_field_flash(row_size: int, col_size: int, t_on_ms: float, t_off_ms: float, max_intensity: float = 1.0,
                     frame_rate_hz: float = 1000.0, *, tstop_ms: float, source: str = "full_field_flash") -> Movie:
    """A grey screen (0) that turns to `max_intensity` from `t_on_ms` until `t_off_ms`.

    Frame ``k`` shows ``max_intensity`` when ``t_on <= k * (1/frame_rate) < t_off`` (times in s,
    computed as BMTK does, so the boundary frames are the same), else 0. The frames run from 0 to
    `tstop_ms` (the last at or just after it). Pixels sit at 0, 1, ..., size-1 degrees.

    Parameters
    ----------
    row_size, col_size : int
        Screen size in pixels (one pixel per degree).
    t_on_ms, t_off_ms : float
        Start and end of the flash (ms; BMTK's ``t_on``/``t_off``). ``t_off`` is the end time, not a
        duration (BMTK's docs call it a length, its code uses it as the end).
    max_intensity : float
        Contrast during the flash (> 0 brighter, < 0 darker than grey).
    frame_rate_hz : float
        Frames per second (> 0). BMTK's default for configs without ``frame_rate`` is 24 Hz
        (:data:`FLASH_FRAME_RATE_HZ`); :func:`movie_from_input` applies it.
    tstop_ms : float
        Duration of the movie (ms, > 0), normally the config's ``run.tstop``.

    Raises
    ------
    ConfigError
        A size that is not a positive whole number, ``t_off <= t_on``, ``frame_rate <= 0``, ``tstop <= 0``.
    """
    rows, cols = _size(row_size, source, "row_size"), _size(col_size, source, "col_size")
    t_on = _number(t_on_ms, source, "t_on", unit="ms")
    t_off = _number(t_off_ms, source, "t_off", unit="ms")
    if not t_off > t_on:
        raise _fail(source, "t_off", f"a time (ms) greater than t_on ({t_on:g} ms)", t_off_ms)
    level = _number(max_intensity, source, "max_intensity")
    rate = _frame_rate(frame_rate_hz, source)
    tstop_s = _number(tstop_ms, source, "tstop", above=0, unit="ms") / 1000.0
    times_s = np.arange(_n_frames(tstop_s, rate)) * (1.0 / rate)
    values = np.where((times_s >= t_on / 1000.0) & (times_s < t_off / 1000.0), level, 0.0)
    # every pixel of a frame is equal: a broadcast view keeps a 1 kHz, 120 x 240 flash from taking ~0.5 GB
    frames = np.broadcast_to(values[:, None, None], (values.size, rows, cols))
    return Movie(frames, rate)


def drifting_gratings(row_size: float, col_size: float, *, tstop_ms: float, frame_rate_hz: float = 1000.0,
                      gray_screen_dur_ms: float = 0.0, cpd: float = 0.05, temporal_f: float = 4.0,
                      theta: float = 45.0, contrast: float = 1.0, phase: float = 0.0,
                      degrees_per_pixel: float | None = None, row_size_new: float | None = None,
                      col_size_new: float | None = None, y_dir: str = "down",
                      source: str = "gratings") -> Movie:
    """A sinusoidal grating drifting across the screen, after `gray_screen_dur_ms` of grey, as BMTK.

    The grating frame at time ``t`` (s, from the end of the grey screen) is
    ``contrast * sin(2 pi (cpd (x cos th' + y sin th') + temporal_f t) + ph')`` with
    ``th' = pi (180 - theta) / 180`` and ``ph' = pi (180 - phase) / 180``, where ``x`` and ``y`` are the
    column and row coordinates (degrees). (BMTK 1.2 writes it as
    ``sin(2 pi (cpd (x cos(-theta) + y sin(-theta)) - temporal_f t) + phase)``, the same function.)
    With ``y_dir='up'`` (rows counted upwards) the angle's sign flips: ``th' = pi (180 + theta) / 180``.

    Frames: with a grey screen, ``n_grey = 1 + ceil(grey * rate)`` grey frames (0) come first and the
    grating's own first frame (``t = 0``) is dropped (BMTK joins the two movies sharing that frame);
    the grating has ``round(rate * (tstop - grey)) + 1`` frames at ``linspace(0, tstop - grey)``.

    Parameters
    ----------
    row_size, col_size : float
        Screen size (degrees). The grid has ``int(size / degrees_per_pixel)`` pixels spanning
        ``[0, size]`` inclusive, so the pitch is slightly more than `degrees_per_pixel`.
    tstop_ms : float
        End of the movie (ms), normally ``run.tstop``.
    frame_rate_hz : float
        Frames per second (> 0).
    gray_screen_dur_ms : float
        Grey screen before the grating (**ms**, >= 0): BMTK divides the config's ``gray_screen_dur`` by
        1000 although its docs say seconds (so its example's 0.5 is half a millisecond).
    cpd : float
        Spatial frequency (cycles per degree, > 0).
    temporal_f : float
        Temporal frequency (Hz).
    theta, phase : float
        Orientation and phase (degrees).
    contrast : float
        Amplitude, in [0, 1].
    degrees_per_pixel : float, optional
        Pixel pitch (degrees, > 0); default ``1 / (10 cpd)``.
    row_size_new, col_size_new : float, optional
        Relabel the grid to span ``[0, size_new]`` without recomputing the pixels (BMTK's truncation).
    y_dir : {'down', 'up'}
        Direction of increasing row index.

    Raises
    ------
    ConfigError
        Any parameter out of range, or a grey screen that reaches `tstop_ms`.
    """
    rate = _frame_rate(frame_rate_hz, source)
    rows_deg = _number(row_size, source, "row_size", above=0, unit="degrees")
    cols_deg = _number(col_size, source, "col_size", above=0, unit="degrees")
    tstop_s = _number(tstop_ms, source, "tstop", above=0, unit="ms") / 1000.0
    grey_s = _number(gray_screen_dur_ms, source, "gray_screen_dur", minimum=0, unit="ms") / 1000.0
    if not grey_s < tstop_s:
        raise _fail(source, "gray_screen_dur", f"a duration (ms) shorter than run.tstop ({tstop_s * 1000:g} ms)",
                    gray_screen_dur_ms)
    cpd = _number(cpd, source, "cpd", above=0, unit="cycles/degree")
    temporal_f = _number(temporal_f, source, "temporal_f", unit="Hz")
    theta = _number(theta, source, "theta", unit="degrees")
    phase = _number(phase, source, "phase", unit="degrees")
    contrast = _number(contrast, source, "contrast", minimum=0, maximum=1)
    pitch = 1.0 / (10.0 * cpd) if degrees_per_pixel is None else _number(
        degrees_per_pixel, source, "degrees_per_pixel", above=0, unit="degrees")
    y_dir = _y_dir(y_dir, source)
    if row_size_new is not None:
        row_size_new = _number(row_size_new, source, "row_size_new", above=0, unit="degrees")
    if col_size_new is not None:
        col_size_new = _number(col_size_new, source, "col_size_new", above=0, unit="degrees")
    n_rows, n_cols = int(rows_deg / pitch), int(cols_deg / pitch)
    if n_rows < 1 or n_cols < 1:
        raise _fail(source, "degrees_per_pixel", f"at most the screen size ({min(rows_deg, cols_deg):g} degrees)",
                    pitch)
    row_range = np.linspace(0.0, rows_deg, n_rows)
    col_range = np.linspace(0.0, cols_deg, n_cols)

    n_grating = round(rate * (tstop_s - grey_s)) + 1
    t_s = np.linspace(0.0, tstop_s - grey_s, n_grating)
    theta_p = np.pi * (180.0 - (theta if y_dir == "down" else -theta)) / 180.0
    phase_p = np.pi * (180.0 - phase) / 180.0
    spatial = cpd * (col_range[None, :] * np.cos(theta_p) + row_range[:, None] * np.sin(theta_p))
    grating = contrast * np.sin(2.0 * np.pi * (spatial[None, :, :] + temporal_f * t_s[:, None, None]) + phase_p)

    if row_size_new is not None:  # BMTK relabels the grid after computing the pixels
        row_range = np.linspace(0.0, row_size_new, n_rows)
    if col_size_new is not None:
        col_range = np.linspace(0.0, col_size_new, n_cols)
    if grey_s > 0:
        n_grey = _n_frames(grey_s, rate)
        frames = np.concatenate([np.zeros((n_grey, n_rows, n_cols)), grating[1:]])
    else:
        frames = grating
    return Movie(frames, rate, row_range=row_range, col_range=col_range)


def looming(row_size: int, col_size: int, *, frame_rate_hz: float = 1000.0, t_looming_s: float = 1.0,
            gray_screen_dur_s: float = LOOMING_GRAY_SCREEN_S, source: str = "looming") -> Movie:
    """A dark disk (-1) growing from the screen centre on grey (0), after a grey screen, as BMTK.

    ``round(rate * gray_screen_dur)`` grey frames, then ``round(rate * t_looming)`` frames; in looming
    frame ``i`` the pixels with ``(r - rows/2)^2 + (c - cols/2)^2 <= (i / (4/3)) mod 25^2`` are -1. The
    growth is per *frame*, so the disk grows faster in time at lower frame rates (BMTK's rule). The
    movie does not depend on ``run.tstop``. Pixel coordinates span ``[0, size]`` with ``size`` pixels.

    Parameters
    ----------
    row_size, col_size : int
        Screen size (pixels).
    frame_rate_hz : float
        Frames per second (> 0).
    t_looming_s : float
        Duration of the looming part (**s**, > 0).
    gray_screen_dur_s : float
        Grey screen first (**s**, >= 0). BMTK's code reads the misspelt key ``gray_sceen_dur`` and then
        crashes passing it on, and ignores ``gray_screen_dur``, so it always uses 0.5 s; simlib honours
        either key (:func:`movie_from_input`).

    Raises
    ------
    ConfigError
        A parameter out of range, or no frames at all.
    """
    rows, cols = _size(row_size, source, "row_size"), _size(col_size, source, "col_size")
    rate = _frame_rate(frame_rate_hz, source)
    t_looming_s = _number(t_looming_s, source, "t_looming", above=0, unit="s")
    grey_s = _number(gray_screen_dur_s, source, "gray_screen_dur", minimum=0, unit="s")
    n_loom, n_grey = round(rate * t_looming_s), round(rate * grey_s)
    if n_loom < 1:
        raise _fail(source, "t_looming", f"at least one frame ({1 / rate:g} s at {rate:g} Hz)", t_looming_s)
    r, c = np.mgrid[:rows, :cols]
    dist2 = (r - rows / 2) ** 2 + (c - cols / 2) ** 2
    radius2 = (np.arange(n_loom) / (4.0 / 3.0)) % (LOOMING_RADIUS_PX ** 2)
    frames = np.zeros((n_grey + n_loom, rows, cols))
    frames[n_grey:] = np.where(dist2[None, :, :] <= radius2[:, None, None], -1.0, 0.0)
    return Movie(frames, rate, row_range=np.linspace(0.0, rows, rows), col_range=np.linspace(0.0, cols, cols))


# --- movie files ------------------------------------------------------------------------------

def normalize_frames(frames: np.ndarray, domain=True, source: str = "movie") -> np.ndarray:
    """Map movie contrast to [-1, 1] as BMTK's ``normalize`` option does.

    Parameters
    ----------
    frames : ndarray
    domain : True or [min, max]
        True guesses the original range: values in [0, 1] -> from [0, 1]; already in [-1, 1] ->
        unchanged; in [0, 256) -> from [0, 255]; otherwise from [data min, data max]. A pair gives the
        original range explicitly (every value must lie inside it).

    Raises
    ------
    ConfigError
        A malformed domain, data outside it, or a constant movie whose range cannot be guessed.
    """
    frames = np.asarray(frames, dtype=float)
    lo, hi = float(np.min(frames)), float(np.max(frames))
    if domain is True:
        if lo >= 0.0 and hi <= 1.0:
            c_min, c_max = 0.0, 1.0
        elif lo >= -1.0 and hi <= 1.0:
            return frames
        elif lo >= 0.0 and hi < 256.0:
            c_min, c_max = 0.0, 255.0
        else:
            c_min, c_max = lo, hi
        if c_min == c_max:
            raise _fail(source, "normalize", "[min, max] (the movie is constant, so its range cannot be guessed)",
                        domain)
    else:
        pair = list(domain) if isinstance(domain, (list, tuple, np.ndarray)) else None
        if pair is None or len(pair) != 2:
            raise _fail(source, "normalize", "true, false or [min_contrast, max_contrast]", domain)
        c_min = _number(pair[0], source, "normalize[0]")
        c_max = _number(pair[1], source, "normalize[1]")
        if not c_min < c_max:
            raise _fail(source, "normalize", "[min, max] with min < max", domain)
        if lo < c_min or hi > c_max:
            raise _fail(source, "normalize", f"a range holding the movie's values [{lo:g}, {hi:g}]", domain)
    return (frames - c_min) * 2.0 / (c_max - c_min) - 1.0


def _read_frames(path: Path, source: str) -> np.ndarray:
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".npz"):
        raise ConfigError(f"{source}.data_file: {path}: unknown movie file type '{path.suffix}'; "
                          f"accepted: .npy, .npz")
    try:
        path = require_file(path)
    except FormatError as exc:
        raise type(exc)(f"{source}.data_file: {exc}") from None
    # an empty or cut file ends np.load with EOFError, a damaged .npz with BadZipFile or zlib.error
    unreadable = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)
    try:
        loaded = np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with loaded:
                names = list(loaded.keys())
                if len(names) != 1:
                    raise FormatError(f"{path}: expected one array (frames x rows x cols), found {len(names)}: "
                                      f"{names}")
                loaded = loaded[names[0]]
    except unreadable as exc:
        reason = str(exc) or type(exc).__name__
        raise FormatError(f"{path}: not a readable numpy {suffix} file ({reason})") from None
    if loaded.ndim != 3:
        raise FormatError(f"{path}: expected a movie of shape (frames, rows, cols), got shape {loaded.shape} "
                          f"({loaded.ndim} dimensions)")
    if 0 in loaded.shape:
        raise FormatError(f"{path}: shape {loaded.shape}: expected at least one frame, row and column "
                          "(frames, rows, cols)")
    if loaded.dtype.kind not in "biuf":
        raise FormatError(f"{path}: expected numeric frames, got dtype {loaded.dtype}")
    if not np.all(np.isfinite(loaded)):
        raise FormatError(f"{path}: the movie holds NaN or infinite values")
    return loaded


def load_movie(data_file, frame_rate_hz: float | None = None, *, normalize=False, row_range=None, col_range=None,
               t_range=None, flip_y: bool = False, source: str = "movie") -> Movie:
    """Read a movie (frames x rows x cols) from a ``.npy`` file, or a ``.npz`` holding one array.

    Parameters
    ----------
    data_file : path
    frame_rate_hz : float, optional
        Frames per second (> 0); required unless `t_range` is given.
    normalize : False, True or [min, max]
        See :func:`normalize_frames`.
    row_range, col_range : sequence of float, optional
        Visual-field coordinates (degrees) of the pixel rows/columns; default 0, 1, 2, ...
    t_range : sequence of float, optional
        Frame times (s), evenly spaced: the spacing sets the frame rate (BMTK: 1/mean(diff)). Frames
        are evaluated from t = 0 whatever ``t_range[0]`` is, as in BMTK's evaluation.
    flip_y : bool
        Reverse the row order (BMTK's ``flip_y``).

    Raises
    ------
    FormatError
        A missing or unreadable file, or not three dimensions (the message names file and shape).
    ConfigError
        Bad frame rate, ranges or normalisation.
    """
    path = Path(data_file)
    frames = _read_frames(path, source)
    if t_range is not None:
        times = np.asarray(t_range, dtype=float)
        if times.ndim != 1 or times.size != frames.shape[0] or times.size < 2:
            raise _fail(source, "t_range", f"{frames.shape[0]} frame times (one per frame of {path.name})", t_range)
        steps = np.diff(times)
        if not np.all(np.isfinite(times)) or np.any(steps <= 0) or np.ptp(steps) > 1e-6 * np.mean(steps):
            raise _fail(source, "t_range", "evenly spaced increasing times (s)", t_range)
        rate = 1.0 / float(np.mean(steps))
        if frame_rate_hz is not None and not math.isclose(_frame_rate(frame_rate_hz, source), rate, rel_tol=1e-6):
            raise _fail(source, "frame_rate", f"{rate:g} Hz (the spacing of t_range) or no frame_rate", frame_rate_hz)
    elif frame_rate_hz is None:
        raise ConfigError(f"{source}.frame_rate: required key missing (frames per second, or give t_range)")
    else:
        rate = _frame_rate(frame_rate_hz, source)
    if not isinstance(flip_y, (bool, np.bool_)):
        raise _fail(source, "flip_y", "true or false", flip_y)
    if flip_y:
        frames = frames[:, ::-1, :]
    if normalize is not False and normalize is not None:
        frames = normalize_frames(frames, normalize, source)
    for key, values, n in (("row_range", row_range, frames.shape[1]), ("col_range", col_range, frames.shape[2])):
        if values is not None:
            arr = np.asarray(values, dtype=float) if _numeric_list(values) else None
            if arr is None or arr.shape != (n,) or not np.all(np.isfinite(arr)):
                raise _fail(source, key, f"{n} coordinates (degrees), one per pixel {key[:3]} of {path.name}", values)
    return Movie(frames, rate, row_range=row_range, col_range=col_range)


def _numeric_list(values) -> bool:
    try:
        return np.asarray(values).dtype.kind in "biuf"
    except (TypeError, ValueError):
        return False


# --- config inputs ----------------------------------------------------------------------------

def movie_from_input(spec: dict, tstop_ms: float, source: str = "input") -> Movie:
    """Build the movie of one FilterNet ``inputs`` entry (``input_type: movie``) of a BMTK config.

    `spec` is the entry; ``module`` selects the stimulus (see :data:`MODULES`). Times follow BMTK:
    ``t_on``/``t_off`` and grating ``gray_screen_dur`` in ms; looming ``t_looming`` and
    ``gray_screen_dur`` (or BMTK's ``gray_sceen_dur``) in s. Keys this function does not use (e.g.
    ``evaluation_options``, ``labels``, ``units``) are ignored. Errors start with `source` (e.g.
    ``"config.json: inputs.LGN"``) and name the key.

    Raises
    ------
    ConfigError
        An unknown module (the message lists the accepted ones), missing or invalid parameters.
    FormatError
        An unreadable movie file.
    """
    if not isinstance(spec, dict):
        raise ConfigError(f"{source}: expected an object of stimulus parameters, got {show_value(spec)}")
    module = spec.get("module", _REQUIRED)
    if module is _REQUIRED:
        raise ConfigError(f"{source}.module: required key missing; accepted: {', '.join(MODULES)}")
    name = module.lower() if isinstance(module, str) else module
    if name not in MODULES:
        raise ConfigError(f"{source}.module: unknown stimulus module {show_value(module)}; accepted: {', '.join(MODULES)}")

    def need(key):
        if key not in spec:
            raise ConfigError(f"{source}.{key}: required key missing for module '{name}'")
        return spec[key]

    if name == "full_field_flash":
        return full_field_flash(need("row_size"), need("col_size"), need("t_on"), need("t_off"),
                                spec.get("max_intensity", 1.0), spec.get("frame_rate", FLASH_FRAME_RATE_HZ),
                                tstop_ms=tstop_ms, source=source)
    if name in _GRATING_NAMES:
        optional = {key: spec[key] for key in ("cpd", "temporal_f", "theta", "contrast", "phase", "degrees_per_pixel",
                                               "row_size_new", "col_size_new", "y_dir") if key in spec}
        return drifting_gratings(need("row_size"), need("col_size"), tstop_ms=tstop_ms,
                                 frame_rate_hz=spec.get("frame_rate", GRATING_FRAME_RATE_HZ),
                                 gray_screen_dur_ms=spec.get("gray_screen_dur", 0.0), source=source, **optional)
    if name == "looming":
        grey = [spec[k] for k in ("gray_screen_dur", "gray_sceen_dur") if k in spec]
        if len(grey) == 2 and grey[0] != grey[1]:
            raise ConfigError(f"{source}.gray_screen_dur: given twice with different values ({show_value(grey[0])} and "
                              f"gray_sceen_dur {show_value(grey[1])}); give one")
        return looming(need("row_size"), need("col_size"), frame_rate_hz=spec.get("frame_rate", LOOMING_FRAME_RATE_HZ),
                       t_looming_s=spec.get("t_looming", 1.0),
                       gray_screen_dur_s=grey[0] if grey else LOOMING_GRAY_SCREEN_S, source=source)
    return load_movie(need("data_file"), spec.get("frame_rate"), normalize=spec.get("normalize", False),
                      row_range=spec.get("row_range"), col_range=spec.get("col_range"), t_range=spec.get("t_range"),
                      flip_y=spec.get("flip_y", False), source=source)
