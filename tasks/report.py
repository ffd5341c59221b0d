"""The report stage's task: read the metrics files and sample grids of one domain, write
one self-contained HTML page (`reporting/html_page.py`) a person can open from disk."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE

from reporting.html_page import CDF_CURVE_TEXT, CurveText, ReportInputs, render_report
from reporting.result_rows import metric_columns
from simgan_core.atomic import atomic_write_text
from simgan_core.domain import get_domain
from simgan_core.grid import display_uint8, grid_scale, image_grid
from simgan_core.shards import iter_samples

T = TypeVar("T")

STAND_IN_DATA_NOTE = (
    "This run uses the project's built-in simulator (written in UnityEyes' format) and its "
    "stand-in real camera (the same eye geometry through a different appearance model, "
    "written in MPIIGaze's format), not the public datasets. The stand-in's labels are "
    "used only for evaluation and for the real-data oracle.")

HAND_STAND_IN_DATA_NOTE = (
    "This run uses the project's built-in hand simulator (synthetic depth renders written "
    "in the NYU hand pose release's format) and its stand-in real Kinect (the same kind of "
    "poses through a structured-light sensor model: holes, flying pixels, quantization, "
    "noise, background), not the public NYU dataset. The stand-in's labels are used only "
    "for evaluation and for the real-data oracle. Depth crops are shown near = dark, back "
    "of the crop cube (and holes) = white.")

# (file in metrics_dir, heading) of the key/value tables at the end of the page.
SUMMARY_FILES = (
    ("refiner.json", "Refiner: realism (C2ST, 0.5 = indistinguishable) and label preservation"),
    ("domain_gap.json", "Domain gap before refinement"),
    ("ingest.json", "Ingest: counts and quarantine"),
)
# Hand has no domain-gap stage and no ablations (yet): their absence is not news there.
HAND_SUMMARY_FILES = tuple(f for f in SUMMARY_FILES if f[0] != "domain_gap.json")


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from `path`; a malformed file is an error naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None


def read_csv_columns(path: Path) -> dict[str, list[str]]:
    """A CSV with a header as column name -> cells (text; empty cells kept as '')."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{path}: empty CSV")
    header, body = rows[0], rows[1:]
    return {name: [row[i] if i < len(row) else "" for row in body]
            for i, name in enumerate(header)}


def _optional(path: Path, reader: Callable[[Path], T], notes: list[str]) -> T | None:
    """Read an optional input, or note on the page that its section is skipped."""
    if path.exists():
        return reader(path)
    notes.append(f"{path} not found: its section is skipped.")
    return None


@task(name="sample-grid", cache_policy=NO_CACHE)
def sample_grid(domain: str, shards_dir: Path, splits: Sequence[str], n: int,
                notes: list[str]) -> bytes | None:
    """A PNG with one row per split present under shards_dir: its first n samples (the
    same keys in every row when the splits share them, as refined shares synthetic's).
    A missing split is noted and skipped; None when no split is there."""
    dom = get_domain(domain)
    rows = []
    for split in splits:
        tars = sorted((shards_dir / split).glob("*.tar"))
        if not tars:
            notes.append(f"{shards_dir / split}: no shards, its sample row is skipped.")
            continue
        images = []
        for sample in iter_samples(tars):
            if len(images) == n:
                break
            images.append(sample.image)
        rows.append(display_uint8(np.stack(images), dom))
    if not rows:
        return None
    buf = io.BytesIO()
    image_grid(rows, scale=grid_scale(dom.image_hw)).save(buf, format="PNG")
    return buf.getvalue()


@task(name="write-report", cache_policy=NO_CACHE)
def write_report(domain: str, metrics_dir: Path, images: Mapping[str, Path | bytes],
                 out_file: Path, data_note: str, metric_keys: Sequence[str] | None = None,
                 curve_file: str = "error_cdf.csv", curve_text: CurveText = CDF_CURVE_TEXT,
                 notes: Sequence[str] = (),
                 summary_files: Sequence[tuple[str, str]] = SUMMARY_FILES,
                 ablations_file: str | None = "ablations.json") -> Path:
    """Write `out_file` (e.g. reports/gaze/index.html) atomically and return its path.

    metrics_dir holds evaluate.json (required) and, optionally, the error curve
    (`curve_file`: error_cdf.csv for gaze, pck_curve.csv for hand), refiner_curves.csv,
    ablations.json, refiner.json, domain_gap.json, ingest.json.
    images maps a caption to a PNG file or PNG bytes (e.g. the synthetic | refined |
    real grid). metric_keys: evaluate.json's metric keys to tabulate; default the
    domain's own. notes: sentences for the reader, shown with the missing-input notes.
    summary_files: the (file, heading) key/value tables to show; ablations_file: None
    for a domain without ablations.
    """
    evaluate_file = metrics_dir / "evaluate.json"
    if not evaluate_file.exists():
        raise FileNotFoundError(
            f"{evaluate_file} not found: the report needs the evaluate stage's metrics")
    notes = list(notes)
    keys = metric_keys if metric_keys is not None else get_domain(domain).metrics
    pictures = [(caption, png) for caption, path in images.items()
                if (png := path if isinstance(path, bytes)
                    else _optional(path, Path.read_bytes, notes)) is not None]
    summaries = [(heading, s) for name, heading in summary_files
                 if (s := _optional(metrics_dir / name, read_json, notes)) is not None]
    inputs = ReportInputs(
        title=f"SimGAN sim-to-real report: {domain}",
        data_note=data_note,
        evaluation=read_json(evaluate_file),
        metric_columns=metric_columns(keys),
        images=pictures,
        error_cdf=_optional(metrics_dir / curve_file, read_csv_columns, notes),
        refiner_curves=_optional(metrics_dir / "refiner_curves.csv", read_csv_columns, notes),
        ablations=(_optional(metrics_dir / ablations_file, read_json, notes)
                   if ablations_file else None),
        summaries=summaries,
        notes=notes,
        curve_text=curve_text,
    )
    atomic_write_text(out_file, render_report(inputs))
    return out_file
