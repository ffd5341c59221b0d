"""What a perfect refiner would output: synthetic scenes seen by the stand-in camera.

A refiner's ideal output is the image the real camera would have taken of the
synthetic scene: the same geometry and label (gaze, eye shape, head pose from the
synthetic pose ranges), real appearance. With the built-in stand-in camera that image
can be rendered directly, so an estimator trained on it measures the ceiling that any
refiner of our synthetic corpus can reach on real_test (only for the stand-in: a real
camera cannot be pointed at a synthetic scene).

`perfect_refined(n, seed, hw)` -> ((n, H, W) uint8 left-eye crops, (n, 2) pitch/yaw
radians), each image from its own stand-in subject and day, deterministic per seed.
"""

from __future__ import annotations

import numpy as np

from simgan_core.gaze.conventions import gaze_to_pitchyaw
from simgan_core.gaze.crop import resize_gray
from simgan_core.gaze.eye_model import SYNTHETIC_POSES, sample_scene
from simgan_core.gaze.real_camera import render_real_eye, sample_day, sample_subject


def perfect_refined_one(seed: int, index: int, hw: tuple[int, int]
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Image `index`: (H, W) uint8 stand-in render of a synthetic-range scene, (2,) label."""
    rng = np.random.default_rng([seed, index])
    subject = sample_subject(rng)
    scene = sample_scene(rng, SYNTHETIC_POSES, shape=subject.shape)
    image = resize_gray(render_real_eye(scene, subject, sample_day(rng), rng), hw)
    return image, gaze_to_pitchyaw(scene.gaze)


def perfect_refined(n: int, seed: int, hw: tuple[int, int], start: int = 0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Images start .. start + n - 1: (n, H, W) uint8 and (n, 2) float64 radians."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    pairs = [perfect_refined_one(seed, i, hw) for i in range(start, start + n)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
