"""Which estimator judges a domain, behind one interface for the generic stages.

The train / evaluate / report stages are written once; a domain's `estimator` name
(simgan_core/domain.py) picks its family here:
- gaze_regressor: (pitch, yaw) regression, errors in degrees (gaze/estimator.py);
- heatmap_hourglass: joint heatmaps, errors in pixels at 224 scale (hand/estimator.py).

`errors(model, images, labels)` returns one error per judged unit (an image for gaze,
a joint for hand), `summary(errors)` the metrics written per training set (the
domain's `metrics`), `cdf(errors, grid)` the percent of units within each threshold,
for the error-curve plot (`cdf_column` names its threshold column).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import nn

from simgan_core.domain import Domain


@dataclass(frozen=True)
class EstimatorFamily:
    name: str
    config_cls: type  # the family's frozen EstimatorConfig dataclass
    train: Callable[..., nn.Module]  # (images, labels, config, log=None) -> model
    build: Callable[[str], nn.Module]  # preset -> freshly initialised model
    errors: Callable[[nn.Module, np.ndarray, np.ndarray], np.ndarray]
    summary: Callable[[np.ndarray], dict[str, float]]
    cdf: Callable[[np.ndarray, np.ndarray], np.ndarray]
    cdf_column: str  # the threshold column of the curve's CSV, e.g. "error_deg"

    def config(self, **fields: Any) -> Any:
        return self.config_cls(**fields)


def _gaze() -> EstimatorFamily:
    from simgan_core.gaze import estimator as g

    return EstimatorFamily("gaze_regressor", g.EstimatorConfig, g.train_estimator,
                           g.build_estimator, g.angular_errors_deg, g.error_summary,
                           g.error_cdf, "error_deg")


def _hand() -> EstimatorFamily:
    from simgan_core.hand import estimator as h
    from simgan_core.hand.metrics import pck_curve, pck_summary

    return EstimatorFamily("heatmap_hourglass", h.EstimatorConfig, h.train_estimator,
                           h.build_estimator, h.joint_errors_px, pck_summary, pck_curve,
                           "error_px")


_FAMILIES: dict[str, Callable[[], EstimatorFamily]] = {
    "gaze_regressor": _gaze, "heatmap_hourglass": _hand}


def estimator_family(domain: Domain) -> EstimatorFamily:
    """The family named by domain.estimator; ValueError for an unknown one."""
    try:
        return _FAMILIES[domain.estimator]()
    except KeyError:
        raise ValueError(f"domain {domain.name!r}: unknown estimator {domain.estimator!r}; "
                         f"known: {sorted(_FAMILIES)}") from None


def estimator_augment(domain: Domain) -> Any:
    """The label-preserving augmentation (an AugmentConfig) the domain's estimators train
    with when their training set asks for it (gaze: the imaging chain; hand: depth)."""
    family = estimator_family(domain)
    return family.config(preset="default", steps=1, batch_size=1, lr=1e-3, seed=0,
                         augment=True).augment_config
