"""simulate@gaze and ingest@gaze on a Dask cluster of 2 workers write
the same bytes, file for file, as the same stages run locally in one thread (same paths:
the quarantine list names its source folders)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from flows.ingest import run as run_ingest
from flows.simulate import run as run_simulate
from tasks.params_sources import IngestGaze, SimulateEyes, SimulateGaze, SimulateRealEyes


def _sha256_tree(root: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under root."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _run_stages(root: Path, dask_address: str | None) -> None:
    """The two fan-out stages, tiny, under root: raw/ue, raw/mpii, shards/, ingest.json."""
    workers = 1 if dask_address is None else 2  # 2: the chunking differs too
    run_simulate(SimulateGaze(
        workers=workers, dask_address=dask_address,
        synthetic=SimulateEyes(out_dir=str(root / "raw" / "ue"), n=10, seed=1, width=320,
                               height=240, jpeg_quality=95),
        real=SimulateRealEyes(out_dir=str(root / "raw" / "mpii"), subjects=3, per_subject=6,
                              seed=2)), "gaze")
    run_ingest(IngestGaze(
        synthetic_dir=str(root / "raw" / "ue"), real_dir=str(root / "raw" / "mpii"),
        shards_dir=str(root / "shards"), quarantine_file=str(root / "quarantine.tsv"),
        metrics_file=str(root / "ingest.json"), validation_docs_dir=str(root / "docs"),
        image_height=35, image_width=55, max_head_angle_deg=20.0, use_evaluation_subset=True,
        test_subjects=["p02"], shard_maxcount=8, max_bad_fraction=0.01,
        min_samples={"synthetic": 3, "real_train": 3, "real_test": 3}, max_abs_pitch_deg=60.0,
        max_abs_yaw_deg=70.0, workers=workers, dask_address=dask_address), "gaze")


def test_simulate_and_ingest_bytes_do_not_depend_on_the_runner(
        tmp_path: Path, prefect_api: str) -> None:
    from dask.distributed import LocalCluster

    root = tmp_path / "run"
    _run_stages(root, None)
    local = _sha256_tree(root)
    shutil.rmtree(root)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        _run_stages(root, cluster.scheduler_address)
    dask = _sha256_tree(root)
    assert "docs/index.html" in local and "docs/index.html" in dask
    # Great Expectations' Data Docs name and stamp each validation run with its time.
    local, dask = ({k: v for k, v in tree.items() if not k.startswith("docs/")}
                   for tree in (local, dask))
    assert len([p for p in local if p.startswith("raw/ue/imgs/")]) == 20  # 10 jpg + 10 json
    assert len([p for p in local if p.endswith(".mat")]) >= 9  # 3-6 days per subject
    assert len([p for p in local if p.startswith("shards/") and p.endswith(".tar")]) >= 3
    assert "quarantine.tsv" in local and "ingest.json" in local
    assert dask == local
