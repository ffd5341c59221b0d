"""The label-free choice among candidate refiners."""

from __future__ import annotations

import pytest

from simgan_core.refiner.selection import select_candidate

R, S = "c2st_refined_vs_real", "gaze_shift_deg"


def _c(realism: float, shift: float) -> dict[str, float]:
    return {R: realism, S: shift}


def test_realism_first_then_the_smallest_label_shift() -> None:
    candidates = {0: _c(0.52, 6.0), 1: _c(0.55, 3.0), 2: _c(0.70, 1.0)}
    seed, record = select_candidate(candidates, R, S, tolerance=0.05)
    assert seed == 1  # within 0.05 of the most realistic, and keeps labels best
    assert record["eligible_seeds"] == [1, 0] and record["ranking"] == [1, 0, 2]
    assert "no real label" in record["criterion"]
    # seed 2 keeps labels best but does not look real: never chosen over realistic ones
    assert select_candidate(candidates, R, S, tolerance=0.01)[0] == 0


def test_ties_break_on_realism_then_seed() -> None:
    assert select_candidate({3: _c(0.5, 2.0), 1: _c(0.5, 2.0)}, R, S)[0] == 1
    assert select_candidate({3: _c(0.49, 2.0), 1: _c(0.5, 2.0)}, R, S)[0] == 3


def test_missing_figures_and_no_candidates_are_errors() -> None:
    with pytest.raises(ValueError, match="no candidate"):
        select_candidate({}, R, S)
    with pytest.raises(ValueError, match=r"\[4\]"):
        select_candidate({4: {R: 0.5}}, R, S)
