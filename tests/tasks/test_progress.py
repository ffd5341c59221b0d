"""Progress of long stages: the terminal line (rate, ETA) and the Prefect progress artifact."""

from __future__ import annotations

import math
from pathlib import Path
from uuid import UUID

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.simulate import simulate_flow
from tasks.params_sources import SimulateRealEyes
from tasks.progress import Progress, format_seconds, progress_line


def test_format_seconds() -> None:
    assert [format_seconds(s) for s in (0, 12.4, 75, 3720)] == [
        "0 s", "12 s", "1 min 15 s", "1 h 02 min"]
    assert format_seconds(math.nan) == "?" and format_seconds(math.inf) == "?"


def test_progress_line_has_rate_and_eta() -> None:
    assert progress_line("sim", 3000, 12000, "images", 10.0) == (
        "sim: 3000/12000 images (25 %), 300.0 images/s, ETA 30 s")
    assert progress_line("sim", 0, 10, "images", 0.0).endswith("ETA ?")


def test_an_untimed_line_has_no_rate_and_no_eta() -> None:
    assert progress_line("judged", 1, 3, "candidates", 0.01, timed=False) == (
        "judged: 1/3 candidates (33 %)")
    lines: list[str] = []
    progress = Progress("judged", 3, "candidates", log=lines.append, artifact=False,
                        timed=False)
    progress.advance()
    progress.advance(2, note="done")
    assert lines == ["judged: 1/3 candidates (33 %)", "judged: 3/3 candidates (100 %), done"]


def test_a_line_per_every_units_and_at_the_end() -> None:
    lines: list[str] = []
    now = [0.0]
    progress = Progress("fit", 10, "steps", every=4, log=lines.append, artifact=False,
                        clock=lambda: now[0])
    for _ in range(10):
        now[0] += 0.5
        progress.advance(1, note="loss 0.1")
    assert lines == ["fit: 4/10 steps (40 %), 2.0 steps/s, ETA 3 s, loss 0.1",
                     "fit: 8/10 steps (80 %), 2.0 steps/s, ETA 1 s, loss 0.1",
                     "fit: 10/10 steps (100 %), 2.0 steps/s, ETA 0 s, loss 0.1"]
    chunky = Progress("sim", 100, "images", log=lines.append, artifact=False)
    assert chunky.every == 10  # a tenth by default
    lines.clear()
    chunky.advance(35)  # one chunk crossing three marks: one line
    chunky.advance(3)
    chunky.advance(62)
    assert [line.split(" (")[0] for line in lines] == ["sim: 35/100 images", "sim: 100/100 images"]


def _progress_artifacts(flow_run_id: UUID) -> list[float]:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return [a.data for a in artifacts if a.type == "progress"]


def test_a_stage_keeps_a_progress_artifact_up_to_date(prefect_api: str) -> None:
    @flow(name="progress-probe")
    def probe() -> UUID:
        from prefect.runtime import flow_run

        progress = Progress("probe", 4, "items", every=2)
        progress.advance(1)
        progress.advance(1)
        return UUID(flow_run.id)

    assert _progress_artifacts(probe()) == [50.0]  # updated at the mark, not at every item


def test_the_simulator_stage_reports_its_progress(tmp_path: Path, prefect_api: str) -> None:
    state = simulate_flow("gaze", {"real": SimulateRealEyes(
        out_dir=str(tmp_path / "mpii"), subjects=2, per_subject=4, seed=6)}, 1, None,
        return_state=True)
    assert state.result()["real"]["frames"] == 8
    assert _progress_artifacts(state.state_details.flow_run_id) == [100.0]


def test_gather_keeps_submission_order_and_reports_each_finish(prefect_api: str) -> None:
    import time

    from prefect import task

    from tasks.gather import gather

    @task
    def late(i: int) -> int:
        time.sleep(0.3 if i == 0 else 0.0)  # the first submitted finishes last
        return i

    @flow(name="gather-probe")
    def probe() -> tuple[list[int], list[str]]:
        lines: list[str] = []
        results = gather([late.submit(i) for i in range(3)], "probe", "tasks", log=lines.append)
        return results, lines

    results, lines = probe()
    assert results == [0, 1, 2]
    assert [line.split(" (")[0] for line in lines] == [
        "probe: 1/3 tasks", "probe: 2/3 tasks", "probe: 3/3 tasks"]
    assert all("tasks/s, ETA" in line for line in lines)

    @flow(name="gather-untimed-probe")
    def untimed() -> list[str]:
        lines: list[str] = []
        gather([late.submit(i) for i in range(2)], "judged", "candidates", log=lines.append,
               timed=False)
        return lines

    assert untimed() == ["judged: 1/2 candidates (50 %)", "judged: 2/2 candidates (100 %)"]


def test_gather_raises_a_failed_task(prefect_api: str) -> None:
    from prefect import task

    from tasks.gather import gather

    @task
    def broken() -> None:
        raise OSError("disk full")

    @flow(name="gather-failure-probe")
    def probe() -> None:
        gather([broken.submit()], "probe", log=lambda line: None)

    with pytest.raises(OSError, match="disk full"):
        probe()


def test_ingest_reports_its_progress(tmp_path: Path, prefect_api: str) -> None:
    from flows.ingest import ingest_flow
    from tasks.params_sources import IngestGaze, SimulateEyes

    simulate_flow("gaze", {
        "synthetic": SimulateEyes(out_dir=str(tmp_path / "ue"), n=16, seed=5, width=320,
                                  height=240, jpeg_quality=95),
        "real": SimulateRealEyes(out_dir=str(tmp_path / "mpii"), subjects=2, per_subject=10,
                                 seed=6)}, 1, None)
    cfg = IngestGaze(
        synthetic_dir=str(tmp_path / "ue"), real_dir=str(tmp_path / "mpii"),
        shards_dir=str(tmp_path / "shards"), quarantine_file=str(tmp_path / "q.tsv"),
        metrics_file=str(tmp_path / "ingest.json"), validation_docs_dir=str(tmp_path / "docs"),
        image_height=35, image_width=55, max_head_angle_deg=20.0, use_evaluation_subset=True,
        test_subjects=["p01"], shard_maxcount=8, max_bad_fraction=0.01,
        min_samples={"synthetic": 5, "real_train": 5, "real_test": 5}, max_abs_pitch_deg=60.0,
        max_abs_yaw_deg=70.0, workers=1, dask_address=None)
    state = ingest_flow(cfg, "gaze", return_state=True)
    assert state.result()["counts"]["real_test"] == 10
    assert _progress_artifacts(state.state_details.flow_run_id) == [100.0]
