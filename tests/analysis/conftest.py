"""Fixtures of the analysis tests: the small network of small_circuit.py and spikes of its V1 cells."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from small_circuit import build_network  # noqa: E402


@pytest.fixture(scope="session")
def network(tmp_path_factory):
    """circuit_config.json of the network above."""
    return build_network(tmp_path_factory.mktemp("network"))


@pytest.fixture(scope="session")
def v1_spikes(tmp_path_factory):
    """A SONATA spikes file of V1: every cell Poisson at ~20 Hz over 2 s (seed 5)."""
    from simlib.spikes import SpikeTrains

    rng = np.random.default_rng(5)
    trains = SpikeTrains(population="V1")
    for node in range(5):
        times = np.sort(rng.uniform(0.0, 2000.0, 40))
        trains.add_spikes(np.full(times.size, node), times)
    path = tmp_path_factory.mktemp("spikes") / "spikes.h5"
    trains.to_sonata(path)
    return path
