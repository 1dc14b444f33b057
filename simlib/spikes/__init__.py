"""Spike trains: an in-memory container, SONATA/CSV/NWB files and a Poisson generator (BMTK-compatible)."""

from simlib.spikes.arrays import POP_NA
from simlib.spikes.csv import read_csv, write_csv
from simlib.spikes.formats import spike_file_type
from simlib.spikes.nwb import read_nwb, write_nwb
from simlib.spikes.poisson import PoissonSpikeGenerator
from simlib.spikes.sonata import read_sonata, write_sonata
from simlib.spikes.sorting import SORT_ORDERS, sort_order
from simlib.spikes.trains import SpikeTrains

__all__ = [
    "POP_NA",
    "SORT_ORDERS",
    "PoissonSpikeGenerator",
    "SpikeTrains",
    "read_csv",
    "read_nwb",
    "read_sonata",
    "sort_order",
    "spike_file_type",
    "write_csv",
    "write_nwb",
    "write_sonata",
]
