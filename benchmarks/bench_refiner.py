"""Refiner speed on this machine: training steps/s, refinement images/s, peak memory,
and refinement as a fraction of its FLOP bound.

The bound: the refiner's FLOPs per image (2 x multiply-adds of its convs) against
the measured float32 matrix-multiply rate of this machine (torch.mm, 1024^3). Each
configuration runs in a fresh process so its peak RSS is its own. CUDA is used
when present (the same figures for the paper profile on a lent GPU).
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks._common import matmul_flops_per_s, timed

CONFIGS = ("default_gaze", "paper_gaze")
HW = (35, 55)
TRAIN_BATCH = 32
REFINE_BATCH = 256


def measure(preset: str) -> dict:
    """In this process: matmul rate, training rates, refinement rate, peak RSS."""
    import resource

    import torch

    from simgan_core.refiner.device import pick_device
    from simgan_core.refiner.models import REFINER_PRESETS, refiner_flops_per_image
    from simgan_core.refiner.trainer import SimGANConfig, SimGANTrainer

    device = pick_device()
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    flops_mm = matmul_flops_per_s(device, sync)

    cfg = SimGANConfig(refiner=REFINER_PRESETS[preset], batch_size=TRAIN_BATCH,
                       history_size=1024, pretrain_refiner_steps=0, pretrain_disc_steps=0)
    trainer = SimGANTrainer(cfg, device)
    syn = torch.rand(TRAIN_BATCH, 1, *HW) * 2 - 1
    real = torch.rand(TRAIN_BATCH, 1, *HW) * 2 - 1
    refiner_steps = timed(lambda: trainer.refiner_step(syn), 4.0, sync)
    disc_steps = timed(lambda: trainer.disc_step(syn, real), 4.0, sync)
    batch = torch.rand(REFINE_BATCH, 1, *HW) * 2 - 1
    refine_batches = timed(lambda: trainer.refine(batch), 4.0, sync)
    images_per_s = refine_batches * REFINE_BATCH
    flops_image = refiner_flops_per_image(cfg.refiner, *HW)
    bound = flops_mm / flops_image
    return {
        "preset": preset, "device": str(device), "threads": torch.get_num_threads(),
        "matmul_gflops": flops_mm / 1e9, "refiner_steps_per_s": refiner_steps,
        "disc_steps_per_s": disc_steps,
        # One adversarial round of the default schedule: kg=2 refiner + kd=1 disc steps.
        "rounds_per_s": 1.0 / (2.0 / refiner_steps + 1.0 / disc_steps),
        "refine_images_per_s": images_per_s, "refiner_mflops_per_image": flops_image / 1e6,
        "fraction_of_flop_bound": images_per_s / bound,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run() -> list[dict]:
    rows = []
    for preset in CONFIGS:
        out = subprocess.run([sys.executable, "-m", "benchmarks.bench_refiner", preset],
                             capture_output=True, text=True, check=True).stdout
        m = json.loads(out.strip().splitlines()[-1])
        note = f"{m['device']}, {m['threads']} threads, 35x55"
        rows += [
            {"figure": f"{preset}_refiner_steps_per_s", "value": m["refiner_steps_per_s"],
             "unit": "steps/s", "note": f"batch {TRAIN_BATCH}, {note}"},
            {"figure": f"{preset}_disc_steps_per_s", "value": m["disc_steps_per_s"],
             "unit": "steps/s", "note": f"batch {TRAIN_BATCH}, {note}"},
            {"figure": f"{preset}_adversarial_rounds_per_s", "value": m["rounds_per_s"],
             "unit": "rounds/s", "note": "kg=2, kd=1"},
            {"figure": f"{preset}_refine_images_per_s", "value": m["refine_images_per_s"],
             "unit": "images/s", "note": f"batch {REFINE_BATCH}, {note}"},
            {"figure": f"{preset}_fraction_of_flop_bound", "value": m["fraction_of_flop_bound"],
             "unit": "ratio", "note": f"{m['refiner_mflops_per_image']:.1f} MFLOP/image vs "
                                      f"{m['matmul_gflops']:.1f} GFLOP/s matmul"},
            {"figure": f"{preset}_peak_rss", "value": m["peak_rss_mb"], "unit": "MB",
             "note": "training + refinement process"},
        ]
    return rows


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1])))
