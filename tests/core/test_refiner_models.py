"""Refiner and discriminator: shapes, presets, parameter and FLOP counts."""

from __future__ import annotations

import pytest
import torch

from simgan_core.refiner.models import (
    DISCRIMINATOR_PRESETS,
    REFINER_PRESETS,
    Discriminator,
    DiscriminatorConfig,
    Refiner,
    RefinerConfig,
    content_noise,
    count_parameters,
    discriminator_flops_per_image,
    refiner_flops_per_image,
)


def _eyes(b: int = 2) -> torch.Tensor:
    return torch.rand(b, 1, 35, 55, generator=torch.Generator().manual_seed(0)) * 2 - 1


@pytest.mark.parametrize("preset", ["paper_gaze", "default_gaze"])
def test_refiner_keeps_shape_and_range(preset: str) -> None:
    out = Refiner(REFINER_PRESETS[preset])(_eyes(3))
    assert out.shape == (3, 1, 35, 55)
    assert out.abs().max() < 1.0  # tanh


def test_refiner_kernel_and_channels_follow_config() -> None:
    model = Refiner(RefinerConfig(channels=3, maps=5, blocks=2, kernel=7))
    assert model(torch.zeros(1, 3, 12, 9)).shape == (1, 3, 12, 9)
    assert len(model.blocks) == 2
    assert model.stem[0].kernel_size == (7, 7) and model.stem[0].out_channels == 5
    assert model.head.kernel_size == (1, 1)


def test_paper_presets_match_the_paper() -> None:
    assert REFINER_PRESETS["paper_gaze"] == RefinerConfig(1, 64, 4, 3)
    assert REFINER_PRESETS["paper_hand"] == RefinerConfig(1, 64, 10, 7)
    # conv3x3 1->64, 4 blocks of two conv3x3 64->64, conv1x1 64->1, with biases
    expected = (9 * 64 + 64) + 4 * 2 * (9 * 64 * 64 + 64) + (64 + 1)
    assert count_parameters(Refiner(REFINER_PRESETS["paper_gaze"])) == expected


def test_discriminator_patch_map_on_gaze_crops() -> None:
    for preset in ("paper_gaze", "default_gaze"):
        assert Discriminator(DISCRIMINATOR_PRESETS[preset])(_eyes(2)).shape == (2, 2, 9, 14)
    paper = Discriminator(DISCRIMINATOR_PRESETS["paper_gaze"])
    convs = [m for m in paper.net if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [96, 64, 32, 32, 2]
    assert [c.stride for c in convs] == [(2, 2), (2, 2), (1, 1), (1, 1), (1, 1)]


def test_width_multiplier_shrinks_the_discriminator() -> None:
    small = count_parameters(Discriminator(DISCRIMINATOR_PRESETS["default_gaze"]))
    assert small < count_parameters(Discriminator(DISCRIMINATOR_PRESETS["paper_gaze"])) / 2


def test_global_mode_averages_the_local_map() -> None:
    cfg = DiscriminatorConfig(width=0.25)
    local, glob = Discriminator(cfg, "local"), Discriminator(cfg, "global")
    glob.load_state_dict(local.state_dict())  # same trunk, same weights
    x = _eyes(2)
    out = glob(x)
    assert out.shape == (2, 2, 1, 1)
    torch.testing.assert_close(out, local(x).mean(dim=(2, 3), keepdim=True))


def test_hand_discriminator_preset() -> None:
    model = Discriminator(DISCRIMINATOR_PRESETS["paper_hand"])
    convs = [m for m in model.net if isinstance(m, torch.nn.Conv2d)]
    assert [(c.kernel_size[0], c.stride[0], c.out_channels) for c in convs] == [
        (7, 4, 96), (5, 2, 64), (3, 2, 32), (1, 1, 32), (1, 1, 2)]
    assert model(torch.zeros(1, 1, 224, 224)).shape == (1, 2, 7, 7)


def test_bad_configs_are_rejected() -> None:
    with pytest.raises(ValueError, match="odd"):
        RefinerConfig(kernel=4)
    with pytest.raises(ValueError, match="gaze"):
        DiscriminatorConfig(arch="nope")
    with pytest.raises(ValueError, match="local"):
        Discriminator(DiscriminatorConfig(), mode="patch")


def test_refiner_flops_by_hand_and_growing() -> None:
    # 4x4 image, conv3x3 1->2 (2*1*2*9*16 = 576) and conv1x1 2->1 (2*2*1*16 = 64)
    assert refiner_flops_per_image(RefinerConfig(1, 2, 0, 3), 4, 4) == 640
    flops = [refiner_flops_per_image(RefinerConfig(maps=m), 35, 55) for m in (8, 16, 64)]
    assert 0 < flops[0] < flops[1] < flops[2]
    assert refiner_flops_per_image(RefinerConfig(blocks=4), 35, 55) > flops[1]
    # the hand refiner at 224 x 224 is counted without running it (meta device)
    assert refiner_flops_per_image(REFINER_PRESETS["paper_hand"], 224, 224) > 10**10


def test_discriminator_flops_first_layer() -> None:
    cfg = DiscriminatorConfig(width=1.0)
    first = 2 * 18 * 28 * 96 * 9  # conv3x3/2 1->96 on 35 x 55 gives 18 x 28
    assert discriminator_flops_per_image(cfg, 35, 55) > first
    assert discriminator_flops_per_image(DiscriminatorConfig(width=0.5), 35, 55) < \
        discriminator_flops_per_image(cfg, 35, 55)


@pytest.mark.parametrize(("preset", "size", "patches"), [("default_hand", 64, 8),
                                                         ("paper_hand", 224, 7)])
def test_hand_presets_shapes(preset: str, size: int, patches: int) -> None:
    x = torch.rand(2, 1, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        refined = Refiner(REFINER_PRESETS[preset])(x)
        logits = Discriminator(DISCRIMINATOR_PRESETS[preset])(refined)
    assert refined.shape == (2, 1, size, size) and refined.abs().max() < 1.0
    assert logits.shape == (2, 2, patches, patches)


def test_default_hand_is_the_paper_trunk_at_64() -> None:
    convs = [m for m in Discriminator(DISCRIMINATOR_PRESETS["default_hand"]).net
             if isinstance(m, torch.nn.Conv2d)]
    assert [(c.kernel_size[0], c.stride[0], c.out_channels) for c in convs] == [
        (5, 2, 48), (3, 2, 32), (3, 1, 16), (1, 1, 16), (1, 1, 2)]  # half width
    assert refiner_flops_per_image(REFINER_PRESETS["default_hand"], 64, 64) < \
        refiner_flops_per_image(REFINER_PRESETS["paper_hand"], 224, 224) / 100


def test_a_noise_input_refiner_starts_as_the_identity_and_uses_its_noise() -> None:
    cfg = RefinerConfig(channels=1, maps=4, blocks=1, kernel=3, residual=True, noise_maps=2)
    model = Refiner(cfg)
    assert model.stem[0].in_channels == 1 + 2
    x = _eyes(3)
    assert torch.equal(model(x), x)  # zero-initialised residual head: x + 0
    torch.nn.init.normal_(model.head.weight, generator=torch.Generator().manual_seed(1))
    a = model(x, torch.zeros(3, 2, 35, 55))
    b = model(x, torch.ones(3, 2, 35, 55))
    assert not torch.equal(a, b)  # the output depends on the noise it is given


def test_content_noise_depends_on_the_image_alone() -> None:
    """Refinement is reproducible whatever the batch: an image's noise is drawn from its
    own bytes, so it is the same alone, in another batch, or repeated."""
    x = _eyes(4)
    together = content_noise(x, 2)
    assert together.shape == (4, 2, 35, 55)
    alone = content_noise(x[2:3], 2)
    assert torch.equal(together[2:3], alone)
    shuffled = content_noise(torch.cat([x[3:], x[:1], x[2:3]]), 2)
    assert torch.equal(shuffled[2], together[2]) and torch.equal(shuffled[1], together[0])
    assert not torch.equal(together[0], together[1])  # other images, other draws
    assert abs(float(together.mean())) < 0.05 and abs(float(together.std()) - 1) < 0.05
    cfg = RefinerConfig(channels=1, maps=4, blocks=1, kernel=3, residual=True, noise_maps=2)
    model = Refiner(cfg)
    torch.nn.init.normal_(model.head.weight, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():  # the same noise alone or in a batch (convs: float rounding only)
        assert torch.allclose(model(x)[2:3], model(x[2:3]), atol=1e-5)


def test_noise_maps_are_counted_in_the_flops_and_refused_below_zero() -> None:
    plain = RefinerConfig(channels=1, maps=4, blocks=1, kernel=3)
    noisy = RefinerConfig(channels=1, maps=4, blocks=1, kernel=3, noise_maps=2)
    # the stem's dot products grow from 1 x 9 to 3 x 9 terms per output element
    extra = 2 * 35 * 55 * 4 * 2 * 9
    assert refiner_flops_per_image(noisy, 35, 55) - refiner_flops_per_image(plain, 35, 55) == extra
    with pytest.raises(ValueError, match="noise_maps"):
        RefinerConfig(noise_maps=-1)
