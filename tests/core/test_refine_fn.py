"""torch_refine_fn: the refiner as run on shards stays the plain eager forward, to the gray
level, and an image's output depends on that image only (so never on the batch it came
in, nor on how many workers share the shards)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from simgan_core.gaze.spec import GAZE
from simgan_core.refine_shard import torch_refine_fn
from simgan_core.refiner.models import REFINER_PRESETS, Refiner, RefinerConfig

CONFIGS = [REFINER_PRESETS["default_gaze"], RefinerConfig(channels=1, maps=8, blocks=1, kernel=5)]


def _images(n: int, seed: int = 0) -> torch.Tensor:  # (n, 1, 35, 55) in [-1, 1], as stored
    pixels = np.random.default_rng(seed).integers(0, 256, (n, *GAZE.image_hw), dtype=np.uint8)
    return torch.from_numpy(GAZE.to_unit(pixels)).unsqueeze(1)


def _refiner(cfg: RefinerConfig) -> Refiner:
    torch.manual_seed(0)  # random weights: far from the identity, well inside tanh's range
    return Refiner(cfg)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c.maps}x{c.blocks}x{c.kernel}")
def test_within_a_gray_level_of_the_eager_forward(cfg: RefinerConfig) -> None:
    model = _refiner(cfg)
    eager = copy.deepcopy(model).eval()
    x = _images(45)  # not a multiple of the micro-batch: a filled last chunk
    with torch.no_grad():
        expected = eager(x)
    got = torch_refine_fn(model, micro_batch=16)(x)
    assert got.shape == expected.shape and got.dtype == torch.float32
    assert (got - expected).abs().max().item() < 1e-4
    stored, want = GAZE.from_unit(got.squeeze(1).numpy()), GAZE.from_unit(expected.squeeze(1)
                                                                         .numpy())
    assert np.abs(stored.astype(int) - want.astype(int)).max() <= 1
    assert np.abs(want.astype(int) - GAZE.from_unit(x.squeeze(1).numpy())).mean() > 1  # moved


def test_same_bytes_whatever_the_batch() -> None:
    refine = torch_refine_fn(_refiner(REFINER_PRESETS["default_gaze"]), micro_batch=4)
    x = _images(10, seed=1)
    whole = refine(x)
    assert torch.equal(refine(x), whole)  # run to run
    one_by_one = torch.cat([refine(x[i:i + 1]) for i in range(len(x))])
    assert torch.equal(one_by_one, whole)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    assert torch.equal(refine(x[order]), whole[order])  # another batching of the same images
    assert torch.equal(torch.cat([refine(x[:3]), refine(x[3:])]), whole)


def test_an_empty_batch_gives_an_empty_batch() -> None:
    refine = torch_refine_fn(_refiner(REFINER_PRESETS["default_gaze"]))
    assert refine(_images(0)).shape == (0, 1, *GAZE.image_hw)
