"""Per-pair rule functions evaluated on arrays (simlib.builder.pair_program): same edges as the per-pair calls."""

import filecmp
import math
from pathlib import Path

import numpy as np
import pytest

import simlib.builder.connection_map as connection_map
from simlib.builder import NetworkBuilder
from simlib.builder.pair_program import RNG_METHODS, PairProgram, Unsupported, _check_rng, pair_program
from simlib.models import build_from_script

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "l4_network_script.py"
RNG = np.random.default_rng(3)
LIMIT = 2.5


def _network():
    net = NetworkBuilder("n")
    rng = np.random.default_rng(7)
    net.add_nodes(N=13, ei="e", x=rng.normal(0, 3, 13), k=np.arange(13), angle=np.linspace(-170, 170, 13))
    net.add_nodes(N=7, ei="i", x=rng.normal(0, 3, 7).astype(np.float32), k=np.arange(7) - 3, angle=12.5)
    return net


def _edges(rule, params=None, fast=True):
    """(source, target, nsyns) rows of one all-to-all edge type, with or without the array path,
    and the next number the rules' shared generator draws afterwards."""
    global RNG
    RNG = np.random.default_rng(3)
    calls = []
    with pytest.MonkeyPatch.context() as mp:
        if not fast:
            mp.setattr(connection_map, "pair_program", lambda fn, params: None)
        original = connection_map.ConnectionMap._per_pair
        mp.setattr(connection_map.ConnectionMap, "_per_pair", lambda self, *a: calls.append(1) or original(self, *a))
        net = _network()
        cm = net.add_edges(connection_rule=rule, connection_params=params)
        net.build()
    return np.column_stack([cm.source_node_id, cm.target_node_id, cm.nsyns]), RNG.random(), bool(calls)


def guards(source, target, scale=2):
    """A docstring is allowed."""
    if source["node_id"] == target["node_id"]:
        return 0
    d = abs(source["x"] - target["x"])
    if d > 4.0 and source["ei"] == "e":
        return 1
    elif d > 6:
        return None
    n = int(max(d, 0.5) * scale) % 5
    n += source["k"] // 3 - target.node_id % 2
    return max(n, 0)


def float_ops(source, target):
    delta = (source["angle"] - target["angle"] + 180) % 360 - 180
    q = -delta // 7.0 + math.floor(source["x"]) - np.floor(target["x"]) + np.sqrt(abs(delta))
    return float(int(q) % 4) + (target["ei"] in ("i", "x")) + (not source["k"] < 2 < target["k"])


def draws(source, target, p=0.4):
    if source["node_id"] == target["node_id"]:
        return 0
    p_connect = min(1.0, p + abs(source["x"] - target["x"]) / 20.0)
    return RNG.binomial(n=3, p=p_connect)


def draws_ints(source, target):
    if source["ei"] != target["ei"]:
        return RNG.integers(1, 4)
    else:
        return 0


def draws_normal(source, target):
    x = RNG.normal(source["x"], 1.0 + target["k"] % 2)
    if x > 0.5:
        return 2
    return int(x < -3.0)


def two_draws(source, target):
    return RNG.integers(0, 2) + RNG.integers(0, 2)


def power(source, target):
    return int((source["x"] - target["x"]) ** 2 < 4)


def helper(source, target):
    return power(source, target) + 1


@pytest.mark.parametrize("rule,params,supported", [
    (guards, None, True), (guards, {"scale": 3}, True), (float_ops, None, True), (draws, None, True),
    (draws, {"p": 0.1}, True), (draws_ints, None, True), (draws_normal, None, True), (lambda *_: int(RNG.integers(0, 3)), None, True),
    (lambda s, t: (s["k"] + t["k"]) % 3 if s["k"] > LIMIT else 1, None, False),   # IfExp: not supported
    (two_draws, None, False), (power, None, False), (helper, None, False),
])
def test_array_path_gives_the_per_pair_edges(rule, params, supported):
    assert (pair_program(rule, params or {}) is not None) == supported
    fast, after_fast, fast_called = _edges(rule, params)
    slow, after_slow, slow_called = _edges(rule, params, fast=False)
    assert fast_called != supported and slow_called     # supported rules ran as arrays, the others per pair
    assert np.array_equal(fast, slow) and fast.size
    assert after_fast == after_slow          # the shared generator is left where the per-pair calls leave it


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937, np.random.Philox])
def test_generator_draws_in_arrays_as_in_scalar_calls(bit_generator):
    """The property the array path relies on, for every Generator method it draws from (numpy as installed)."""
    for method in RNG_METHODS:
        _check_rng(bit_generator, method)          # raises Unsupported if numpy ever draws otherwise


def test_errors_come_from_the_per_pair_calls():
    """A pair the array path cannot evaluate exactly (here a division by zero) falls back to the calls."""
    def divide(source, target):
        return int(1.0 / (source["k"] - target["k"]) > 0)

    assert pair_program(divide, {}) is not None
    with pytest.raises(ZeroDivisionError):
        _edges(divide)

    def missing(source, target):
        return int(source["nope"] > 1)

    with pytest.raises(KeyError):
        _edges(missing)


def test_unsupported_code_is_refused():
    assert pair_program(print, {}) is None                      # not a Python function
    assert pair_program(guards, {"unknown": 1}) is None         # arguments that do not bind
    assert pair_program(lambda s, t: [1, 2][0], {}) is None
    with pytest.raises(Unsupported, match="more than one random draw"):
        PairProgram(two_draws, {})


def test_tutorial_script_same_files_and_array_path_used(tmp_path, monkeypatch):
    calls = []
    original = connection_map.ConnectionMap._per_pair
    monkeypatch.setattr(connection_map.ConnectionMap, "_per_pair",
                        lambda self, *a: calls.append(self.rule_name) or original(self, *a))
    build_from_script(SCRIPT, tmp_path / "fast", seed=4, scale=0.5)
    assert calls == []                      # every rule of the tutorial script ran as arrays
    monkeypatch.setattr(connection_map, "pair_program", lambda fn, params: None)
    build_from_script(SCRIPT, tmp_path / "slow", seed=4, scale=0.5)
    names = sorted(p.name for p in (tmp_path / "fast").iterdir())
    assert len(names) == 8 and len(calls) == 4
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "fast", tmp_path / "slow", names, shallow=False)
    assert match == names, (mismatch, errors)


@pytest.mark.parity
def test_tutorial_script_same_edges_as_bmtk(tmp_path, monkeypatch):
    bmtk_networks = pytest.importorskip("bmtk.builder.networks", reason="bmtk (test-only oracle) not installed")
    import simlib.builder
    from simlib.sonata import read_edges

    build_from_script(SCRIPT, tmp_path / "ours", seed=2, scale=0.5)
    monkeypatch.setattr(simlib.builder, "NetworkBuilder", bmtk_networks.NetworkBuilder)
    build_from_script(SCRIPT, tmp_path / "bmtk", seed=2, scale=0.5)
    cols = ["source_node_id", "target_node_id", "edge_type_id", "nsyns"]
    for name in ("V1_V1", "LGN_V1"):
        ours, theirs = (read_edges(tmp_path / d / f"{name}_edges.h5")[cols].sort_values(cols).to_numpy()
                        for d in ("ours", "bmtk"))
        assert ours.shape[0] > 100 and np.array_equal(ours, theirs)
