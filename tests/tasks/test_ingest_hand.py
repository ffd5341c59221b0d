"""Stage ingest@hand on tiny NYU-layout folders: shards, quarantine, metrics, GX, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nyu_layout import write_joint_data, write_nyu_split

from simgan_core.hand.joints import EVAL_JOINTS, PALM_CENTRE
from simgan_core.hand.spec import HAND
from simgan_core.shard_index import verify_sha256sums
from simgan_core.shards import iter_samples
from tasks.ingest_hand import ingest_hand_chunk, plan_hand_ingest
from tasks.ingest_outputs import check_bad_fraction, ingest_metrics
from tasks.params_sources import IngestHand
from tasks.quarantine import quarantine_lines

COUNTS = {"synthetic": 6, "real_train": 5, "real_test": 4}


@pytest.fixture(scope="module")
def nyu_roots(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """synthetic root (train/: 6 synthdepth frames, frame 3's palm out of the frame) and
    real root (train/: 5 depth frames, frame 2 truncated; test/: 4 labelled frames and a
    5th PNG that joint_data.mat has no labels for)."""
    root = tmp_path_factory.mktemp("nyu")
    synth, real = root / "synthetic", root / "real"
    uvd, xyz = write_nyu_split(synth / "train", "synthdepth", COUNTS["synthetic"], seed=1)
    uvd[0, 2, PALM_CENTRE, 0] = 700.0  # palm centre right of the 640-px frame
    write_joint_data(synth / "train" / "joint_data.mat", uvd, xyz)
    write_nyu_split(real / "train", "depth", COUNTS["real_train"], seed=2, background_mm=2000)
    png = real / "train" / "depth_1_0000002.png"
    png.write_bytes(png.read_bytes()[:500])
    write_nyu_split(real / "test", "depth", COUNTS["real_test"], seed=3, background_mm=2000)
    extra = real / "test" / "depth_1_0000005.png"
    extra.write_bytes((real / "test" / "depth_1_0000001.png").read_bytes())
    return synth, real


def _cfg(out: Path, synth: Path, real: Path, workers: int) -> IngestHand:
    return IngestHand(
        synthetic_dir=str(synth), real_dir=str(real), shards_dir=str(out / "shards"),
        quarantine_file=str(out / "quarantine.tsv"), metrics_file=str(out / "ingest.json"),
        validation_docs_dir=str(out / "docs"), crop_size=32, cube_mm=300.0, shard_maxcount=2,
        max_bad_fraction=0.5, min_samples={"synthetic": 3, "real_train": 3, "real_test": 3},
        workers=workers, dask_address=None)


@pytest.fixture(scope="module")
def one_worker(prefect_api: str, nyu_roots: tuple[Path, Path],
               tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from flows.ingest import run

    out = tmp_path_factory.mktemp("w1")
    return out, run(_cfg(out, *nyu_roots, workers=1), "hand")


def test_flow_writes_the_three_splits(one_worker: tuple[Path, dict]) -> None:
    out, metrics = one_worker
    assert metrics["counts"] == {"synthetic": 5, "real_train": 4, "real_test": 4}
    for split, first_key in (("synthetic", "nyusynth-0000001"),
                             ("real_train", "nyureal-train-0000001"),
                             ("real_test", "nyureal-test-0000001")):
        folder = out / "shards" / split
        assert verify_sha256sums(folder) == []
        index = json.loads((folder / "index.json").read_text())
        assert index["name"] == f"hand-{split}"
        manifest = pd.read_parquet(folder / "manifest.parquet")
        assert manifest["key"].iloc[0] == first_key and (manifest["split"] == split).all()
        samples = list(iter_samples(sorted(folder.glob("*.tar"))))
        assert [s.key for s in samples] == list(manifest["key"])
        for sample in samples:
            HAND.check_annotation(sample.annotation, sample.key)
            assert sample.image.shape == (32, 32) and sample.image.dtype == np.uint16
            uv = np.asarray(sample.annotation["joints_uv"])
            assert uv.shape == (len(EVAL_JOINTS), 2)
            assert uv[EVAL_JOINTS.index(PALM_CENTRE)] == pytest.approx([16, 16], abs=1e-3)
            assert np.asarray(sample.annotation["joints_xyz_mm"]).shape == (14, 3)
            assert sample.image.min() < 65535 and sample.image.max() == 65535  # hand + back
            prov = sample.annotation["provenance"]
            assert prov["kinect"] == 1 and prov["file"].endswith(f"_1_{prov['frame']:07d}.png")
            assert prov["source"] == ("nyu_synthdepth" if split == "synthetic" else "nyu_depth")


def test_bad_frames_are_quarantined_with_reasons(one_worker: tuple[Path, dict]) -> None:
    out, metrics = one_worker
    lines = [ln.split("\t") for ln in (out / "quarantine.tsv").read_text().splitlines()
             if ln and not ln.startswith("#")][1:]
    reasons = {(src, path): reason for src, path, reason in lines}
    assert set(reasons) == {("nyu_synthdepth", "train/synthdepth_1_0000003.png"),
                            ("nyu_depth", "train/depth_1_0000002.png"),
                            ("nyu_depth", "test/depth_1_0000005.png")}
    assert "outside the 640 x 480 frame" in reasons[("nyu_synthdepth",
                                                     "train/synthdepth_1_0000003.png")]
    assert "cannot decode PNG" in reasons[("nyu_depth", "train/depth_1_0000002.png")]
    assert "no labels" in reasons[("nyu_depth", "test/depth_1_0000005.png")]
    assert metrics["quarantined"] == 3
    # samples lost of those labelled: test frame 5 has no labels, so it is no sample
    assert metrics["bad_fraction"] == {"nyu_depth": round(1 / 9, 6),
                                       "nyu_synthdepth": round(1 / 6, 6)}
    assert json.loads((out / "ingest.json").read_text())["counts"] == metrics["counts"]
    assert (out / "docs" / "index.html").is_file()


def test_shards_are_byte_identical_with_two_workers(one_worker: tuple[Path, dict],
                                                     nyu_roots: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    from flows.ingest import run

    out1, _ = one_worker
    run(_cfg(tmp_path, *nyu_roots, workers=2), "hand")
    for split in COUNTS:
        a = (out1 / "shards" / split / "SHA256SUMS").read_text()
        b = (tmp_path / "shards" / split / "SHA256SUMS").read_text()
        assert a == b and a.count(".tar") >= 2
        pd.testing.assert_frame_equal(pd.read_parquet(out1 / "shards" / split / "manifest.parquet"),
                                      pd.read_parquet(tmp_path / "shards" / split /
                                                      "manifest.parquet"))
    assert (out1 / "quarantine.tsv").read_text().split("source\t")[1] == \
        (tmp_path / "quarantine.tsv").read_text().split("source\t")[1]


def test_bad_fraction_gate_and_empty_folder(nyu_roots: tuple[Path, Path], tmp_path: Path) -> None:
    synth, real = nyu_roots
    plan = plan_hand_ingest.fn(str(synth), str(real), 10)
    assert [(c.source.split, c.numbers) for c in plan.chunks] == [
        ("synthetic", [1, 2, 3, 4, 5, 6]), ("real_train", [1, 2, 3, 4, 5]),
        ("real_test", [1, 2, 3, 4])]
    results = [ingest_hand_chunk.fn(c, str(tmp_path / c.source.split), 300.0, 32)
               for c in plan.chunks]
    bad = quarantine_lines(results, plan.stray_files)
    assert [path for _, path, _ in bad] == [  # relative to each source's root, sorted
        "test/depth_1_0000005.png", "train/depth_1_0000002.png",
        "train/synthdepth_1_0000003.png"]
    metrics = ingest_metrics(results, bad, 0.02, plan.expected)
    with pytest.raises(ValueError, match=r"nyu_depth lost 1 of 9 samples \(11\.1%\).*"
                                         r"nyu_synthdepth lost 1 of 6 samples \(16\.7%\).*q\.tsv"):
        check_bad_fraction.fn(metrics, "q.tsv")
    from simgan_core.ingest_records import EmptySourceError

    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(EmptySourceError, match="synthdepth_1_NNNNNNN"):
        plan_hand_ingest.fn(str(tmp_path / "empty"), str(real), 10)


def test_deleted_labelled_frames_count_as_lost_samples(tmp_path: Path) -> None:
    """The gate counts samples from the labels: 6 of 12 labelled frames deleted is half
    the source lost, although no file is left to quarantine."""
    synth, real = tmp_path / "synthetic", tmp_path / "real"
    write_nyu_split(synth / "train", "synthdepth", 12, seed=1)
    write_nyu_split(real / "train", "depth", 4, seed=2, background_mm=2000)
    write_nyu_split(real / "test", "depth", 4, seed=3, background_mm=2000)
    for n in (2, 3, 4, 9, 10, 11):
        (synth / "train" / f"synthdepth_1_{n:07d}.png").unlink()
    plan = plan_hand_ingest.fn(str(synth), str(real), 10)
    assert plan.expected == {"nyu_synthdepth": 12, "nyu_depth": 8}
    results = [ingest_hand_chunk.fn(c, str(tmp_path / "out" / c.source.split), 300.0, 32)
               for c in plan.chunks]
    bad = quarantine_lines(results, plan.stray_files)
    assert [(p, r) for _, p, r in bad] == [
        ("train/synthdepth_1_0000002.png .. synthdepth_1_0000004.png",
         "3 labelled frame(s) of joint_data.mat have no depth file"),
        ("train/synthdepth_1_0000009.png .. synthdepth_1_0000011.png",
         "3 labelled frame(s) of joint_data.mat have no depth file")]
    metrics = ingest_metrics(results, bad, 0.02, plan.expected)
    assert metrics["by_source"]["nyu_synthdepth"] == {
        "expected": 12, "good": 6, "skipped": 0, "lost": 6, "quarantined": 2}
    assert metrics["bad_fraction"]["nyu_synthdepth"] == 0.5
    with pytest.raises(ValueError, match=r"nyu_synthdepth lost 6 of 12 samples \(50\.0%\)"):
        check_bad_fraction.fn(metrics, "q.tsv")
