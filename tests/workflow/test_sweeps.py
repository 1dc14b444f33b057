"""simlib.workflow.sweeps: the points of a sweep, each point's entries, and the config checks."""

import copy

import pytest

from simlib.errors import ConfigError
from simlib.workflow import sweeps


def test_points_cross_values_and_seeds():
    grid = sweeps.points({"vary": {"spikes.a.firing_rate_hz": [2, 4.5], "simulations.s.dt_ms": [0.1]},
                          "seeds": [1, 7]})
    assert list(grid) == ["firing_rate_hz~2.0_dt_ms~0.1_seed~1", "firing_rate_hz~2.0_dt_ms~0.1_seed~7",
                          "firing_rate_hz~4.5_dt_ms~0.1_seed~1", "firing_rate_hz~4.5_dt_ms~0.1_seed~7"]
    assert grid["firing_rate_hz~4.5_dt_ms~0.1_seed~7"] == {"values": {"spikes.a.firing_rate_hz": 4.5,
                                                                      "simulations.s.dt_ms": 0.1}, "seed": 7}
    same_leaf = sweeps.points({"vary": {"spikes.a.seed_x": [1], "spikes.b.seed_x": [2]}})
    assert list(same_leaf) == ["spikes.a.seed_x~1.0_spikes.b.seed_x~2.0_seed~1"]   # colliding names in full


def test_point_config_applies_values_and_seed(tiny):
    point = "firing_rate_hz~100.0_seed~2"
    cfg = sweeps.point_config(tiny, "lgn_rate", point)
    assert set(cfg) == {"simulations", "spikes", "filternet", "point_networks"}
    assert cfg["spikes"] == {"lgn_poisson": {**tiny["spikes"]["lgn_poisson"], "firing_rate_hz": 100.0, "seed": 2}}
    assert cfg["simulations"]["l4_poisson"]["tstop_ms"] == 100.0 and cfg["filternet"] == {}
    assert tiny["spikes"]["lgn_poisson"]["seed"] == 0                      # the config is left as it was
    with pytest.raises(ConfigError, match="sweeps.lgn_rate: no point 'nope'"):
        sweeps.point_config(tiny, "lgn_rate", "nope")


def test_keys_with_dots_and_point_networks(tiny):
    tiny["sweeps"]["scale"] = {"simulation": "l4_point", "seeds": [3],
                               "vary": {"point_networks.l4_point.synapses.ExcToExc.json.syn_weight_scale": [1e4]}}
    assert sweeps.sweep_problems(tiny) == []
    cfg = sweeps.point_config(tiny, "scale", "syn_weight_scale~10000.0_seed~3")
    assert cfg["point_networks"]["l4_point"]["synapses"]["ExcToExc.json"]["syn_weight_scale"] == 1e4
    assert cfg["simulations"]["l4_point"]["seed"] == 3 and cfg["spikes"]["lgn_poisson"]["seed"] == 3


@pytest.mark.parametrize("vary, expected", [
    ({"spikes.inputs_ramp.rate_step_hz": [1]}, "expected a key of simulations.l4_poisson or of the spikes"),
    ({"networks.l4.params.scale": [1]}, "expected a key of simulations.l4_poisson"),
    ({"spikes.lgn_poisson.rate_hz": [1]}, "spikes.lgn_poisson.rate_hz: no such key in the config"),
    ({"spikes.lgn_poisson.population": [1]}, "expected a number in the config, found 'LGN'"),
    ({"simulations.l4_poisson.tstop_ms": [100, 100.0]}, "values repeat"),
])
def test_bad_sweeps_are_named(tiny, vary, expected):
    bad = copy.deepcopy(tiny)
    bad["sweeps"]["lgn_rate"]["vary"] = vary
    problems = sweeps.sweep_problems(bad)
    assert len(problems) == 1 and expected in problems[0] and problems[0].startswith("sweeps.lgn_rate")


def test_unknown_base(tiny):
    tiny["sweeps"]["lgn_rate"]["simulation"] = "l9"
    assert sweeps.sweep_problems(tiny) == ["sweeps.lgn_rate.simulation: 'l9' is not an entry of simulations"]
