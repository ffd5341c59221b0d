"""NYU hand pose constants: the 36 joints in NYU's order, the 14 evaluated, the camera.

NYU's `joint_data.mat` stores 36 joints per frame. Fingers F1..F4 (F1 = little
finger, F4 = index) and the thumb TH each have six points, listed tip first
(KNU3_A, KNU3_B, KNU2_A, KNU2_B, KNU1_A, KNU1_B), then six palm points. The public
evaluation uses 14 of them (reference/formats.md); joint 32 (PALM_3) is the palm
centre the common crop is built around. The release's predictions file names them
in its own order (CONV_JOINT_NAMES), checked against the fixture in tests.
"""

from __future__ import annotations

import numpy as np

_FINGER_POINTS = ("KNU3_A", "KNU3_B", "KNU2_A", "KNU2_B", "KNU1_A", "KNU1_B")

NYU_JOINT_NAMES: tuple[str, ...] = tuple(
    f"{finger}_{point}" for finger in ("F1", "F2", "F3", "F4", "TH") for point in _FINGER_POINTS
) + tuple(f"PALM_{i}" for i in range(1, 7))
assert len(NYU_JOINT_NAMES) == 36

# Indices into the 36 joints used by the standard evaluation (14 joints).
EVAL_JOINTS: tuple[int, ...] = (0, 3, 6, 9, 12, 15, 18, 21, 24, 25, 27, 30, 31, 32)
PALM_CENTRE = 32  # PALM_3
N_EVAL = len(EVAL_JOINTS)

# The order of `conv_joint_names` in the release's test_predictions.mat.
CONV_JOINT_NAMES: tuple[str, ...] = (
    "PALM_3", "PALM_1", "PALM_2", "TH_KNU3_A", "TH_KNU3_B", "TH_KNU2_B",
    "F1_KNU3_A", "F1_KNU2_B", "F2_KNU3_A", "F2_KNU2_B", "F3_KNU3_A", "F3_KNU2_B",
    "F4_KNU3_A", "F4_KNU2_B",
)

# Kinect intrinsics of the NYU release (pixels), 640 x 480 frames.
FX, FY, CX, CY = 588.03, 587.07, 320.0, 240.0
FRAME_W, FRAME_H = 640, 480


def xyz_to_uvd(xyz_mm: np.ndarray) -> np.ndarray:
    """(..., 3) camera points in mm, y up, z forward -> (..., 3) (u px, v px, d mm)."""
    xyz = np.asarray(xyz_mm, dtype=np.float64)
    z = xyz[..., 2]
    u = CX + FX * xyz[..., 0] / z
    v = CY - FY * xyz[..., 1] / z  # image v grows downward, camera y grows upward
    return np.stack([u, v, z], axis=-1)


def uvd_to_xyz(uvd: np.ndarray) -> np.ndarray:
    """Inverse of xyz_to_uvd: (..., 3) (u px, v px, d mm) -> (..., 3) mm."""
    uvd = np.asarray(uvd, dtype=np.float64)
    d = uvd[..., 2]
    x = (uvd[..., 0] - CX) * d / FX
    y = (CY - uvd[..., 1]) * d / FY
    return np.stack([x, y, d], axis=-1)
