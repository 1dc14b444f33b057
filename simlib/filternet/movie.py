"""A visual stimulus as a movie: frames of pixel contrast on a grid of visual-field coordinates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simlib.errors import ConfigError


@dataclass
class Movie:
    """Frames (time x rows x columns) of contrast, usually in [-1, 1] (0 = mean grey).

    Frame ``k`` is shown at ``t = k / frame_rate_hz`` seconds. ``row_range`` and ``col_range`` are
    the visual-field coordinates (degrees) of the pixel rows and columns; by default pixel ``i``
    sits at ``i`` degrees (BMTK's convention: one pixel per degree, origin at pixel 0).
    """

    frames: np.ndarray
    frame_rate_hz: float
    row_range: np.ndarray | None = None
    col_range: np.ndarray | None = None

    def __post_init__(self):
        self.frames = np.asarray(self.frames, dtype=float)
        if self.frames.ndim != 3:
            raise ConfigError(f"movie: expected frames of shape (n_frames, n_rows, n_cols), got shape "
                              f"{self.frames.shape} ({self.frames.ndim} dimensions)")
        if not np.isfinite(self.frame_rate_hz) or self.frame_rate_hz <= 0:
            raise ConfigError(f"movie: frame_rate: expected a rate > 0 Hz, got {self.frame_rate_hz!r}")
        n_t, n_rows, n_cols = self.frames.shape
        self.row_range = np.arange(n_rows, dtype=float) if self.row_range is None else np.asarray(self.row_range, float)
        self.col_range = np.arange(n_cols, dtype=float) if self.col_range is None else np.asarray(self.col_range, float)
        if self.row_range.shape != (n_rows,) or self.col_range.shape != (n_cols,):
            raise ConfigError(f"movie: row_range/col_range have {self.row_range.size}/{self.col_range.size} values; "
                              f"expected {n_rows}/{n_cols} (one per pixel row/column)")

    @property
    def n_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def times_s(self) -> np.ndarray:
        """Onset of each frame (s)."""
        return np.arange(self.n_frames) / float(self.frame_rate_hz)

    @property
    def duration_s(self) -> float:
        return self.n_frames / float(self.frame_rate_hz)
