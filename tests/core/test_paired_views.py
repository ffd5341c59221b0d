"""Scenes drawn twice, by the simulator and by the stand-in camera (the label-shift floor
of experiments/label_shift_floor.py): the same scene and label on both sides, the
synthetic side cropped as ingest crops a UnityEyes render, the stand-in side the
perfect-refiner image of experiments/ceiling.py."""

from __future__ import annotations

import numpy as np
import pytest

from simgan_core.gaze.crop import crop_gray, eye_crop_box
from simgan_core.gaze.render_synthetic import render_image
from simgan_core.gaze.stand_in_pairs import (
    RENDER_HW,
    paired_scene,
    paired_view,
    paired_views,
    perfect_refined_one,
)
from simgan_core.gaze.unityeyes_reader import parse_unityeyes_json
from simgan_core.gaze.unityeyes_writer import unityeyes_annotation, unityeyes_json_text
from simgan_core.hand.stand_in_pairs import paired_hand_views, perfect_refined_frame

HW = (35, 55)


def test_the_stand_in_side_is_the_ceilings_perfect_refined_image() -> None:
    synthetic, stand_in, label = paired_view(3, 7, HW)
    perfect, perfect_label = perfect_refined_one(3, 7, HW)
    np.testing.assert_array_equal(stand_in, perfect)
    np.testing.assert_array_equal(label, perfect_label)
    assert synthetic.shape == HW and synthetic.dtype == np.uint8
    assert not np.array_equal(synthetic, stand_in)


def test_the_synthetic_side_is_cropped_as_ingest_crops_a_unityeyes_file() -> None:
    """The box from the scene's UnityEyes JSON (bottom-left y, 4 decimals, the reader's
    parse) gives the same crop as the box the pairs compute from the geometry."""
    height, width = RENDER_HW
    scene, look = paired_scene(3, 7)
    text = unityeyes_json_text(unityeyes_annotation(scene, look, width, height))
    ann = parse_unityeyes_json(text, height)
    render = np.asarray(render_image(scene, look, width, height).convert("L"))
    from_file = crop_gray(render, eye_crop_box(ann.interior_margin, ann.caruncle), HW)
    synthetic, _, _ = paired_view(3, 7, HW)
    assert np.abs(from_file.astype(int) - synthetic.astype(int)).max() <= 1


def test_gaze_pairs_are_deterministic_and_independent_of_the_range() -> None:
    synthetic, stand_in, labels = paired_views(4, 5, HW)
    assert synthetic.shape == stand_in.shape == (4, *HW) and labels.shape == (4, 2)
    again = paired_views(2, 5, HW, start=2)
    for part, whole in zip(again, (synthetic, stand_in, labels), strict=True):
        np.testing.assert_array_equal(part, whole[2:])
    with pytest.raises(ValueError, match="n must be >= 1"):
        paired_views(0, 5, HW)


def test_hand_pairs_share_the_hand_and_its_joints() -> None:
    synthetic, stand_in, labels = paired_hand_views(6, seed=2, size=64, cube_mm=300.0)
    assert synthetic.dtype == stand_in.dtype == np.uint16
    assert synthetic.shape == stand_in.shape and labels.shape == (len(synthetic), 28)
    # Frame 0's stand-in side is the ceiling's perfect-refined frame of the same seed.
    perfect, perfect_label = perfect_refined_frame(2, 0, 64, 300.0)
    np.testing.assert_array_equal(stand_in[0], perfect)
    np.testing.assert_array_equal(labels[0], perfect_label)
    # Same hand, two renders: the synthetic view has no sensor noise or body, so the
    # crops differ, but the hand sits where the joints say in both (nearer than the back).
    assert not np.array_equal(synthetic, stand_in)
    for crop, joints in ((synthetic[0], labels[0]), (stand_in[0], labels[0])):
        u, v = np.clip(np.round(joints.reshape(14, 2)).astype(int), 0, 63).T
        assert (crop[v, u] < 65535).mean() > 0.5
