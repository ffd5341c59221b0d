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

from reporting.html_page import ReportInputs, render_report
from reporting.result_rows import metric_columns
from simgan_core.atomic import atomic_write_text
from simgan_core.domain import get_domain
from simgan_core.grid import display_uint8, grid_scale, image_grid
from simgan_core.shards import iter_samples

T = TypeVar("T")

# Heading of each key/value table the page may show (a domain's spec picks which).
SUMMARY_HEADINGS = {
    "refiner.json": "Refiner: realism (C2ST, 0.5 = indistinguishable) and label preservation",
    "ingest.json": "Ingest: counts and quarantine",
}


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
    image_grid(rows, scale=grid_scale(rows[0].shape[1:3])).save(buf, format="PNG")  # as stored
    return buf.getvalue()


@task(name="write-report", cache_policy=NO_CACHE)
def write_report(domain: str, metrics_dir: Path, images: Mapping[str, Path | bytes],
                 out_file: Path, curve_file: Path, notes: Sequence[str] = (),
                 metric_keys: Sequence[str] | None = None) -> Path:
    """Write `out_file` (e.g. reports/gaze/index.html) atomically and return its path.

    metrics_dir holds evaluate.json (required) and, optionally, refiner_curves.csv and
    the metrics files the domain's spec tabulates (refiner.json, ingest.json, ...) and
    its ablations table. curve_file: the evaluate stage's error curve (optional).
    images maps a caption to a PNG file or PNG bytes (e.g. the synthetic | refined |
    real grid). notes: sentences for the reader, shown with the missing-input notes.
    metric_keys: evaluate.json's metric keys to tabulate; default the domain's own.
    The words (data note, curve text) come from the domain's spec.
    """
    dom = get_domain(domain)
    text = dom.report
    evaluate_file = metrics_dir / "evaluate.json"
    if not evaluate_file.exists():
        raise FileNotFoundError(
            f"{evaluate_file} not found: the report needs the evaluate stage's metrics")
    notes = list(notes)
    keys = metric_keys if metric_keys is not None else dom.metrics
    pictures = [(caption, png) for caption, path in images.items()
                if (png := path if isinstance(path, bytes)
                    else _optional(path, Path.read_bytes, notes)) is not None]
    summaries = [(SUMMARY_HEADINGS.get(name, name), s) for name in text.summary_files
                 if (s := _optional(metrics_dir / name, read_json, notes)) is not None]
    inputs = ReportInputs(
        title=f"SimGAN sim-to-real report: {domain}",
        data_note=text.data_note,
        evaluation=read_json(evaluate_file),
        metric_columns=metric_columns(keys),
        curve_text=text.curve,
        images=pictures,
        error_cdf=_optional(curve_file, read_csv_columns, notes),
        refiner_curves=_optional(metrics_dir / "refiner_curves.csv", read_csv_columns, notes),
        ablations=(_optional(metrics_dir / text.ablations_file, read_json, notes)
                   if text.ablations_file else None),
        summaries=summaries,
        notes=notes,
    )
    atomic_write_text(out_file, render_report(inputs))
    return out_file
