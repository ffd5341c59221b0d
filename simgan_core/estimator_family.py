"""Which estimator judges a domain, behind one interface for the generic stages.

The train / evaluate / report stages are written once; a domain's spec
(simgan_core/<name>/spec.py) gives its family through `Domain.estimator`:
- gaze_regressor: (pitch, yaw) regression, errors in degrees (gaze/estimator.py);
- heatmap_hourglass: joint heatmaps, errors in pixels at 224 scale (hand/estimator.py).

`predict(model, images)` returns the predicted labels (the pseudo-labels of label
matching), `errors(model, images, labels)` one error per judged unit (an image for gaze,
a joint for hand), `summary(errors)` the metrics written per training set (the
domain's `metrics`), `cdf(errors, grid)` the percent of units within each threshold,
for the error-curve plot (`cdf_column` names its threshold column).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from torch import nn

if TYPE_CHECKING:
    from simgan_core.domain import Domain


@dataclass(frozen=True)
class EstimatorFamily:
    name: str
    config_cls: type  # the family's frozen EstimatorConfig dataclass
    # (images, labels, config, log=None, sample_weights=None) -> model
    train: Callable[..., nn.Module]
    build: Callable[[str], nn.Module]  # preset -> freshly initialised model
    errors: Callable[[nn.Module, np.ndarray, np.ndarray], np.ndarray]
    summary: Callable[[np.ndarray], dict[str, float]]
    cdf: Callable[[np.ndarray, np.ndarray], np.ndarray]
    cdf_column: str  # the threshold column of the curve's CSV, e.g. "error_deg"
    # (model, (N, ...) stored images) -> (N, ...) predicted labels, in the label vector's
    # units (gaze: pitch, yaw radians; hand: joints' uv in crop pixels)
    predict: Callable[[nn.Module, np.ndarray], np.ndarray]

    def config(self, **fields: Any) -> Any:
        return self.config_cls(**fields)


def estimator_family(domain: Domain) -> EstimatorFamily:
    """The family of domain.estimator; ValueError for a domain without one."""
    if domain.estimator is None:
        raise ValueError(f"domain {domain.name!r} has no downstream estimator")
    return domain.estimator()


def estimator_augment(domain: Domain) -> Any:
    """The label-preserving augmentation (an AugmentConfig) the domain's estimators train
    with when their training set asks for it (gaze: the imaging chain; hand: depth)."""
    family = estimator_family(domain)
    return family.config(preset="default", steps=1, batch_size=1, lr=1e-3, seed=0,
                         augment=True).augment_config
