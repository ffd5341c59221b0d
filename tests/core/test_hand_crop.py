"""The common hand crop: normalization in the cube, joint mapping, padding, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from simgan_core.hand.crop import CropError, crop_box, crop_hand, normalize_depth
from simgan_core.hand.joints import FX, FY, xyz_to_uvd
from simgan_core.hand.spec import HAND

S = 64


def _stored(norm: float) -> int:
    return int(round((norm + 1) / 2 * 65535))


def _plane(depth_mm: int) -> np.ndarray:
    return np.full((480, 640), depth_mm, dtype=np.uint16)


@pytest.mark.parametrize(("plane_mm", "norm"), [
    (800, 0.0),  # at the centre's depth: the middle of the cube
    (850, 50 / 150),  # 50 mm behind the centre, half-edge 150 mm
    (650, -1.0),  # the near face
    (500, -1.0),  # in front of the cube: clipped to the near face
    (950, 1.0),  # the far face
    (1200, 1.0),  # beyond the cube: the back
    (0, 1.0),  # no reading: the back
])
def test_a_plane_gives_the_expected_normalized_value(plane_mm: int, norm: float) -> None:
    frame = _plane(plane_mm)
    frame[220:260, 300:340] = 800  # readings at the palm (3% of the box) for the far planes
    crop = crop_hand(frame, np.array([320.0, 240.0, 800.0]), np.zeros((1, 2)), 300.0, S)
    assert crop.image.shape == (S, S) and crop.image.dtype == np.uint16
    assert crop.image[2, 2] == _stored(norm) and crop.image[-3, -3] == _stored(norm)
    assert abs(HAND.to_unit(crop.image[2:3, 2:3])[0, 0] - norm) < 1e-4


def test_box_is_the_cube_projected_at_the_centre_depth() -> None:
    box = crop_box(np.array([320.0, 240.0, 600.0]), 300.0)
    assert box.side == pytest.approx(300 * (FX + FY) / 2 / 600)
    assert box.x0 + box.side / 2 == pytest.approx(320.5)  # pixel 320's centre
    nearer = crop_box(np.array([320.0, 240.0, 400.0]), 300.0)
    assert nearer.side == pytest.approx(box.side * 1.5)


def test_joints_map_to_the_crop_pixel_that_shows_them() -> None:
    """A small near blob at each joint's frame pixel lands at the joint's crop pixel."""
    centre_xyz = np.array([20.0, -10.0, 800.0])
    offsets = np.array([[0, 0, 0], [75, 0, 0], [0, 75, 0], [-60, -40, 0], [100, 110, 0]])
    joints_uvd = xyz_to_uvd(centre_xyz + offsets)
    for k in range(1, len(offsets)):
        frame = _plane(900)
        u, v = np.rint(joints_uvd[k, :2]).astype(int)
        frame[v - 2:v + 3, u - 2:u + 3] = 700  # 5 x 5 px blob centred on the joint's pixel
        crop = crop_hand(frame, joints_uvd[0], joints_uvd[:, :2], 300.0, S)
        assert np.allclose(crop.joints_uv[0], S / 2)  # the palm centre: the crop's centre
        r, c = np.unravel_index(np.argmin(crop.image), crop.image.shape)
        ju, jv = crop.joints_uv[k]
        # crop pixel (c, r) covers [c, c + 1) x [r, r + 1); the joint lies within 1 px
        assert abs(c + 0.5 - ju) <= 1.0 and abs(r + 0.5 - jv) <= 1.0, (k, (c, r), (ju, jv))
    # +75 mm right / up at the centre's depth: a quarter of the 300 mm crop right / up
    assert crop.joints_uv[1] == pytest.approx([S * 0.75, S / 2], abs=0.6)
    assert crop.joints_uv[2] == pytest.approx([S / 2, S * 0.25], abs=0.6)
    assert crop.joints_uv[4][1] == pytest.approx(S / 2 - S * 110 / 300, abs=0.6)
    outside = crop.box.to_crop(xyz_to_uvd(centre_xyz + [0, 160, 0])[:2], S)
    assert outside[1] < 0  # 160 mm up leaves the 300 mm cube: above the crop


def test_a_box_leaving_the_frame_is_padded_with_the_back() -> None:
    frame = _plane(800)
    crop = crop_hand(frame, np.array([5.0, 470.0, 800.0]), np.zeros((1, 2)), 300.0, S)
    # the palm centre sits near the bottom-left corner: the crop's left half and bottom
    # half lie outside the frame (back = 65535), the top-right quarter shows the plane.
    assert (crop.image[:, :S // 2 - 2] == 65535).all()
    assert (crop.image[S // 2 + 4:, :] == 65535).all()  # frame rows end 9.5 px below
    assert (crop.image[:S // 2 - 2, S // 2 + 2:] == _stored(0.0)).all()
    assert crop.valid_fraction == 1.0  # of the in-frame part


def test_normalize_depth_units() -> None:
    norm = normalize_depth(np.array([[0, 700, 800, 875, 951]]), 800.0, 300.0)
    np.testing.assert_allclose(norm, [[1.0, -2 / 3, 0.0, 0.5, 1.0]], atol=1e-6)


def test_undefined_crops_are_refused_with_a_reason() -> None:
    frame = _plane(800)
    with pytest.raises(CropError, match="behind the camera"):
        crop_hand(frame, np.array([320.0, 240.0, -5.0]), np.zeros((1, 2)))
    with pytest.raises(CropError, match=r"\(700\.0, 240\.0\) px is outside the 640 x 480 frame"):
        crop_hand(frame, np.array([700.0, 240.0, 800.0]), np.zeros((1, 2)))
    with pytest.raises(CropError, match="no valid depth around the palm"):
        crop_hand(_plane(2000), np.array([320.0, 240.0, 800.0]), np.zeros((1, 2)))
    with pytest.raises(CropError, match="not finite"):
        crop_hand(frame, np.array([np.nan, 240.0, 800.0]), np.zeros((1, 2)))


def test_crop_is_deterministic_and_sized() -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(600, 1000, (480, 640)).astype(np.uint16)
    a = crop_hand(frame, np.array([300.0, 200.0, 800.0]), np.zeros((1, 2)), 250.0, 96)
    b = crop_hand(frame, np.array([300.0, 200.0, 800.0]), np.zeros((1, 2)), 250.0, 96)
    assert a.image.shape == (96, 96)
    np.testing.assert_array_equal(a.image, b.image)
