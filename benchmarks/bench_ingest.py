"""Ingest throughput (samples/s, 2 processes) and its memory at N and 4N samples.

Renders N UnityEyes images once, then runs the ingest chunk task (read, crop, PNG,
tar, checksum) over them with a 2-process pool, as the stage does. Memory: the peak
RSS of a fresh process that ingests N, then 4N samples (copies of the same files)
in chunks: it must not grow with the corpus.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

N = 2000
CHUNK = 500
HW = (35, 55)


def _chunk(args: tuple[str, list[str], str, int]) -> int:
    from tasks.ingest_gaze import ingest_unityeyes_chunk

    source, stems, out, index = args
    return len(ingest_unityeyes_chunk.fn(source, stems, out, index, HW, 90.0).manifest)


def _peak_rss_mb(source: Path, out: Path, n: int) -> float:
    """Peak RSS (MB) of a fresh process ingesting the first n files in CHUNK-sized shards."""
    code = (
        "import resource, sys\n"
        "from benchmarks.bench_ingest import _chunk\n"
        f"stems=[str(i) for i in range(1, {n} + 1)]\n"
        f"for j in range(0, {n}, {CHUNK}):\n"
        f"    _chunk(({str(source)!r}, stems[j:j + {CHUNK}], {str(out)!r}, j // {CHUNK}))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out_text = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True).stdout
    return float(out_text.strip().splitlines()[-1])


def run() -> list[dict]:
    from simgan_core.gaze.unityeyes_writer import simulate_unityeyes

    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        source = workdir / "ue"
        simulate_unityeyes(source, n=N, seed=0, workers=2)
        stems = [str(i) for i in range(1, N + 1)]
        jobs = [(str(source), stems[j:j + CHUNK], str(workdir / "out"), j // CHUNK)
                for j in range(0, N, CHUNK)]
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(_chunk, [(str(source), stems[:2], str(workdir / "warm"), 0)] * 2))
            start = time.perf_counter()
            done = sum(pool.map(_chunk, jobs))
            seconds = time.perf_counter() - start
        # 4N: the same N files linked 4 times under new numbers.
        big = workdir / "ue4" / "imgs"
        big.mkdir(parents=True)
        for copy in range(4):
            for i in range(1, N + 1):
                for ext in ("jpg", "json"):
                    os.link(source / "imgs" / f"{i}.{ext}", big / f"{copy * N + i}.{ext}")
        rss_n = _peak_rss_mb(source, workdir / "m1", N)
        rss_4n = _peak_rss_mb(big.parent, workdir / "m4", 4 * N)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        {"figure": "ingest_samples_per_s", "value": done / seconds, "unit": "samples/s",
         "target": 1000, "note": f"{done} UnityEyes 320x240 -> 35x55 shards, 2 processes"},
        {"figure": "ingest_peak_rss_N", "value": rss_n, "unit": "MB",
         "note": f"one process, N={N}"},
        {"figure": "ingest_peak_rss_4N", "value": rss_4n, "unit": "MB",
         "note": f"one process, 4N={4 * N}; should equal N's"},
    ]
