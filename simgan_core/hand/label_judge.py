"""Hand's label-shift figures: how far refinement moves the joints a model reads.

`joint_shift_px` (and its median): the distance between a small synthetic-trained joint
regressor's (u, v) predictions on x and on R(x), crop pixels, over the 14 joints;
`joint_shift_px_224`: the mean at the paper's 224-pixel scale; `_plain` variants: the
regressor trained on clean synthetic images only. `mean_abs_change_mm`: |R(x) - x| in mm
of depth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from simgan_core.domain import Domain
from simgan_core.label_judge import JUDGE_SEED, judge_set
from simgan_core.label_shift import LabelRegressorConfig, point_shift, train_label_regressor

PAPER_HAND_SIZE = 224  # px: the paper's hand crops, the scale of its pixel metrics


def _unit(images: np.ndarray, domain: Domain) -> torch.Tensor:
    """(N, H, W) stored depth -> (N, 1, H, W) float32 in [-1, 1]."""
    return torch.from_numpy(domain.to_unit(images)).unsqueeze(1)


def hand_label_shift(domain: Domain, syn_x: np.ndarray, syn_y: np.ndarray,
                     annotations: Sequence[Mapping[str, Any]], refined_x: np.ndarray,
                     change: float, regressor_steps: int) -> dict[str, float]:
    """syn_x, refined_x: (N, S, S) uint16 depth crops; syn_y: (N, 28) joints (u, v) in
    crop px; change: mean |R(x) - x| in [-1, 1] units, which span each crop's cube."""
    cube_mm = float(np.mean([a["cube_mm"] for a in annotations]))
    out = {"mean_abs_change_mm": round(change * cube_mm / 2.0, 3)}
    for suffix, (x, y) in (("", judge_set(domain, syn_x, syn_y)), ("_plain", (syn_x, syn_y))):
        regressor = train_label_regressor(_unit(x, domain), y, LabelRegressorConfig(
            steps=regressor_steps, seed=JUDGE_SEED))
        shift = point_shift(regressor.predict(_unit(syn_x, domain)),
                            regressor.predict(_unit(refined_x, domain)))  # (N, 14) crop px
        out[f"joint_shift{suffix}_px"] = round(float(shift.mean()), 3)
        out[f"joint_shift{suffix}_median_px"] = round(float(np.median(shift)), 3)
        out[f"joint_shift{suffix}_px_224"] = round(float(shift.mean()) * PAPER_HAND_SIZE
                                                   / domain.image_hw[1], 3)
    return out
