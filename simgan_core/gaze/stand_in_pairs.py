"""What a perfect refiner would output: synthetic scenes seen by the stand-in camera.

A refiner's ideal output is the image the real camera would have taken of the
synthetic scene: the same geometry and label (gaze, eye shape, head pose from the
synthetic pose ranges), real appearance. With the built-in stand-in camera that image
can be rendered directly, so an estimator trained on it measures the ceiling that any
refiner of our synthetic corpus can reach on real_test (only for the stand-in: a real
camera cannot be pointed at a synthetic scene).

`perfect_refined(n, seed, hw)` -> ((n, H, W) uint8 left-eye crops, (n, 2) pitch/yaw
radians), each image from its own stand-in subject and day, deterministic per seed.

`paired_views(n, seed, hw)` draws each scene twice: by the synthetic renderer through
the public crop recipe (what the synthetic shards hold) and by the stand-in camera
(what a perfect refiner would turn it into). How far a label judge's reading moves
between the two is the label shift of a perfect refiner: the floor of that metric.
"""

from __future__ import annotations

import numpy as np

from simgan_core.gaze.conventions import gaze_to_pitchyaw
from simgan_core.gaze.crop import crop_gray, eye_crop_box, resize_gray
from simgan_core.gaze.eye_model import (
    SYNTHETIC_POSES,
    EyeScene,
    caruncle,
    image_view,
    interior_margin,
    sample_scene,
)
from simgan_core.gaze.real_camera import render_real_eye, sample_day, sample_subject
from simgan_core.gaze.render_synthetic import SyntheticLook, render_image, sample_look

RENDER_HW = (240, 320)  # the UnityEyes render size of simulate.gaze.synthetic (params.yaml)


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


def paired_scene(seed: int, index: int) -> tuple[EyeScene, SyntheticLook]:
    """Scene `index` of perfect_refined_one (the same draws) and a synthetic look for it."""
    rng = np.random.default_rng([seed, index])
    scene = sample_scene(rng, SYNTHETIC_POSES, shape=sample_subject(rng).shape)
    return scene, sample_look(np.random.default_rng([seed, index, 1]))


def paired_view(seed: int, index: int, hw: tuple[int, int]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scene `index` twice: (H, W) uint8 synthetic crop, (H, W) uint8 stand-in crop of
    the same eye (shape, gaze, head pose), and its (2,) pitch/yaw label."""
    real, label = perfect_refined_one(seed, index, hw)
    scene, look = paired_scene(seed, index)
    height, width = RENDER_HW
    view = image_view(width, height)
    render = np.asarray(render_image(scene, look, width, height).convert("L"))
    box = eye_crop_box(view.project(interior_margin(scene)), view.project(caruncle(scene)))
    return crop_gray(render, box, hw), real, label


def paired_views(n: int, seed: int, hw: tuple[int, int], start: int = 0
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scenes start .. start + n - 1: (n, H, W) synthetic, (n, H, W) stand-in, (n, 2)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    views = [paired_view(seed, i, hw) for i in range(start, start + n)]
    return tuple(np.stack([v[k] for v in views]) for k in range(3))  # type: ignore[return-value]
