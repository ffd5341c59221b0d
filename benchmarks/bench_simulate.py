"""Simulator throughput with 2 processes: UnityEyes images/s and stand-in MPIIGaze crops/s.

End to end, as the simulate@gaze stage runs: worker start-up ('spawn'), sampling, rendering,
encoding (JPEG + JSON / .mat), atomic writes and the final flush, into a temp folder.
The CPU time the workers used per item (user + system) comes with each figure: on a
shared VM the wall-clock rate moves with the neighbours, the CPU cost much less.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks._common import with_worker_cpu
from simgan_core.gaze.mpiigaze_writer import simulate_mpiigaze
from simgan_core.gaze.unityeyes_writer import simulate_unityeyes

WORKERS = 2
N_IMAGES = 3000  # ~6 s at the target
SUBJECTS, PER_SUBJECT = 4, 300  # 2400 eye crops, ~6 s at the target


def run() -> list[dict]:
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        eyes, user, system = with_worker_cpu(lambda: simulate_unityeyes(
            Path(tmp) / "unityeyes", N_IMAGES, seed=0, workers=WORKERS))
        rows.append({
            "figure": "simulate_eyes_images_per_s", "value": round(eyes["images_per_s"], 1),
            "unit": "images/s", "target": 500,
            "note": f"320x240 JPEG q95 + JSON, {N_IMAGES} images, {WORKERS} workers; worker "
                    f"CPU {1e3 * user / N_IMAGES:.2f} ms user + {1e3 * system / N_IMAGES:.2f} "
                    "ms sys per image",
        })
        real, user, system = with_worker_cpu(lambda: simulate_mpiigaze(
            Path(tmp) / "mpiigaze", SUBJECTS, per_subject=PER_SUBJECT, seed=0,
            workers=WORKERS))
        rows.append({
            "figure": "simulate_real_crops_per_s", "value": round(real["crops_per_s"], 1),
            "unit": "crops/s", "target": 400,
            "note": f"36x60 MPIIGaze .mat, {real['count']} crops, {WORKERS} workers; worker "
                    f"CPU {1e3 * user / real['count']:.2f} ms user + "
                    f"{1e3 * system / real['count']:.2f} ms sys per crop",
        })
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
