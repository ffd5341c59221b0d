"""The refiner's label-keeping levers: the residual output and the task-consistency term."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from simgan_core.augment import AugmentConfig
from simgan_core.refiner.label_reader import (
    freeze,
    label_consistency_loss,
    train_label_reader,
)
from simgan_core.refiner.models import DiscriminatorConfig, Refiner, RefinerConfig
from simgan_core.refiner.trainer import SimGANConfig, SimGANTrainer

CPU = torch.device("cpu")
TINY = dict(refiner=RefinerConfig(1, 4, 1, 3), discriminator=DiscriminatorConfig(1, "gaze", 0.125),
            image_hw=(35, 55), history_size=6, batch_size=4, seed=0)


def _batch(seed: int, b: int = 4) -> torch.Tensor:
    return torch.rand(b, 1, 35, 55, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _reader(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    from simgan_core.label_shift import LabelRegressor

    return freeze(LabelRegressor(2, 4))


def test_residual_refiner_starts_as_the_identity_and_stays_in_range() -> None:
    x = _batch(0)
    assert torch.equal(Refiner(RefinerConfig(1, 4, 1, 3, residual=True))(x), x)
    tanh = Refiner(RefinerConfig(1, 4, 1, 3))(x)
    assert not torch.allclose(tanh, x, atol=0.05)  # the paper's head is no identity
    big = Refiner(RefinerConfig(1, 4, 1, 3, residual=True))
    torch.nn.init.constant_(big.head.bias, 5.0)
    with torch.no_grad():
        out = big(x)
    assert float(out.max()) == 1.0 and float(out.min()) > -1.0  # clipped to [-1, 1]


def test_consistency_loss_is_zero_on_identity_and_grads_reach_only_the_input() -> None:
    reader, x = _reader(), _batch(1)
    assert float(label_consistency_loss(reader, x.clone(), x)) == 0.0
    refined = (x + 0.3 * _batch(2)).requires_grad_(True)
    loss = label_consistency_loss(reader, refined, x)
    loss.backward()
    assert float(loss) > 0 and refined.grad is not None and float(refined.grad.abs().sum()) > 0
    assert all(p.grad is None for p in reader.parameters())  # frozen: it never learns


def test_task_term_enters_the_refiner_loss_and_needs_a_reader() -> None:
    with pytest.raises(ValueError, match="label_reader"):
        SimGANTrainer(SimGANConfig(**TINY, lambda_task=1.0), CPU)
    plain = SimGANTrainer(SimGANConfig(**TINY), CPU).refiner_step(_batch(3))
    with_task = SimGANTrainer(SimGANConfig(**TINY, lambda_task=2.0), CPU,
                              label_reader=_reader()).refiner_step(_batch(3))
    assert "loss_task" not in plain and with_task["loss_task"] > 0
    # same seed, same weights: the refiner loss differs by exactly lambda_task x the term
    assert with_task["loss_refiner"] == pytest.approx(
        plain["loss_refiner"] + 2.0 * with_task["loss_task"], rel=1e-5)


class _Stream:
    """Batch i is _batch(i): a data stream whose position is the number of calls so far."""

    def __init__(self, start: int = 0) -> None:
        self.i = start

    def __call__(self) -> torch.Tensor:
        self.i += 1
        return _batch(self.i)


def test_resume_with_the_task_term_is_bit_identical(tmp_path: Path) -> None:
    cfg = SimGANConfig(**TINY, lambda_task=1.0, pretrain_refiner_steps=1, pretrain_disc_steps=1,
                       steps=4, refiner_ema=0.9)
    straight, stream = SimGANTrainer(cfg, CPU, label_reader=_reader()), _Stream()
    straight.fit(stream, stream)

    first, stream = SimGANTrainer(cfg, CPU, label_reader=_reader()), _Stream()
    for _ in range(3):
        first.train_step(stream, stream)
    torch.save(first.state_dict(), tmp_path / "ckpt.pt")
    state = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    resumed = SimGANTrainer.from_state_dict(state, CPU, label_reader=_reader(seed=7))
    resumed.fit(stream, stream)  # the reader passed in had other weights: the checkpoint's win
    for a, b in zip(straight.product.parameters(), resumed.product.parameters(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(straight.label_reader.parameters(), resumed.label_reader.parameters(),
                    strict=True):
        assert torch.equal(a, b)


def test_label_reader_learns_the_label_and_is_frozen() -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (256, 35, 55), dtype=np.uint8)
    labels = images[:, :, :27].mean(axis=(1, 2))[:, None] - images[:, :, 28:].mean(axis=(1, 2))[
        :, None]  # left-right brightness difference: something position-dependent
    to_unit = lambda a: a.astype(np.float32) / 127.5 - 1.0  # noqa: E731
    off = AugmentConfig().only()
    reader = train_label_reader(images, np.hstack([labels, -labels]), to_unit, off, steps=150,
                                seed=0)
    x = torch.from_numpy(to_unit(images)).unsqueeze(1)
    with torch.no_grad():
        out = reader(x)[:, 0].numpy()
    assert np.corrcoef(out, labels[:, 0])[0, 1] > 0.8
    assert not any(p.requires_grad for p in reader.parameters()) and not reader.training
