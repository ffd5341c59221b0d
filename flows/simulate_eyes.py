"""Stage `simulate_eyes`: the procedural UnityEyes-format renderer."""

from __future__ import annotations

from prefect import flow

from tasks.artifacts import publish_summary
from tasks.params import SimulateEyes
from tasks.simulate import render_unityeyes


@flow(name="simulate-eyes")
def simulate_eyes_flow(cfg: SimulateEyes) -> dict:
    summary = render_unityeyes(cfg)
    publish_summary("simulate-eyes", summary)
    return summary


def run(cfg: SimulateEyes) -> dict:
    """The stage's entry point (the simulator parallelises itself over cfg.workers)."""
    return simulate_eyes_flow(cfg)
