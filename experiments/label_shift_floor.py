"""`python -m experiments.label_shift_floor --domain gaze|hand`: how far does a perfect
refiner move the label judge?

The refiner stage's label-keeping figure (`gaze_shift_deg`, `joint_shift_px_224`) is
how far a synthetic-trained judge's reading moves between x and R(x). The judge learns
only synthetic appearance, so part of that move is the judge meeting real appearance,
not a changed label. This experiment draws scenes twice, by the synthetic simulator and
by the built-in stand-in camera (the same geometry and label:
simgan_core/gaze/stand_in_pairs.py, simgan_core/hand/stand_in_pairs.py), and measures
the same judge, trained by the stage's own code (tasks/evaluate_refiner.py, same steps,
seed and augmented copies), between the two. That figure is what a perfect refiner
scores: the floor of the metric for a refiner that makes images as real as the stand-in.
It reads no real image and no real label (only the stand-in's renderer, which a real
camera does not have). Writes experiments/results/<domain>_label_shift_floor.json, next
to the pipeline's figures from metrics/<domain>/refiner.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from experiments.common import domain_parser, render_parts, write_result
from simgan_core.domain import get_domain
from simgan_core.gaze.stand_in_pairs import paired_views
from simgan_core.hand.stand_in_pairs import paired_hand_views
from simgan_core.parallel import default_workers
from tasks.params import Params, load_params

PAIR_SEED = 4711  # not a simulator seed of params.yaml: other scenes than the corpus

Views = tuple[np.ndarray, np.ndarray, np.ndarray]  # synthetic, stand-in, labels


def _gaze_views(params: Params, start: int, n: int) -> Views:
    return paired_views(n, PAIR_SEED, get_domain("gaze").image_hw, start)


def _hand_views(params: Params, start: int, n: int) -> Views:
    ingest = params.ingest.hand
    return paired_hand_views(n, PAIR_SEED, ingest.crop_size, ingest.cube_mm, start)


# Each stand-in domain's paired renderer: a scene by the simulator and by the stand-in.
PAIRED_VIEWS = {"gaze": _gaze_views, "hand": _hand_views}


def views_part(domain: str, params: Params, chunk: tuple[int, int]) -> Views:
    """Scenes chunk[0]:chunk[1] of the domain, drawn by the simulator and the stand-in."""
    start, stop = chunk
    return PAIRED_VIEWS[domain](params, start, stop - start)


def main(argv: list[str] | None = None) -> dict:
    args = domain_parser(__doc__.splitlines()[0], PAIRED_VIEWS,
                         "scenes to draw (default: the stage's eval_samples)",
                         "label_shift_floor").parse_args(argv)
    domain, params = args.domain, load_params(args.params)
    cfg = params.stage_config("train_refiner", domain)
    started = time.monotonic()
    workers = default_workers()
    n = args.n or cfg.eval_samples
    synthetic, stand_in, labels = render_parts(views_part, domain, params, n, workers)
    torch.set_num_threads(workers)
    dom = get_domain(domain)
    change = float(np.abs(dom.to_unit(stand_in) - dom.to_unit(synthetic)).mean())
    # The stage's judge and figures, with the stand-in's view in the place of R(x); the
    # hand figures convert by the crop cube that every hand annotation carries.
    annotations = [{"cube_mm": params.ingest.hand.cube_mm}]
    perfect = dom.label_shift(dom, synthetic, labels, annotations, stand_in, change,
                              cfg.regressor_steps)
    key = dom.shift_metric
    refiner = json.loads(Path(cfg.metrics_file).read_text())
    result = {
        "domain": domain,
        "what": "the refiner stage's label judge, trained by its own code on synthetic "
                "renders, read on the same scenes as the stand-in camera sees them (a "
                "perfect refiner's output)",
        "n_pairs": int(len(synthetic)),
        "judge": {"regressor_steps": cfg.regressor_steps},
        "metric": key,
        "perfect_refiner": perfect[key],
        "perfect_refiner_metrics": perfect,
        "pipeline": {"published": refiner.get(key),
                     "per_seed": {seed: m.get(key)
                                  for seed, m in refiner.get("refiner_seeds", {}).items()}},
        "seconds": round(time.monotonic() - started, 1),
    }
    return write_result(result, args.out, domain, "label_shift_floor")


if __name__ == "__main__":
    main()
