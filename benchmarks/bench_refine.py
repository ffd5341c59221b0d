"""The refine stage's core on this CPU: `refine_shard` over a corpus of canonical shards.

Builds N UnityEyes eye crops once (simulate + ingest, as the pipeline does; shards of
SHARD samples), and a 4N corpus of the same shards hard-linked 4 times. Each corpus is
refined by a fresh process (THREADS torch threads, the `default_gaze` refiner with
random weights from a fixed seed: weights do not change the cost) through
`torch_refine_fn`, shard by shard as the stage does. Figures:

- end-to-end images/s, and the time inside the refiner's forward, so refiner-only
  images/s inside refine_shard;
- the rest: refine_shard again with an identity refine fn (everything but the refiner,
  in place), broken down by re-running each step alone over the same shards (read tar,
  decode PNG, annotation JSON, encode PNG, write tar + sha256); "other" is what is left
  of it (batching, pixel scaling, per-sample statistics, the generator plumbing);
- both rates as a fraction of the FLOP bound, as bench_refiner defines it: images/s x
  the refiner's FLOPs per image / the measured float32 1024^3 matmul rate (same
  process, same threads; the higher of a measurement before and one after);
- the peak RSS of the N and 4N processes: it must not grow with the corpus;
- the N corpus again with 1 thread, the refine stage's own setting (threads_per_worker).

The machine's load average goes into the notes: on a shared 2-core VM the rates move
with the neighbours.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import matmul_flops_per_s

N = 2000
SHARD = 500
BATCH = 256  # params.yaml refine.<domain>.batch_size
THREADS = 2  # one process, as the brief's figure; the stage itself runs 1 per worker
PRESET = "default_gaze"
REPEATS = 2  # fresh N processes; the fastest is reported
STEPS = ("read_tar", "decode_png", "json", "encode_png", "write_tar_sha256")


def _load() -> str:
    return "load {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


def _provenance() -> dict:
    """A `refinement` value of the size the stage writes."""
    from dataclasses import asdict

    import simgan_core
    from simgan_core.refiner.models import REFINER_PRESETS

    return {"refiner_sha256": "0" * 64, "refiner_run_key": "0" * 16,
            "refiner_config": {"refiner": asdict(REFINER_PRESETS[PRESET])},
            "params": {"batch_size": BATCH, "model_file": "models/gaze/refiner.pt"},
            "project_version": simgan_core.__version__}


def _step_seconds(source: Path, refined: Path, provenance: dict) -> dict[str, float]:
    """Each non-refiner step of refine_shard alone, over one source shard and its output."""
    from simgan_core.domain import GAZE
    from simgan_core.refine_shard import refined_annotation
    from simgan_core.shards import (
        decode_json,
        decode_png,
        encode_png,
        iter_tar_members,
        write_shard,
    )

    seconds = dict.fromkeys(STEPS, 0.0)
    start = time.perf_counter()
    members = list(iter_tar_members(source))
    seconds["read_tar"] = time.perf_counter() - start
    start = time.perf_counter()
    for key, files in members:
        decode_png(files["png"], key)
    seconds["decode_png"] = time.perf_counter() - start
    start = time.perf_counter()
    for key, files in members:
        refined_annotation(files["json"], provenance, key)
        GAZE.label_vector(decode_json(files["json"], key))
    seconds["json"] = time.perf_counter() - start
    outputs = list(iter_tar_members(refined))
    images = [decode_png(files["png"], key) for key, files in outputs]
    start = time.perf_counter()
    for (key, _), image in zip(outputs, images, strict=True):
        encode_png(image, key)
    seconds["encode_png"] = time.perf_counter() - start
    samples = [{"__key__": key, **files} for key, files in outputs]
    start = time.perf_counter()
    write_shard(refined.with_name("step-" + refined.name), samples)
    seconds["write_tar_sha256"] = time.perf_counter() - start
    refined.with_name("step-" + refined.name).unlink()
    return seconds


def measure(source_dir: Path, out_dir: Path, threads: int, steps: bool) -> dict:
    """In this process: refine every shard of source_dir into out_dir, timed."""
    import resource

    import torch

    from simgan_core.domain import GAZE
    from simgan_core.refine_shard import refine_shard, torch_refine_fn
    from simgan_core.refiner.models import REFINER_PRESETS, Refiner, refiner_flops_per_image

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = REFINER_PRESETS[PRESET]
    refine = torch_refine_fn(Refiner(cfg))
    provenance = _provenance()
    sources = sorted(source_dir.glob("*.tar"))
    load_before = _load()
    mm_before = matmul_flops_per_s("cpu", lambda: None)
    refine(torch.rand(BATCH, 1, *GAZE.image_hw) * 2 - 1)  # warm-up: primitives, allocator

    in_refiner = 0.0

    def timed_refine(x: torch.Tensor) -> torch.Tensor:
        nonlocal in_refiner
        start = time.perf_counter()
        out = refine(x)
        in_refiner += time.perf_counter() - start
        return out

    images, start = 0, time.perf_counter()
    for i, source in enumerate(sources):
        info, _ = refine_shard(source, out_dir / f"refined-{i:06d}.tar", timed_refine, GAZE,
                               provenance, BATCH)
        images += info.nsamples
    total = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mm_after = matmul_flops_per_s("cpu", lambda: None)
    out = {"images": images, "shards": len(sources), "seconds": total,
           "refiner_seconds": in_refiner, "peak_rss_mb": rss,
           "matmul_flops": max(mm_before, mm_after), "threads": torch.get_num_threads(),
           "flops_per_image": refiner_flops_per_image(cfg, *GAZE.image_hw),
           "load": f"{load_before} -> {_load()}"}
    if steps:  # after the RSS reading: these passes hold a shard's samples in memory
        start = time.perf_counter()
        for i, source in enumerate(sources):
            refine_shard(source, out_dir / f"identity-{i:06d}.tar", lambda x: x, GAZE,
                         provenance, BATCH)
        out["identity_seconds"] = time.perf_counter() - start
        per_step = dict.fromkeys(STEPS, 0.0)
        for i, source in enumerate(sources):
            for name, s in _step_seconds(source, out_dir / f"refined-{i:06d}.tar",
                                         provenance).items():
                per_step[name] += s
        out["step_seconds"] = per_step
    return out


def _run_fresh(source_dir: Path, out_dir: Path, steps: bool, threads: int = THREADS) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "benchmarks.bench_refine", str(source_dir), str(out_dir),
            str(threads)]
    text = subprocess.run(args + (["--steps"] if steps else []), capture_output=True,
                          text=True, check=True).stdout
    return json.loads(text.strip().splitlines()[-1])


def _build_corpus(workdir: Path) -> tuple[Path, Path]:
    """N canonical eye crops in shards of SHARD, and the same shards linked 4 times."""
    from simgan_core.gaze.unityeyes_writer import simulate_unityeyes
    from tasks.ingest_gaze import ingest_unityeyes_chunk

    raw, small, big = workdir / "ue", workdir / "n", workdir / "4n"
    simulate_unityeyes(raw, n=N, seed=0, workers=2)
    stems = [str(i) for i in range(1, N + 1)]
    for j in range(0, N, SHARD):
        ingest_unityeyes_chunk.fn(str(raw), stems[j:j + SHARD], str(small), j // SHARD,
                                  (35, 55), 90.0)
    shutil.rmtree(raw)
    big.mkdir()
    shards = sorted(small.glob("*.tar"))
    for copy in range(4):
        for i, shard in enumerate(shards):
            os.link(shard, big / f"shard-{copy * len(shards) + i:06d}.tar")
    return small, big


def run() -> list[dict]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-refine-"))
    try:
        small, big = _build_corpus(workdir)
        runs = [_run_fresh(small, workdir / f"out-n{r}", steps=True) for r in range(REPEATS)]
        big_run = _run_fresh(big, workdir / "out-4n", steps=False)
        one = _run_fresh(small, workdir / "out-1t", steps=False, threads=1)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    m = max(runs, key=lambda r: r["images"] / r["seconds"])
    rates = ", ".join(f"{r['images'] / r['seconds']:.0f}" for r in runs)
    flops, mm = m["flops_per_image"], m["matmul_flops"]
    e2e, refiner_only = m["images"] / m["seconds"], m["images"] / m["refiner_seconds"]
    e2e_4n = big_run["images"] / big_run["seconds"]
    setting = f"{PRESET}, batch {BATCH}, {m['threads']} threads, shards of {SHARD}"
    us = 1e6 / m["images"]  # seconds over the corpus -> microseconds per image
    other = m["identity_seconds"] - sum(m["step_seconds"].values())
    bound = (f"{flops / 1e6:.1f} MFLOP/image vs {mm / 1e9:.1f} GFLOP/s matmul "
             f"({m['threads']} threads)")
    rows = [
        {"figure": "refine_e2e_images_per_s_N", "value": e2e, "unit": "images/s",
         "note": f"N={m['images']}, {setting}; best of {REPEATS} ({rates}); {m['load']}"},
        {"figure": "refine_e2e_images_per_s_4N", "value": e2e_4n, "unit": "images/s",
         "note": f"4N={big_run['images']}, one process; {big_run['load']}"},
        {"figure": "refine_refiner_images_per_s", "value": refiner_only, "unit": "images/s",
         "note": "time inside the refine fn of refine_shard, N run"},
        {"figure": "refine_refiner_fraction_of_flop_bound", "value": refiner_only * flops / mm,
         "unit": "ratio", "target": 0.8, "note": bound},
        {"figure": "refine_e2e_fraction_of_flop_bound", "value": e2e * flops / mm,
         "unit": "ratio", "target": 0.8, "note": bound},
        {"figure": "refine_us_per_image_total", "value": m["seconds"] * us, "unit": "us/image",
         "note": "end to end, N run"},
        {"figure": "refine_us_per_image_refiner", "value": m["refiner_seconds"] * us,
         "unit": "us/image", "note": f"{m['refiner_seconds'] / m['seconds']:.0%} of the total"},
        {"figure": "refine_us_per_image_without_refiner", "value": m["identity_seconds"] * us,
         "unit": "us/image", "note": "refine_shard with an identity refine fn: all but the "
                                     "refiner"},
    ]
    for name, seconds in m["step_seconds"].items():
        rows.append({"figure": f"refine_us_per_image_{name}", "value": seconds * us,
                     "unit": "us/image", "note": f"alone, {seconds / m['seconds']:.1%} of total"})
    rows += [
        {"figure": "refine_us_per_image_other", "value": other * us, "unit": "us/image",
         "note": "the rest of the identity run: batching, pixel scaling, per-sample stats"},
        {"figure": "refine_e2e_images_per_s_1_thread", "value": one["images"] / one["seconds"],
         "unit": "images/s", "note": f"N, 1 thread (the stage's threads_per_worker); "
                                     f"{one['load']}"},
        {"figure": "refine_refiner_fraction_of_flop_bound_1_thread",
         "value": one["images"] / one["refiner_seconds"] * flops / one["matmul_flops"],
         "unit": "ratio", "target": 0.8,
         "note": f"{one['images'] / one['refiner_seconds']:.0f} images/s vs "
                 f"{one['matmul_flops'] / 1e9:.1f} GFLOP/s matmul (1 thread)"},
        {"figure": "refine_peak_rss_N", "value": m["peak_rss_mb"], "unit": "MB",
         "note": f"fresh process, N={m['images']}"},
        {"figure": "refine_peak_rss_4N", "value": big_run["peak_rss_mb"], "unit": "MB",
         "note": f"fresh process, 4N={big_run['images']}"},
        {"figure": "refine_peak_rss_4N_over_N", "value": big_run["peak_rss_mb"]
         / m["peak_rss_mb"], "unit": "ratio", "target": 1.1, "lower_is_better": True,
         "note": "must not grow with the corpus"},
    ]
    return rows


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]),
                             "--steps" in sys.argv)))
