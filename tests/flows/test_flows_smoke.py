"""The gaze simulators and ingest flows, run for real under the session's Prefect server,
on tiny data: the determinism contract at flow level (ingest with 1 and with 2 workers,
threads vs a process pool, writes byte-identical shards), and a failed ingest that
publishes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.ingest import run
from flows.simulate import simulate_flow
from tasks.params_sources import IngestGaze, SimulateEyes, SimulateRealEyes


def run_ingest(cfg: IngestGaze) -> dict:
    return run(cfg, "gaze")


def _simulate(root: Path, n: int, subjects: int, per_subject: int) -> None:
    """Both gaze simulators, tiny, into root/ue and root/mpii (one worker)."""
    simulate_flow("gaze", {
        "synthetic": SimulateEyes(out_dir=str(root / "ue"), n=n, seed=5, width=320,
                                  height=240, jpeg_quality=95),
        "real": SimulateRealEyes(out_dir=str(root / "mpii"), subjects=subjects,
                                 per_subject=per_subject, seed=6)}, 1, None)


def _ingest_cfg(root: Path, out: str, workers: int) -> IngestGaze:
    return IngestGaze(
        synthetic_dir=str(root / "ue"), real_dir=str(root / "mpii"),
        shards_dir=str(root / out / "shards"), quarantine_file=str(root / out / "q.tsv"),
        metrics_file=str(root / out / "ingest.json"),
        validation_docs_dir=str(root / out / "docs"), image_height=35, image_width=55,
        max_head_angle_deg=20.0, use_evaluation_subset=True, test_subjects=["p02"],
        shard_maxcount=8, max_bad_fraction=0.01,
        min_samples={"synthetic": 5, "real_train": 5, "real_test": 5},
        max_abs_pitch_deg=60.0, max_abs_yaw_deg=70.0, workers=workers, dask_address=None,
    )


def test_gaze_ingest_bytes_do_not_depend_on_workers(tmp_path: Path, prefect_api: str) -> None:
    _simulate(tmp_path, n=24, subjects=3, per_subject=10)
    one = run_ingest(_ingest_cfg(tmp_path, "w1", workers=1))
    two = run_ingest(_ingest_cfg(tmp_path, "w2", workers=2))
    assert one == two
    assert one["counts"]["real_test"] == 10 and one["counts"]["real_train"] == 20
    for split in ("synthetic", "real_train", "real_test"):
        sums = [(tmp_path / w / "shards" / split / "SHA256SUMS").read_text() for w in ("w1", "w2")]
        assert sums[0] == sums[1] and sums[0]
    assert (tmp_path / "w1" / "docs" / "index.html").is_file()


def _published(out: Path) -> dict[str, bytes]:
    """Every file ingest published under out (relative path -> bytes); not the hidden
    staged outputs that a failed run leaves for the user to read."""
    files = (p for p in sorted(out.rglob("*")) if p.is_file())
    return {str(p.relative_to(out)): p.read_bytes() for p in files
            if not any(part.startswith(".") for part in p.relative_to(out).parts)}


def test_a_failed_ingest_publishes_nothing(tmp_path: Path, prefect_api: str) -> None:
    _simulate(tmp_path, n=6, subjects=3, per_subject=4)
    cfg = _ingest_cfg(tmp_path, "out", workers=1).model_copy(
        update={"min_samples": {"synthetic": 1, "real_train": 1, "real_test": 1}})
    run_ingest(cfg)
    good = _published(tmp_path / "out")
    assert "shards/synthetic/index.json" in good and "q.tsv" in good and "ingest.json" in good

    # Too many bad inputs: the gate fails first, in one line naming the failed run's list.
    (tmp_path / "ue" / "imgs" / "3.json").write_text('{"eye_details": {}}')
    with pytest.raises(ValueError) as failure:
        run_ingest(cfg)
    first_line = str(failure.value).splitlines()[0]
    assert first_line.startswith("too many bad inputs: unityeyes lost 1 of 6 samples")
    assert "nothing was published" in first_line
    rejected = tmp_path / "out" / ".q.tsv.staged"
    assert str(rejected) in first_line
    assert "imgs/3.json" in rejected.read_text() and "missing field" in rejected.read_text()
    assert _published(tmp_path / "out") == good  # the previous outputs, byte for byte

    # Great Expectations fails (more samples required than there are): nothing published.
    (tmp_path / "ue" / "imgs" / "3.json").unlink()
    (tmp_path / "ue" / "imgs" / "3.jpg").unlink()
    strict = cfg.model_copy(update={"min_samples": {"synthetic": 1000, "real_train": 1,
                                                    "real_test": 1}})
    with pytest.raises(ValueError, match="manifest validation failed"):
        run_ingest(strict)
    assert _published(tmp_path / "out") == good
