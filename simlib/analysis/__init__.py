"""Plots and statistics on result files (matplotlib imported lazily)."""

from simlib.analysis.activity import plot_rates, plot_rates_boxplot, population_rate_timecourse, rates_summary
from simlib.analysis.connectivity import connection_matrix, plot_connectivity
from simlib.analysis.ecp import (csd, lfp, plot_ecp, plot_ecp_populations, plot_lfp_csd, plot_spectrum,
                                 power_spectrum)
from simlib.analysis.isi import isi_cv, plot_isi_cv, population_isi_cv
from simlib.analysis.positions import node_positions, plot_positions
from simlib.analysis.popnet import plot_rates_popnet, popnet_labels
from simlib.analysis.raster import plot_raster
from simlib.analysis.synchrony import pairwise_correlations, plot_synchrony, synchrony
from simlib.analysis.traces import plot_traces

__all__ = ["plot_raster", "plot_traces", "plot_ecp", "plot_lfp_csd", "plot_spectrum", "plot_ecp_populations",
           "lfp", "csd", "power_spectrum",
           "connection_matrix", "plot_connectivity", "node_positions", "plot_positions",
           "rates_summary", "plot_rates_boxplot", "population_rate_timecourse", "plot_rates",
           "isi_cv", "population_isi_cv", "plot_isi_cv", "pairwise_correlations", "synchrony", "plot_synchrony",
           "plot_rates_popnet", "popnet_labels"]
