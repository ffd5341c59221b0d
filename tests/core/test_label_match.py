"""Label matching: the density-ratio weights recover a shifted label distribution, leave
an unshifted one nearly uniform, are capped, and the training loop draws by them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from simgan_core.fit_loop import fit
from simgan_core.gaze.estimator import EstimatorConfig
from simgan_core.label_match import MAX_WEIGHT, cap_weights, match_weights


def _weighted_std(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    mean = np.average(x, axis=0, weights=w)
    return np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))


def test_weights_make_a_wide_source_look_like_a_narrow_target() -> None:
    rng = np.random.default_rng(0)
    source = rng.normal(0.0, [17.0, 23.0], (6000, 2))  # a simulator's wide gaze range
    target = rng.normal([2.0, 5.0], [7.0, 9.0], (1500, 2))  # the camera's narrow one
    matched = match_weights(source, target)
    assert matched.weights.shape == (6000,)
    assert matched.weights.mean() == pytest.approx(1.0)
    assert matched.weights.max() <= MAX_WEIGHT + 1e-9
    np.testing.assert_allclose(_weighted_std(source, matched.weights), [7.0, 9.0], rtol=0.1)
    np.testing.assert_allclose(np.average(source, axis=0, weights=matched.weights),
                               [2.0, 5.0], atol=0.6)
    assert matched.heldout_accuracy > 0.75  # the shift is plain to see
    assert 0.1 < matched.effective_fraction < 0.6


def test_no_shift_leaves_the_weights_near_uniform() -> None:
    rng = np.random.default_rng(1)
    matched = match_weights(rng.normal(size=(4000, 28)), rng.normal(size=(1500, 28)))
    assert matched.heldout_accuracy < 0.56
    assert matched.effective_fraction > 0.9
    assert matched.capped == 0


def test_weights_are_deterministic() -> None:
    rng = np.random.default_rng(2)
    source, target = rng.normal(size=(500, 3)), rng.normal(0.5, 1.0, (200, 3))
    np.testing.assert_array_equal(match_weights(source, target).weights,
                                  match_weights(source, target).weights)


def test_the_cap_holds_and_keeps_the_mean() -> None:
    weights, capped = cap_weights(np.array([100.0, 50.0] + [1.0] * 38), cap=5.0)
    assert capped == 2 and weights[:2].tolist() == [5.0, 5.0]
    assert weights.mean() == pytest.approx(1.0)
    assert np.allclose(weights[2:], weights[2])  # the rest keep their proportions
    with pytest.raises(ValueError, match="non-negative"):
        cap_weights(np.array([1.0, -1.0]))


def test_bad_predictions_are_refused() -> None:
    with pytest.raises(ValueError, match="the same label length"):
        match_weights(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="NaN"):
        match_weights(np.full((10, 2), np.nan), np.zeros((10, 2)))


class _Recorder(nn.Module):
    """A model whose loss records which samples each batch drew."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.drawn: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1).mean(1) * self.w


def test_the_loop_draws_in_proportion_to_the_weights() -> None:
    model = _Recorder()
    images = np.zeros((4, 2, 2), dtype=np.uint8)
    cfg = EstimatorConfig(steps=200, batch_size=16, seed=0)

    def loss(out: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        model.drawn.extend(idx.tolist())
        return out.sum()

    to_tensor = lambda a: torch.from_numpy(a.astype(np.float32)).unsqueeze(1)  # noqa: E731
    fit(model, images, cfg, to_tensor, loss, sample_weights=np.array([0.0, 1.0, 0.0, 3.0]))
    counts = np.bincount(model.drawn, minlength=4)
    assert counts[0] == 0 and counts[2] == 0
    assert counts[3] / counts[1] == pytest.approx(3.0, rel=0.15)
    with pytest.raises(ValueError, match="sample_weights"):
        fit(_Recorder(), images, cfg, to_tensor, loss, sample_weights=np.ones(3))
