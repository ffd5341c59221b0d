"""Stage `train_refiner@<domain>`: one SimGAN refiner per seed, each judged without real
labels, and the chosen one published (tasks/select_refiner.py)."""

from __future__ import annotations

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.evaluate_refiner import evaluate_refiner, synthetic_realism
from tasks.gather import gather
from tasks.label_reader import label_reader_for
from tasks.params import TrainRefiner, resolve_workers
from tasks.select_refiner import candidate_paths, publish_selected
from tasks.train_refiner import train_refiner


@flow(name="train-refiner")
def train_refiner_flow(cfg: TrainRefiner, domain: str) -> dict:
    # The judge on raw synthetic images is the same for every candidate: once, first, in
    # a pool process of its own (refiner_pool_size), so that it overlaps the label reader
    # (one thread, here) and then the candidates' training, and no candidate waits for it.
    synthetic_c2st = synthetic_realism.submit(cfg, domain)
    reader = label_reader_for(cfg, domain)
    # The candidates train side by side (a process each, cfg.threads torch threads each).
    paths = {seed: candidate_paths(cfg, seed) for seed in cfg.seeds}
    trained = {seed: train_refiner.submit(cfg, domain, seed, p.model, p.curves, reader)
               for seed, p in paths.items()}
    judged = {seed: evaluate_refiner.submit(cfg, trained[seed].result(), domain, p.model,
                                            p.metrics, p.samples, synthetic_c2st.result())
              for seed, p in paths.items()}
    # Untimed: the judges were submitted as their candidates finished training, so some
    # are done before this wait starts, and a rate from here would promise an ETA of
    # seconds. Each candidate's training logs its own rate and ETA.
    results = gather(list(judged.values()), f"train-refiner-{domain}: judged", "candidates",
                     timed=False)
    candidates = dict(zip(judged, results, strict=True))
    metrics = publish_selected(cfg, domain, candidates)
    publish_summary(f"train-refiner-{domain}",
                    {k: v for k, v in metrics.items() if k != "refiner_seeds"})
    return metrics


def refiner_pool_size(workers: int, seeds: int) -> int:
    """Processes for the stage's pool: the candidates side by side (`workers`, at most one
    per seed) plus one for the raw-synthetic judge. In a candidate's slot the judge would
    delay that candidate by its own length, and the late candidate's judge would then run
    alone with the other cores idle. 1 runs everything in turn."""
    side_by_side = min(workers, seeds)
    return side_by_side + 1 if side_by_side > 1 else 1


def run(cfg: TrainRefiner, domain: str) -> dict:
    """The flow named for its domain (train-refiner-gaze), its candidates on a process
    pool of cfg.workers, beside the raw-synthetic judge (refiner_pool_size)."""
    runner = fan_out_runner(refiner_pool_size(resolve_workers(cfg.workers), len(cfg.seeds)))
    return train_refiner_flow.with_options(name=f"train-refiner-{domain}",
                                           task_runner=runner)(cfg, domain)
