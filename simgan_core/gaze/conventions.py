"""The project's one gaze-label convention (MPIIGaze's normalized camera).

Camera frame: x right, y DOWN, z forward (away from the camera), so an eye looking
straight into the camera has gaze (0, 0, -1).  Angles in radians:

    pitch = asin(-y)          (looking up is positive)
    yaw   = atan2(-x, -z)     (looking to the camera's left, +x... see tests)

UnityEyes writes `look_vec` with y UP; `look_vec_to_gaze` flips it.  Right eyes are
mirrored to look like left eyes: flip the image horizontally and negate x (= yaw).
All functions are vectorised over leading axes: vectors are (..., 3), angles (...,).
"""

from __future__ import annotations

import numpy as np


def look_vec_to_gaze(look_vec: np.ndarray) -> np.ndarray:
    """UnityEyes look_vec (..., 3 or 4; y up) -> unit gaze (..., 3; y down)."""
    v = np.asarray(look_vec, dtype=np.float64)[..., :3] * np.array([1.0, -1.0, 1.0])
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def gaze_to_look_vec(gaze: np.ndarray) -> np.ndarray:
    """Inverse of `look_vec_to_gaze` (unit vectors; y down -> y up)."""
    return np.asarray(gaze, dtype=np.float64)[..., :3] * np.array([1.0, -1.0, 1.0])


def gaze_to_pitchyaw(gaze: np.ndarray) -> np.ndarray:
    """Unit gaze (..., 3) -> (..., 2) as (pitch, yaw) radians."""
    g = np.asarray(gaze, dtype=np.float64)
    g = g / np.linalg.norm(g, axis=-1, keepdims=True)
    pitch = np.arcsin(np.clip(-g[..., 1], -1.0, 1.0))
    yaw = np.arctan2(-g[..., 0], -g[..., 2])
    return np.stack([pitch, yaw], axis=-1)


def pitchyaw_to_gaze(pitchyaw: np.ndarray) -> np.ndarray:
    """(..., 2) (pitch, yaw) radians -> unit gaze (..., 3): (-cos p sin y, -sin p, -cos p cos y)."""
    py = np.asarray(pitchyaw, dtype=np.float64)
    p, y = py[..., 0], py[..., 1]
    return np.stack([-np.cos(p) * np.sin(y), -np.sin(p), -np.cos(p) * np.cos(y)], axis=-1)


def mirror_gaze(gaze: np.ndarray) -> np.ndarray:
    """Gaze of the horizontally mirrored image: x negated (so yaw negated)."""
    return np.asarray(gaze, dtype=np.float64) * np.array([-1.0, 1.0, 1.0])


def angular_error_deg(pitchyaw_a: np.ndarray, pitchyaw_b: np.ndarray) -> np.ndarray:
    """Angle in degrees between two (..., 2) pitch/yaw arrays (dot product clamped to [-1, 1])."""
    a = pitchyaw_to_gaze(pitchyaw_a)
    b = pitchyaw_to_gaze(pitchyaw_b)
    cos = np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))
