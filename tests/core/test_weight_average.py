"""WeightAverage: the moving average of a model's weights that a refiner may be saved as."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from simgan_core.refiner.weight_average import WeightAverage


def _linear(weight: float) -> nn.Linear:
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.fill_(weight)
        model.bias.fill_(weight)
    return model


def test_update_moves_by_one_minus_decay_and_reset_starts_over() -> None:
    model = _linear(1.0)
    average = WeightAverage(model, decay=0.75)
    assert average.model is not model and not average.model.weight.requires_grad
    with torch.no_grad():
        model.weight.fill_(5.0)
        model.bias.fill_(5.0)
    average.update(model)  # 0.75 * 1 + 0.25 * 5 = 2
    assert torch.equal(average.model.weight, torch.full((1, 2), 2.0))
    average.update(model)  # 0.75 * 2 + 0.25 * 5 = 2.75
    assert torch.equal(average.model.bias, torch.full((1,), 2.75))
    assert torch.equal(model.weight, torch.full((1, 2), 5.0))  # the model is left alone
    average.reset(_linear(-3.0))
    assert torch.equal(average.model.weight, torch.full((1, 2), -3.0))


@pytest.mark.parametrize("decay", [0.0, 1.0, 1.5])
def test_decay_outside_the_open_unit_interval_is_refused(decay: float) -> None:
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(_linear(0.0), decay)
