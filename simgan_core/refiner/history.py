"""The paper's history of refined images (CycleGAN calls it the image pool).

The discriminator sees half current refined images and half earlier ones, so it does
not forget old artifacts and the refiner cannot reintroduce them. Images live in one
preallocated CPU tensor with a fill count; every random draw uses the generator given
at construction, so a resumed run draws the same slots. (Two public reimplementations
dropped an `np.append` result and never filled theirs: here `count` is the only state
and it grows on every `add` until `capacity`.)
"""

from __future__ import annotations

import torch


class ImageHistoryBuffer:
    def __init__(self, capacity: int, image_shape: tuple[int, ...], generator: torch.Generator,
                 dtype: torch.dtype = torch.float32, enabled: bool = True) -> None:
        if capacity < 1:
            raise ValueError(f"history capacity must be >= 1, got {capacity}")
        if dtype not in (torch.float16, torch.float32):
            raise ValueError(f"history dtype must be float16 or float32, got {dtype}")
        self.capacity = capacity
        self.image_shape = tuple(image_shape)
        self.generator = generator
        self.enabled = enabled
        # (capacity, C, H, W) on the CPU: a large history must not take accelerator memory.
        self.images = torch.zeros((capacity, *self.image_shape), dtype=dtype)
        self.count = 0  # slots [0, count) hold images

    def __len__(self) -> int:
        return self.count

    def add(self, images: torch.Tensor) -> None:
        """Append (N, C, H, W) images while not full, then overwrite random slots."""
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(f"images of shape {tuple(images.shape[1:])} in a history of "
                             f"{self.image_shape}")
        images = images.detach().to("cpu", self.images.dtype)[-self.capacity:]  # newest win
        free = min(self.capacity - self.count, images.shape[0])
        self.images[self.count:self.count + free] = images[:free]
        self.count += free
        rest = images[free:]
        if rest.shape[0]:  # full: distinct random slots get the newest images
            slots = torch.randperm(self.capacity, generator=self.generator)[:rest.shape[0]]
            self.images[slots] = rest

    def sample(self, n: int) -> torch.Tensor:
        """(n, C, H, W) stored images drawn uniformly, without replacement when n <= count."""
        if self.count == 0:
            raise ValueError("cannot sample from an empty history")
        if n <= self.count:
            idx = torch.randperm(self.count, generator=self.generator)[:n]
        else:
            idx = torch.randint(self.count, (n,), generator=self.generator)
        return self.images[idx].clone()

    def mix(self, current: torch.Tensor) -> torch.Tensor:
        """The discriminator's refined batch for current refined images (B, C, H, W).

        B - B//2 current images and B//2 from the history (the whole current batch until
        the history holds B//2); then B//2 current images join the history. Returned on
        current's device and dtype.
        """
        if not self.enabled:
            return current
        half = current.shape[0] // 2
        if half and self.count >= half:
            old = self.sample(half).to(current.device, current.dtype)
            mixed = torch.cat([current[:current.shape[0] - half], old])  # (B, C, H, W)
        else:
            mixed = current
        self.add(current[:half])  # the batch is already a random draw: its first half will do
        return mixed

    def state_dict(self) -> dict[str, torch.Tensor | int]:
        # Only the filled slots: the rest are never read. The generator's state is the
        # trainer's to save (it may share the generator).
        return {"images": self.images[:self.count].clone(), "count": self.count}

    def load_state_dict(self, state: dict[str, torch.Tensor | int]) -> None:
        count, images = int(state["count"]), state["images"]
        assert isinstance(images, torch.Tensor)
        if count > self.capacity or tuple(images.shape) != (count, *self.image_shape):
            raise ValueError(f"history state of {count} x {tuple(images.shape[1:])} does not "
                             f"fit capacity {self.capacity} x {self.image_shape}")
        self.images.zero_()
        self.images[:count] = images.to(self.images.dtype)
        self.count = count
