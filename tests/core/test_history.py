"""The history of refined images: fills, mixes half and half, replaces slots once full."""

from __future__ import annotations

import pytest
import torch

from simgan_core.refiner.history import ImageHistoryBuffer

SHAPE = (1, 3, 4)


def _buffer(capacity: int, seed: int = 0, **kw: object) -> ImageHistoryBuffer:
    return ImageHistoryBuffer(capacity, SHAPE, torch.Generator().manual_seed(seed), **kw)


def _const(n: int, value: float) -> torch.Tensor:
    return torch.full((n, *SHAPE), value)


def _values(images: torch.Tensor) -> list[float]:
    """One value per (constant) image."""
    return images.flatten(1)[:, 0].tolist()


def test_add_fills_then_replaces_random_slots() -> None:
    buf = _buffer(6)
    buf.add(_const(4, 1.0))
    assert len(buf) == 4
    buf.add(_const(2, 2.0))
    assert len(buf) == 6
    assert _values(buf.images) == [1, 1, 1, 1, 2, 2]
    buf.add(_const(3, 3.0))  # full: three distinct slots are overwritten
    assert len(buf) == 6
    assert _values(buf.images).count(3.0) == 3


def test_replacement_slots_follow_the_generator() -> None:
    def slots(seed: int) -> list[int]:
        buf = _buffer(50, seed)
        buf.add(_const(50, 0.0))
        buf.add(_const(5, 1.0))
        return [i for i, v in enumerate(_values(buf.images)) if v == 1.0]

    assert slots(0) == slots(0)
    assert slots(0) != slots(1)
    assert len(slots(0)) == 5


def test_mix_is_half_current_half_history() -> None:
    buf = _buffer(100)
    buf.add(_const(8, 1.0))
    mixed = buf.mix(_const(8, 0.0))
    assert mixed.shape == (8, *SHAPE)
    assert sorted(_values(mixed)) == [0.0] * 4 + [1.0] * 4
    assert len(buf) == 12  # B//2 current images joined the history


def test_mix_with_odd_batch_keeps_the_batch_size() -> None:
    buf = _buffer(100)
    buf.add(_const(8, 1.0))
    assert sorted(_values(buf.mix(_const(7, 0.0)))) == [0.0] * 4 + [1.0] * 3


def test_mix_uses_the_whole_current_batch_until_the_history_has_half() -> None:
    buf = _buffer(100)
    current = torch.rand(8, *SHAPE, generator=torch.Generator().manual_seed(3))
    assert torch.equal(buf.mix(current), current)
    assert len(buf) == 4
    assert torch.equal(buf.images[:4], current[:4])


def test_count_grows_on_every_mix_until_capacity() -> None:
    # The public bug: `np.append` result dropped, the history stayed empty forever.
    buf = _buffer(20)
    counts = []
    for step in range(6):
        buf.mix(_const(8, float(step)))
        counts.append(len(buf))
    assert counts == [4, 8, 12, 16, 20, 20]
    assert set(_values(buf.images)) >= {0.0, 3.0}


def test_disabled_history_returns_current_and_stores_nothing() -> None:
    buf = _buffer(10, enabled=False)
    current = _const(4, 0.5)
    assert buf.mix(current) is current
    assert len(buf) == 0


def test_sample_without_replacement_when_possible() -> None:
    buf = _buffer(10)
    buf.add(torch.arange(10.0).view(10, 1, 1, 1).expand(10, *SHAPE))
    assert sorted(_values(buf.sample(10))) == list(range(10))
    assert len(buf.sample(25)) == 25  # more than stored: with replacement
    with pytest.raises(ValueError, match="empty"):
        _buffer(3).sample(1)


def test_float16_storage_and_device_of_mix() -> None:
    buf = _buffer(10, dtype=torch.float16)
    buf.add(_const(4, 0.25))
    assert buf.images.dtype == torch.float16
    assert buf.mix(_const(4, -0.5)).dtype == torch.float32


def test_state_dict_round_trip_resumes_draws() -> None:
    a = _buffer(10, seed=5)
    a.add(torch.rand(7, *SHAPE, generator=torch.Generator().manual_seed(1)))
    state = a.state_dict()
    assert state["count"] == 7 and state["images"].shape == (7, *SHAPE)
    b = _buffer(10, seed=5)
    b.load_state_dict(state)
    b.generator.set_state(a.generator.get_state())  # the trainer saves the generator
    assert len(b) == 7
    assert torch.equal(a.sample(5), b.sample(5))
    with pytest.raises(ValueError, match="capacity"):
        _buffer(3).load_state_dict(state)
