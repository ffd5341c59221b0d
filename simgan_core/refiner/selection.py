"""Which candidate refiner to publish, chosen without a real label.

Each candidate (one refiner seed) is judged on two label-free figures: realism (the C2ST
accuracy of a fresh classifier telling R(x) from unlabeled real images; 0.5 = chance)
and label shift (how far a synthetic-trained model's reading of x moves on R(x)). The
rule, realism first and then label keeping:

1. eligible: the candidates whose realism is within `tolerance` of the most realistic
   one (a C2ST difference of a few points is within the classifier's own noise);
2. chosen: the eligible candidate with the smallest label shift (ties: more realistic,
   then the lower seed).

A refiner that does not look real teaches an estimator nothing about real images, and
among refiners that look alike the one that moved the labels least trains on the truest
labels. A domain without labels (no label shift) takes the most realistic candidate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REALISM_TOLERANCE = 0.05  # C2ST accuracy points


def select_candidate(candidates: Mapping[int, Mapping[str, Any]], realism: str,
                     shift: str | None, tolerance: float = REALISM_TOLERANCE
                     ) -> tuple[int, dict[str, Any]]:
    """(seed -> metrics) -> (chosen seed, a record of the rule, the figures and the
    ranking: every seed, best first). shift None: the lowest realism figure wins."""
    if not candidates:
        raise ValueError("no candidate refiners to choose from")
    keys = (realism,) if shift is None else (realism, shift)
    missing = [s for s, m in candidates.items() if any(k not in m for k in keys)]
    if missing:
        raise ValueError(f"candidates {missing} lack one of {keys}")
    best = min(float(m[realism]) for m in candidates.values())

    def order(seed: int) -> tuple[bool, float, float, int]:
        m = candidates[seed]
        moved = 0.0 if shift is None else float(m[shift])
        return (float(m[realism]) > best + tolerance, moved, float(m[realism]), seed)

    ranking = sorted(candidates, key=order)
    eligible = [s for s in ranking if not order(s)[0]]
    criterion = (f"the lowest {realism}" if shift is None else
                 f"among the candidates with {realism} within {tolerance} of the lowest "
                 f"({best}), the smallest {shift}")
    return ranking[0], {
        "criterion": criterion + "; no real label is read",
        "eligible_seeds": eligible,
        "ranking": ranking,
        "figures": {str(s): {k: candidates[s][k] for k in keys} for s in ranking},
    }
