"""The one gaze-label convention: MPIIGaze's normalized camera (x right, y down, z forward)."""

from __future__ import annotations

import numpy as np
import pytest

from simgan_core.gaze.conventions import (
    angular_error_deg,
    gaze_to_look_vec,
    gaze_to_pitchyaw,
    look_vec_to_gaze,
    mirror_gaze,
    pitchyaw_to_gaze,
)

RNG_SEED = 1234


def _random_pitchyaw(n: int) -> np.ndarray:
    # (n, 2) radians, inside the open range where pitch/yaw are unique.
    rng = np.random.default_rng(RNG_SEED)
    return np.stack([rng.uniform(-1.4, 1.4, n), rng.uniform(-3.0, 3.0, n)], axis=-1)


@pytest.mark.parametrize(
    ("gaze", "pitch_deg", "yaw_deg"),
    [
        ((0.0, 0.0, -1.0), 0.0, 0.0),  # straight into the camera
        ((0.0, -0.5, -0.5 * np.sqrt(3.0)), 30.0, 0.0),  # y down, so -y is up: pitch > 0
        ((0.0, 0.5, -0.5 * np.sqrt(3.0)), -30.0, 0.0),
        ((-1.0, 0.0, 0.0), 0.0, 90.0),  # yaw = atan2(-x, -z)
        ((1.0, 0.0, 0.0), 0.0, -90.0),
        ((-0.5, 0.0, -0.5 * np.sqrt(3.0)), 0.0, 30.0),
    ],
)
def test_known_values(gaze: tuple[float, float, float], pitch_deg: float, yaw_deg: float) -> None:
    py = gaze_to_pitchyaw(np.array(gaze))
    np.testing.assert_allclose(np.degrees(py), [pitch_deg, yaw_deg], atol=1e-9)
    np.testing.assert_allclose(pitchyaw_to_gaze(py), gaze, atol=1e-12)


def test_straight_up_is_pitch_90() -> None:
    # At the poles yaw is undefined (atan2(-0, -0)); pitch is still exact.
    assert np.degrees(gaze_to_pitchyaw(np.array([0.0, -1.0, 0.0]))[0]) == pytest.approx(90.0)
    assert np.degrees(gaze_to_pitchyaw(np.array([0.0, 1.0, 0.0]))[0]) == pytest.approx(-90.0)


def test_pitchyaw_vector_round_trip_is_vectorised() -> None:
    py = _random_pitchyaw(500).reshape(5, 100, 2)
    gaze = pitchyaw_to_gaze(py)
    assert gaze.shape == (5, 100, 3)
    np.testing.assert_allclose(np.linalg.norm(gaze, axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(gaze_to_pitchyaw(gaze), py, atol=1e-10)


def test_gaze_to_pitchyaw_normalises_its_input() -> None:
    py = gaze_to_pitchyaw(np.array([0.0, -3.0, -3.0]))
    np.testing.assert_allclose(np.degrees(py), [45.0, 0.0], atol=1e-9)


def test_look_vec_flips_y_and_round_trips() -> None:
    look = np.array([0.3404, 0.3879, -0.8566, 0.0])  # UnityEyes: y UP, 4 components
    gaze = look_vec_to_gaze(look)
    assert gaze.shape == (3,)
    assert gaze[1] < 0  # looking up is -y in the project convention...
    assert gaze_to_pitchyaw(gaze)[0] > 0  # ...and a positive pitch
    np.testing.assert_allclose(gaze, look[:3] * [1, -1, 1] / np.linalg.norm(look[:3]))
    np.testing.assert_allclose(gaze_to_look_vec(gaze), look[:3] / np.linalg.norm(look[:3]))
    many = pitchyaw_to_gaze(_random_pitchyaw(200))
    np.testing.assert_allclose(look_vec_to_gaze(gaze_to_look_vec(many)), many, atol=1e-12)


def test_look_vec_to_gaze_normalises() -> None:
    gaze = look_vec_to_gaze(np.array([0.0, 0.0, -2.5, 0.0]))
    np.testing.assert_allclose(gaze, [0.0, 0.0, -1.0])


def test_mirror_negates_yaw_keeps_pitch() -> None:
    py = _random_pitchyaw(300)
    mirrored = gaze_to_pitchyaw(mirror_gaze(pitchyaw_to_gaze(py)))
    np.testing.assert_allclose(mirrored[:, 0], py[:, 0], atol=1e-10)
    np.testing.assert_allclose(mirrored[:, 1], -py[:, 1], atol=1e-10)
    np.testing.assert_allclose(mirror_gaze(mirror_gaze(np.array([0.1, 0.2, -0.97]))),
                               [0.1, 0.2, -0.97])


@pytest.mark.parametrize(
    ("a", "b", "degrees"),
    [
        ((0.0, 0.0), (0.0, np.pi / 2), 90.0),
        ((0.0, 0.0), (np.radians(10.0), 0.0), 10.0),
        ((0.3, 0.2), (-0.3, 0.2 + np.pi), 180.0),  # antipodal
    ],
)
def test_angular_error_known_values_in_degrees(
    a: tuple[float, float], b: tuple[float, float], degrees: float
) -> None:
    np.testing.assert_allclose(angular_error_deg(np.array(a), np.array(b)), degrees, atol=1e-6)


def test_angular_error_is_clamped_for_identical_angles() -> None:
    # Without the clamp, rounding pushes some dot products above 1 and arccos gives NaN.
    py = _random_pitchyaw(1000)
    err = angular_error_deg(py, py.copy())
    assert err.shape == (1000,)
    assert np.all(np.isfinite(err))
    assert float(err.max()) < 1e-5
    err = angular_error_deg(py, gaze_to_pitchyaw(-pitchyaw_to_gaze(py)))  # antipodes
    assert np.all(np.isfinite(err))
    np.testing.assert_allclose(err, 180.0, atol=1e-5)


def test_angular_error_is_symmetric_and_broadcasts() -> None:
    a, b = _random_pitchyaw(50), _random_pitchyaw(50)[::-1]
    np.testing.assert_allclose(angular_error_deg(a, b), angular_error_deg(b, a))
    one = angular_error_deg(a, np.zeros(2))
    assert one.shape == (50,)
    expected = np.degrees(np.arccos(np.clip(-pitchyaw_to_gaze(a)[:, 2], -1, 1)))
    np.testing.assert_allclose(one, expected, atol=1e-9)
