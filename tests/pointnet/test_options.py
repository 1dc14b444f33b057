"""Run options of a PointNet config: steps, threads (run.nthreads or BMTK's run.n_thread) and NEST's seed."""

import re

import pytest

from simlib.config import SimulationConfig
from simlib.errors import ConfigError
from simlib.pointnet.kernel import NEST_DEFAULT_SEED
from simlib.pointnet.simulation import run_options


def options(run=None, **kw):
    config = SimulationConfig({"run": {"tstop": 100.0, "dt": 0.1, **(run or {})}}, ".", source="sim.json")
    return run_options(config, **kw)


def test_defaults():
    got = options()
    assert got == {"tstart": 0.0, "tstop": 100.0, "dt": 0.1, "steps": 1000, "threads": 1, "seed": NEST_DEFAULT_SEED,
                   "precise_times": True}


def test_threads_and_seed_from_the_config_or_the_caller():
    assert options({"nthreads": 2, "seed": 7})["threads"] == 2
    assert options({"n_thread": 2})["threads"] == 2
    assert options({"nthreads": 2, "seed": 7}, threads=1, seed=9) == {**options(), "threads": 1, "seed": 9}
    assert options({"seed": 7})["seed"] == 7


@pytest.mark.parametrize("run, kw, words", [
    ({"seed": 0}, {}, "run.seed: expected a whole number in 1..4294967295"),
    ({}, {"seed": 2**32}, "--seed"),
    ({"nthreads": 0}, {}, "run.nthreads: expected a whole number of threads >= 1, got 0"),
    ({"nthreads": 1.5}, {}, "threads >= 1, got 1.5"),
    ({}, {"threads": 0}, "--threads"),
    ({"nthreads": 2, "n_thread": 1}, {}, "run.nthreads (2) and run.n_thread (1) differ"),
    ({"tstop": 100.05}, {}, "run.tstop: expected tstart + a whole number of steps"),
    ({"precise_times": "yes"}, {}, "run.precise_times: expected true or false"),
])
def test_bad_options(run, kw, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        options(run, **kw)
