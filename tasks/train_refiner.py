"""Train the SimGAN refiner as a resumable stage.

Data streams through the shards' wids indexes (shuffled, endless, resumable by
position); real_train images are decoded without their labels. Every
`checkpoint_every` steps the whole training state (models, optimizers, history
buffer, RNG states, data positions, curves so far) is written atomically, keyed by a
hash of the config and of the data's indexes: a killed run, rerun, continues from
its last checkpoint and ends with the weights an uninterrupted run would have.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import time
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import torch
from prefect import get_run_logger, task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE

import simgan_core.refiner as refiner_package
from simgan_core.atomic import atomic_output, atomic_write_text
from simgan_core.domain import Domain, get_domain
from simgan_core.image_source import IndexedImages, domain_of_shards
from simgan_core.refiner.device import resolve_cpu_precision
from simgan_core.refiner.distributed import RankInfo, make_distributed, rank_seed
from simgan_core.refiner.models import DISCRIMINATOR_PRESETS, REFINER_PRESETS
from simgan_core.refiner.sampling import ResumableIndexStream
from simgan_core.refiner.trainer import LOG_KEYS, SimGANConfig, SimGANTrainer
from tasks.label_reader import reader_digest, train_reader
from tasks.params import TrainRefiner, resolve_workers

CURVE_FIELDS = ("step", "phase", *LOG_KEYS)


def _print_log(fmt: str, *args: object) -> None:
    print(fmt % args, flush=True)


# SimGANConfig's fields that the stage derives instead of copying from its params
# section: the presets by name (at the domain's channels), the image size from the
# domain, one seed of cfg.seeds, the resolved CPU precision. Every other field of the
# same name is copied as given; adam_betas and amp keep the core's defaults (no setting
# in params.yaml).
DERIVED_FIELDS = ("refiner", "discriminator", "image_hw", "seed", "cpu_precision")
CORE_DEFAULTS = ("adam_betas", "amp")


def simgan_config(cfg: TrainRefiner, domain: Domain, seed: int | None = None
                  ) -> SimGANConfig:
    """The params section train_refiner_<domain> -> the core's typed config. The schema
    (tasks/params.py) declares each setting once under SimGANConfig's own name, so the
    settings pass through by name; `seed` defaults to the first of cfg.seeds."""
    same = {f.name: getattr(cfg, f.name) for f in fields(SimGANConfig)
            if f.name not in DERIVED_FIELDS and f.name in type(cfg).model_fields}
    return SimGANConfig(
        **same,
        # the presets' layers, at the domain's channel count (1: gray or depth, 3: RGB)
        refiner=replace(REFINER_PRESETS[cfg.refiner], residual=cfg.refiner_output == "residual",
                        channels=domain.channels, noise_maps=cfg.refiner_noise_maps),
        discriminator=replace(DISCRIMINATOR_PRESETS[cfg.discriminator],
                              channels=domain.channels),
        image_hw=domain.image_hw,
        seed=cfg.seeds[0] if seed is None else seed,
        # resolved here, so the checkpoint key and refiner.pt name what was used
        cpu_precision=resolve_cpu_precision(cfg.cpu_precision),
    )


def run_key(simcfg: SimGANConfig, data_files: list[Path], world_size: int = 1,
            reader: torch.nn.Module | None = None) -> str:
    """Which checkpoint may be resumed: same config (but `steps`), same data, same code
    (the source of simgan_core.refiner: a changed model must never load old weights),
    same number of DDP ranks (N ranks train on N x the batch: another run), and the same
    frozen label reader of the task-consistency term (its weights' digest), since the
    refiner's loss depends on it."""
    config = {k: v for k, v in simcfg.to_dict().items() if k not in ("steps", "amp")}
    if world_size > 1:  # single-process keys stay what they were
        config["ddp_world_size"] = world_size
    if reader is not None:
        config["label_reader_sha256"] = reader_digest(reader)
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for source in sorted(Path(refiner_package.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    for path in data_files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _torch_bytes(obj: Any) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def save_refiner(path: Path, trainer: SimGANTrainer, run: str) -> None:
    """The product (the weight average when on) with the config that made it (weights_only)."""
    state = {"refiner": {k: v.cpu() for k, v in trainer.product.state_dict().items()},
             "config": trainer.cfg.to_dict(), "step": trainer.step, "run_key": run}
    with atomic_output(path) as tmp:
        tmp.write_bytes(_torch_bytes(state))


def write_curves(path: Path, rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CURVE_FIELDS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v)
                         for k, v in row.items()})
    atomic_write_text(path, buf.getvalue())


def _load_checkpoint(path: Path, log: Callable[..., None]) -> dict[str, Any] | None:
    """The checkpoint at `path`, or None when there is none or it cannot be read (a
    truncated file of a killed disk): then the file is set aside as `<name>.corrupt`, a
    warning names it, and training starts fresh."""
    if not path.exists():
        return None
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except (OSError, RuntimeError, EOFError, ValueError) as exc:
        aside = path.with_name(path.name + ".corrupt")
        path.replace(aside)
        log("WARNING: checkpoint %s cannot be read (%s); moved to %s, starting fresh",
            path, exc, aside.name)
        return None


def run_training(cfg: TrainRefiner, domain: Domain, log: Callable[..., None] = _print_log,
                 progress: Callable[[float], None] = lambda pct: None,
                 ddp: RankInfo | None = None, seed: int | None = None,
                 model_file: Path | None = None, curves_file: Path | None = None,
                 reader: torch.nn.Module | None = None) -> dict[str, Any]:
    """Train (or resume) one refiner of the domain (`seed`: the first of cfg.seeds by
    default); write model_file and curves_file (cfg's by default); return a summary.
    Images go to the networks through domain.to_unit (any bit depth -> [-1, 1]).
    reader: the frozen label reader of the task-consistency term (trained here, as the
    stage trains it, when cfg.lambda_task > 0 and none is given); its weights are part of
    the run key.
    ddp: this process is one rank of a torchrun job (simgan_core/refiner/distributed.py):
    its own sample streams, gradients averaged over the ranks, only rank 0 writes or logs.

    `log(fmt, *args)` and `progress(percent)` report to the caller (Prefect's logger
    and a progress artifact in the stage; plain printing elsewhere).
    """
    torch.set_num_threads(resolve_workers(cfg.threads))
    seed = cfg.seeds[0] if seed is None else seed
    model_file = Path(cfg.model_file) if model_file is None else model_file
    curves_file = Path(cfg.curves_file) if curves_file is None else curves_file
    shards = Path(cfg.shards_dir)
    domain = domain_of_shards(domain, shards)  # the size ingest wrote (images: its params')
    synthetic = IndexedImages(shards / "synthetic" / "index.json", domain)
    real = IndexedImages(shards / "real_train" / "index.json", domain)  # images only
    simcfg = simgan_config(cfg, domain, seed)
    if simcfg.lambda_task > 0 and reader is None:
        reader = train_reader(cfg, domain)  # the stage's reader: same seed, same threads
    reader = reader if simcfg.lambda_task > 0 else None
    # The shards' content checksums (an index lists sizes only, which can stay equal).
    run = run_key(simcfg, [p.index_path.with_name("SHA256SUMS") for p in (synthetic, real)],
                  ddp.world_size if ddp else 1, reader)
    ckpt_path = Path(cfg.checkpoint_dir) / f"{run}.pt"
    main = ddp is None or ddp.is_main
    if not main:  # rank 0 reports and writes for the job
        log, progress = (lambda *args: None), (lambda pct: None)
    state = _load_checkpoint(ckpt_path, log)
    trainer = SimGANTrainer(simcfg, ddp.device if ddp else None, label_reader=reader)
    stream_seed = rank_seed(seed, ddp.rank) if ddp else seed
    syn_stream = ResumableIndexStream(len(synthetic), cfg.batch_size, stream_seed)
    real_stream = ResumableIndexStream(len(real), cfg.batch_size, stream_seed + 1)
    curves: list[dict[str, Any]] = []
    earlier_seconds = 0.0  # training time of the runs this one resumes (checkpointed)
    if state is not None:
        trainer.load_state_dict(state["trainer"])
        syn_stream.load_state_dict(state["synthetic_stream"])
        real_stream.load_state_dict(state["real_stream"])
        curves = list(state["curves"])
        earlier_seconds = float(state.get("train_seconds", 0.0))
        log("resumed from %s at step %d of %d", ckpt_path, trainer.step, trainer.total_steps)
    if ddp is not None:
        make_distributed(trainer, ddp)

    def save_checkpoint() -> None:
        if not main:
            return
        state = {"trainer": trainer.state_dict(), "synthetic_stream": syn_stream.state_dict(),
                 "real_stream": real_stream.state_dict(), "curves": curves,
                 "train_seconds": earlier_seconds + time.monotonic() - start}
        with atomic_output(ckpt_path) as tmp:
            tmp.write_bytes(_torch_bytes(state))

    next_syn = lambda: synthetic.batch(syn_stream.next_batch())  # noqa: E731
    next_real = lambda: real.batch(real_stream.next_batch())  # noqa: E731
    total, start_step, start = trainer.total_steps, trainer.step, time.monotonic()
    while trainer.phase != "done":
        row = trainer.train_step(next_syn, next_real)
        step = trainer.step
        if step % cfg.log_every == 0 or step == total:
            curves.append(row)
            rate = (step - start_step) / (time.monotonic() - start)
            shown = {k: round(v, 4) for k, v in row.items()
                     if k in ("loss_reg", "loss_adv", "loss_task", "loss_disc", "disc_acc_real")
                     and not math.isnan(v)}
            log("seed %d step %d/%d %s %s | %.2f steps/s, %.0f s left", seed, step, total,
                row["phase"], shown, rate, (total - step) / max(rate, 1e-9))
            progress(100.0 * step / total)
        if step % cfg.checkpoint_every == 0 or step == total:
            save_checkpoint()
    seconds = earlier_seconds + time.monotonic() - start  # the whole training, all runs
    if main:
        save_refiner(model_file, trainer, run)
        write_curves(curves_file, curves)
    return {"seed": seed, "steps": trainer.step, "steps_this_run": trainer.step - start_step,
            "seconds": round(seconds, 1),
            "steps_per_s": round(trainer.step / seconds, 3) if seconds > 0 else None,
            "run_key": run}


@task(name="train-refiner", cache_policy=NO_CACHE)
def train_refiner(cfg: TrainRefiner, domain: str, seed: int, model_file: Path,
                  curves_file: Path, reader: torch.nn.Module | None = None) -> dict[str, Any]:
    """One candidate's training: progress in the flow's log and as a progress artifact."""
    logger = get_run_logger()
    artifact = create_progress_artifact(
        progress=0.0, description=f"{domain} refiner seed {seed} training (steps done / total)")
    return run_training(cfg, get_domain(domain), logger.info,
                        lambda pct: update_progress_artifact(artifact, progress=pct),
                        seed=seed, model_file=model_file,
                        curves_file=curves_file, reader=reader)
