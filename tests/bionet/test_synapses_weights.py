"""Synapse placement numerics and the weight-function registry (no NEURON)."""

import numpy as np
import pytest

from simlib.bionet import add_weight_function, synaptic_weight
from simlib.bionet.synapses import (SegmentTable, draw_segments, load_synapse_model, parse_range, parse_sections,
                                    segment_key)
from simlib.circuit.weights import gaussianLL, load_functions_file, weight_function
from simlib.errors import ConfigError, FormatError


def table():
    length = np.full(12, 10.0)
    dist0 = np.arange(12) * 10.0
    return SegmentTable(section=np.repeat(np.arange(4), 3), x=np.tile([1 / 6, 0.5, 5 / 6], 4),
                        length_um=length, dist0_um=dist0, dist1_um=dist0 + length,
                        swc_type=np.array([1, 1, 1, 3, 3, 3, 4, 4, 4, 3, 3, 3]))


def test_candidates_weight_length_times_overlap():
    t = table()
    index, cdf = t.candidates(("basal",), (35.0, 100.0))
    assert index.tolist() == [3, 4, 5, 9]
    overlap = np.array([0.5, 1.0, 1.0, 1.0])
    weight = t.length_um[index] * overlap
    assert np.allclose(np.diff(np.concatenate([[0], cdf])), weight / weight.sum())
    assert cdf[-1] == 1.0
    assert t.candidates(("apic", "soma"), (1e6, 2e6))[0].size == 0


def test_draws_equal_randomstate_choice_in_sequence():
    """One stream of uniforms split over edges = BMTK's successive RandomState(gid).choice calls."""
    t = table()
    rules = [(("basal", "apical"), (0.0, 1e20)), (("somatic",), (0.0, 25.0))]
    nsyns = [3, 1, 4, 2, 5]
    rule_of = [0, 1, 0, 0, 1]
    expect = []
    rs = np.random.RandomState(1234)
    for n, r in zip(nsyns, rule_of):
        index, cdf = t.candidates(*rules[r])
        p = np.diff(np.concatenate([[0], cdf]))
        expect += rs.choice(index, n, p=p).tolist()
    uniforms = np.random.RandomState(1234).random_sample(sum(nsyns))
    draw_rule = np.repeat(rule_of, nsyns)
    got = np.empty(uniforms.size, dtype=int)
    for r in range(2):
        index, cdf = t.candidates(*rules[r])
        got[draw_rule == r] = draw_segments(uniforms[draw_rule == r], cdf, index)
    assert got.tolist() == expect


def test_parse_edge_type_values():
    assert parse_sections("['somatic', 'basal']", "x") == ("somatic", "basal")
    assert parse_sections(["apical"], "x") == ("apical",)
    assert parse_range("[0.0, 150.0]", "x") == (0.0, 150.0)
    with pytest.raises(ConfigError, match="target_sections"):
        parse_sections("['dendrite']", "edge types: target_sections")
    with pytest.raises(ConfigError, match="distance_range"):
        parse_range("[1]", "edge types: distance_range")


def test_segment_key_nodes():
    assert segment_key(2, 0.5, 3) == (2, 1) == segment_key(2, 0.4, 3)
    assert segment_key(2, 0.0, 3) == (2, -1) and segment_key(2, 1.0, 3) == (2, 3)
    assert segment_key(2, 0.99, 3) == (2, 2)


def test_synapse_model_files(tmp_path):
    (tmp_path / "a.json").write_text('{"level_of_detail": "exp2syn", "tau1": 1.0, "tau2": 3.0, "erev": 0.0}')
    model = load_synapse_model("exp2syn", tmp_path / "a.json")
    assert model.point_process == "Exp2Syn" and dict(model.params) == {"e": 0.0, "tau1": 1.0, "tau2": 3.0}
    assert load_synapse_model("ExpSyn", tmp_path / "a.json").params == (("e", 0.0), ("tau", 1.0))
    with pytest.raises(ConfigError, match="accepted: exp2syn, expsyn"):
        load_synapse_model("stp9syn", tmp_path / "a.json")
    (tmp_path / "b.json").write_text('{"tau1": 1.0}')
    with pytest.raises(FormatError, match="b.json: keys 'erev', 'tau2' missing; expected the exp2syn parameters "
                                          "erev, tau1, tau2$"):
        load_synapse_model("exp2syn", tmp_path / "b.json")
    with pytest.raises(FormatError, match="not found"):
        load_synapse_model("exp2syn", tmp_path / "c.json")


def test_weight_registry_and_builtins(tmp_path):
    edge = {"syn_weight": 2.0, "weight_sigma": 30.0}
    for name in ("default_weight_fnc", "wmax", "set_syn_weight"):
        assert weight_function(name)(edge, {}, {}) == 2.0
    assert gaussianLL(edge, {"tuning_angle": 10.0}, {"tuning_angle": 10.0}) == 2.0
    assert gaussianLL(edge, {"tuning_angle": 0.0}, {"tuning_angle": 30.0}) == pytest.approx(2.0 * np.exp(-1))
    # angles fold: 350 vs 20 degrees differ by 30
    assert gaussianLL(edge, {"tuning_angle": 350.0}, {"tuning_angle": 20.0}) == pytest.approx(2.0 * np.exp(-1))

    @synaptic_weight(name="double_it")
    def _double(e, s, t):
        return 2 * e["syn_weight"]

    add_weight_function(lambda e, s, t: -1.0, name="negative")
    assert weight_function("double_it")(edge, {}, {}) == 4.0 and weight_function("negative")(edge, {}, {}) == -1.0
    with pytest.raises(ConfigError, match="no weight function named 'nope'.*registered: .*double_it"):
        weight_function("nope")
    with pytest.raises(ConfigError, match="expected a function"):
        add_weight_function(3)
    user = tmp_path / "fns.py"
    user.write_text("from simlib.bionet import synaptic_weight\n\n@synaptic_weight\ndef from_file(e, s, t):\n    return 7.0\n")
    load_functions_file(user)
    assert weight_function("from_file")({}, {}, {}) == 7.0
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('oops')\n")
    with pytest.raises(ConfigError, match="broken.py: line 1: loading the functions file failed: RuntimeError: oops"):
        load_functions_file(broken)
    typo = tmp_path / "typo.py"
    typo.write_text("x = 1\ndef f(:\n    pass\n")
    with pytest.raises(ConfigError, match="typo.py: line 2: loading the functions file failed: SyntaxError"):
        load_functions_file(typo)
    with pytest.raises(ConfigError, match="not found"):
        load_functions_file(tmp_path / "missing.py")
