"""SimGAN losses: local adversarial cross-entropy and self-regularization."""

from __future__ import annotations

import math

import pytest
import torch

from simgan_core.refiner.losses import (
    PSI,
    REAL,
    REFINED,
    local_adversarial_loss,
    patch_accuracy,
    self_regularization_loss,
)


def _images(seed: int, shape: tuple[int, ...] = (2, 3, 7, 9)) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("psi", sorted(PSI))
def test_self_regularization_zero_on_identity_positive_otherwise(psi: str) -> None:
    x = _images(0)
    assert self_regularization_loss(x, x.clone(), psi).item() == 0.0
    assert self_regularization_loss(_images(1), x, psi).item() > 0.0


def test_identity_psi_is_the_mean_absolute_difference() -> None:
    x = torch.zeros(1, 1, 2, 2)
    y = torch.tensor([[[[1.0, -1.0], [0.0, 2.0]]]])
    assert self_regularization_loss(y, x, "identity").item() == pytest.approx(1.0)


def test_each_psi_ignores_what_it_should() -> None:
    x = _images(2, (2, 3, 6, 8))
    checker = torch.tensor([[0.1, -0.1], [-0.1, 0.1]]).repeat(3, 4)  # zero mean per 2x2 cell
    assert self_regularization_loss(x + checker, x, "blur").item() == pytest.approx(0, abs=1e-6)
    assert self_regularization_loss(x + checker, x, "identity").item() > 0.05
    assert self_regularization_loss(x + 0.3, x, "gradients").item() == pytest.approx(0, abs=1e-6)
    assert self_regularization_loss(x + 0.3, x, "identity").item() == pytest.approx(0.3)
    swapped = x[:, [1, 2, 0]]  # a colour permutation keeps the channel mean
    assert self_regularization_loss(swapped, x, "channel_mean").item() == pytest.approx(
        0, abs=1e-6)


def test_depth_local_mean_ignores_noise_not_geometry() -> None:
    """The depth psi: zero-mean speckle costs a fraction of what identity charges; moving a
    'finger' (a near bar) by 3 px or changing its depth costs about what identity charges."""
    depth = torch.ones(1, 1, 64, 64)  # the back of the cube
    depth[..., 20:44, 30:34] = -0.5  # a finger, 4 px wide
    parity = (torch.arange(64)[:, None] + torch.arange(64)[None, :]) % 2  # (64, 64) 0/1
    checker = 0.1 * (parity * 2 - 1)
    noisy = depth + checker.expand_as(depth)  # +-0.1, alternating per pixel
    identity = self_regularization_loss(noisy, depth, "identity").item()
    assert identity == pytest.approx(0.1)
    assert self_regularization_loss(noisy, depth, "depth_local_mean").item() < identity / 10
    moved = torch.ones_like(depth)
    moved[..., 20:44, 33:37] = -0.5  # the same finger, 3 px to the right
    shifted = self_regularization_loss(moved, depth, "depth_local_mean").item()
    assert shifted > 0.7 * self_regularization_loss(moved, depth, "identity").item()
    nearer = depth.clone()
    nearer[..., 20:44, 30:34] = -0.7  # the finger 0.2 nearer (30 mm in a 300 mm cube)
    assert self_regularization_loss(nearer, depth, "depth_local_mean").item() == pytest.approx(
        self_regularization_loss(nearer, depth, "identity").item())


def test_depth_local_mean_keeps_the_shape_and_border_means() -> None:
    x = torch.full((2, 1, 9, 7), 0.25)
    out = PSI["depth_local_mean"](x)
    assert out.shape == x.shape  # one local mean per pixel
    torch.testing.assert_close(out, x)  # no zero padding pulling the border toward 0


def test_blur_keeps_an_odd_last_row() -> None:
    x = torch.zeros(1, 1, 35, 55)
    y = x.clone()
    y[..., -1, :] = 1.0  # only the last (odd) row differs
    assert self_regularization_loss(y, x, "blur").item() > 0


def test_unknown_psi_lists_the_options() -> None:
    with pytest.raises(ValueError, match="blur.*channel_mean|channel_mean.*blur"):
        self_regularization_loss(_images(0), _images(0), "vgg")


@pytest.mark.parametrize("shape", [(3, 2, 9, 14), (3, 2, 1, 1)])
def test_adversarial_loss_is_ln2_on_zero_logits(shape: tuple[int, ...]) -> None:
    for target in (REFINED, REAL):
        assert local_adversarial_loss(torch.zeros(shape), target).item() == pytest.approx(
            math.log(2))


def test_adversarial_loss_averages_patches() -> None:
    logits = torch.zeros(1, 2, 2, 2)
    logits[0, REAL, 0, 0] = 3.0  # one confident "real" patch, three undecided
    expected = (math.log(1 + math.exp(-3.0)) + 3 * math.log(2)) / 4
    assert local_adversarial_loss(logits, REAL).item() == pytest.approx(expected)


def test_adversarial_loss_minimised_by_the_right_target() -> None:
    logits = torch.zeros(2, 2, 3, 4, requires_grad=True)
    opt = torch.optim.SGD([logits], lr=50.0)  # the mean over 24 patches scales gradients
    for _ in range(20):
        opt.zero_grad()
        local_adversarial_loss(logits, REAL).backward()
        opt.step()
    assert local_adversarial_loss(logits, REAL).item() < 0.1
    assert local_adversarial_loss(logits, REFINED).item() > 2.0
    assert patch_accuracy(logits, REAL).item() == 1.0
    assert patch_accuracy(logits, REFINED).item() == 0.0


def test_bad_target_rejected() -> None:
    with pytest.raises(ValueError, match="target"):
        local_adversarial_loss(torch.zeros(1, 2, 1, 1), 2)
