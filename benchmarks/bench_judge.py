"""The C2ST judge's training step (simgan_core/realism.py) in channels_last against the
NCHW order it used before, at both domains' image sizes.

The judge is the refiner stage's other big cost: per domain it trains a fresh
classifier for c2st_steps (1000) steps once on raw synthetic images and once per
candidate, about as much CPU as training a candidate. One step here is the judge's:
a batch of 64 single-channel images, forward, BCE, backward, Adam, in float32 on one
torch thread (a candidate's share in the stage). The layouts alternate, best of two.
"""

from __future__ import annotations

import torch
from torch import nn

from benchmarks._common import timed
from simgan_core.realism import _classifier

SIZES = {"gaze": (35, 55), "hand": (64, 64)}
BATCH = 64
SECONDS = 4.0
REPEATS = 2


def judge_step(hw: tuple[int, int], channels_last: bool):
    """One training step of the judge's classifier on a fixed random batch."""
    torch.manual_seed(0)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = _classifier(1, 16).to(memory_format=layout)
    x = torch.rand(BATCH, 1, *hw).mul(2).sub(1).contiguous(memory_format=layout)
    y = (torch.arange(BATCH) % 2).float()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.BCEWithLogitsLoss()

    def step() -> None:
        loss = loss_fn(model(x).squeeze(1), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def run() -> list[dict]:
    torch.set_num_threads(1)
    rows = []
    for domain, hw in SIZES.items():
        best = {False: 0.0, True: 0.0}
        for _ in range(REPEATS):
            for channels_last in (False, True):
                rate = timed(judge_step(hw, channels_last), SECONDS, lambda: None)
                best[channels_last] = max(best[channels_last], rate)
        note = f"{hw[0]} x {hw[1]}, batch {BATCH}, float32, 1 thread, best of {REPEATS}"
        rows += [
            {"figure": f"judge_{domain}_nchw_steps_per_s", "value": best[False],
             "unit": "steps/s", "note": note},
            {"figure": f"judge_{domain}_channels_last_steps_per_s", "value": best[True],
             "unit": "steps/s", "note": note},
            {"figure": f"judge_{domain}_channels_last_speedup",
             "value": best[True] / best[False], "unit": "ratio", "note": "alternating runs"},
        ]
    return rows
