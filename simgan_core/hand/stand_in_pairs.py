"""What a perfect hand refiner would output: synthetic hands seen by the stand-in Kinect.

The refiner's ideal output is the depth frame the real sensor would have recorded of
the synthetic hand: the same shape, pose and joints (the label), with the stand-in's
arm, body and background and its sensor (real_scene.py, kinect_sensor.py). With the
built-in stand-in this frame can be rendered directly; an estimator trained on its
crops measures the ceiling any refiner of the synthetic corpus can reach (only for the
stand-in: a real Kinect cannot record a synthetic hand). Each frame has its own person
(build, sensor character), drawn like the stand-in's subjects.

`perfect_refined_hand(n, seed, size, cube_mm)` -> ((N, size, size) uint16 crops as
ingest_hand stores them, (N, 28) joints' (u, v) in crop pixels); frames whose crop is
undefined (CropError: palm out of frame) are left out, so N <= n.
"""

from __future__ import annotations

import numpy as np

from simgan_core.hand.canonical import from_nyu_frame
from simgan_core.hand.crop import CropError
from simgan_core.hand.hand_model import hand_geometry, sample_pose, sample_shape
from simgan_core.hand.joints import EVAL_JOINTS, xyz_to_uvd
from simgan_core.hand.kinect_sensor import kinect_depth
from simgan_core.hand.real_scene import real_scene_depth, sample_subject


def perfect_refined_frame(seed: int, index: int, size: int, cube_mm: float
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Frame `index`: (size, size) uint16 crop and (28,) label; raises CropError."""
    rng = np.random.default_rng([seed, index])
    hand = hand_geometry(sample_shape(rng), sample_pose(rng))  # drawn as the synthetic are
    person = sample_subject(rng)
    depth = kinect_depth(real_scene_depth(hand, person, rng), rng, person.noise_disparity,
                         person.edge_jitter_px, person.dropout_angle_deg)
    xyz = np.asarray(hand.joints)[list(EVAL_JOINTS)]  # (14, 3) mm
    sample = from_nyu_frame(depth, xyz_to_uvd(xyz), xyz, key=f"perfect-{index}",
                            source="stand-in pairs", file="", frame=index + 1, kinect=1,
                            split="synthetic", cube_mm=cube_mm, size=size)
    return sample.image, np.asarray(sample.annotation["joints_uv"]).reshape(-1)


def perfect_refined_hand(n: int, seed: int, size: int, cube_mm: float, start: int = 0
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Frames start .. start + n - 1 that crop: (N, S, S) uint16 and (N, 28) float64."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    images, labels = [], []
    for index in range(start, start + n):
        try:
            image, label = perfect_refined_frame(seed, index, size, cube_mm)
        except CropError:
            continue
        images.append(image)
        labels.append(label)
    if not images:
        raise ValueError(f"none of frames {start}..{start + n - 1} could be cropped")
    return np.stack(images), np.stack(labels).astype(np.float64)
