"""An exponential moving average of a model's weights (Polyak averaging of a generator).

The refiner and the discriminator take turns, so the refiner's weights circle round an
equilibrium instead of settling on it: the weights at whichever step training stops are
one draw from that orbit, and what they make of an image changes from one checkpoint to
the next. The moving average of the weights sits near the orbit's centre (Yazici et al.,
"The Unusual Effectiveness of Averaging in GAN Training", ICLR 2019). The averaged copy
never takes a gradient step and is never seen by the discriminator: training is exactly
what it would be without it; only the product (the saved refiner) changes.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """`average = decay * average + (1 - decay) * weights` after each `update(model)`.

    decay in (0, 1): the average spans about 1 / (1 - decay) updates (0.995: 200).
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"weight average decay must lie in (0, 1), got {decay!r}")
        self.decay = decay
        self.model = copy.deepcopy(model).requires_grad_(False)

    @torch.no_grad()
    def reset(self, model: nn.Module) -> None:
        """Start over from `model`'s weights (the average of one point)."""
        for mine, theirs in zip(self.model.state_dict().values(), model.state_dict().values(),
                                strict=True):
            mine.copy_(theirs)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average toward `model`'s weights by (1 - decay) of the difference."""
        for mine, theirs in zip(self.model.state_dict().values(), model.state_dict().values(),
                                strict=True):
            if mine.is_floating_point():
                mine.lerp_(theirs, 1.0 - self.decay)
            else:  # integer buffers (counters) are not averaged
                mine.copy_(theirs)
