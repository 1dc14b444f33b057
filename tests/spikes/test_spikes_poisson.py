"""simlib.spikes.poisson: Poisson statistics, seeding, per-node streams and argument checks."""

import numpy as np
import pytest
from scipy import stats

from simlib.errors import ConfigError, FormatError
from simlib.spikes import PoissonSpikeGenerator, SpikeTrains


def _isis_ms(gen, population=None):
    df = gen.to_dataframe(populations=population, sort_order="by_id")
    ids, times = df["node_ids"].to_numpy(), df["timestamps"].to_numpy()
    same_node = ids[1:] == ids[:-1]
    return np.diff(times)[same_node]


def test_isis_are_exponential():
    gen = PoissonSpikeGenerator(population="V1", seed=42)
    gen.add(node_ids=np.arange(20), firing_rate=8.0, times=(0.0, 100.0))
    isis = _isis_ms(gen)
    assert isis.size > 10000
    result = stats.kstest(isis, "expon", args=(0, 1000.0 / 8.0))
    assert result.pvalue > 0.001


def test_mean_rate_within_3_sigma():
    n_nodes, rate_hz, start_s, stop_s = 100, 8.0, 1.0, 6.0
    gen = PoissonSpikeGenerator(seed=7)
    gen.add(np.arange(n_nodes), rate_hz, times=(start_s, stop_s))
    expected = n_nodes * rate_hz * (stop_s - start_s)
    assert abs(len(gen) - expected) < 3 * np.sqrt(expected)


def test_timestamps_in_ms_within_window():
    gen = PoissonSpikeGenerator(population="V1", seed=1)
    gen.add([0, 1, 2], 50.0, times=(0.5, 1.5))
    times = gen.to_dataframe()["timestamps"].to_numpy()
    assert gen.units() == "ms"
    assert times.min() >= 500.0 and times.max() <= 1500.0
    assert times.size > 100  # rates in Hz over seconds, not per ms

    seconds = PoissonSpikeGenerator(population="V1", seed=1, output_units="s")
    seconds.add([0, 1, 2], 50.0, times=(0.5, 1.5))
    assert seconds.units() == "s"
    np.testing.assert_allclose(seconds.to_dataframe()["timestamps"] * 1000.0, times)
    assert seconds == gen  # equality compares in ms


def test_inhomogeneous_step_rate_tracked():
    n_nodes = 200
    gen = PoissonSpikeGenerator(population="V1", seed=3)
    gen.add(np.arange(n_nodes), firing_rate=[5.0, 5.0, 40.0, 40.0], times=[0.0, 1.0, 1.0, 2.0])
    times = gen.to_dataframe()["timestamps"].to_numpy()
    assert times.min() >= 0.0 and times.max() <= 2000.0
    for count, rate_hz in ((np.sum(times < 1000.0), 5.0), (np.sum(times >= 1000.0), 40.0)):
        expected = n_nodes * rate_hz * 1.0
        assert abs(count - expected) < 3 * np.sqrt(expected), (count, expected)


def test_inhomogeneous_linear_ramp_and_callable():
    n_nodes = 200
    ramp = PoissonSpikeGenerator(seed=4)
    ramp.add(np.arange(n_nodes), firing_rate=[0.0, 40.0], times=[0.0, 2.0])
    expected = n_nodes * 40.0  # integral of the ramp: 0.5 * 40 Hz * 2 s per node
    assert abs(len(ramp) - expected) < 3 * np.sqrt(expected)
    late = ramp.to_dataframe()["timestamps"].to_numpy() >= 1000.0
    expected_late = n_nodes * 30.0  # integral over 1-2 s
    assert abs(late.sum() - expected_late) < 3 * np.sqrt(expected_late)

    wave = PoissonSpikeGenerator(seed=5)
    wave.add(np.arange(n_nodes), firing_rate=lambda t: 20.0 + 10.0 * np.sin(2 * np.pi * t), times=(0.0, 2.0))
    expected = n_nodes * 40.0
    assert abs(len(wave) - expected) < 3 * np.sqrt(expected)

    constant = PoissonSpikeGenerator(seed=5)
    constant.add([0], firing_rate=lambda t: 10.0, times=(0.0, 1.0))
    assert len(constant) > 0


def test_zero_rate_gives_no_spikes():
    gen = PoissonSpikeGenerator(population="V1", seed=0)
    gen.add([0, 1], 0.0)
    gen.add([2], [0.0, 0.0], times=[0.0, 1.0])
    assert len(gen) == 0


def test_seed_zero_reproducible_and_distinct():
    def run(seed):
        gen = PoissonSpikeGenerator(population="V1", seed=seed)
        gen.add(np.arange(10), 20.0, times=(0.0, 1.0))
        return gen

    assert run(0) == run(0)
    assert run(0).to_dataframe().equals(run(0).to_dataframe())
    assert run(0) != run(1)
    assert run(None) != run(None)


def test_seed_none_reproducible_from_entropy():
    first = PoissonSpikeGenerator(seed=None)
    first.add(np.arange(5), 20.0)
    again = PoissonSpikeGenerator(seed=first.seed_entropy)
    again.add(np.arange(5), 20.0)
    assert first == again


def test_global_numpy_state_untouched():
    before = np.random.get_state()[1].copy()
    PoissonSpikeGenerator(seed=0).add([0, 1], 10.0)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_trains_independent_of_batching_and_order():
    nodes = np.arange(100)
    whole = PoissonSpikeGenerator(population="V1", seed=11)
    whole.add(nodes, 15.0, times=(0.0, 2.0))
    halves = PoissonSpikeGenerator(population="V1", seed=11)
    halves.add(nodes[:50], 15.0, times=(0.0, 2.0))
    halves.add(nodes[50:], 15.0, times=(0.0, 2.0))
    reverse = PoissonSpikeGenerator(population="V1", seed=11)
    reverse.add(nodes[::-1], 15.0, times=(0.0, 2.0))
    assert whole == halves == reverse
    for node in (0, 49, 50, 99):
        np.testing.assert_array_equal(whole.get_times(node), halves.get_times(node))

    other_pop = PoissonSpikeGenerator(population="V2", seed=11)
    other_pop.add(nodes, 15.0, times=(0.0, 2.0))
    assert not np.array_equal(other_pop.get_times(0), whole.get_times(0))


def test_repeated_add_for_a_node_is_independent():
    gen = PoissonSpikeGenerator(population="V1", seed=2)
    gen.add([0], 20.0, times=(0.0, 1.0))
    gen.add([0], 20.0, times=(1.0, 2.0))
    times = gen.get_times(0)
    first, second = times[times < 1000.0], times[times >= 1000.0] - 1000.0
    assert first.size and second.size
    assert not (first.size == second.size and np.allclose(first, second))


def test_node_ids_from_nodes_file(tmp_path):
    from simlib.builder import NetworkBuilder

    net = NetworkBuilder("LGN")
    net.add_nodes(N=5, model_type="virtual")
    net.save_nodes(nodes_file_name="lgn_nodes.h5", output_dir=tmp_path)
    path = tmp_path / "lgn_nodes.h5"
    gen = PoissonSpikeGenerator(seed=0)
    gen.add(str(path), 30.0)
    assert gen.populations == ["LGN"] and gen.node_ids("LGN").tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(FormatError, match=r"lgn_nodes.h5: node population 'V1' not found; available: \['LGN'\]"):
        gen.add(path, 30.0, population="V1")


def test_save_and_reload(tmp_path):
    gen = PoissonSpikeGenerator(population="V1", seed=0)
    gen.add(np.arange(10), 10.0)
    gen.to_sonata(tmp_path / "p.h5")
    gen.to_csv(tmp_path / "p.csv")
    assert SpikeTrains.load(tmp_path / "p.h5") == gen
    assert SpikeTrains.load(tmp_path / "p.csv") == gen


# ----------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, message", [
    (dict(firing_rate=-5.0), r"firing_rate: -5.0 is negative or NaN; expected finite rates >= 0 Hz, got -5.0"),
    (dict(firing_rate=float("nan")), r"firing_rate: nan is negative or NaN"),
    (dict(firing_rate=[1.0, -2.0], times=[0.0, 1.0]), r"firing_rate: -2.0 at index 1 is negative"),
    (dict(firing_rate=5.0, times=(2.0, 1.0)), r"times: expected \(start, stop\) in seconds with 0 <= start < stop, "
                                              r"got \(2.0, 1.0\)"),
    (dict(firing_rate=5.0, times=(1.0, 1.0)), r"times: .*got \(1.0, 1.0\)"),
    (dict(firing_rate=5.0, times=(-1.0, 1.0)), r"times: .*got \(-1.0, 1.0\)"),
    (dict(firing_rate=5.0, times=(0.0,)), r"times: expected \(start, stop\) in seconds, got \(0.0,\)"),
    (dict(firing_rate=[1.0, 2.0, 3.0], times=[0.0, 1.0]), r"firing_rate, times: .* but 3 != 2"),
    (dict(firing_rate=[1.0, 2.0], times=[1.0, 0.0]), r"times: expected at least 2 finite, non-decreasing times"),
    (dict(firing_rate=lambda t: -1.0 + 0 * t, times=(0.0, 1.0)), r"firing_rate: -1.0 at index 0 is negative"),
    (dict(firing_rate=lambda t: t, times=(0.0, 1.0), max_rate=-3.0), r"max_rate: -3.0 is negative"),
])
def test_bad_arguments(kwargs, message):
    gen = PoissonSpikeGenerator(seed=0)
    with pytest.raises(ConfigError, match=f"PoissonSpikeGenerator.add: {message}"):
        gen.add([0, 1], **kwargs)
    assert len(gen) == 0


def test_rate_function_above_bound():
    gen = PoissonSpikeGenerator(seed=0)
    with pytest.raises(ConfigError, match=r"rate function gave 50.0 Hz .* expected finite rates in \[0, 10.0\] Hz"):
        gen.add([0], firing_rate=lambda t: np.full(np.shape(t), 50.0), times=(0.0, 1.0), max_rate=10.0)


@pytest.mark.parametrize("seed, builtin", [(-1, ValueError), (1.5, TypeError), ("abc", TypeError),
                                           (True, TypeError)])
def test_bad_seed(seed, builtin):
    """Also the built-in exception BMTK raises (numpy's seed checks: TypeError, ValueError for -1)."""
    with pytest.raises(ConfigError, match="seed: expected None or a whole number >= 0") as exc:
        PoissonSpikeGenerator(seed=seed)
    assert isinstance(exc.value, builtin)


@pytest.mark.parametrize("seed", [0.0, 7.0, np.float64(7.0), np.int32(7)])
def test_whole_float_seeds_are_the_integer_seeds(seed):
    """A seed written 0.0 or 7.0 in a script is that integer seed."""
    gen, ref = PoissonSpikeGenerator(seed=seed), PoissonSpikeGenerator(seed=int(seed))
    gen.add([0, 1], 20.0)
    ref.add([0, 1], 20.0)
    assert gen.seed_entropy == int(seed)
    np.testing.assert_array_equal(gen.to_dataframe()["timestamps"], ref.to_dataframe()["timestamps"])


def test_bad_node_ids():
    with pytest.raises(FormatError, match="PoissonSpikeGenerator.add: node_ids: 1 negative"):
        PoissonSpikeGenerator(seed=0).add([0, -1], 5.0)
