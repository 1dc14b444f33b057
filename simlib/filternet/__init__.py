"""FilterNet: LGN firing rates and spikes from visual stimuli (linear-nonlinear-Poisson filter models)."""

from simlib.filternet.evaluate import RatesResult, evaluate_rates
from simlib.filternet.metrics import spont_rate_from_cell_metrics
from simlib.filternet.movie import Movie
from simlib.filternet.poisson import rates_to_spikes
from simlib.filternet.spatial import gaussian_filter_matrix
from simlib.filternet.subunits import LGNUnits
from simlib.filternet.temporal import resample_kernels, temporal_kernel
from simlib.filternet.units import build_units

__all__ = ["LGNUnits", "Movie", "RatesResult", "build_units", "evaluate_rates", "gaussian_filter_matrix",
           "rates_to_spikes", "resample_kernels", "spont_rate_from_cell_metrics", "temporal_kernel"]
