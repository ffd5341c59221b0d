"""Which candidate refiner to publish, chosen without a real label.

Each candidate (one refiner seed) is judged on two label-free figures: realism (the C2ST
accuracy of a fresh classifier telling R(x) from unlabeled real images; 0.5 = chance)
and label shift (how far a synthetic-trained model's reading of x moves on R(x)). Realism
is the objective and the label shift a budget:

1. realistic: the candidates whose realism is within `tolerance` of the most realistic
   one (this keeps out a refiner that collapsed to the identity, whose shift is near 0);
2. eligible: the realistic candidates whose label shift is at most `shift_budget` times
   the smallest among them (a candidate that moved the labels clearly more than its
   siblings is out);
3. chosen: the most realistic eligible candidate (ties: the smaller shift, then the
   lower seed).

The refiner's objective is realism: one that does not look real teaches an estimator
nothing about real images. The label shift is no objective of its own: even a perfect
refiner moves the synthetic-trained judge (it meets real appearance: README, "What the
label-shift figure can and cannot say"), so among candidates that keep the labels alike
the smallest shift marks the one that changed the images least, not the truest labels.
A domain without labels (no label shift) takes the most realistic candidate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REALISM_TOLERANCE = 0.05  # C2ST accuracy points: a few are the classifier's own noise
SHIFT_BUDGET = 1.5  # x the smallest label shift among the realistic candidates


def select_candidate(candidates: Mapping[int, Mapping[str, Any]], realism: str,
                     shift: str | None, tolerance: float = REALISM_TOLERANCE,
                     shift_budget: float = SHIFT_BUDGET) -> tuple[int, dict[str, Any]]:
    """(seed -> metrics) -> (chosen seed, a record of the rule, the figures and the
    ranking: every seed, best first). shift None: the lowest realism figure wins."""
    if not candidates:
        raise ValueError("no candidate refiners to choose from")
    keys = (realism,) if shift is None else (realism, shift)
    missing = [s for s, m in candidates.items() if any(k not in m for k in keys)]
    if missing:
        raise ValueError(f"candidates {missing} lack one of {keys}")
    real = {s: float(m[realism]) for s, m in candidates.items()}
    moved = {s: 0.0 if shift is None else float(m[shift]) for s, m in candidates.items()}
    realistic = [s for s in candidates if real[s] <= min(real.values()) + tolerance]
    budget = shift_budget * min(moved[s] for s in realistic)

    def order(seed: int) -> tuple[bool, float, float, int]:
        eligible = seed in realistic and moved[seed] <= budget
        return (not eligible, real[seed], moved[seed], seed)

    ranking = sorted(candidates, key=order)
    eligible = [s for s in ranking if not order(s)[0]]
    criterion = (f"the lowest {realism}" if shift is None else
                 f"among the candidates with {realism} within {tolerance} of the lowest "
                 f"({min(real.values())}) and {shift} at most {shift_budget} x the smallest "
                 f"of those ({budget:.4g}), the lowest {realism}")
    return ranking[0], {
        "criterion": criterion + "; no real label is read",
        "eligible_seeds": eligible,
        "ranking": ranking,
        "figures": {str(s): {k: candidates[s][k] for k in keys} for s in ranking},
    }
