"""`python -m experiments.ceiling --domain gaze|hand`: how far could a perfect refiner go?

Trains the domain's downstream estimator, with train_estimator.<domain>'s budget and
seeds, on the synthetic corpus as a perfect refiner would leave it (the same scenes and
labels, seen by the built-in stand-in camera: simgan_core/gaze/stand_in_pairs.py,
simgan_core/hand/stand_in_pairs.py), scores it on real_test, and sets it next to the
pipeline's own figures from metrics/<domain>/evaluate.json. Needs `dvc repro
evaluate@<domain>` first. Only meaningful with the built-in stand-in real domain.
Writes experiments/results/<domain>_ceiling.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from experiments.common import domain_parser, render_parts, train_and_score, write_result
from simgan_core.domain import get_domain
from simgan_core.gaze.stand_in_pairs import perfect_refined
from simgan_core.hand.stand_in_pairs import perfect_refined_hand
from simgan_core.parallel import default_workers, parallel_map
from tasks.params import Params, load_params
from tasks.splits import load_split
from tasks.train_estimator import estimator_config

RENDER_SEED = 90210  # not a simulator seed of params.yaml: other scenes than the corpus


def _render_gaze(params: Params, start: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    return perfect_refined(n, RENDER_SEED, get_domain("gaze").image_hw, start)


def _render_hand(params: Params, start: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    ingest = params.ingest.hand
    return perfect_refined_hand(n, RENDER_SEED, ingest.crop_size, ingest.cube_mm, start)


# Each stand-in domain's camera rendering the synthetic scenes: what a perfect refiner of
# that simulator's output would give.
RENDERERS = {"gaze": _render_gaze, "hand": _render_hand}


def _render(domain: str, params: Params, chunk: tuple[int, int]
            ) -> tuple[np.ndarray, np.ndarray]:
    start, stop = chunk
    return RENDERERS[domain](params, start, stop - start)


def compare(domain: str, perfect: float, evaluation: dict[str, Any]
            ) -> dict[str, float | None]:
    """The perfect refiner's headline figure against the pipeline's, in the domain's
    headline form (Domain.headline): a ratio to synthetic's error, or the share of the
    synthetic -> real_oracle gap that it closes."""
    dom = get_domain(domain)
    synthetic = evaluation["synthetic"][dom.headline_metric]
    if dom.headline == "ratio":
        return {"perfect_refined_over_synthetic": round(perfect / synthetic, 3)}
    gap = evaluation["real_oracle"][dom.headline_metric] - synthetic
    return {"perfect_refined_gap_closed": round((perfect - synthetic) / gap, 3) if gap else None}


def main(argv: list[str] | None = None) -> dict:
    args = domain_parser(__doc__.splitlines()[0], RENDERERS,
                         "frames to render (default: as many as the synthetic set)",
                         "ceiling").parse_args(argv)
    domain, params = args.domain, load_params(args.params)
    est = params.stage_config("train_estimator", domain)
    evaluation = json.loads(Path(params.stage_config("evaluate", domain).metrics_file).read_text())
    n = args.n or int(evaluation["synthetic"]["n_train"])
    started = time.monotonic()
    workers = default_workers()
    x, y = render_parts(_render, domain, params, n, workers)
    test_x, test_y = load_split(Path(est.shards_dir) / "real_test", 10**9,
                                domain=get_domain(domain))
    # The synthetic training set's config: the stage's budget, no augmentation.
    jobs = [(domain, estimator_config(est, est.training_sets["synthetic"], seed, domain),
             x, y, test_x, test_y) for seed in est.seeds]
    summaries = parallel_map(train_and_score, jobs, max(1, min(len(jobs), workers + 1)))
    key = get_domain(domain).headline_metric
    perfect = float(np.mean([s[key] for s in summaries]))
    result = {
        "domain": domain,
        "what": "the downstream estimator trained on the synthetic scenes seen by the "
                "stand-in camera (a perfect refiner's output), scored on real_test",
        "n_train": int(len(x)), "n_real_test": int(len(test_x)), "seeds": list(est.seeds),
        "estimator": {"preset": est.preset, "steps": est.steps, "batch_size": est.batch_size,
                      "lr": est.lr},
        "metric": key,
        "perfect_refined": round(perfect, 3),
        "perfect_refined_per_seed": [round(s[key], 3) for s in summaries],
        "pipeline": {name: evaluation[name][key]
                     for name in ("synthetic", "synthetic_aug", "refined", "real_oracle")},
        **compare(domain, perfect, evaluation),
        "seconds": round(time.monotonic() - started, 1),
    }
    return write_result(result, args.out, domain, "ceiling")


if __name__ == "__main__":
    main()
