"""The eye scene's geometry: what the labels promise about the landmarks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simgan_core.gaze.conventions import gaze_to_look_vec, gaze_to_pitchyaw, pitchyaw_to_gaze
from simgan_core.gaze.eye_model import (
    REAL_POSES,
    SYNTHETIC_POSES,
    camera_distance,
    caruncle,
    head_rotation,
    image_view,
    interior_margin,
    iris_centre_scale,
    iris_contour,
    lid_curve,
    mirrored,
    sample_scene,
)

W, H = 320, 240


def _scene(pitch_deg: float, yaw_deg: float, head=(0.0, 0.0, 0.0), seed: int = 0):
    """A sampled scene with the gaze and head pose replaced."""
    base = sample_scene(np.random.default_rng(seed), SYNTHETIC_POSES)
    gaze = pitchyaw_to_gaze(np.radians([pitch_deg, yaw_deg]))
    return replace(base, gaze=gaze, head_pyr_deg=np.array(head, dtype=float))


def _screen(points: np.ndarray, width: int = W, height: int = H) -> np.ndarray:
    """Camera-frame points -> UnityEyes screen (x, y up from the bottom)."""
    xy = image_view(width, height).project(points)
    return np.stack([xy[:, 0], height - xy[:, 1]], 1)


@pytest.mark.parametrize("size", [(320, 240), (800, 600), (640, 480)])
def test_iris_centre_is_k_times_look_vec(size):
    width, height = size
    k = iris_centre_scale(height)
    rng = np.random.default_rng(1)
    for _ in range(20):
        scene = sample_scene(rng, SYNTHETIC_POSES)
        centre = _screen(iris_contour(scene), width, height).mean(0)
        look = gaze_to_look_vec(scene.gaze)
        np.testing.assert_allclose(centre - [width / 2, height / 2], k * look[:2], atol=1e-9)
    assert iris_centre_scale(600) == pytest.approx(80.0)


def test_landmarks_inside_image_and_depth_like_unityeyes():
    rng = np.random.default_rng(2)
    for _ in range(200):
        scene = sample_scene(rng, SYNTHETIC_POSES)
        pts = np.concatenate([interior_margin(scene), caruncle(scene), iris_contour(scene)])
        xy = _screen(pts)
        assert (xy >= 0).all() and (xy[:, 0] <= W).all() and (xy[:, 1] <= H).all()
        z = camera_distance(pts)
        assert (z > 8.0).all() and (z < 11.0).all()


def test_landmark_order_matches_unityeyes():
    scene = _scene(0.0, 0.0)
    margin = _screen(interior_margin(scene))
    car = _screen(caruncle(scene))
    iris = _screen(iris_contour(scene))
    assert margin.shape == (16, 2) and car.shape == (7, 2) and iris.shape == (32, 2)
    # 0..8 along the upper lid from the inner (image-left) to the outer corner...
    assert np.all(np.diff(margin[:9, 0]) > 0)
    # ...then 9..15 back along the lower lid, below the upper lid at the same position.
    assert np.all(np.diff(margin[8:, 0]) < 0)
    assert np.all(margin[1:8, 1] > margin[15:8:-1, 1])
    # The caruncle sits round the inner corner, left of point 0.
    assert car[:, 0].mean() < margin[0, 0] and abs(car[:, 1].mean() - margin[0, 1]) < 5
    # Iris: starts at its leftmost point, goes over the top (y up), then right, bottom.
    assert np.argmin(iris[:, 0]) == 0 and np.argmax(iris[:, 1]) == 8
    assert np.argmax(iris[:, 0]) == 16 and np.argmin(iris[:, 1]) == 24


@pytest.mark.parametrize("axis", [0, 1])
def test_iris_foreshortening_grows_with_gaze_angle(axis):
    ratios = []
    for angle in [0.0, 10.0, 20.0, 30.0, 40.0]:
        angles = [0.0, angle] if axis == 0 else [angle, 0.0]  # yaw squeezes x, pitch y
        iris = _screen(iris_contour(_scene(*angles)))
        extent = iris.max(0) - iris.min(0)
        ratios.append(extent[axis] / extent[1 - axis])
        # An orthographic circle tilted by `angle` shrinks by cos(angle) (32 samples: ~1%).
        assert ratios[-1] == pytest.approx(np.cos(np.radians(angle)), rel=0.02)
    assert np.all(np.diff(ratios) < 0)


def test_upper_lid_lowers_when_gaze_pitches_down():
    t = np.linspace(0.0, 1.0, 41)
    apex = [_screen(lid_curve(_scene(p, 0.0), t, upper=True))[:, 1].max() for p in (20, 0, -20)]
    assert apex[0] > apex[1] > apex[2]  # screen y is up


def test_lids_are_attached_to_the_head():
    straight = _screen(interior_margin(_scene(0.0, 10.0)))
    same_head = _screen(interior_margin(_scene(0.0, -10.0)))  # only the eye turned
    turned = _screen(interior_margin(_scene(0.0, 10.0, head=(0.0, 15.0, 0.0))))
    np.testing.assert_allclose(straight, same_head, atol=1e-9)  # lids ignore a pure yaw
    assert np.abs(turned - straight).max() > 3.0


def test_head_rotation_front_is_pitchyaw_and_mirror_is_consistent():
    for p, y, r in [(0, 0, 0), (10, -20, 3), (-15, 12, -4)]:
        rot = head_rotation(p, y, r)
        np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
        front = rot @ np.array([0.0, 0.0, -1.0])
        np.testing.assert_allclose(front, pitchyaw_to_gaze(np.radians([p, y])), atol=1e-12)
    scene = _scene(5.0, 12.0, head=(4.0, -7.0, 2.0))
    m = mirrored(scene)
    flip = np.diag([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(m.head_rot, flip @ scene.head_rot @ flip, atol=1e-12)
    np.testing.assert_allclose(m.gaze, scene.gaze * [-1, 1, 1])
    # The mirrored eyeball is the reflection: the iris centre reflects about the centre
    # (the lids stay a left eye's: a mirrored right eye is a left eye).
    a, b = _screen(iris_contour(scene)).mean(0), _screen(iris_contour(m)).mean(0)
    np.testing.assert_allclose([W - b[0], b[1]], a, atol=1e-9)


@pytest.mark.parametrize("poses, limits", [(SYNTHETIC_POSES, (30, 40)), (REAL_POSES, (20, 25))])
def test_sampled_gaze_and_head_stay_in_range(poses, limits):
    rng = np.random.default_rng(3)
    scenes = [sample_scene(rng, poses) for _ in range(300)]
    py = np.degrees(gaze_to_pitchyaw(np.stack([s.gaze for s in scenes])))
    head = np.stack([s.head_pyr_deg for s in scenes])
    assert np.abs(py[:, 0]).max() <= limits[0] + 1e-9
    assert np.abs(py[:, 1]).max() <= limits[1] + 1e-9
    assert np.abs(head[:, :2]).max() <= 20.0 + 1e-9
    # Eye-in-head within range, so the iris is not hidden behind a corner.
    lim_pitch, lim_yaw = poses.eye_in_head_deg
    assert np.abs(py[:, 1] - head[:, 1]).max() <= lim_yaw + 1e-9
    assert np.abs(py[:, 0] - head[:, 0]).max() <= lim_pitch + 1e-9
    if poses is SYNTHETIC_POSES:  # wide: most of the range is used
        assert np.ptp(py[:, 1]) > 70 and np.ptp(py[:, 0]) > 50
    else:  # narrower: a screen in front of the subject
        assert np.std(py[:, 1]) < 12 and np.mean(py[:, 0]) < -2
