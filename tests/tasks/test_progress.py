"""Progress of long stages: the terminal line (rate, ETA) and the Prefect progress artifact."""

from __future__ import annotations

import math
from pathlib import Path
from uuid import UUID

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.simulate_real_eyes import simulate_real_eyes_flow
from tasks.params import SimulateRealEyes
from tasks.progress import Progress, format_seconds, progress_line


def test_format_seconds() -> None:
    assert [format_seconds(s) for s in (0, 12.4, 75, 3720)] == [
        "0 s", "12 s", "1 min 15 s", "1 h 02 min"]
    assert format_seconds(math.nan) == "?" and format_seconds(math.inf) == "?"


def test_progress_line_has_rate_and_eta() -> None:
    assert progress_line("sim", 3000, 12000, "images", 10.0) == (
        "sim: 3000/12000 images (25 %), 300.0 images/s, ETA 30 s")
    assert progress_line("sim", 0, 10, "images", 0.0).endswith("ETA ?")


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
    state = simulate_real_eyes_flow(SimulateRealEyes(
        out_dir=str(tmp_path / "mpii"), subjects=2, per_subject=4, seed=6, workers=1,
        dask_address=None), return_state=True)
    assert state.result()["frames"] == 8
    assert _progress_artifacts(state.state_details.flow_run_id) == [100.0]
