"""`python -m experiments.refiner_trial NAME --domain gaze --set psi=blur --set lambda_reg=2`:
one refiner candidate with changed settings, judged by the stage's own label-free code.

A lever for the refiner is tried the way the README's "Choosing without real labels"
asks: train one candidate (`--seed`, default 0) with train_refiner_<domain>'s params
plus the `--set` overrides, by the stage's own training (tasks/train_refiner.py), and
judge it by the stage's own evaluation (tasks/evaluate_refiner.py: C2ST realism against
unlabeled real_train images, the label shift of a synthetic-trained judge). Nothing
reads a real label. Checkpoints, the model, curves and samples go under
`.simgan/trials/<NAME>/` (resumable, outside DVC); the figures to
experiments/results/trials/<domain>_<NAME>.json, next to the default candidate of the
same seed from metrics/<domain>/refiner.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import yaml

from experiments.common import RESULTS
from simgan_core.atomic import atomic_write_text
from simgan_core.domain import domain_names, get_domain
from tasks.evaluate_refiner import REALISM_METRIC, evaluate_refiner
from tasks.label_reader import train_reader
from tasks.params import TrainRefiner, load_params
from tasks.train_refiner import run_training

TRIALS = RESULTS / "trials"
WORK = Path(".simgan/trials")
# Settings a trial may not change: where the stage's own outputs live, and the seeds
# (one trial is one candidate: --seed).
FIXED = {"shards_dir", "model_file", "metrics_file", "curves_file", "samples_file",
         "checkpoint_dir", "candidates_dir", "seeds"}


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """["psi=blur", "lambda_reg=2.0"] -> {"psi": "blur", "lambda_reg": 2.0}; values are
    YAML scalars (numbers, booleans, strings), as in params.yaml."""
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set {pair!r}: expected KEY=VALUE")
        if key in FIXED:
            raise ValueError(f"--set {key}: a trial cannot change it")
        overrides[key] = yaml.safe_load(value)
    return overrides


def trial_config(cfg: TrainRefiner, overrides: dict[str, Any], seed: int, work: Path
                 ) -> TrainRefiner:
    """The stage's params with the overrides, validated by the same schema (an unknown
    key or a bad value is an error naming it), one seed, its own checkpoints."""
    data = {**cfg.model_dump(), **overrides, "seeds": [seed],
            "checkpoint_dir": str(work / "checkpoints")}
    return TrainRefiner.model_validate(data)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the trial's name (its folder and JSON file)")
    parser.add_argument("--domain", choices=sorted(domain_names()), default="gaze")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="a train_refiner.<domain> setting")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    stage = load_params(args.params).stage_config("train_refiner", args.domain)
    overrides = parse_overrides(args.overrides)
    work = WORK / args.name
    cfg = trial_config(stage, overrides, args.seed, work)
    started = time.monotonic()
    domain = get_domain(args.domain)
    # The stage's label reader (its seeds, not the trial's one): a trial of the stage's
    # settings is then the stage's candidate of that seed, run key and weights alike.
    reader = (train_reader(cfg.model_copy(update={"seeds": stage.seeds}), domain)
              if cfg.lambda_task > 0 else None)
    training = run_training(cfg, domain=domain, seed=args.seed, model_file=work / "refiner.pt",
                            curves_file=work / "curves.csv", reader=reader)
    metrics = evaluate_refiner.fn(cfg, training, args.domain, work / "refiner.pt",
                                  work / "metrics.json", work / "samples.png")
    shift = get_domain(args.domain).shift_metric
    committed = Path(stage.metrics_file)
    default = (json.loads(committed.read_text()).get("refiner_seeds", {}).get(str(args.seed))
               if committed.exists() else None)
    headline = [REALISM_METRIC] + ([shift] if shift else [])  # no labels: realism only
    result = {
        "domain": args.domain, "name": args.name, "seed": args.seed, "overrides": overrides,
        **{key: metrics[key] for key in headline},
        "metrics": metrics,
        "default_same_seed": None if default is None else {
            key: default.get(key) for key in headline},
        "seconds": round(time.monotonic() - started, 1),
    }
    out = args.out or TRIALS / f"{args.domain}_{args.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "metrics"}, indent=2))
    return result


if __name__ == "__main__":
    main()
