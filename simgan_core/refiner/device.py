"""Which device to train on: never a hard-coded index (CUDA_VISIBLE_DEVICES picks the card)."""

from __future__ import annotations

import torch


def pick_device() -> torch.device:
    """The current CUDA device when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN computes bfloat16 dot products in hardware on this CPU (AVX512-BF16,
    AMX); elsewhere it emulates them, slower than float32."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN
        return False


def resolve_cpu_precision(setting: str) -> str:
    """"auto" -> "bfloat16" where the CPU has it natively, else "float32"; others as given."""
    if setting == "auto":
        return "bfloat16" if cpu_has_native_bf16() else "float32"
    return setting
