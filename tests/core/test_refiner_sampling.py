"""ResumableIndexStream: shuffled epochs, batches across epoch ends, exact resume."""

from __future__ import annotations

import torch

from simgan_core.refiner.sampling import ResumableIndexStream


def test_every_epoch_is_a_permutation_and_batches_cross_epochs() -> None:
    stream = ResumableIndexStream(n=10, batch_size=4, seed=3)
    batches = [stream.next_batch() for _ in range(5)]  # 20 indices = 2 epochs
    assert all(b.shape == (4,) for b in batches)
    flat = torch.cat(batches)
    assert sorted(flat[:10].tolist()) == list(range(10))
    assert sorted(flat[10:].tolist()) == list(range(10))
    assert not torch.equal(flat[:10], flat[10:])  # a new order each epoch
    assert stream.state_dict() == {"epoch": 2, "position": 0}


def test_order_depends_on_seed_only() -> None:
    a = ResumableIndexStream(100, 8, seed=0).next_batch()
    assert torch.equal(a, ResumableIndexStream(100, 8, seed=0).next_batch())
    assert not torch.equal(a, ResumableIndexStream(100, 8, seed=1).next_batch())


def test_resume_from_state_continues_exactly() -> None:
    whole = ResumableIndexStream(13, 5, seed=7)
    expected = [next(whole) for _ in range(9)]
    first = ResumableIndexStream(13, 5, seed=7)
    for _ in range(4):
        next(first)
    state = first.state_dict()
    assert state == {"epoch": 1, "position": 7}  # 20 indices: one epoch of 13, then 7
    resumed = ResumableIndexStream(13, 5, seed=7)
    resumed.load_state_dict(state)
    for want in expected[4:]:
        assert torch.equal(next(resumed), want)


def test_batch_larger_than_dataset() -> None:
    batch = ResumableIndexStream(3, 7, seed=0).next_batch()
    assert batch.shape == (7,) and set(batch.tolist()) == {0, 1, 2}
