"""The hand refiner's adversarial round in bfloat16 against float32, the figure behind
`cpu_precision: auto` meaning bfloat16 for 16-bit depth too (README, Precision).

The default hand profile as `train_refiner.hand` trains it: its refiner and critic
presets, 64 x 64 depth crops, batch 16, psi `depth_local_mean`, lambda 32, kg 2 and
kd 3 (one round = 2 refiner steps + 3 critic steps), the history in use, one torch
thread (a candidate's share in the stage). No label reader (the same in both). Each
precision runs in a fresh process, alternating, best of two. The ratio is what matters;
on a CPU without native bfloat16 the bfloat16 figure is emulation, slower than float32.
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks._common import timed, trainer_round

HW = (64, 64)
BATCH = 16
SECONDS = 8.0
REPEATS = 2
FILL_ROUNDS = 20


def measure(precision: str) -> dict:
    """In this process: rounds/s at one precision."""
    import torch

    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    syn = torch.rand(BATCH, 1, *HW, generator=gen) * 2 - 1
    real = torch.rand(BATCH, 1, *HW, generator=gen) * 2 - 1
    _, round_ = trainer_round("default_hand", "default_hand", HW, BATCH, precision, syn, real,
                              psi="depth_local_mean", lambda_reg=32.0, kd=3)

    for _ in range(FILL_ROUNDS):
        round_()
    return {"precision": precision, "rounds_per_s": timed(round_, SECONDS, lambda: None)}


def _measure_in_fresh_process(precision: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_hand_precision", precision],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run() -> list[dict]:
    from simgan_core.refiner.device import cpu_has_native_bf16

    best: dict[str, float] = {}
    for _ in range(REPEATS):
        for precision in ("float32", "bfloat16"):
            rate = _measure_in_fresh_process(precision)["rounds_per_s"]
            best[precision] = max(best.get(precision, 0.0), rate)
    note = f"hand profile, batch {BATCH}, kd 3, 1 thread, native bf16: {cpu_has_native_bf16()}"
    return [
        {"figure": "hand_round_float32_rounds_per_s", "value": best["float32"],
         "unit": "rounds/s", "note": note},
        {"figure": "hand_round_bfloat16_rounds_per_s", "value": best["bfloat16"],
         "unit": "rounds/s", "note": note},
        {"figure": "hand_round_bfloat16_speedup", "value": best["bfloat16"] / best["float32"],
         "unit": "ratio", "note": "best of 2 each, alternating fresh processes"},
    ]


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1])))
