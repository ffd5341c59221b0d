"""experiments.pseudo_labels' figures: the spread of the predictions on real images
against the synthetic labels', per label dimension, with the dimensions a crop fixes
left out."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.pseudo_labels import spread_figures


def test_a_narrow_real_range_shows_as_a_ratio_below_one() -> None:
    rng = np.random.default_rng(0)
    labels = rng.normal(0.0, [2.0, 4.0], (3000, 2))
    own = labels + rng.normal(0.0, 0.1, labels.shape)
    real = rng.normal(0.0, [1.0, 1.0], (1000, 2))
    figures = spread_figures(own, labels, real)
    assert figures["std_ratio_per_dim"] == pytest.approx([0.5, 0.25], abs=0.03)
    assert figures["std_ratio_mean"] == pytest.approx(0.375, abs=0.03)
    assert figures["fixed_dims_left_out"] == 0
    assert figures["heldout_accuracy"] > 0.7


def test_a_label_the_crop_fixes_is_left_out() -> None:
    rng = np.random.default_rng(1)
    labels = np.column_stack([rng.normal(size=500), np.full(500, 32.0)])  # (u, fixed v)
    real = np.column_stack([rng.normal(size=400), rng.normal(32.0, 0.01, 400)])
    figures = spread_figures(labels, labels, real)
    assert figures["fixed_dims_left_out"] == 1
    assert figures["std_ratio_per_dim"] == pytest.approx(
        [real[:, 0].std() / labels[:, 0].std()], abs=1e-3)
    assert np.isfinite(figures["std_ratio_mean"])
