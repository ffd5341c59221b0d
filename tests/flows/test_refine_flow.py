"""The refine stage's flow on tiny data: outputs and their consistency, bytes that do not
depend on the task runner (threads, a process pool, a Dask cluster), resumption per shard,
and a failed validation that publishes nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from flows.refine import run
from simgan_core.shard_index import verify_sha256sums
from simgan_core.shards import iter_samples
from tasks.params import Refine
from tasks.refine import plan_refine, refine_one_shard

BuildParams = Callable[..., Refine]


def _tree_bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_refine_outputs_are_complete_and_runner_independent(
        refine_inputs: Path, refine_params: BuildParams, prefect_api: str) -> None:
    from dask.distributed import LocalCluster

    refined = refine_inputs / "shards" / "refined"
    metrics = run(refine_params(refine_inputs, workers=1), "gaze")
    assert metrics["count"] == 30 and metrics["shards"] == 5 and metrics["resumed_shards"] == 0
    assert json.loads((refine_inputs / "metrics" / "refine.json").read_text()) == metrics
    names = {"index.json", "SHA256SUMS", "manifest.parquet", "README.md"}
    assert names <= {p.name for p in refined.iterdir()}
    assert verify_sha256sums(refined) == []
    index = json.loads((refined / "index.json").read_text())
    assert [s["url"] for s in index["shardlist"]] == [f"refined-00000{i}.tar" for i in range(5)]
    manifest = pd.read_parquet(refined / "manifest.parquet")
    source_keys = [s.key for s in iter_samples(sorted((refine_inputs / "shards" / "synthetic")
                                                      .glob("*.tar")))]
    assert manifest["key"].tolist() == source_keys and manifest["annotation_equal"].all()
    card = (refined / "README.md").read_text()
    assert "30 samples in 5" in card and "refinement.refiner_sha256" in card
    assert (refine_inputs / "docs" / "index.html").is_file()
    assert not (refine_inputs / "work" / "gaze").exists() or not any(
        (refine_inputs / "work" / "gaze").iterdir())  # work files dropped once published
    first = _tree_bytes(refined)

    run(refine_params(refine_inputs, workers=2, work="work2"), "gaze")
    assert _tree_bytes(refined) == first  # a process pool of 2
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        run(refine_params(refine_inputs, dask_address=cluster.scheduler_address,
                                 work="work3"), "gaze")
    assert _tree_bytes(refined) == first  # a Dask cluster of 2 workers


def test_a_shard_is_redone_only_when_missing_or_corrupt(
        refine_inputs: Path, refine_params: BuildParams) -> None:
    cfg = refine_params(refine_inputs)
    plan = plan_refine.fn("gaze", refine_inputs / "shards", Path(cfg.model_file),
                          cfg.batch_size, Path(cfg.work_dir))
    args = (str(cfg.model_file), cfg.batch_size, 1)
    info, resumed = refine_one_shard.fn(plan, 0, *args)
    assert not resumed
    tar = Path(plan.work) / info.name
    good, mtime = tar.read_bytes(), tar.stat().st_mtime_ns
    assert refine_one_shard.fn(plan, 0, *args) == (info, True)
    assert tar.stat().st_mtime_ns == mtime  # not rewritten
    tar.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # one flipped bit
    assert refine_one_shard.fn(plan, 0, *args) == (info, False)
    assert tar.read_bytes() == good
    (Path(plan.work) / f"{info.name}.done.json").unlink()  # killed before the marker
    assert refine_one_shard.fn(plan, 0, *args) == (info, False)


def test_validation_failure_publishes_nothing(
        refine_inputs: Path, refine_params: BuildParams, prefect_api: str) -> None:
    # real_train made to look exactly like the synthetic images: refining moves away
    synthetic = pd.concat([pd.DataFrame({"image_mean": [s.image.mean()],
                                         "image_std": [s.image.std()]})
                           for s in iter_samples(sorted((refine_inputs / "shards" / "synthetic")
                                                        .glob("*.tar")))])
    synthetic.to_parquet(refine_inputs / "shards" / "real_train" / "manifest.parquet")
    with pytest.raises(Exception, match="moved_away_from_real"):
        run(refine_params(refine_inputs), "gaze")
    assert not (refine_inputs / "shards" / "refined").exists()
    assert (refine_inputs / "docs" / "index.html").is_file()  # the Data Docs say why
    shutil.rmtree(refine_inputs / "work")


def test_every_candidate_refiner_gets_its_own_corpus(
        refine_inputs: Path, refine_params: BuildParams, prefect_api: str) -> None:
    candidates = refine_inputs / "models" / "candidates"
    candidates.mkdir()
    shutil.copyfile(refine_inputs / "models" / "refiner.pt", candidates / "seed4.pt")
    other = _perturbed_copy(refine_inputs / "models" / "refiner.pt", candidates / "seed5.pt")
    metrics = run(refine_params(refine_inputs, workers=1), "gaze")
    corpus = refine_inputs / "shards" / "candidates" / "refined_seed4"
    assert list(metrics["candidates"]) == ["candidates/refined_seed4",
                                           "candidates/refined_seed5"]
    assert verify_sha256sums(corpus) == []
    assert json.loads((corpus / "index.json").read_text())["name"] == "gaze-refined_seed4"
    # The published refiner's copy: its corpus is the published one's shards, byte for
    # byte (the provenance names the weights by sha256, not by path), with no second pass.
    assert metrics["resumed_shards"] == 0
    seed4 = metrics["candidates"]["candidates/refined_seed4"]
    assert seed4["same_refinement_as"] == "refined" and seed4["images_per_s"] is None
    shards = sorted(p.name for p in corpus.glob("*.tar"))
    assert shards == sorted(p.name for p in (refine_inputs / "shards" / "refined").glob("*.tar"))
    assert all((corpus / n).read_bytes()
               == (refine_inputs / "shards" / "refined" / n).read_bytes() for n in shards)
    # ... the same files, not a second writing of equal bytes: a shard refined again is
    # written anew (atomically, a new file), so its inode would differ.
    assert all((corpus / n).stat().st_ino
               == (refine_inputs / "shards" / "refined" / n).stat().st_ino for n in shards)
    # Other weights: refined on their own, other pixels.
    seed5 = metrics["candidates"]["candidates/refined_seed5"]
    assert "same_refinement_as" not in seed5 and seed5["refiner_sha256"] == other
    published = list(iter_samples(sorted((refine_inputs / "shards" / "refined").glob("*.tar"))))
    changed = list(iter_samples(sorted((refine_inputs / "shards" / "candidates" / "refined_seed5")
                                       .glob("*.tar"))))
    assert [s.key for s in changed] == [s.key for s in published]
    assert any((a.image != b.image).any() for a, b in zip(changed, published, strict=True))
    assert not (refine_inputs / "work" / "gaze").exists()  # every corpus published: no work


def _perturbed_copy(src: Path, dst: Path) -> str:
    """A refiner checkpoint like src with its output layer's bias moved; its sha256."""
    import torch

    from simgan_core.shard_index import file_sha256

    state = torch.load(src, weights_only=True)
    state["refiner"]["head.bias"] = state["refiner"]["head.bias"] + 0.5
    torch.save(state, dst)
    return file_sha256(dst)
