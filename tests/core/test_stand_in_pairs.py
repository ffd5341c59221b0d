"""The perfect-refiner images: synthetic-range scenes through the stand-in camera."""

from __future__ import annotations

import numpy as np
import pytest

from simgan_core.gaze.stand_in_pairs import perfect_refined, perfect_refined_one

HW = (35, 55)


def test_images_and_labels_are_deterministic_and_independent_of_the_range() -> None:
    images, labels = perfect_refined(4, seed=5, hw=HW)
    assert images.shape == (4, *HW) and images.dtype == np.uint8
    assert labels.shape == (4, 2)
    again, again_labels = perfect_refined(2, seed=5, hw=HW, start=2)
    np.testing.assert_array_equal(again, images[2:])
    np.testing.assert_array_equal(again_labels, labels[2:])
    other, _ = perfect_refined_one(6, 0, HW)
    assert not np.array_equal(other, images[0])  # another seed, other scenes


def test_labels_follow_the_synthetic_pose_ranges_not_the_real_ones() -> None:
    _, labels = perfect_refined(60, seed=1, hw=HW)
    pitch, yaw = np.degrees(labels).T
    assert np.abs(pitch).max() <= 30.0 + 1e-6 and np.abs(yaw).max() <= 40.0 + 1e-6
    # SYNTHETIC_POSES are uniform over +-30 / +-40 degrees, far wider than REAL_POSES'
    # N(-5, 8) / N(0, 10): a draw of 60 reaches well past the real spread.
    assert np.abs(yaw).max() > 25.0 and np.abs(pitch).max() > 18.0


def test_rejects_an_empty_request() -> None:
    with pytest.raises(ValueError, match="n must be >= 1"):
        perfect_refined(0, seed=1, hw=HW)


def test_hand_frames_crop_like_ingest_and_keep_their_joints() -> None:
    from simgan_core.hand.stand_in_pairs import perfect_refined_hand

    images, labels = perfect_refined_hand(6, seed=2, size=64, cube_mm=300.0)
    assert images.dtype == np.uint16 and images.shape[1:] == (64, 64)
    assert labels.shape == (len(images), 28) and 0 < len(images) <= 6
    again, again_labels = perfect_refined_hand(6, seed=2, size=64, cube_mm=300.0)
    np.testing.assert_array_equal(again, images)
    np.testing.assert_array_equal(again_labels, labels)
    assert (images == 65535).any() and (images < 65535).mean() > 0.05  # hand on a far back
