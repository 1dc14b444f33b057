"""Parity with bmtk 1.2.0: each reads the spike files the other writes, spike for spike."""

import numpy as np
import pytest

from simlib.spikes import SpikeTrains, read_nwb

bmtk_spikes = pytest.importorskip("bmtk.utils.reports.spike_trains",
                                  reason="bmtk (the reference implementation) is not installed")

pytestmark = pytest.mark.parity


def _assert_same_per_node(ours: SpikeTrains, theirs) -> None:
    """Same populations, nodes and sorted spike times per node (compared through bmtk's API)."""
    assert sorted(theirs.populations) == sorted(ours.populations)
    for pop in ours.populations:
        assert np.asarray(theirs.node_ids(population=pop)).tolist() == ours.node_ids(pop).tolist()
        for node in ours.node_ids(pop):
            np.testing.assert_allclose(np.sort(np.asarray(theirs.get_times(int(node), population=pop))),
                                       ours.get_times(node, pop), rtol=0, atol=1e-9)


def _bmtk_poisson(seed=5):
    gen = bmtk_spikes.PoissonSpikeGenerator(population="LGN", seed=seed)
    gen.add(node_ids=np.arange(20), firing_rate=12.0, times=(0.0, 2.0))
    gen.add(node_ids=[0, 1, 2], firing_rate=30.0, population="BKG", times=(0.5, 1.0))
    return gen


@pytest.mark.parametrize("sort_order", ["none", "by_time", "by_id"])
def test_bmtk_reads_our_sonata(tmp_path, bmtk_trains, sort_order):
    path = tmp_path / "ours.h5"
    bmtk_trains.to_sonata(path, sort_order=sort_order)
    _assert_same_per_node(bmtk_trains, bmtk_spikes.SpikeTrains.load(str(path)))
    _assert_same_per_node(bmtk_trains, bmtk_spikes.SpikeTrains.from_sonata(str(path)))
    sorting = bmtk_spikes.SpikeTrains.from_sonata(str(path), population="V1")
    assert [int(n) for n in sorting.node_ids(population="V1")] == [0, 1, 2]


def test_bmtk_reads_our_poisson_sonata_and_csv(tmp_path):
    gen = _bmtk_poisson()
    ours = SpikeTrains.from_dataframe(gen.to_dataframe())
    ours.to_sonata(tmp_path / "ours.h5", sort_order="by_id")
    ours.to_csv(tmp_path / "ours.csv", sort_order="by_time")
    _assert_same_per_node(ours, bmtk_spikes.SpikeTrains.load(str(tmp_path / "ours.h5")))
    _assert_same_per_node(ours, bmtk_spikes.SpikeTrains.from_csv(str(tmp_path / "ours.csv")))


def test_bmtk_reads_our_csv(tmp_path, bmtk_trains):
    path = tmp_path / "ours.csv"
    bmtk_trains.to_csv(path)
    _assert_same_per_node(bmtk_trains, bmtk_spikes.SpikeTrains.load(str(path)))
    _assert_same_per_node(bmtk_trains, bmtk_spikes.SpikeTrains.from_csv(str(path)))


def test_we_read_bmtk_poisson_sonata_and_csv(tmp_path):
    gen = _bmtk_poisson()
    gen.to_sonata(str(tmp_path / "bmtk.h5"))
    gen.to_csv(str(tmp_path / "bmtk.csv"))
    for name in ("bmtk.h5", "bmtk.csv"):
        ours = SpikeTrains.load(tmp_path / name)
        _assert_same_per_node(ours, gen)
        assert ours.is_equal(gen, err=1e-9)


def test_we_read_bmtk_sorted_sonata(tmp_path):
    gen = _bmtk_poisson()
    gen.to_sonata(str(tmp_path / "bmtk.h5"), sort_order=bmtk_spikes.sort_order.by_time)
    ours = SpikeTrains.load(tmp_path / "bmtk.h5")
    assert ours.to_dataframe(populations="LGN")["timestamps"].is_monotonic_increasing
    _assert_same_per_node(ours, gen)


def test_nwb(tmp_path, bmtk_trains):
    # bmtk's NWB reader only knows the old /processing/<trial>/spike_train layout and cannot read
    # the Units table that to_nwb (bmtk's or ours) writes, so our writer is checked with our reader.
    bmtk_trains.to_nwb(tmp_path / "ours.nwb")
    assert SpikeTrains.load(tmp_path / "ours.nwb") == bmtk_trains

    # bmtk's to_nwb stores ms in spike_times (NWB wants seconds); read_nwb recognises its files.
    gen = bmtk_spikes.PoissonSpikeGenerator(population="LGN", seed=3)
    gen.add(node_ids=np.arange(5), firing_rate=10.0, times=(0.0, 1.0))
    gen.to_nwb(str(tmp_path / "bmtk.nwb"))
    read = read_nwb(tmp_path / "bmtk.nwb")
    assert list(read) == ["LGN"]
    assert SpikeTrains.load(tmp_path / "bmtk.nwb").is_equal(gen, err=1e-9)
