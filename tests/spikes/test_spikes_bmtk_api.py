"""BMTK's spike-train API behaviours, checked against bmtk itself: comparisons, seeds and the exceptions raised."""

import itertools

import numpy as np
import pytest

from simlib.errors import ConfigError, FormatError
from simlib.spikes import PoissonSpikeGenerator, SpikeTrains

pytestmark = pytest.mark.parity
bmtk_spikes = pytest.importorskip("bmtk.utils.reports.spike_trains", reason="bmtk (test-only oracle) not installed")

# trains as {population: (node_ids, times ms)}; each pair of them is compared with every operator
CASES = {
    "base": {"V1": ([0, 0, 1, 2], [1.0, 2.0, 3.0, 4.5])},
    "same": {"V1": ([2, 1, 0, 0], [4.5, 3.0, 2.0, 1.0])},                   # other order
    "fewer": {"V1": ([0, 1], [2.0, 3.0])},                                   # a subset
    "more": {"V1": ([0, 0, 1, 2, 2], [1.0, 2.0, 3.0, 4.5, 9.0])},           # a superset
    "shifted": {"V1": ([0, 0, 1, 2], [1.0, 2.0, 3.0, 4.5 + 1e-3])},
    "near": {"V1": ([0, 0, 1, 2], [1.0, 2.0, 3.0 + 1e-7, 4.5])},            # within BMTK's err 1e-5
    "other_node": {"V1": ([0, 0, 1, 3], [1.0, 2.0, 3.0, 4.5])},
    "two_pops": {"V1": ([0, 0, 1, 2], [1.0, 2.0, 3.0, 4.5]), "LGN": ([5], [7.0])},
    "other_pop": {"LGN": ([0, 1], [2.0, 3.0])},
}


def make(cls, case: dict):
    trains = cls()
    for pop, (ids, times) in case.items():
        trains.add_spikes(node_ids=ids, timestamps=times, population=pop)
    return trains


def documented_subset(a: dict, b: dict, strict: bool = False, err: float = 1e-5) -> bool:
    """BMTK's documented is_subset: every (population, node, time) of `a` is in `b` (time within `err`);
    `strict` also needs other populations or spike counts (bmtk 1.2's own code raises IndexError when a
    spike of `a` lies after the last spike of its node in `b`, or its node does not spike in `b`)."""
    for pop, (ids, times) in a.items():
        if pop not in b:
            return False
        other = list(zip(*b[pop]))
        if len(ids) > len(other) or not all(any(n == m and abs(t - u) <= err for m, u in other)
                                            for n, t in zip(ids, times)):
            return False
    same = set(a) == set(b) and all(len(a[p][0]) == len(b[p][0]) for p in a)
    return not (strict and same)


OPS = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<=": lambda x, y: x <= y,
       "<": lambda x, y: x < y, ">=": lambda x, y: x >= y, ">": lambda x, y: x > y}
DOCUMENTED = {"<=": lambda a, b: documented_subset(a, b), "<": lambda a, b: documented_subset(a, b, strict=True),
              ">=": lambda a, b: documented_subset(b, a), ">": lambda a, b: documented_subset(b, a, strict=True)}


@pytest.mark.parametrize("a, b", list(itertools.product(CASES, repeat=2)))
def test_comparisons_are_bmtks(a, b):
    ours_a, ours_b = make(SpikeTrains, CASES[a]), make(SpikeTrains, CASES[b])
    theirs_a, theirs_b = make(bmtk_spikes.SpikeTrains, CASES[a]), make(bmtk_spikes.SpikeTrains, CASES[b])
    for name, op in OPS.items():
        try:
            expected = bool(op(theirs_a, theirs_b))
        except IndexError:                          # bmtk's is_subset bug: the documented meaning instead
            expected = DOCUMENTED[name](CASES[a], CASES[b])
        assert op(ours_a, ours_b) is expected, f"{a} {name} {b}"
        assert bool(op(ours_a, theirs_b)) is expected, f"{a} {name} bmtk {b}"    # mixed: bmtk's trains as other
        if name in DOCUMENTED:
            assert expected is DOCUMENTED[name](CASES[a], CASES[b]), f"{a} {name} {b}: bmtk differs from its docs"


def test_err_is_an_absolute_tolerance():
    """Deliberately different: bmtk's is_equal uses np.allclose with its default rtol=1e-5 on top of err."""
    base, near = make(SpikeTrains, CASES["base"]), make(SpikeTrains, CASES["near"])
    theirs_base, theirs_near = make(bmtk_spikes.SpikeTrains, CASES["base"]), make(bmtk_spikes.SpikeTrains,
                                                                                  CASES["near"])
    assert theirs_base.is_equal(theirs_near, err=1e-9)          # 1e-7 ms apart: within rtol 1e-5 x 3 ms
    assert not base.is_equal(near, err=1e-9) and base.is_equal(near, err=1e-6)


def test_is_equal_takes_bmtks_populations_and_time_window():
    ours_a, ours_b = make(SpikeTrains, CASES["two_pops"]), make(SpikeTrains, CASES["base"])
    theirs_a, theirs_b = make(bmtk_spikes.SpikeTrains, CASES["two_pops"]), make(bmtk_spikes.SpikeTrains,
                                                                                CASES["base"])
    for populations in (None, "V1", ["V1"], ["V1", "LGN"]):
        assert ours_a.is_equal(ours_b, populations=populations) is bool(theirs_a.is_equal(theirs_b,
                                                                                          populations=populations))
    shifted, theirs_shifted = make(SpikeTrains, CASES["shifted"]), make(bmtk_spikes.SpikeTrains, CASES["shifted"])
    for window in ((0.0, 4.0), (0.0, 5.0)):
        assert ours_b.is_equal(shifted, time_window=window) is bool(theirs_b.is_equal(theirs_shifted,
                                                                                      time_window=window))


def test_subset_compares_times_in_the_units_of_each():
    ms = make(SpikeTrains, CASES["fewer"])
    seconds = SpikeTrains(units="s")
    seconds.add_spikes([0, 0, 1], [0.001, 0.002, 0.003], population="V1")
    assert ms <= seconds and ms < seconds and seconds >= ms and not seconds <= ms


def test_integral_float_seeds_are_accepted_where_numpy_refuses_them():
    with pytest.raises(TypeError):          # bmtk seeds numpy's global generator, which wants an int
        bmtk_spikes.PoissonSpikeGenerator(seed=0.0)
    ours, ref = PoissonSpikeGenerator(seed=0.0), PoissonSpikeGenerator(seed=0)
    ours.add([0, 1, 2], 10.0)
    ref.add([0, 1, 2], 10.0)
    assert ours == ref and len(ours) > 0


@pytest.mark.parametrize("call", [
    lambda m: m.SpikeTrains().add_spikes([1, 2], [1.0]),
    lambda m: m.PoissonSpikeGenerator().add([0], firing_rate=-1.0),
    lambda m: m.PoissonSpikeGenerator().add([0], firing_rate=1.0, times=(1.0, 0.5)),
    lambda m: m.PoissonSpikeGenerator().add([0], firing_rate=[1.0, 2.0], times=(0.0, 1.0, 2.0)),
    lambda m: m.PoissonSpikeGenerator(seed=-1),
    lambda m: m.PoissonSpikeGenerator(seed="abc"),
    lambda m: m.SpikeTrains.load("no_such_file.h5"),
    lambda m: m.SpikeTrains.load("no_such_file.csv"),
], ids=["lengths", "negative_rate", "window", "rate_times", "negative_seed", "text_seed", "missing_h5",
        "missing_csv"])
def test_errors_are_the_builtin_bmtk_raises(call, tmp_path, monkeypatch):
    """The same built-in exception class as bmtk for the same mistake, and still simlib's own error."""
    import simlib.spikes as ours

    monkeypatch.chdir(tmp_path)
    with pytest.raises(Exception) as theirs:
        call(bmtk_spikes)
    builtin = next(c for c in type(theirs.value).__mro__ if c.__module__ == "builtins")
    with pytest.raises(builtin) as mine:
        call(ours)
    assert isinstance(mine.value, (ConfigError, FormatError))
    assert str(mine.value).startswith(("add_spikes", "PoissonSpikeGenerator", "no_such_file"))


def test_spikes_iterator_takes_bmtks_time_window():
    ours, theirs = make(SpikeTrains, CASES["two_pops"]), make(bmtk_spikes.SpikeTrains, CASES["two_pops"])
    for kwargs in ({}, {"time_window": (2.0, 4.5)}, {"populations": "V1", "time_window": (0.0, 2.0)}):
        assert sorted(ours.spikes(**kwargs)) == sorted((float(t), p, int(n)) for t, p, n in theirs.spikes(**kwargs))
    assert ours.units(population="V1") == theirs.units(population="V1") == "ms"
    ours.flush()
    ours.close()
    assert len(ours) == len(theirs) == 5


def test_time_range_and_refractory_arguments():
    ours, theirs = PoissonSpikeGenerator(seed=1), bmtk_spikes.PoissonSpikeGenerator(population="V1")
    ours.add([0, 1], 50.0, population="V1", times=(0.5, 1.0), abs_ref=0, tau_ref=0)
    theirs.add([0, 1], 50.0, times=(0.5, 1.0))
    start, stop = ours.time_range("V1")
    assert 500.0 <= start < stop <= 1000.0 and isinstance(theirs.time_range(), tuple)
    with pytest.raises(ValueError, match="refractory periods are not supported"):
        ours.add([0], 10.0, abs_ref=0.002)
