"""Ingest tasks through `.fn()`: shards, manifests, quarantine, the bad-fraction gate."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simgan_core.gaze.mpiigaze_reader import EVAL_LIST_DIR
from simgan_core.gaze.mpiigaze_writer import simulate_mpiigaze
from simgan_core.gaze.unityeyes_writer import simulate_unityeyes
from simgan_core.ingest_records import EmptySourceError
from simgan_core.shard_index import verify_sha256sums
from simgan_core.shards import iter_samples
from tasks.ingest_gaze import ingest_mpiigaze_subject, ingest_unityeyes_chunk, plan_gaze_ingest
from tasks.ingest_outputs import check_bad_fraction, ingest_metrics, stage_split
from tasks.quarantine import quarantine_lines

HW = (35, 55)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sources")
    simulate_unityeyes(root / "ue", n=12, seed=3, workers=1)
    simulate_mpiigaze(root / "mpii", subjects=2, per_subject=8, seed=4, workers=1)
    return root / "ue", root / "mpii"


def test_plan_cuts_shards_and_splits_subjects(sources: tuple[Path, Path]) -> None:
    ue, mpii = sources
    plan = plan_gaze_ingest.fn(str(ue), str(mpii), 5, ["p01"])
    assert [len(c) for c in plan.unityeyes_chunks] == [5, 5, 2]
    assert plan.unityeyes_chunks[0] == ["1", "2", "3", "4", "5"]
    assert plan.subjects == [("p00", "real_train"), ("p01", "real_test")]
    with pytest.raises(ValueError, match=r"test_subjects \['p07'\]"):
        plan_gaze_ingest.fn(str(ue), str(mpii), 5, ["p07"])


def test_empty_source_is_a_clear_error(tmp_path: Path, sources: tuple[Path, Path]) -> None:
    (tmp_path / "empty" / "imgs").mkdir(parents=True)
    with pytest.raises(EmptySourceError, match="empty"):
        plan_gaze_ingest.fn(str(tmp_path / "empty"), str(sources[1]), 5, ["p01"])


def test_unityeyes_chunk_writes_a_deterministic_shard(tmp_path: Path,
                                                       sources: tuple[Path, Path]) -> None:
    ue, _ = sources
    stems = [str(i) for i in range(1, 13)]
    a = ingest_unityeyes_chunk.fn(str(ue), stems, str(tmp_path / "a"), 0, HW, 90.0)
    b = ingest_unityeyes_chunk.fn(str(ue), stems, str(tmp_path / "b"), 0, HW, 90.0)
    assert a.shard is not None and a.shard.nsamples == 12 and a.shard.name == "shard-000000.tar"
    assert a.shard.sha256 == b.shard.sha256
    assert list(a.manifest["key"]) == [f"unityeyes-{i}" for i in range(1, 13)]
    sample = next(iter_samples([tmp_path / "a" / a.shard.name]))
    assert sample.image.shape == HW and sample.image.dtype == np.uint8
    marks = np.asarray(sample.annotation["landmarks"]["interior_margin"])
    assert marks.shape == (16, 2)
    assert (marks[:, 0] > 0).all() and (marks[:, 0] < HW[1]).all()
    assert (marks[:, 1] > 0).all() and (marks[:, 1] < HW[0]).all()
    assert sample.annotation["provenance"]["source_file"] == "imgs/1.json"


def test_bad_inputs_are_quarantined_with_reasons(tmp_path: Path,
                                                 sources: tuple[Path, Path]) -> None:
    ue, _ = sources
    bad = tmp_path / "ue"
    (bad / "imgs").mkdir(parents=True)
    for i in (1, 2, 3, 4):
        for ext in ("jpg", "json"):
            (bad / "imgs" / f"{i}.{ext}").write_bytes((ue / "imgs" / f"{i}.{ext}").read_bytes())
    jpg = (bad / "imgs" / "2.jpg").read_bytes()
    (bad / "imgs" / "2.jpg").write_bytes(jpg[: len(jpg) // 2])  # truncated
    (bad / "imgs" / "3.json").write_text("{ not json")
    text = (bad / "imgs" / "4.json").read_text()
    (bad / "imgs" / "4.json").write_text(text.replace('"look_vec": "(', '"look_vec": "(9, '))
    result = ingest_unityeyes_chunk.fn(str(bad), ["1", "2", "3", "4"], str(tmp_path / "o"),
                                       0, HW, 90.0)
    assert len(result.manifest) == 1
    reasons = dict(result.quarantined)
    assert set(reasons) == {"imgs/2.jpg", "imgs/3.json", "imgs/4.json"}
    assert "truncated" in reasons["imgs/2.jpg"]
    metrics = ingest_metrics([result], quarantine_lines([result]), 0.5, {"unityeyes": 4})
    assert metrics["quarantined"] == 3 and metrics["bad_fraction"]["unityeyes"] == 0.75
    with pytest.raises(ValueError, match=r"unityeyes lost 3 of 4 samples \(75\.0%\).*q\.tsv"):
        check_bad_fraction.fn(metrics, "q.tsv")


def test_mpiigaze_subject_and_stage(tmp_path: Path, sources: tuple[Path, Path]) -> None:
    _, mpii = sources
    final = tmp_path / "real_test"
    final.mkdir()
    results = ingest_mpiigaze_subject.fn(str(mpii), "p01", "real_test", str(final), HW, 5, True)
    assert [r.shard.nsamples for r in results] == [5, 3]  # 8 listed eye images, 5 per shard
    manifest = stage_split.fn("real_test", results, final, "gaze")
    assert verify_sha256sums(final) == []
    assert len(manifest) == 8 and set(manifest["subject"]) == {"p01"}
    on_disk = pd.read_parquet(final / "manifest.parquet")
    assert list(on_disk["key"]) == list(manifest["key"])
    index = json.loads((final / "index.json").read_text())
    assert [s["nsamples"] for s in index["shardlist"]] == [5, 3]
    samples = list(iter_samples(sorted(final.glob("*.tar"))))
    assert [s.key for s in samples] == list(manifest["key"])
    assert all(s.annotation["eye"] == "left" for s in samples)  # right eyes mirrored


def test_gray_decoding_is_the_luma_of_rgb(sources: tuple[Path, Path]) -> None:
    from PIL import Image

    from simgan_core.gaze.unityeyes_reader import iter_unityeyes

    rgb = next(iter_unityeyes(sources[0], 90.0, stems=["1"]))
    gray = next(iter_unityeyes(sources[0], 90.0, stems=["1"], gray=True))
    assert rgb.image.ndim == 3 and gray.image.shape == rgb.image.shape[:2]
    luma = np.asarray(Image.fromarray(rgb.image).convert("L"), dtype=np.int16)
    diff = np.abs(luma - gray.image)  # libjpeg's Y plane vs RGB (chroma upsampled) -> L
    assert diff.mean() < 0.5 and diff.max() <= 8
    np.testing.assert_array_equal(gray.interior_margin, rgb.interior_margin)


def test_a_truncated_day_file_loses_every_sample_it_held(tmp_path: Path,
                                                         sources: tuple[Path, Path]) -> None:
    """The gate counts samples (the evaluation lists' lines), not files: one unreadable
    day file is all of its listed samples lost, not one bad file."""
    import shutil

    ue, mpii = sources
    copy = tmp_path / "mpii"
    shutil.copytree(mpii, copy)
    days = sorted((copy / "Data" / "Normalized" / "p00").glob("day*.mat"))
    day = days[0]
    day.write_bytes(day.read_bytes()[:200])  # truncated
    listed = (copy / EVAL_LIST_DIR / "p00.txt").read_text().split()
    in_day = sum(1 for token in listed if token.startswith(f"{day.stem}/"))
    assert in_day >= 1
    plan = plan_gaze_ingest.fn(str(ue), str(copy), 5, ["p01"])
    assert plan.expected["mpiigaze"] == 16  # 8 listed eye images per subject
    results = [r for s, split in plan.subjects
               for r in ingest_mpiigaze_subject.fn(str(copy), s, split, str(tmp_path / s), HW,
                                                   5, True)]
    metrics = ingest_metrics(results, quarantine_lines(results), 0.01, plan.expected)
    entry = metrics["by_source"]["mpiigaze"]
    assert entry["lost"] == in_day and entry["good"] == 16 - in_day
    assert metrics["bad_fraction"]["mpiigaze"] == round(in_day / 16, 6)


def test_quarantine_rows_are_escaped_one_line_each_and_deterministic(tmp_path: Path) -> None:
    from tasks.ingest_chunks import ChunkResult
    from tasks.quarantine import write_quarantine

    odd = os.fsdecode(b"imgs/bad\xff\tname\n2.jpg")  # not UTF-8, a TAB, a newline
    result = ChunkResult("synthetic", "unityeyes", None, quarantined=[
        (odd, "cannot identify image file <_io.BytesIO object at 0x7f3a2c1b9e50>"),
        ("imgs/back\\slash.json", "missing field\teye")])
    lines = quarantine_lines([result])
    write_quarantine.fn(tmp_path / "q.tsv", lines, {"unityeyes": "/data/ue"})
    text = (tmp_path / "q.tsv").read_bytes().decode("utf-8")  # valid UTF-8
    rows = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    assert rows == [
        ["source", "path", "reason"],
        ["unityeyes", "imgs/back\\\\slash.json", "missing field\\teye"],
        ["unityeyes", "imgs/bad\\xff\\tname\\n2.jpg",
         "cannot identify image file <_io.BytesIO object>"]]
    again = tmp_path / "again.tsv"
    write_quarantine.fn(again, quarantine_lines([result]), {"unityeyes": "/data/ue"})
    assert again.read_bytes() == (tmp_path / "q.tsv").read_bytes()
