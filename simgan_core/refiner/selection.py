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
labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REALISM_TOLERANCE = 0.05  # C2ST accuracy points


def select_candidate(candidates: Mapping[int, Mapping[str, Any]], realism: str, shift: str,
                     tolerance: float = REALISM_TOLERANCE) -> tuple[int, dict[str, Any]]:
    """(seed -> metrics) -> (chosen seed, a record of the rule, the figures and the
    ranking: every seed, best first)."""
    if not candidates:
        raise ValueError("no candidate refiners to choose from")
    missing = [s for s, m in candidates.items() if realism not in m or shift not in m]
    if missing:
        raise ValueError(f"candidates {missing} lack {realism!r} or {shift!r}")
    best = min(float(m[realism]) for m in candidates.values())

    def order(seed: int) -> tuple[bool, float, float, int]:
        m = candidates[seed]
        return (float(m[realism]) > best + tolerance, float(m[shift]), float(m[realism]), seed)

    ranking = sorted(candidates, key=order)
    eligible = [s for s in ranking if not order(s)[0]]
    return ranking[0], {
        "criterion": (f"among the candidates with {realism} within {tolerance} of the lowest "
                      f"({best}), the smallest {shift}; no real label is read"),
        "eligible_seeds": eligible,
        "ranking": ranking,
        "figures": {str(s): {realism: candidates[s][realism], shift: candidates[s][shift]}
                    for s in ranking},
    }
