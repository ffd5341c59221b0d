"""The shared eye-crop recipe: box from the eye corners, pixels and landmarks agree."""

from __future__ import annotations

import numpy as np
import pytest

from simgan_core.gaze.crop import CropBox, crop_gray, eye_crop_box, resize_gray

OUT_HW = (36, 60)


def _corners(inner: tuple[float, float], outer: tuple[float, float]) -> tuple[np.ndarray, ...]:
    # (16, 2) interior margin with point 8 at the outer corner; (7, 2) caruncle around inner.
    margin = np.zeros((16, 2))
    margin[8] = outer
    offsets = np.array([[-2, -1], [-1, 1], [0, 0], [1, -1], [2, 1], [0, 2], [0, -2]], float)
    caruncle = np.asarray(inner, dtype=np.float64) + offsets  # offsets sum to zero
    return margin, caruncle


def test_box_from_corners() -> None:
    margin, caruncle = _corners(inner=(100.0, 50.0), outer=(200.0, 50.0))
    box = eye_crop_box(margin, caruncle)
    # centre (150, 50); 1.5 x 100 px wide; 60:36 aspect.
    assert box.width == pytest.approx(150.0)
    assert box.height == pytest.approx(90.0)
    assert (box.x0, box.y0) == pytest.approx((75.0, 5.0))


def test_box_uses_corner_distance_not_horizontal_extent() -> None:
    margin, caruncle = _corners(inner=(0.0, 0.0), outer=(30.0, 40.0))  # 50 px apart
    box = eye_crop_box(margin, caruncle)
    assert box.width == pytest.approx(75.0)
    assert box.x0 + box.width / 2 == pytest.approx(15.0)
    assert box.y0 + box.height / 2 == pytest.approx(20.0)


def test_corners_too_close_or_nan_raise() -> None:
    margin, caruncle = _corners(inner=(10.0, 10.0), outer=(10.5, 10.0))
    with pytest.raises(ValueError, match="too close"):
        eye_crop_box(margin, caruncle)
    margin[8] = (np.nan, 3.0)
    with pytest.raises(ValueError):
        eye_crop_box(margin, caruncle)


def test_to_crop_maps_box_corners_to_crop_corners() -> None:
    box = CropBox(x0=10.0, y0=20.0, width=100.0, height=60.0)
    pts = np.array([[10.0, 20.0], [110.0, 80.0], [60.0, 50.0]])
    np.testing.assert_allclose(box.to_crop(pts, OUT_HW), [[0, 0], [60, 36], [30, 18]])


@pytest.mark.parametrize("channels", [None, 3])
def test_landmark_mapping_agrees_with_pixels(channels: int | None) -> None:
    # A bright 4 x 4 square centred on (x, y) = (152, 102) in a 200 x 300 image.
    h, w = 200, 300
    image = np.full((h, w), 20, np.uint8)
    image[100:104, 150:154] = 250
    if channels:
        image = np.repeat(image[..., None], channels, axis=-1)
    image.flags.writeable = False  # the readers hand out read-only arrays
    margin, caruncle = _corners(inner=(120.0, 95.0), outer=(170.0, 105.0))
    box = eye_crop_box(margin, caruncle)
    crop = crop_gray(image, box, OUT_HW)
    assert crop.shape == OUT_HW
    assert crop.dtype == np.uint8
    spot = box.to_crop(np.array([152.0, 102.0]), OUT_HW)  # (x, y) in crop coordinates
    row, col = np.unravel_index(np.argmax(crop), crop.shape)
    # Pixel (row, col) covers [col, col+1) x [row, row+1): its centre is 0.5 inward.
    assert abs(col + 0.5 - spot[0]) <= 1.0
    assert abs(row + 0.5 - spot[1]) <= 1.0
    assert crop[row, col] > 150
    assert crop[0, 0] == 20


def test_box_partly_outside_the_image_is_edge_replicated() -> None:
    h, w = 40, 60
    image = np.tile(np.linspace(0, 250, w).astype(np.uint8), (h, 1))  # bright to the right
    box = CropBox(x0=-30.0, y0=-10.0, width=60.0, height=36.0)
    crop = crop_gray(image, box, OUT_HW)
    assert crop.shape == OUT_HW
    # The left half of the box lies left of column 0: replicated column 0 (value 0).
    assert int(crop[:, :25].max()) <= 1
    assert int(crop[:, -1].min()) > 100
    # Rows above the image copy row 0: every row of the crop is the same.
    assert np.all(crop == crop[0])


def test_box_entirely_outside_the_image_is_refused() -> None:
    # Edge replication would give a flat crop of the nearest edge pixel: no eye, refused.
    image = np.full((30, 50), 77, np.uint8)
    image[:, -1] = 200  # last column
    box = CropBox(x0=80.0, y0=40.0, width=30.0, height=18.0)  # right of and below the image
    with pytest.raises(ValueError, match=r"100% off the 50 x 30 image"):
        crop_gray(image, box, OUT_HW)


def test_resize_gray_keeps_constant_and_shape() -> None:
    image = np.full((36, 60), 123, np.uint8)
    out = resize_gray(image, (35, 55))
    assert out.shape == (35, 55)
    assert np.all(out == 123)
