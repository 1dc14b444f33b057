"""Tests of simlib.morphology.synthetic: determinism, target ranges, and NEURON Import3d loading."""

import numpy as np
import pytest

from simlib.errors import ConfigError
from simlib.morphology import APICAL, AXON, BASAL, SOMA, Morphology, basket_cell, pyramidal_cell, read_swc, synthesize
from simlib.morphology.synthetic import BASKET_FILE, PYRAMIDAL_FILE

SEEDS = range(8)


def _stems(morph: Morphology, kind: int) -> int:
    """Number of neurites of one type that leave the soma."""
    parent_type = np.where(morph.parents >= 0, morph.types[np.maximum(morph.parents, 0)], 0)
    return int(np.sum((morph.types == kind) & (parent_type == SOMA)))


def _trunk_um(morph: Morphology) -> float:
    """Length of the apical trunk: from the apical stem, follow the thickest child down to 0.6 µm."""
    children = {}
    for child, parent in enumerate(morph.parents.tolist()):
        children.setdefault(parent, []).append(child)
    lengths = morph.edge_lengths()
    node = int(np.flatnonzero((morph.types == APICAL) & (morph.parents == 0))[0])
    total = 0.0
    while morph.radius[node] > 0.6 + 1e-9:
        node = max(children[node], key=lambda c: morph.radius[c])
        total += lengths[node]
    return total


def _segments(morph: Morphology) -> np.ndarray:
    """Edge lengths (µm) inside neurites (no soma links)."""
    parent_type = np.where(morph.parents >= 0, morph.types[np.maximum(morph.parents, 0)], 0)
    inside = (morph.parents >= 0) & (morph.types != SOMA) & (parent_type != SOMA)
    return morph.edge_lengths()[inside]


def _check_tree(morph: Morphology, soma_radius: float) -> None:
    """Parent-first order, ids 1..n and a 3-point soma at the origin."""
    n = morph.n_samples
    np.testing.assert_array_equal(morph.ids, np.arange(1, n + 1))
    assert morph.parents[0] == -1 and np.all((morph.parents[1:] >= 0) & (morph.parents[1:] < np.arange(1, n)))
    np.testing.assert_array_equal(morph.types[:3], [SOMA] * 3)
    assert np.sum(morph.types == SOMA) == 3
    np.testing.assert_allclose(morph.radius[:3], soma_radius)
    np.testing.assert_allclose(morph.xyz[:3], [[0, 0, 0], [0, -soma_radius, 0], [0, soma_radius, 0]])
    np.testing.assert_array_equal(morph.soma_center, [0, 0, 0])
    assert np.all(morph.radius > 0)


@pytest.mark.parametrize("seed", SEEDS)
def test_pyramidal_cell_in_target_ranges(seed):
    morph = pyramidal_cell(seed)
    _check_tree(morph, 10.0)
    assert set(morph.types.tolist()) == {SOMA, AXON, BASAL, APICAL}
    lengths = morph.lengths_by_type()
    assert 2500 <= lengths[BASAL] <= 4000
    assert 2000 <= lengths[APICAL] <= 3500
    assert 300 <= lengths[AXON] <= 1000
    assert 400 <= _trunk_um(morph) <= 600
    assert 5 <= _stems(morph, BASAL) <= 7
    assert _stems(morph, APICAL) == 1 and _stems(morph, AXON) == 1
    basal, apical, axon = (morph.radius[morph.types == t] for t in (BASAL, APICAL, AXON))
    assert basal.min() == pytest.approx(0.3) and basal.max() == pytest.approx(0.8)
    assert apical.min() == pytest.approx(0.3) and apical.max() == pytest.approx(1.5)
    assert 0.4 <= axon.min() and axon.max() <= 0.55
    segments = _segments(morph)
    assert segments.min() >= 4.0 and segments.max() <= 10.0
    # The apical tree rises, the axon descends.
    assert morph.xyz[morph.types == APICAL, 1].mean() > 200
    assert morph.xyz[morph.types == AXON, 1].mean() < 0


@pytest.mark.parametrize("seed", SEEDS)
def test_basket_cell_in_target_ranges(seed):
    morph = basket_cell(seed)
    _check_tree(morph, 7.0)
    assert set(morph.types.tolist()) == {SOMA, AXON, BASAL}
    lengths = morph.lengths_by_type()
    assert 1500 <= lengths[BASAL] <= 3000
    assert 1000 <= lengths[AXON] <= 2000
    assert 6 <= _stems(morph, BASAL) <= 9
    assert _stems(morph, AXON) == 1
    dend, axon = (morph.radius[morph.types == t] for t in (BASAL, AXON))
    assert dend.min() == pytest.approx(0.25) and dend.max() == pytest.approx(0.6)
    assert axon.min() == pytest.approx(0.2) and axon.max() == pytest.approx(0.35)
    segments = _segments(morph)
    assert segments.min() >= 4.0 and segments.max() <= 10.0


def test_same_seed_same_bytes_different_seed_different(tmp_path):
    first = synthesize(tmp_path / "a", 7)
    second = synthesize(tmp_path / "b", 7)
    other = synthesize(tmp_path / "c", 8)
    assert [p.name for p in first] == [PYRAMIDAL_FILE, BASKET_FILE] == ["pyramidal_synth.swc", "basket_synth.swc"]
    for a, b, c in zip(first, second, other):
        assert a.read_bytes() == b.read_bytes()
        assert a.read_bytes() != c.read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted([PYRAMIDAL_FILE, BASKET_FILE])


def test_seed_zero_is_a_seed():
    np.testing.assert_array_equal(pyramidal_cell(0).xyz, pyramidal_cell(0).xyz)
    assert pyramidal_cell(0).n_samples != pyramidal_cell(1).n_samples or \
        not np.array_equal(pyramidal_cell(0).xyz, pyramidal_cell(1).xyz)


def test_files_read_back_exactly(tmp_path):
    pyramidal, basket = synthesize(tmp_path, 3)
    for path, made in [(pyramidal, pyramidal_cell(3)), (basket, basket_cell(3))]:
        again = read_swc(path)
        for name in ("ids", "types", "xyz", "radius", "parents"):
            np.testing.assert_array_equal(getattr(again, name), getattr(made, name), err_msg=name)
        assert path.read_text().startswith("# synthetic ")


@pytest.mark.parametrize("seed", [0, 1])
def test_files_load_in_neuron_import3d(seed, tmp_path, import3d):
    for path, kinds in zip(synthesize(tmp_path, seed), [{SOMA, AXON, BASAL, APICAL}, {SOMA, AXON, BASAL}]):
        morph = read_swc(path)
        oracle = import3d(path)
        assert set(oracle["sections"]) == kinds
        assert oracle["sections"][SOMA] == 1
        assert len(oracle["roots"]) == 1  # one connected tree
        # The 3-point soma is read as a sphere: one cylinder with L = diam = 2 r.
        radius = morph.radius[0]
        assert oracle["soma"] == pytest.approx((2 * radius, 2 * radius), rel=1e-5)
        lengths = morph.lengths_by_type()
        for kind in kinds:
            assert oracle["lengths"][kind] == pytest.approx(lengths[kind], rel=0.02), kind


def test_overrides_are_built():
    morph = pyramidal_cell(4, soma_radius_um=6.0, n_basal=3, basal_length_um=1200.0, apical_length_um=1500.0,
                           axon_length_um=400.0)
    lengths = morph.lengths_by_type()
    assert _stems(morph, BASAL) == 3
    assert lengths[BASAL] == pytest.approx(1200.0, rel=0.01)
    assert lengths[APICAL] == pytest.approx(1500.0, rel=0.01)
    assert lengths[AXON] == pytest.approx(400.0, rel=0.01)
    assert morph.radius[0] == 6.0
    basket = basket_cell(4, n_dendrites=12, dendrite_length_um=2000.0, axon_length_um=500.0)
    assert _stems(basket, BASAL) == 12
    assert basket.lengths_by_type()[BASAL] == pytest.approx(2000.0, rel=0.01)


@pytest.mark.parametrize("call, message", [
    (lambda: pyramidal_cell(-1), r"seed: expected an integer >= 0, got -1"),
    (lambda: pyramidal_cell(True), r"seed: expected an integer >= 0, got True"),
    (lambda: basket_cell(1.5), r"seed: expected an integer >= 0, got 1.5"),
    (lambda: pyramidal_cell(0, n_basal=0), r"n_basal: expected an integer in \[1, 20\], got 0"),
    (lambda: basket_cell(0, n_dendrites=2.0), r"n_dendrites: expected an integer in \[1, 30\], got 2.0"),
    (lambda: pyramidal_cell(0, soma_radius_um=0), r"soma_radius_um: expected a number > 0 \(µm\), got 0"),
    (lambda: basket_cell(0, axon_length_um=float("nan")), r"axon_length_um: expected a number > 0"),
    (lambda: pyramidal_cell(0, apical_length_um=500.0), r"apical_length_um: 500.0 leaves less than 200 µm"),
])
def test_bad_arguments_raise_config_error(call, message):
    with pytest.raises(ConfigError, match=message):
        call()
