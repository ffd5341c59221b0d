"""Hand simulator throughput with 2 processes: synthetic NYU renders and stand-in Kinect
frames per second.

End to end, as the simulate@hand stage runs: worker start-up ('spawn'), sampling, ray-cast
rendering (and the sensor model), PNG encoding, writes, joint_data.mat and the final
flush, into a temp folder. The CPU time the workers used per frame (user + system)
comes with each figure: on a shared VM the wall-clock rate moves with the neighbours,
the CPU cost much less. Targets: the default sizes (params.yaml simulate.hand: 6000
synthetic, 3000 stand-in frames) in 60 s on 2 cores.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks._common import with_worker_cpu
from simgan_core.hand.nyu_writer import simulate_real_kinect, simulate_synthdepth

WORKERS = 2
N_SYNTH = 600
N_REAL = 200


def run() -> list[dict]:
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        synth, user, system = with_worker_cpu(lambda: simulate_synthdepth(
            Path(tmp) / "synthetic", N_SYNTH, seed=0, workers=WORKERS))
        rows.append({
            "figure": "simulate_hands_frames_per_s", "value": round(synth["frames_per_s"], 1),
            "unit": "frames/s", "target": 100,
            "note": f"640x480 synthdepth PNG + joint_data.mat, {N_SYNTH} frames, {WORKERS} "
                    f"workers; worker CPU {1e3 * user / N_SYNTH:.1f} ms user + "
                    f"{1e3 * system / N_SYNTH:.1f} ms sys per frame",
        })
        real, user, system = with_worker_cpu(lambda: simulate_real_kinect(
            Path(tmp) / "real", N_REAL, seed=0, workers=WORKERS))
        rows.append({
            "figure": "simulate_real_hands_frames_per_s", "value": round(real["frames_per_s"], 1),
            "unit": "frames/s", "target": 50,
            "note": f"stand-in Kinect depth PNG (scene + sensor), {N_REAL} frames, {WORKERS} "
                    f"workers; worker CPU {1e3 * user / N_REAL:.1f} ms user + "
                    f"{1e3 * system / N_REAL:.1f} ms sys per frame",
        })
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
