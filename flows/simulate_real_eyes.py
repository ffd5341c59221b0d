"""Stage `simulate_real_eyes`: the stand-in real camera (MPIIGaze layout)."""

from __future__ import annotations

from prefect import flow

from tasks.artifacts import publish_summary
from tasks.params import SimulateRealEyes
from tasks.simulate import render_real_eyes


@flow(name="simulate-real-eyes")
def simulate_real_eyes_flow(cfg: SimulateRealEyes) -> dict:
    summary = render_real_eyes(cfg)
    publish_summary("simulate-real-eyes", summary)
    return summary


def run(cfg: SimulateRealEyes) -> dict:
    """The stage's entry point (the simulator parallelises itself over cfg.workers)."""
    return simulate_real_eyes_flow(cfg)
