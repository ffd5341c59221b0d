"""Colour (RGB) images through the generic pieces: shards, the domain's tensors, grids,
and candidate selection for a domain without labels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simgan_core.domain import get_domain
from simgan_core.gaze.spec import GAZE
from simgan_core.grid import image_grid
from simgan_core.refiner.selection import select_candidate
from simgan_core.shards import decode_png, encode_png

RGB = dataclasses.replace(GAZE, name="rgb", channels=3, image_hw=(6, 9))


def _rgb(n: int = 2) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, 6, 9, 3), dtype=np.uint8)


def test_rgb_png_round_trips_and_is_refused_where_gray_is_expected() -> None:
    image = _rgb(1)[0]
    data = encode_png(image, "k")
    assert np.array_equal(decode_png(data, "k", (6, 9), np.uint8, 3), image)
    with pytest.raises(ValueError, match="expected uint8 grayscale"):
        decode_png(data, "k", (6, 9), np.uint8)
    gray = encode_png(image[..., 0], "g")
    with pytest.raises(ValueError, match="expected uint8 3-channel"):
        decode_png(gray, "g", (6, 9), np.uint8, 3)


def test_rgb_tensors_are_channels_first_and_invert() -> None:
    images = _rgb()
    x = RGB.to_tensor(images)
    assert tuple(x.shape) == (2, 3, 6, 9) and float(x.min()) >= -1 and float(x.max()) <= 1
    assert np.array_equal(x[1, 2].numpy(), RGB.to_unit(images[1, :, :, 2]))
    assert np.array_equal(RGB.from_tensor(x), images)
    assert RGB.stored_shape == (6, 9, 3) and GAZE.stored_shape == (35, 55)


def test_gray_tensors_keep_their_single_channel() -> None:
    images = np.arange(2 * 35 * 55, dtype=np.int64).reshape(2, 35, 55).astype(np.uint8)
    x = GAZE.to_tensor(images)
    assert tuple(x.shape) == (2, 1, 35, 55)
    assert np.array_equal(GAZE.from_tensor(x), images)


def test_colour_grid_keeps_colour() -> None:
    grid = image_grid([_rgb(), _rgb()], scale=2, gap=1)
    assert grid.mode == "RGB" and grid.size == (2 * 19 + 1, 2 * 13 + 1)


def test_a_domain_without_labels_picks_the_most_realistic_candidate() -> None:
    seed, record = select_candidate({0: {"c2st": 0.71}, 1: {"c2st": 0.64}, 2: {"c2st": 0.66}},
                                    "c2st", None)
    assert seed == 1 and record["ranking"] == [1, 2, 0]
    assert record["figures"]["1"] == {"c2st": 0.64}


def test_colour_must_be_8_bit_and_shift_comes_with_its_metric() -> None:
    with pytest.raises(ValueError, match="3 of uint8"):
        dataclasses.replace(GAZE, channels=3, dtype=np.uint16)
    with pytest.raises(ValueError, match="go together"):
        dataclasses.replace(GAZE, shift_metric=None)


def test_unknown_domain_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown domain 'eyes'; known: \['gaze', 'hand'"):
        get_domain("eyes")
