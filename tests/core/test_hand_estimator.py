"""The hand-pose estimator: heatmap targets and decoding, the 224-scale metrics, presets,
seeded training that learns, and depth augmentation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from simgan_core.augment import DEPTH_AUGMENT, AugmentConfig, augment_batch
from simgan_core.hand.estimator import (
    HOURGLASS_PRESETS,
    EstimatorConfig,
    build_estimator,
    joint_errors_px,
    predict_joints_uv,
    train_estimator,
)
from simgan_core.hand.heatmaps import decode_heatmaps, gaussian_heatmaps, soft_argmax
from simgan_core.hand.metrics import joint_distances_px, pck_curve, pck_summary
from simgan_core.hand.spec import HAND
from tasks.splits import load_split

BACK = 65535  # the back of the crop cube (and holes)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _template_hands(n: int, seed: int, size: int = 64, shift: float = 10.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """A learnable toy: one fixed 14-joint layout (a blob per joint, sizes growing with
    the joint index), translated by up to `shift` px per sample, with 0.5 px jitter.
    Returns (n, S, S) uint16 depth crops and (n, 14, 2) joints in crop pixels.

    (The hand_shards fixture draws its 14 blobs independently and alike, so which blob
    is which joint cannot be learned from it; this one has a pose to find.)"""
    rng = np.random.default_rng(seed)
    layout = np.random.default_rng(123).uniform(0.3 * size, 0.7 * size, (14, 2))
    uv = layout[None] + rng.uniform(-shift, shift, (n, 1, 2)) + rng.normal(0, 0.5, (n, 14, 2))
    vv, uu = np.mgrid[0:size, 0:size] + 0.5
    images = np.empty((n, size, size), np.uint16)
    for k in range(n):
        norm = np.ones((size, size))
        for j, (u, v) in enumerate(uv[k]):
            r = 0.03 * size * (1 + 0.05 * j)
            blob = -0.2 - 0.6 * np.exp(-((uu - u) ** 2 + (vv - v) ** 2) / (2 * r**2))
            norm = np.minimum(norm, np.where(blob < -0.25, blob, 1.0))
        images[k] = np.rint((norm + 1) / 2 * BACK)
    return images, uv


@pytest.mark.parametrize(("crop", "side", "sigma"), [(64, 16, 1.0), (64, 32, 1.5),
                                                    (224, 64, 1.0)])
def test_a_target_heatmap_decodes_back_to_its_joint(crop: int, side: int, sigma: float) -> None:
    rng = np.random.default_rng(0)
    uv = rng.uniform(0, crop, (50, 14, 2))
    uv[0, :4] = [[0.2, 0.3], [crop - 0.1, crop / 2], [crop / 2, 0.0], [3.0, crop - 0.4]]
    heatmaps = gaussian_heatmaps(uv, crop, side, sigma)
    assert heatmaps.shape == (50, 14, side, side) and heatmaps.dtype == torch.float32
    decoded = decode_heatmaps(heatmaps.numpy(), crop, sigma)
    assert np.abs(decoded - uv).max() < 0.1  # crop pixels, borders included


def test_soft_argmax_of_a_log_target_is_its_joint() -> None:
    # softmax(log g) = g / sum(g): its mean is the Gaussian's centre, up to the tails the
    # crop cuts off (joints at least 2 sigma from the border here).
    uv = np.random.default_rng(1).uniform(12, 52, (30, 14, 2))
    logits = torch.log(gaussian_heatmaps(uv, 64, 16, 1.0).clamp_min(1e-30))
    assert np.abs(soft_argmax(logits, 64).numpy() - uv).max() < 0.1


def test_heatmap_peak_lies_at_the_joint_cell() -> None:
    # u = 10 px on a 64 px crop with 16 cells: stride 4, cell 2 (centre at 10 px).
    heatmap = gaussian_heatmaps(np.array([[[10.0, 30.0]]]), 64, 16, 1.0)[0, 0]
    row, col = divmod(int(heatmap.argmax()), 16)
    assert (col, row) == (2, 7) and heatmap.max().item() == pytest.approx(1.0, abs=1e-3)


def test_pck_and_mean_px_are_rescaled_to_224() -> None:
    # On a 64 px crop one crop pixel is 3.5 px at the paper's scale: 1 px -> 3.5 (within
    # 5), 1.5 px -> 5.25 (not), 0 -> 0, 2 px (a 3-4-5 triangle /2.5) -> 7.
    true = np.zeros((1, 4, 2))
    pred = np.array([[[1.0, 0.0], [0.0, 1.5], [0.0, 0.0], [1.2, 1.6]]])
    d = joint_distances_px(pred, true, crop_size=64)
    np.testing.assert_allclose(d, [[3.5, 5.25, 0.0, 7.0]])
    summary = pck_summary(d)
    assert summary == pytest.approx({"pck_5px": 50.0, "mean_px": (3.5 + 5.25 + 7.0) / 4})
    assert pck_summary(joint_distances_px(pred, true, crop_size=224))["pck_5px"] == 100.0
    assert pck_summary(np.array([5.0]))["pck_5px"] == 100.0  # "within" includes 5
    np.testing.assert_allclose(pck_curve(d, np.array([0, 3.5, 5, 6, 20])),
                               [25.0, 50.0, 50.0, 75.0, 100.0])
    with pytest.raises(ValueError, match="NaN"):
        pck_summary(np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match="two"):
        joint_distances_px(pred, true[:, :3], 64)


def test_presets_give_the_documented_heatmaps() -> None:
    default = build_estimator("default")
    out = default(torch.zeros(2, 1, 64, 64))
    assert len(out) == 2 and all(o.shape == (2, 14, 16, 16) for o in out)
    paper = HOURGLASS_PRESETS["paper"]
    assert (paper.stacks, paper.heatmap_size) == (2, 64)  # the paper's 2 blocks, 64 x 64
    big = build_estimator("paper")
    with torch.no_grad():
        assert big(torch.zeros(1, 1, 224, 224))[-1].shape == (1, 14, 64, 64)
    with pytest.raises(ValueError, match="preset"):
        build_estimator("resnet")


def test_training_learns_a_pose_well_beyond_a_constant_guess() -> None:
    x, uv = _template_hands(384, seed=0)
    test_x, test_uv = _template_hands(96, seed=1)
    model = train_estimator(x, uv, EstimatorConfig(steps=150, batch_size=16, lr=3e-3))
    errors = joint_errors_px(model, test_x, test_uv)
    constant = joint_distances_px(np.broadcast_to(uv.mean(axis=0), test_uv.shape), test_uv, 64)
    assert errors.shape == (96, 14)
    # A loose bound: the constant guess is about 27 px off (224 scale), a trained model
    # well under half of that.
    assert errors.mean() < 0.5 * constant.mean(), (errors.mean(), constant.mean())
    assert pck_summary(errors)["pck_5px"] > pck_summary(constant)["pck_5px"] + 5


def test_same_seed_same_weights_and_global_rng_untouched(hand_shards: Path) -> None:
    x, labels = load_split(hand_shards / "synthetic", 8, domain=HAND)  # the stages' loader
    assert x.dtype == np.uint16 and labels.shape == (8, 28)
    cfg = EstimatorConfig(steps=2, batch_size=4, seed=3, augment=True)
    before = torch.get_rng_state()
    a = train_estimator(x, labels, cfg).state_dict()
    assert torch.equal(torch.get_rng_state(), before)
    b = train_estimator(x, labels, cfg).state_dict()
    c = train_estimator(x, labels, EstimatorConfig(steps=2, batch_size=4, seed=4)).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_predict_shapes_mode_and_bad_input() -> None:
    model = build_estimator("default").train()
    pred = predict_joints_uv(model, np.full((3, 64, 64), BACK, np.uint16))
    assert pred.shape == (3, 14, 2) and np.isfinite(pred).all() and model.training
    assert ((pred >= -4) & (pred <= 68)).all()  # decoded inside (or at) the crop
    x, uv = _template_hands(4, seed=0)
    with pytest.raises(ValueError, match="uint16"):
        train_estimator(x.astype(np.uint8), uv, EstimatorConfig(steps=1))
    with pytest.raises(ValueError, match="joint labels"):
        train_estimator(x, uv[:, :13], EstimatorConfig(steps=1))
    with pytest.raises(ValueError, match="NaN"):
        train_estimator(x, np.full_like(uv, np.nan), EstimatorConfig(steps=1))


def test_depth_augmentation_keeps_dtype_and_touches_only_what_a_sensor_would() -> None:
    x, _ = _template_hands(16, seed=0)
    before = x.copy()
    noisy = augment_batch(x, np.random.default_rng(0),
                          AugmentConfig(noise_p=1.0, noise_range=(500.0, 500.0)).only("noise"))
    np.testing.assert_array_equal(x, before)  # input untouched
    assert noisy.dtype == np.uint16 and noisy.shape == x.shape
    background = x == BACK
    assert (noisy[background] == BACK).all()  # the back of the cube is not a measurement
    assert (noisy[~background] != x[~background]).mean() > 0.9
    holes = augment_batch(x, np.random.default_rng(0), AugmentConfig(
        holes_p=1.0, holes_range=(0.1, 0.1)).only("holes"))
    lost = holes != x
    assert (holes[lost] == BACK).all()
    assert 0.07 < lost[~background].mean() < 0.13  # 10% of the measured pixels lost
    a = augment_batch(x, np.random.default_rng(5), DEPTH_AUGMENT)
    np.testing.assert_array_equal(a, augment_batch(x, np.random.default_rng(5), DEPTH_AUGMENT))
    assert not np.array_equal(a, x)


@pytest.mark.parametrize("op", ["gamma", "jpeg"])
def test_depth_augmentation_refuses_photometric_ops(op: str) -> None:
    with pytest.raises(ValueError, match=f"{op}.*16-bit depth"):
        augment_batch(np.zeros((2, 8, 8), np.uint16), np.random.default_rng(0),
                      AugmentConfig(**{f"{op}_p": 1.0}).only(op))


def test_the_mse_preset_regresses_peak_one_heatmaps_and_decodes_them() -> None:
    """default_mse: the same network, trained on MSE to peak-1 Gaussians (the loss's
    comparison); its predictions come from the heatmaps' peaks, in crop pixels."""
    dsnt, mse = build_estimator("default"), build_estimator("default_mse")
    uv = np.array([[[20.0, 30.0]] * 14])  # (1, 14, 2) crop pixels on a 64-px crop
    assert float(dsnt.targets(uv, 64).sum(dim=(2, 3)).max()) == pytest.approx(1.0)
    assert float(mse.targets(uv, 64).amax()) > 0.5  # a peak, not a distribution
    target = mse.targets(uv, 64)
    assert float(mse.loss([target, target], target, torch.zeros(1, 14, 2), 64)) == 0.0
    images = np.full((2, 64, 64), 65535, np.uint16)
    assert predict_joints_uv(mse, images).shape == (2, 14, 2)
