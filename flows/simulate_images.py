"""Stage `simulate_images`: the images domain's tiny example (simgan_core/images/example.py).

    coloured shapes + annotations.jsonl (synthetic/) and the stand-in camera (real/)
"""

from __future__ import annotations

import time

from prefect import flow

from tasks.artifacts import publish_summary
from tasks.params_sources import SimulateImages
from tasks.simulate_images import write_images_example


@flow(name="simulate-images")
def simulate_images_flow(cfg: SimulateImages) -> dict:
    started = time.perf_counter()
    counts = write_images_example(cfg)
    summary = {**counts, "seconds": round(time.perf_counter() - started, 2)}
    publish_summary("simulate-images", summary)
    return summary


def run(cfg: SimulateImages) -> dict:
    return simulate_images_flow(cfg)
