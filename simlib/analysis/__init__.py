"""Plots and statistics on result files (matplotlib imported lazily)."""

from simlib.analysis.raster import plot_raster

__all__ = ["plot_raster"]
