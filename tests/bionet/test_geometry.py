"""Segment coordinates at a node's position and rotation (BMTK's convention), and node placement columns."""

import numpy as np
import pandas as pd
import pytest

from simlib.bionet.cells import MorphologyCache, replace_axon, set_nseg
from simlib.bionet.geometry import node_placement, rotation_matrix, segment_coordinates, xyz_rotation
from simlib.morphology.swc import write_swc
from simlib.morphology.synthetic import pyramidal_cell


@pytest.fixture(scope="module")
def cell(tmp_path_factory):
    swc = write_swc(tmp_path_factory.mktemp("geom") / "pyr.swc", pyramidal_cell(3))
    cell = MorphologyCache().instantiate(swc, gid=0)
    replace_axon(cell)
    set_nseg(cell, 20.0)
    return cell


def test_segments_follow_the_sections(cell):
    c = segment_coordinates(cell)
    n = sum(sec.nseg for sec in cell.all)
    assert c.p0.shape == c.p1.shape == c.p05.shape == (n, 3)
    assert np.allclose(c.soma_um, 0.0, atol=1e-9)  # centred on the soma's points
    lengths = np.linalg.norm(c.p1 - c.p0, axis=1)
    expected = np.concatenate([np.full(sec.nseg, sec.L / sec.nseg) for sec in cell.all])
    straight = expected < 5.0  # short segments are close to straight; long ones may bend
    assert np.all(lengths <= expected * (1 + 1e-6)) and np.allclose(lengths[straight], expected[straight], rtol=0.05)
    assert np.allclose((c.p0 + c.p1)[straight] / 2, c.p05[straight], atol=0.5)


def test_rotation_and_position(cell):
    base = segment_coordinates(cell)
    angles = (0.3, -1.1, 2.0)
    moved = segment_coordinates(cell, position_um=(100.0, 400.0, -20.0), rotation_rad=angles)
    rot = xyz_rotation(angles)
    assert np.allclose(moved.p05, (base.p05 - base.soma_um) @ rot.T + np.array([100.0, 400.0, -20.0]))
    assert np.allclose(moved.soma_um, [100.0, 400.0, -20.0])
    # distances between segments are unchanged by a rotation
    assert np.allclose(np.linalg.norm(moved.p1 - moved.p0, axis=1), np.linalg.norm(base.p1 - base.p0, axis=1))


def test_rotation_matrix_convention():
    """Counter-clockwise: rotating x by 90 degrees about z gives y."""
    assert np.allclose(rotation_matrix([0, 0, 1], np.pi / 2) @ [1, 0, 0], [0, 1, 0])
    r = xyz_rotation((0.1, 0.2, 0.3))
    assert np.allclose(r @ r.T, np.eye(3)) and np.isclose(np.linalg.det(r), 1.0)


@pytest.mark.parity
def test_rotation_matrix_equals_bmtk():
    morphology = pytest.importorskip("bmtk.simulator.bionet.morphology")
    rng = np.random.default_rng(0)
    for _ in range(5):
        axis, theta = rng.normal(size=3), rng.uniform(-np.pi, np.pi)
        assert np.allclose(rotation_matrix(axis, theta), morphology.rotation_matrix(axis, theta))


def test_node_placement_columns():
    nodes = pd.DataFrame({"x": [1.0], "y": [2.0], "z": [3.0], "rotation_angle_zaxis": [0.5]})
    pos, rot = node_placement(nodes, 0)
    assert pos.tolist() == [1.0, 2.0, 3.0] and rot.tolist() == [0.0, 0.0, 0.5]
    pos, rot = node_placement(pd.DataFrame({"positions": [np.array([4.0, 5.0, 6.0])]}), 0)
    assert pos.tolist() == [4.0, 5.0, 6.0] and rot.tolist() == [0.0, 0.0, 0.0]
    assert node_placement(pd.DataFrame({"pop_name": ["a"]}), 0)[0] is None

