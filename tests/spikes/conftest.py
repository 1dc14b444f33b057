"""Fixtures for the spike tests: BMTK's hand-written spike table."""

import numpy as np
import pytest

from simlib.spikes import SpikeTrains

# The table of bmtk's tests/utils/reports/spike_trains (V1 with unsorted times, V2 one node).
V1_IDS = [0, 0, 0, 0, 2, 1, 2]
V1_TIMES = [0.25, 0.5, 0.75, 1.0, 3.0, 0.001, 2.0]
V2_IDS = [10, 10, 10]
V2_TIMES = [4.0, 4.0, 4.0]


@pytest.fixture
def bmtk_table() -> dict:
    """{population: (node_ids, timestamps ms)} of BMTK's test table."""
    return {"V1": (np.array(V1_IDS), np.array(V1_TIMES)), "V2": (np.array(V2_IDS), np.array(V2_TIMES))}


@pytest.fixture
def bmtk_trains(bmtk_table) -> SpikeTrains:
    trains = SpikeTrains()
    for pop, (ids, times) in bmtk_table.items():
        trains.add_spikes(ids, times, population=pop)
    return trains


@pytest.fixture
def leftover_temp_files():
    """Function listing the temporary files of atomic writes still present in a directory."""
    def find(directory) -> list:
        return [p.name for p in directory.iterdir() if ".tmp" in p.name]
    return find
