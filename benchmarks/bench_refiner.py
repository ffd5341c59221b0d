"""The refiner's adversarial round and its inference, against a plain eager PyTorch loop
of the same layers (benchmarks/eager_simgan.py), in the same run.

Two architectures at 35 x 55, batch 32 (the paper's gaze refiner and discriminator; the
pipeline's default gaze refiner and its critic, the paper's at half width), 2 torch
threads. For each, the trainer as the pipeline runs it (SimGANTrainer: channels_last,
the history buffer, the weight average, `cpu_precision: auto`) and the eager loop time
one round (2 refiner steps + 1 discriminator step, after 32 rounds have put 512 images
in the history), and the refine stage's inference path (`torch_refine_fn`, float32)
and an eager forward time refinement (batch 256).

- The FLOP bound: the measured float32 torch.mm rate of a 1024^3 product in the same
  process. A round's FLOPs are counted from the convolutions (models.py): a refiner step
  is R forward + backward (3 F_R) and D forward + input gradient (2 F_D) per image, a
  discriminator step R forward (F_R) and D forward + backward on 2B images (6 F_D per
  synthetic image), so one round costs B x (7 F_R + 10 F_D).
- Each variant runs in a fresh process (its own peak RSS), and the variants alternate,
  twice each: the best of the two is reported, as the machine's neighbours come and go.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from benchmarks._common import matmul_flops_per_s, timed, trainer_round

ARCHS = {"paper_gaze": ("paper_gaze", "paper_gaze"),
         "default_gaze": ("default_gaze", "default_gaze")}  # (refiner, critic) presets
HW = (35, 55)
BATCH = 32
REFINE_BATCH = 256
THREADS = 2
SECONDS = 6.0  # timed per figure, after a warm-up call
REPEATS = 2
FILL_ROUNDS = 32  # before timing: 512 refined images in the 1024-image history


def _round_flops(refiner: str, discriminator: str) -> float:
    from simgan_core.refiner.models import (
        DISCRIMINATOR_PRESETS,
        REFINER_PRESETS,
        discriminator_flops_per_image,
        refiner_flops_per_image,
    )

    f_r = refiner_flops_per_image(REFINER_PRESETS[refiner], *HW)
    f_d = discriminator_flops_per_image(DISCRIMINATOR_PRESETS[discriminator], *HW)
    return BATCH * (7 * f_r + 10 * f_d)


def measure(arch: str, variant: str) -> dict:
    """In this process: one variant's rounds/s, refinement images/s, matmul rate, RSS."""
    import resource

    import torch

    from benchmarks.eager_simgan import eager_refine, eager_round
    from simgan_core.refine_shard import torch_refine_fn
    from simgan_core.refiner.device import resolve_cpu_precision
    from simgan_core.refiner.models import Refiner

    torch.set_num_threads(THREADS)
    refiner, discriminator = ARCHS[arch]
    gen = torch.Generator().manual_seed(0)
    syn = torch.rand(BATCH, 1, *HW, generator=gen) * 2 - 1
    real = torch.rand(BATCH, 1, *HW, generator=gen) * 2 - 1
    batch = torch.rand(REFINE_BATCH, 1, *HW, generator=gen) * 2 - 1
    precision = "float32"
    if variant == "eager":
        round_ = eager_round(refiner, discriminator, syn, real)
        refine = eager_refine(refiner, batch)
    else:
        precision = resolve_cpu_precision("auto")
        trainer, round_ = trainer_round(refiner, discriminator, HW, BATCH, precision, syn, real)
        model = Refiner(trainer.cfg.refiner)
        model.load_state_dict(trainer.refiner.state_dict())
        fn = torch_refine_fn(model)

        def refine() -> torch.Tensor:
            return fn(batch)

    for _ in range(FILL_ROUNDS):  # the history holds images: mixing them is timed too
        round_()
    rounds = timed(round_, SECONDS, lambda: None)
    images = timed(refine, SECONDS, lambda: None) * REFINE_BATCH
    flops_mm = matmul_flops_per_s(torch.device("cpu"), lambda: None)
    return {"arch": arch, "variant": variant, "precision": precision,
            "rounds_per_s": rounds, "refine_images_per_s": images, "matmul_flops": flops_mm,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _measure_in_fresh_process(arch: str, variant: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_refiner", arch, variant],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run() -> list[dict]:
    from simgan_core.refiner.models import REFINER_PRESETS, refiner_flops_per_image

    rows = []
    for arch, (refiner, discriminator) in ARCHS.items():
        best: dict[str, dict] = {}
        for _ in range(REPEATS):
            for variant in ("eager", "trainer"):
                m = _measure_in_fresh_process(arch, variant)
                prev = best.get(variant)
                best[variant] = m if prev is None else {
                    **m, **{k: max(prev[k], m[k]) for k in
                            ("rounds_per_s", "refine_images_per_s", "matmul_flops")},
                    "peak_rss_mb": max(prev["peak_rss_mb"], m["peak_rss_mb"])}
        eager, ours = best["eager"], best["trainer"]
        mm = max(eager["matmul_flops"], ours["matmul_flops"])
        round_flops = _round_flops(refiner, discriminator)
        image_flops = refiner_flops_per_image(REFINER_PRESETS[refiner], *HW)
        note = (f"{discriminator} critic, batch {BATCH}, {THREADS} threads, "
                f"load {os.getloadavg()[0]:.1f}")
        rows += [
            {"figure": f"{arch}_rounds_per_s", "value": ours["rounds_per_s"],
             "unit": "rounds/s", "note": f"trainer ({ours['precision']}), {note}"},
            {"figure": f"{arch}_eager_rounds_per_s", "value": eager["rounds_per_s"],
             "unit": "rounds/s", "note": f"plain eager loop (float32, NCHW), {note}"},
            {"figure": f"{arch}_round_speedup_over_eager",
             "value": ours["rounds_per_s"] / eager["rounds_per_s"], "unit": "ratio",
             "target": 2.0, "note": "same run, alternating processes, best of 2 each"},
            {"figure": f"{arch}_round_fraction_of_fp32_gemm",
             "value": ours["rounds_per_s"] * round_flops / mm, "unit": "ratio",
             "note": f"{round_flops / 1e9:.2f} GFLOP/round vs {mm / 1e9:.0f} GFLOP/s "
                     f"float32 matmul"},
            {"figure": f"{arch}_refine_images_per_s", "value": ours["refine_images_per_s"],
             "unit": "images/s", "note": f"torch_refine_fn, float32, batch {REFINE_BATCH}"},
            {"figure": f"{arch}_eager_refine_images_per_s", "value": eager["refine_images_per_s"],
             "unit": "images/s", "note": f"one NCHW forward, batch {REFINE_BATCH}"},
            {"figure": f"{arch}_refine_fraction_of_fp32_gemm",
             "value": ours["refine_images_per_s"] * image_flops / mm, "unit": "ratio",
             "target": 0.85, "note": f"{image_flops / 1e6:.0f} MFLOP/image"},
            {"figure": f"{arch}_trainer_peak_rss", "value": ours["peak_rss_mb"], "unit": "MB",
             "note": "training + refinement process"},
            {"figure": f"{arch}_eager_peak_rss", "value": eager["peak_rss_mb"], "unit": "MB",
             "note": "training + refinement process"},
        ]
    return rows


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], sys.argv[2])))
