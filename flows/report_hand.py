"""Stage `report_hand`: reports/hand/index.html, one page a person can read offline:
depth sample grids (synthetic | refined | real) straight from the shards, the refiner's
own sample grid when present, the results table, the PCK curve, the refiner curves."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from reporting.html_page import PCK_CURVE_TEXT
from tasks.params import ReportHand
from tasks.report import (
    HAND_STAND_IN_DATA_NOTE,
    HAND_SUMMARY_FILES,
    sample_grid,
    write_report,
)

GRID_SPLITS = ("synthetic", "refined", "real_train")


@flow(name="report-hand")
def report_hand_flow(cfg: ReportHand) -> str:
    notes: list[str] = []
    images: dict[str, Path | bytes] = {}
    grid = sample_grid("hand", Path(cfg.shards_dir), GRID_SPLITS, cfg.samples_per_row, notes)
    if grid is not None:
        images["rows: synthetic | refined (the same samples) | real (real_train) depth "
               "crops, from the shards"] = grid
    images["the refiner's samples after training: synthetic | refined | real"] = Path(
        cfg.samples_file)
    return str(write_report("hand", Path(cfg.metrics_dir), images, Path(cfg.out_file),
                            HAND_STAND_IN_DATA_NOTE, curve_file="pck_curve.csv",
                            curve_text=PCK_CURVE_TEXT, notes=notes,
                            summary_files=HAND_SUMMARY_FILES, ablations_file=None))


def run(cfg: ReportHand) -> str:
    return report_hand_flow(cfg)
