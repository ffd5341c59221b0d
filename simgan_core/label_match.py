"""Label-distribution matching: weights that make the synthetic training set's labels
look distributed like the (unknown) labels of the unlabeled real images.

A simulator samples its labels from ranges its authors chose (UnityEyes: gaze spread over
tens of degrees); a real camera sees the labels its subjects happen to have (MPIIGaze:
people looking at a laptop screen). An estimator trained on the wide range spends its
capacity where the real images never are. The real labels are unknown, so a model's
predictions stand in for them (pseudo-labels), on both sides: the same estimator's
predictions on the synthetic training images (source) and on the unlabeled real images
(target), so that its own biases (a shrunken range on images it finds unfamiliar) enter
both. The ratio p_target(y) / p_source(y) comes from a probabilistic classifier between
the two sets of predictions, quadratic logistic regression: exact when both are Gaussian,
too weak to separate them by a prediction's fine structure. Weights are capped so that a
few samples cannot carry the whole set.

Pure numpy + torch (float64 LBFGS, deterministic on the CPU); no real label is read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

L2 = 1e-3  # penalty on the classifier's weights (standardized features)
MAX_WEIGHT = 10.0  # cap, in units of the mean weight
LBFGS_STEPS = 200


@dataclass(frozen=True)
class MatchWeights:
    weights: np.ndarray  # (N,) float64, mean 1, at most MAX_WEIGHT: one per source sample
    heldout_accuracy: float  # 2-fold accuracy telling source from target (0.5: no shift)
    effective_fraction: float  # (sum w)^2 / (N sum w^2): the share of N the weights keep
    capped: int  # how many weights hit the cap


def _features(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> torch.Tensor:
    """(N, L) -> (N, 2L) float64: standardized values and their squares."""
    z = (np.asarray(x, dtype=np.float64).reshape(len(x), -1) - mean) / std
    return torch.from_numpy(np.concatenate([z, z * z], axis=1))


def _fit_logit(src: torch.Tensor, tgt: torch.Tensor) -> torch.nn.Linear:
    """Balanced logistic regression, target = 1; LBFGS in float64."""
    x = torch.cat([src, tgt])
    y = torch.cat([torch.zeros(len(src)), torch.ones(len(tgt))]).double()
    # each class weighs half of the loss, whatever its size: the logit is then the log ratio
    w = torch.cat([torch.full((len(src),), 0.5 / len(src)),
                   torch.full((len(tgt),), 0.5 / len(tgt))]).double()
    model = torch.nn.Linear(x.shape[1], 1).double()
    torch.nn.init.zeros_(model.weight)
    torch.nn.init.zeros_(model.bias)
    opt = torch.optim.LBFGS(model.parameters(), max_iter=LBFGS_STEPS,
                            line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        logits = model(x).squeeze(1)
        loss = (w * torch.nn.functional.binary_cross_entropy_with_logits(
            logits, y, reduction="none")).sum() + L2 * model.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return model


def _heldout_accuracy(src: torch.Tensor, tgt: torch.Tensor) -> float:
    """Balanced accuracy of the classifier fitted on one half and scored on the other,
    averaged over the two halves (halves by index parity: deterministic)."""
    scores = []
    for fold in (0, 1):
        model = _fit_logit(src[fold::2], tgt[fold::2])
        with torch.no_grad():
            s_ok = (model(src[1 - fold::2]).squeeze(1) < 0).double().mean()
            t_ok = (model(tgt[1 - fold::2]).squeeze(1) > 0).double().mean()
        scores.append(float(s_ok + t_ok) / 2.0)
    return float(np.mean(scores))


def cap_weights(raw: np.ndarray, cap: float = MAX_WEIGHT) -> tuple[np.ndarray, int]:
    """Normalise to mean 1 and cap at `cap`, repeating until no weight is over it (the
    rest renormalised each time). Returns the weights and how many sit at the cap."""
    w = np.asarray(raw, dtype=np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    if cap < 1:
        raise ValueError(f"cap {cap} below the mean weight 1")
    w = w / w.mean()
    at_cap = np.zeros(len(w), dtype=bool)
    while (over := w > cap).any():
        at_cap |= over
        w[at_cap] = cap
        free = ~at_cap
        # the uncapped samples share what keeps the mean at 1 (sum of the capped <= N)
        w[free] *= max(len(w) - cap * at_cap.sum(), 0.0) / max(w[free].sum(), 1e-300)
    return w, int(at_cap.sum())


def match_weights(source_pred: np.ndarray, target_pred: np.ndarray) -> MatchWeights:
    """Weights for the N source samples, from a model's predictions on them ((N, L) or
    (N, ...)) and on the M unlabeled target images ((M, L)), so that the weighted source
    predictions are distributed like the target ones."""
    src = np.asarray(source_pred, dtype=np.float64).reshape(len(source_pred), -1)
    tgt = np.asarray(target_pred, dtype=np.float64).reshape(len(target_pred), -1)
    if src.shape[1] != tgt.shape[1] or min(len(src), len(tgt)) < 4:
        raise ValueError(f"predictions: source {src.shape}, target {tgt.shape} "
                         "(the same label length and at least 4 of each)")
    if not (np.all(np.isfinite(src)) and np.all(np.isfinite(tgt))):
        raise ValueError("predictions contain NaN or inf")
    pooled = np.concatenate([src, tgt])
    mean, std = pooled.mean(0), pooled.std(0) + 1e-12
    fs, ft = _features(src, mean, std), _features(tgt, mean, std)
    model = _fit_logit(fs, ft)
    with torch.no_grad():
        log_ratio = model(fs).squeeze(1).numpy()
    # exp of the logit is the density ratio (classes balanced); shift first: no overflow
    weights, capped = cap_weights(np.exp(log_ratio - log_ratio.max()))
    return MatchWeights(weights=weights, heldout_accuracy=_heldout_accuracy(fs, ft),
                        effective_fraction=float(weights.sum() ** 2
                                                 / (len(weights) * (weights ** 2).sum())),
                        capped=capped)
