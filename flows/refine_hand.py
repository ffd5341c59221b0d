"""Stage `refine_hand`: the refine flow for the hand (depth) domain."""

from __future__ import annotations

from flows.refine import run_domain
from tasks.params import Refine


def run(cfg: Refine) -> dict:
    return run_domain(cfg, "hand")
