"""The articulated hand: 36 NYU joints, rigid bones, angles within limits, placement."""

from __future__ import annotations

import numpy as np
import pytest

from simgan_core.hand.hand_model import (
    ABDUCTION_LIMITS,
    FLEXION_LIMITS,
    HandPose,
    hand_geometry,
    sample_pose,
    sample_shape,
)
from simgan_core.hand.joints import PALM_CENTRE, xyz_to_uvd

# (child, parent) joint index pairs of every bone: per finger tip->KNU3_B, KNU2_A->KNU2_B,
# KNU1_A->KNU1_B (6 points per finger, fingers at 0, 6, 12, 18, 24).
BONES = [(6 * f + 2 * s, 6 * f + 2 * s + 1) for f in range(5) for s in range(3)]


def _poses(n: int, seed: int = 0) -> list[HandPose]:
    rng = np.random.default_rng(seed)
    return [sample_pose(rng) for _ in range(n)]


def test_forward_kinematics_gives_36_finite_joints_in_front_of_the_camera():
    shape = sample_shape(np.random.default_rng(1))
    for pose in _poses(20):
        joints = hand_geometry(shape, pose).joints
        assert joints.shape == (36, 3) and np.isfinite(joints).all()
        assert (joints[:, 2] > 450.0).all() and (joints[:, 2] < 1050.0).all()
        np.testing.assert_allclose(joints[PALM_CENTRE], pose.palm_centre, atol=1e-9)


def test_bone_lengths_do_not_change_with_the_pose():
    shape = sample_shape(np.random.default_rng(2))
    lengths = np.array([[np.linalg.norm(g.joints[a] - g.joints[b]) for a, b in BONES]
                        for g in (hand_geometry(shape, p) for p in _poses(25, seed=3))])
    np.testing.assert_allclose(lengths, lengths[:1].repeat(len(lengths), 0), rtol=0, atol=1e-9)
    expected = shape.lengths().reshape(-1)[[3 * f + (2 - s) for f in range(5) for s in range(3)]]
    np.testing.assert_allclose(lengths[0], expected, atol=1e-9)
    # the palm is rigid too: pairwise distances of the six palm points
    palm = [hand_geometry(shape, p).joints[30:] for p in _poses(5, seed=4)]
    dist = [np.linalg.norm(q[:, None] - q[None], axis=-1) for q in palm]
    np.testing.assert_allclose(dist[1:], [dist[0]] * 4, atol=1e-9)


def test_adjacent_segments_share_their_joint():
    g = hand_geometry(sample_shape(np.random.default_rng(5)), _poses(1)[0])
    for f in range(5):
        np.testing.assert_allclose(g.joints[6 * f + 1], g.joints[6 * f + 2])  # KNU3_B = KNU2_A
        np.testing.assert_allclose(g.joints[6 * f + 3], g.joints[6 * f + 4])  # KNU2_B = KNU1_A


def test_sampled_angles_stay_within_the_limits_and_vary():
    poses = _poses(400, seed=6)
    flex = np.stack([p.flexion for p in poses])  # (n, 5, 3)
    abd = np.stack([p.abduction for p in poses])
    assert (flex >= FLEXION_LIMITS[..., 0]).all() and (flex <= FLEXION_LIMITS[..., 1]).all()
    assert (abd >= ABDUCTION_LIMITS[:, 0]).all() and (abd <= ABDUCTION_LIMITS[:, 1]).all()
    assert flex[:, :4, 1].min() < 10.0 and flex[:, :4, 1].max() > 90.0  # open and closed
    # correlated curls: neighbouring fingers' PIP flexion goes together
    assert np.corrcoef(flex[:, 1, 1], flex[:, 2, 1])[0, 1] > 0.5
    for p in poses[:20]:
        np.testing.assert_allclose(p.rotation @ p.rotation.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(p.rotation) == pytest.approx(1.0)


def test_the_hand_sits_0_6_to_0_9_m_away_inside_the_frame():
    centres = np.stack([p.palm_centre for p in _poses(200, seed=7)])
    assert centres[:, 2].min() >= 600.0 and centres[:, 2].max() <= 900.0
    uvd = xyz_to_uvd(centres)
    assert (uvd[:, 0] > 100).all() and (uvd[:, 0] < 540).all()
    assert (uvd[:, 1] > 100).all() and (uvd[:, 1] < 380).all()


def test_shapes_vary_in_size():
    scales = [sample_shape(np.random.default_rng(i)).scale for i in range(50)]
    assert min(scales) < 0.92 and max(scales) > 1.05
