"""Stage `report_gaze`: reports/gaze/index.html, one page a person can read offline."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from tasks.params import ReportGaze
from tasks.report import STAND_IN_DATA_NOTE, write_report


@flow(name="report-gaze")
def report_gaze_flow(cfg: ReportGaze) -> str:
    images = {"rows: synthetic | refined | real (real_train)": Path(cfg.samples_file)}
    return str(write_report("gaze", Path(cfg.metrics_dir), images, Path(cfg.out_file),
                            STAND_IN_DATA_NOTE))


def run(cfg: ReportGaze) -> str:
    return report_gaze_flow(cfg)
