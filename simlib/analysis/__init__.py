"""Plots and statistics on result files (matplotlib imported lazily)."""

from simlib.analysis.raster import plot_raster
from simlib.analysis.traces import plot_traces

__all__ = ["plot_raster", "plot_traces"]
