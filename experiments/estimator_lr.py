"""The downstream estimator's learning rate (or preset), chosen without real labels:
`python -m experiments.estimator_lr --domain hand --lrs 0.002,0.005,0.01 --val 1000`.

Trains the domain's estimator with train_estimator.<domain>'s budget (preset, steps,
batch) and seeds, without augmentation (the `synthetic` training set's config), on the
first part of the synthetic split, and scores it on the held-out rest of that split
(`--val`, the last images of the first `--n`). Synthetic labels only: no real image or
label is read, so the figure may choose a setting (README, "Choosing without real
labels"). `--preset` trains another of the family's presets than the params' one (one
run per preset, compared by hand). Writes experiments/results/<domain>_estimator_lr.json,
or <domain>_estimator_lr_<preset>.json for another preset (the params' run is kept).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from experiments.common import RESULTS, train_and_score, write_result
from simgan_core.domain import domain_names, get_domain
from simgan_core.parallel import default_workers, parallel_map
from tasks.params import load_params
from tasks.splits import load_split
from tasks.train_estimator import estimator_config


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    with_estimator = [name for name in domain_names() if get_domain(name).estimator]
    parser.add_argument("--domain", choices=with_estimator, default="hand")
    parser.add_argument("--lrs", required=True,
                        help="comma-separated learning rates, e.g. 0.002,0.005,0.01")
    parser.add_argument("--n", type=int, default=None,
                        help="synthetic images read (default: the whole split)")
    parser.add_argument("--val", type=int, required=True,
                        help="held-out synthetic images: the last --val of the --n read")
    parser.add_argument("--preset", default=None,
                        help="the estimator preset (default: train_estimator.<domain>.preset)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"default: {RESULTS.as_posix()}/<domain>_estimator_lr.json "
                             "(_<preset> before .json for another preset)")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    domain, params = args.domain, load_params(args.params)
    est = params.stage_config("train_estimator", domain)
    dom = get_domain(domain)
    lrs = [float(v) for v in args.lrs.split(",")]
    started = time.monotonic()
    x, y = load_split(Path(est.shards_dir) / "synthetic", args.n or 10**9, domain=dom)
    if not 0 < args.val < len(x):
        raise SystemExit(f"--val {args.val}: needs 0 < val < {len(x)} synthetic images read")
    train_x, train_y, val_x, val_y = x[:-args.val], y[:-args.val], x[-args.val:], y[-args.val:]
    preset = args.preset or est.preset  # an unknown one: the config's own ValueError
    base = {seed: replace(estimator_config(est, est.training_sets["synthetic"], seed, domain),
                          preset=preset)
            for seed in est.seeds}
    jobs = [(domain, replace(base[seed], lr=lr), train_x, train_y, val_x, val_y)
            for lr in lrs for seed in est.seeds]
    summaries = parallel_map(train_and_score, jobs, max(1, min(len(jobs), default_workers() + 1)))
    key = dom.headline_metric
    per_lr: dict[str, Any] = {}
    for i, lr in enumerate(lrs):
        figures = [s[key] for s in summaries[i * len(est.seeds):(i + 1) * len(est.seeds)]]
        per_lr[str(lr)] = {"per_seed": [round(f, 3) for f in figures],
                           "mean": round(float(np.mean(figures)), 3),
                           "std": (round(float(np.std(figures, ddof=1)), 3)
                                   if len(figures) > 1 else None)}  # one seed: no spread
    result = {
        "domain": domain,
        "what": "the estimator trained on the first synthetic images, scored on held-out "
                "synthetic images, per learning rate (no real image or label read)",
        "n_train": int(len(train_x)), "n_val": int(len(val_x)), "seeds": list(est.seeds),
        "estimator": {"preset": preset, "steps": est.steps,
                      "batch_size": est.batch_size, "lr_in_params": est.lr},
        # The headline (a ratio of errors, or a share of a gap) follows its metric's direction.
        "metric": key, "lower_is_better": dom.headline_lower_is_better,
        "lr": per_lr,
        "seconds": round(time.monotonic() - started, 1),
    }
    name = "estimator_lr" if preset == est.preset else f"estimator_lr_{preset}"
    return write_result(result, args.out, domain, name)


if __name__ == "__main__":
    main()
