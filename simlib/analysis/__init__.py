"""Plots and statistics on result files (matplotlib imported lazily)."""

from simlib.analysis.ecp import (csd, lfp, plot_ecp, plot_ecp_populations, plot_lfp_csd, plot_spectrum,
                                 power_spectrum)
from simlib.analysis.raster import plot_raster
from simlib.analysis.traces import plot_traces

__all__ = ["plot_raster", "plot_traces", "plot_ecp", "plot_lfp_csd", "plot_spectrum", "plot_ecp_populations",
           "lfp", "csd", "power_spectrum"]
