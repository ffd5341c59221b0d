"""Which device to train on: never a hard-coded index (CUDA_VISIBLE_DEVICES picks the card)."""

from __future__ import annotations

import torch


def pick_device() -> torch.device:
    """The current CUDA device when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
