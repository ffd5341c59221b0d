"""`python -m experiments.gaze_ceiling`: how far could a perfect refiner take gaze?

Trains the gaze estimator, with train_estimator_gaze's budget and seeds, on the synthetic
corpus as a perfect refiner would leave it (simgan_core/gaze/stand_in_pairs.py: the same
scenes and labels seen by the stand-in camera) and scores it on real_test, next to the
pipeline's own figures from metrics/gaze/evaluate.json. Needs `dvc repro evaluate_gaze`
first (real_test shards and the evaluate metrics). Only meaningful with the built-in
stand-in camera. Writes experiments/results/gaze_ceiling.json.
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch

from simgan_core.atomic import atomic_write_text
from simgan_core.domain import GAZE
from simgan_core.gaze.estimator import EstimatorConfig, angular_errors_deg, train_estimator
from simgan_core.gaze.stand_in_pairs import perfect_refined
from simgan_core.parallel import default_workers, index_chunks, parallel_map
from tasks.domain_gap import load_split
from tasks.params import load_params

OUT = Path("experiments/results/gaze_ceiling.json")
RENDER_SEED = 90210  # not a simulator seed of params.yaml: other scenes than the corpus


def _render(seed: int, chunk: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    start, stop = chunk
    return perfect_refined(stop - start, seed, GAZE.image_hw, start=start)


def _score(job: tuple[EstimatorConfig, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
           ) -> float:
    cfg, x, y, test_x, test_y = job
    torch.set_num_threads(1)
    return float(angular_errors_deg(train_estimator(x, y, cfg), test_x, test_y).mean())


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None,
                        help="images (default: as many as the synthetic training set)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    args = parser.parse_args(argv)
    params = load_params(args.params)
    est = params.train_estimator_gaze
    shards = Path(est.shards_dir)
    evaluate = json.loads(Path(params.evaluate_gaze.metrics_file).read_text())
    n = args.n or int(evaluate["synthetic"]["n_train"])  # as many as the synthetic set
    started = time.monotonic()
    workers = default_workers()
    parts = parallel_map(partial(_render, RENDER_SEED), index_chunks(n, workers), workers)
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    test_x, test_y = load_split(shards / "real_test", 10**9)
    jobs = [(EstimatorConfig(preset=est.preset, steps=est.steps, batch_size=est.batch_size,
                             lr=est.lr, seed=seed), x, y, test_x, test_y) for seed in est.seeds]
    errors = parallel_map(_score, jobs, max(1, min(len(jobs), workers + 1)))
    synthetic = evaluate["synthetic"]["mean_deg"]
    ceiling = float(np.mean(errors))
    result = {
        "what": "gaze estimator trained on the synthetic scenes seen by the stand-in camera "
                "(a perfect refiner's output), scored on real_test",
        "n_train": int(len(x)), "n_real_test": int(len(test_x)), "seeds": list(est.seeds),
        "estimator": {"preset": est.preset, "steps": est.steps, "batch_size": est.batch_size,
                      "lr": est.lr},
        "perfect_refined_mean_deg": round(ceiling, 3),
        "perfect_refined_per_seed": [round(e, 3) for e in errors],
        "pipeline_synthetic_mean_deg": synthetic,
        "pipeline_refined_mean_deg": evaluate["refined"]["mean_deg"],
        "pipeline_real_oracle_mean_deg": evaluate["real_oracle"]["mean_deg"],
        "perfect_refined_over_synthetic": round(ceiling / synthetic, 3),
        "seconds": round(time.monotonic() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
