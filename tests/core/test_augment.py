"""augment_batch: shapes and dtype kept, reproducible per seed, every op switchable."""

from __future__ import annotations

import io
from dataclasses import fields, replace

import numpy as np
import pytest
from PIL import Image

from simgan_core.augment import OPS, AugmentConfig, _jpeg_roundtrip, augment_batch

# Every op on every image, with strengths well away from identity (a gamma near 1 or a
# brightness shift under half a grey level would leave an image's bytes unchanged).
ALWAYS = AugmentConfig(**{f"{op}_p": 1.0 for op in OPS}, gamma_range=(1.5, 2.0),
                       contrast_range=(1.5, 2.0), brightness_range=(10.0, 20.0),
                       blur_range=(1.0, 1.2), noise_range=(5.0, 8.0), jpeg_range=(20, 40))


def _eyes(n: int = 16, seed: int = 0) -> np.ndarray:
    """(n, 35, 55) uint8: a smooth gradient with a dark disc (an iris) and mild noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:35, :55]
    base = 140 + 50 * np.sin(xx / 9.0)[None] + rng.normal(0, 4, (n, 35, 55))
    cx = rng.uniform(18, 37, n)[:, None, None]
    disc = (xx[None] - cx) ** 2 + (yy[None] - 17) ** 2 < 49
    return np.clip(np.where(disc, 40, base), 0, 255).astype(np.uint8)


def test_shape_dtype_kept_and_input_untouched() -> None:
    images = _eyes()
    before = images.copy()
    out = augment_batch(images, np.random.default_rng(0), ALWAYS)
    assert out.shape == images.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(images, before)


def test_same_seed_same_bytes_other_seed_differs() -> None:
    images = _eyes()
    a = augment_batch(images, np.random.default_rng(7))
    b = augment_batch(images, np.random.default_rng(7))
    c = augment_batch(images, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_default_changes_pixels_mildly() -> None:
    images = _eyes(64)
    out = augment_batch(images, np.random.default_rng(0))
    changed = (out != images).any(axis=(1, 2))
    assert changed.mean() > 0.8  # with default probabilities nearly every image is touched
    diff = np.abs(out.astype(int) - images.astype(int))
    assert diff.mean() < 25


def test_all_off_is_identity() -> None:
    images = _eyes()
    out = augment_batch(images, np.random.default_rng(0), AugmentConfig().only())
    np.testing.assert_array_equal(out, images)


@pytest.mark.parametrize("op", OPS)
def test_each_op_alone_changes_pixels(op: str) -> None:
    images = _eyes()
    out = augment_batch(images, np.random.default_rng(0), ALWAYS.only(op))
    assert (out != images).any(axis=(1, 2)).all(), f"{op} left some image unchanged"


def test_switching_an_op_off_keeps_the_other_draws() -> None:
    # Every op draws whatever its p, so an ablation changes only the op ablated: noise
    # alone equals noise after a brightness shift of exactly zero.
    images = _eyes()
    noise_only = augment_batch(images, np.random.default_rng(3), ALWAYS.only("noise"))
    zero_shift = replace(ALWAYS, brightness_range=(0.0, 0.0)).only("noise", "brightness")
    np.testing.assert_array_equal(
        augment_batch(images, np.random.default_rng(3), zero_shift), noise_only)


def test_saturates_instead_of_wrapping() -> None:
    bright = np.full((4, 35, 55), 250, np.uint8)
    up = AugmentConfig(brightness_p=1.0, brightness_range=(10.0, 20.0)).only("brightness")
    assert (augment_batch(bright, np.random.default_rng(0), up) == 255).all()
    dark = np.full((4, 35, 55), 5, np.uint8)
    down = AugmentConfig(brightness_p=1.0, brightness_range=(-20.0, -10.0)).only("brightness")
    assert (augment_batch(dark, np.random.default_rng(0), down) == 0).all()
    noisy = augment_batch(np.stack([bright[0], dark[0]]), np.random.default_rng(0),
                          AugmentConfig(noise_p=1.0, noise_range=(40.0, 40.0)).only("noise"))
    assert noisy[0].min() < 250 and noisy[0].max() == 255  # no wrap to small values
    assert noisy[1].max() > 5 and noisy[1].min() == 0


def test_gamma_and_contrast_move_pixels_the_right_way() -> None:
    images = _eyes()
    rng = np.random.default_rng(0)
    darker = augment_batch(images, rng, AugmentConfig(gamma_p=1, gamma_range=(2, 2)).only("gamma"))
    assert (darker <= images).all() and darker.mean() < images.mean() - 10
    flat = augment_batch(images, rng,
                         AugmentConfig(contrast_p=1, contrast_range=(0, 0)).only("contrast"))
    assert flat.std(axis=(1, 2)).max() <= 0.5  # contrast 0: each image its own mean
    np.testing.assert_allclose(flat.mean(axis=(1, 2)), images.mean(axis=(1, 2)), atol=0.6)


def test_blur_smooths_and_keeps_the_mean() -> None:
    images = np.random.default_rng(0).integers(60, 200, (8, 35, 55), dtype=np.uint8)
    cfg = AugmentConfig(blur_p=1.0, blur_range=(1.0, 1.0)).only("blur")
    out = augment_batch(images, np.random.default_rng(0), cfg).astype(float)
    grad = np.abs(np.diff(images.astype(float), axis=2)).mean()
    assert np.abs(np.diff(out, axis=2)).mean() < 0.5 * grad
    np.testing.assert_allclose(out.mean(), images.mean(), atol=1.0)


def test_jpeg_mosaic_matches_one_image_at_a_time() -> None:
    # The batched codec is a speed trick only: each image must come back as if coded alone.
    images = _eyes(5)
    batched = _jpeg_roundtrip(images, quality=40)
    for image, got in zip(images, batched, strict=True):
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="JPEG", quality=40)
        alone = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
        np.testing.assert_array_equal(got, alone)
    assert not np.array_equal(batched, images)


def test_rejects_bad_input_and_config() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="uint8"):
        augment_batch(np.zeros((2, 35, 55), np.float32), rng)
    with pytest.raises(ValueError, match="uint8"):
        augment_batch(np.zeros((35, 55), np.uint8), rng)
    with pytest.raises(ValueError, match="noise_p"):
        AugmentConfig(noise_p=1.5)
    with pytest.raises(ValueError, match="blur_range"):
        AugmentConfig(blur_range=(2.0, 1.0))
    with pytest.raises(ValueError, match="jpeg_range"):
        AugmentConfig(jpeg_range=(0, 100))
    with pytest.raises(ValueError, match="unknown"):
        AugmentConfig().only("flip")


def test_ops_list_matches_config_fields() -> None:
    assert set(OPS) == {f.name[:-2] for f in fields(AugmentConfig) if f.name.endswith("_p")}


def test_jpeg_of_more_images_than_one_mosaic_holds() -> None:
    images = np.repeat(_eyes(1), 600, axis=0)  # > 512 tiles: coded in two mosaics
    out = _jpeg_roundtrip(images, quality=40)
    assert out.shape == images.shape
    assert (out == out[0]).all()  # every copy coded alike, whichever mosaic it was in
