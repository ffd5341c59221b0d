"""Gaze's label-shift figures: how far refinement moves the gaze a model reads.

`gaze_shift_deg` (and its median): the angle between a synthetic-trained gaze
regressor's predictions on x and on R(x); `_plain` variants: the same regressor trained
on clean synthetic images only. `mean_abs_change_gray`: |R(x) - x| in gray levels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from simgan_core.domain import Domain
from simgan_core.gaze.conventions import angular_error_deg
from simgan_core.gaze.regressor import RegressorConfig, predict, train_regressor
from simgan_core.label_judge import JUDGE_SEED, judge_set


def gaze_label_shift(domain: Domain, syn_x: np.ndarray, syn_y: np.ndarray,
                     annotations: Sequence[Mapping[str, Any]], refined_x: np.ndarray,
                     change: float, regressor_steps: int) -> dict[str, float]:
    """syn_x, refined_x: (N, 35, 55) uint8; syn_y: (N, 2) pitch, yaw in radians;
    change: mean |R(x) - x| in [-1, 1] units."""
    out = {"mean_abs_change_gray": round(change * 127.5, 3)}
    for suffix, (x, y) in (("", judge_set(domain, syn_x, syn_y)), ("_plain", (syn_x, syn_y))):
        regressor = train_regressor(x, y, RegressorConfig(steps=regressor_steps,
                                                          seed=JUDGE_SEED))
        shift = angular_error_deg(predict(regressor, syn_x), predict(regressor, refined_x))
        out[f"gaze_shift{suffix}_deg"] = round(float(shift.mean()), 3)
        out[f"gaze_shift{suffix}_median_deg"] = round(float(np.median(shift)), 3)
    return out
