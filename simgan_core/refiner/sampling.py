"""Endless shuffled batches of dataset indices that resume exactly from two integers.

Each epoch's order is a permutation from its own torch.Generator seeded by
(seed, epoch), so the state is just {epoch, position}: a stream over random-access
shards (a wids index) resumes without replaying or loading the corpus. Batches run
across epoch boundaries, so every batch is full.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

_EPOCH_STRIDE = 1_000_003  # a prime: (seed, epoch) pairs map to distinct generator seeds


class ResumableIndexStream:
    def __init__(self, n: int, batch_size: int, seed: int) -> None:
        if n < 1 or batch_size < 1:
            raise ValueError(f"need n >= 1 and batch_size >= 1, got n={n}, "
                             f"batch_size={batch_size}")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.epoch = 0
        self.position = 0  # next index into this epoch's permutation
        self._order: torch.Tensor | None = None  # (n,) cache of epoch `_order_epoch`
        self._order_epoch = -1

    def permutation(self, epoch: int) -> torch.Tensor:
        """(n,) int64: the order of epoch `epoch`, a pure function of (seed, epoch)."""
        generator = torch.Generator().manual_seed(self.seed * _EPOCH_STRIDE + epoch)
        return torch.randperm(self.n, generator=generator)

    def next_batch(self) -> torch.Tensor:
        """(batch_size,) int64 indices in [0, n)."""
        parts: list[torch.Tensor] = []
        need = self.batch_size
        while need:
            if self._order_epoch != self.epoch:
                self._order, self._order_epoch = self.permutation(self.epoch), self.epoch
            assert self._order is not None
            take = min(need, self.n - self.position)
            parts.append(self._order[self.position:self.position + take])
            self.position += take
            need -= take
            if self.position == self.n:
                self.epoch, self.position = self.epoch + 1, 0
        return torch.cat(parts)

    def __iter__(self) -> Iterator[torch.Tensor]:
        return self

    def __next__(self) -> torch.Tensor:
        return self.next_batch()

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        epoch, position = int(state["epoch"]), int(state["position"])
        if epoch < 0 or not 0 <= position < self.n:
            raise ValueError(f"bad stream state {state} for n={self.n}")
        self.epoch, self.position = epoch, position
