"""`python -m experiments.pseudo_labels --domain gaze|hand`: are the real images' labels
spread like the synthetic ones, as the pipeline's own estimators read them?

The label-free look behind label matching (README, "Label matching"): each committed
estimator (seed 0 of the `synthetic` and `refined_seed<k>` sets) predicts labels on its
own training images and on the unlabeled real_train images (their pixels only:
tasks/label_matching.py decodes no annotation). Per label dimension (gaze: pitch, yaw;
hand: each joint's u and v, but those the crop fixes), the standard deviation of the
predictions on real images divided by that of the synthetic labels; and the held-out
accuracy of the quadratic logistic regression that label matching fits between the two
sets of predictions (0.5: no shift seen). Writes experiments/results/<domain>_pseudo_labels.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from experiments.common import domain_parser, write_result
from simgan_core.domain import domain_names, get_domain
from simgan_core.estimator_family import estimator_family
from simgan_core.label_match import match_weights
from tasks.label_matching import real_train_images
from tasks.params import load_params
from tasks.train_estimator import estimator_path, load_estimator, load_training_set

SETS = ("synthetic", "refined_seed0", "refined_seed1", "refined_seed2")


def main() -> None:
    parser = domain_parser(__doc__.splitlines()[0],
                           [d for d in domain_names() if get_domain(d).estimator],
                           "real_train images read (default: the stage's max_train_samples)",
                           "pseudo_labels")
    args = parser.parse_args()
    torch.set_num_threads(2)
    cfg = load_params(args.params).stage_config("train_estimator", args.domain)
    family = estimator_family(get_domain(args.domain))
    shards = Path(cfg.shards_dir)
    real = real_train_images(shards, args.n or cfg.max_train_samples, args.domain)
    result: dict = {"domain": args.domain, "real_images": len(real), "estimator_seed": 0,
                    "what": "std of predictions on unlabeled real_train images / std of "
                            "the synthetic labels, per label dimension; heldout_accuracy "
                            "of label matching's classifier (0.5: no shift)", "sets": {}}
    for name in SETS:
        images, labels, _ = load_training_set.fn(shards, cfg.training_sets[name],
                                                 cfg.max_train_samples, args.domain)
        model, _ = load_estimator(estimator_path(Path(cfg.models_dir), name, 0))
        result["sets"][name] = spread_figures(family.predict(model, images), labels,
                                              family.predict(model, real))
    write_result(result, args.out, args.domain, "pseudo_labels")


def spread_figures(own_pred: np.ndarray, labels: np.ndarray, real_pred: np.ndarray
                   ) -> dict[str, Any]:
    """One estimator's figures from its predictions on its own N training images, their
    N labels and its predictions on the M real images ((N or M, ...) label vectors)."""
    own = np.asarray(own_pred, dtype=np.float64).reshape(len(own_pred), -1)
    on_real = np.asarray(real_pred, dtype=np.float64).reshape(len(real_pred), -1)
    label_std = np.asarray(labels, dtype=np.float64).reshape(len(labels), -1).std(0)
    varies = label_std > 1e-9  # a label the crop fixes (hand: the palm centre) is left out
    ratio = on_real.std(0)[varies] / label_std[varies]
    return {"std_ratio_per_dim": [round(float(r), 3) for r in ratio] if len(ratio) <= 4
            else None,
            "std_ratio_mean": round(float(ratio.mean()), 3),
            "std_ratio_min_max": [round(float(ratio.min()), 3), round(float(ratio.max()), 3)],
            "fixed_dims_left_out": int((~varies).sum()),
            "heldout_accuracy": round(match_weights(own, on_real).heldout_accuracy, 4)}


if __name__ == "__main__":
    main()
