"""Stage `report@<domain>`: reports/<domain>/index.html, one page a person can read
offline: sample grids (synthetic | refined | real) straight from the shards, the refiner's
own sample grid when present, the results table, the error curve, the refiner curves."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from tasks.params import Report
from tasks.report import sample_grid, write_report

GRID_SPLITS = ("synthetic", "refined", "real_train")


@flow(name="report")
def report_flow(cfg: Report, domain: str) -> str:
    notes: list[str] = []
    images: dict[str, Path | bytes] = {}
    grid = sample_grid(domain, Path(cfg.shards_dir), GRID_SPLITS, cfg.samples_per_row, notes)
    if grid is not None:
        images["rows: synthetic | refined (the same samples) | real (real_train), "
               "from the shards"] = grid
    images["the refiner's samples after training: synthetic | refined | real"] = Path(
        cfg.samples_file)
    return str(write_report(domain, Path(cfg.metrics_dir), images, Path(cfg.out_file),
                            Path(cfg.curve_file), notes))


def run(cfg: Report, domain: str) -> str:
    return report_flow.with_options(name=f"report-{domain}")(cfg, domain)
