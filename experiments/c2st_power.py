"""`python -m experiments.c2st_power --domain gaze|hand --steps 200,1000,3000`: how much
does the realism figure depend on how long its classifier trains?

`c2st_refined_vs_real` is the held-out accuracy of a fresh classifier that learns to
tell R(x) from unlabeled real_train images (simgan_core/realism.py). A classifier that
trains too briefly tells nothing apart, and then every refiner looks "real". This
experiment reads the figure at several training lengths, with the refiner stage's own
judge (its images, seed and real draw: tasks/evaluate_refiner.py), for:

- the raw synthetic images (a judge with power must tell these from real ones);
- every committed candidate refiner of the stage (`candidates_dir/seed<k>.pt`);
- with the built-in stand-in only (`--perfect`): the stand-in camera's own view of other
  synthetic scenes, what a perfect refiner outputs: what a refiner that changes the
  appearance exactly as the camera does scores at that length (above 0.5 where the
  scenes differ from real_train's in more than appearance, or where the classifier
  learns its training images by heart).

It reads no label at all. Writes experiments/results/<domain>_c2st_power.json.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from experiments.common import domain_parser, render_parts, write_result
from experiments.label_shift_floor import PAIRED_VIEWS, views_part
from simgan_core.domain import get_domain
from simgan_core.label_judge import JUDGE_SEED
from simgan_core.parallel import default_workers
from simgan_core.realism import c2st_accuracy
from tasks.evaluate_refiner import (
    REALISM_METRIC,
    load_labeled,
    load_real_draw,
    load_refiner,
    refine_images,
)
from tasks.params import load_params

THREADS = 1  # the stage's judge runs on one thread; the figure depends on it (reductions)


def _parse_steps(text: str) -> list[int]:
    steps = [int(s) for s in text.split(",") if s.strip()]
    if not steps or min(steps) < 1:
        raise ValueError(f"--steps {text!r}: expected positive integers, e.g. 200,1000")
    return steps


def main(argv: list[str] | None = None) -> dict:
    parser = domain_parser(__doc__.splitlines()[0], PAIRED_VIEWS,
                           "images per set (default: the stage's eval_samples)", "c2st_power")
    parser.add_argument("--steps", type=_parse_steps, default=[200, 1000, 3000],
                        help="classifier training lengths, comma-separated")
    parser.add_argument("--candidates", type=Path, default=None,
                        help="a folder of seed<k>.pt refiners (default: the stage's)")
    parser.add_argument("--perfect", action="store_true",
                        help="also the stand-in's view of synthetic scenes (built-in data)")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    cfg = params.stage_config("train_refiner", args.domain)
    domain = get_domain(args.domain)
    n = args.n or cfg.eval_samples
    started = time.monotonic()
    shards = Path(cfg.shards_dir)
    syn_x = load_labeled(shards / "synthetic", n, domain)[0]
    real_u = domain.to_tensor(load_real_draw(shards, n, domain))
    sets = {"synthetic": syn_x}
    candidates = args.candidates or Path(cfg.candidates_dir)
    critics = {}  # the critic each candidate trained against (its checkpoint's config)
    for path in sorted(candidates.glob("seed*.pt")):
        refiner, state = load_refiner(path)
        sets[f"refined_{path.stem}"] = refine_images(refiner, syn_x, domain=domain)
        critics[f"refined_{path.stem}"] = state["config"]["discriminator"]
    if args.perfect:
        sets["perfect_refiner"] = render_parts(views_part, args.domain, params, n,
                                               default_workers())[1]
    torch.set_num_threads(THREADS)
    figures: dict[str, dict[str, float]] = {name: {} for name in sets}
    for steps in args.steps:
        for name, images in sets.items():
            acc = c2st_accuracy(domain.to_tensor(images), real_u, steps=steps,
                                seed=JUDGE_SEED)
            figures[name][str(steps)] = round(acc, 4)
            print(f"{steps:6d} steps  {acc:.4f}  {name}", flush=True)
    result = {
        "domain": args.domain,
        "what": f"{REALISM_METRIC}-style C2ST accuracy against {n} unlabeled real_train "
                "images, by the classifier's training steps (0.5 = indistinguishable)",
        "stage_c2st_steps": cfg.c2st_steps,
        "candidates_dir": candidates.as_posix(),
        "critics": critics,
        "n_per_set": int(len(syn_x)),
        "steps": args.steps,
        "c2st": figures,
        "seconds": round(time.monotonic() - started, 1),
    }
    return write_result(result, args.out, args.domain, "c2st_power")


if __name__ == "__main__":
    main()
