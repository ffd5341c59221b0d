"""The report task and the README results section, on tmp_path metrics files."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reporting.result_rows import ORACLE_LABEL
from tasks.report import write_report
from tasks.results_table import (
    END_MARKER,
    PAPER_TABLES,
    START_MARKER,
    results_markdown,
    update_readme,
)

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "simgan-paper.md"
CURVES_HEADER = ("step,phase,loss_reg,loss_adv,loss_refiner,loss_disc,loss_disc_refined,"
                 "loss_disc_real,disc_acc_refined,disc_acc_real,disc_fooled")


def _entry(mean: float, std: float, within: float, n_train: int) -> dict:
    return {"mean_deg": mean, "mean_deg_std": std, "median_deg": mean - 0.8,
            "median_deg_std": 0.11, "within_7deg": within, "within_7deg_std": 2.0,
            "seeds": 3, "n_train": n_train,
            "per_seed": {str(s): {"mean_deg": mean, "median_deg": mean, "within_7deg": within}
                         for s in range(3)}}


EVALUATION = {
    "synthetic": _entry(11.469, 0.234, 38.44, 6000),
    "synthetic_aug": _entry(10.912, 0.3, 41.0, 6000),
    "refined": _entry(9.3125, 0.187, 52.06, 6000),
    "real_oracle": _entry(6.9, 0.05, 71.3, 3000),
    "real_test_n": 1500,
    "refined_over_synthetic": 0.812,
}
ABLATIONS = {
    "no_history": {"description": "history buffer off <script>x</script>",
                   "overrides": {"history_size": 0}, "c2st_refined_vs_real": 0.7123,
                   "refined_mean_deg": 10.44, "synthetic_mean_deg": 11.469,
                   "refined_over_synthetic": 0.9103},
}


def _png(value: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((35, 55), value, dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _write_metrics(metrics: Path, reports: Path) -> None:
    metrics.mkdir(parents=True)
    reports.mkdir(parents=True)
    (metrics / "evaluate.json").write_text(json.dumps(EVALUATION))
    (metrics / "ablations.json").write_text(json.dumps(ABLATIONS))
    (metrics / "refiner.json").write_text(json.dumps({"c2st_refined_vs_real": 0.6725}))
    (metrics / "ingest.json").write_text(json.dumps({"counts": {"real_test": 1234}}))
    cdf = ["error_deg,synthetic,synthetic_aug,refined,real_oracle"]
    cdf += [f"{e / 2},{min(100, e * 2)},{min(100, e * 2.2)},{min(100, e * 3)},{min(100, e * 5)}"
            for e in range(51)]
    (metrics / "error_cdf.csv").write_text("\n".join(cdf) + "\n")
    curves = [CURVES_HEADER, "10,pretrain_refiner,0.08,,,,,,,,",
              "20,pretrain_refiner,0.04,,,,,,,,", "30,pretrain_disc,,,,1.3,0.6,0.7,1.0,0.0,",
              "40,pretrain_disc,,,,1.0,0.5,0.5,0.6,0.8,",
              "50,adversarial,0.16,0.75,0.83,1.33,0.58,0.75,0.83,0.26,0.23",
              "60,adversarial,0.15,0.68,0.76,1.30,0.63,0.66,0.54,0.68,0.60"]
    (metrics / "refiner_curves.csv").write_text("\n".join(curves) + "\n")
    (reports / "refiner_samples.png").write_bytes(_png(17))
    (reports / "extra.png").write_bytes(_png(200))


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    metrics, reports = tmp_path / "metrics" / "gaze", tmp_path / "reports" / "gaze"
    _write_metrics(metrics, reports)
    return metrics, reports


def _report(metrics: Path, reports: Path, **kw: object) -> Path:
    images = {"synthetic | refined | real": reports / "refiner_samples.png",
              "more samples": reports / "extra.png"}
    return write_report.fn("gaze", metrics, images, reports / "index.html",
                           metrics / "error_cdf.csv", **kw)


def test_write_report_writes_one_complete_page(dirs: tuple[Path, Path]) -> None:
    metrics, reports = dirs
    out = _report(metrics, reports)
    assert out == reports / "index.html"
    page = out.read_text(encoding="utf-8")
    assert sorted(p.name for p in reports.iterdir()) == [  # no temp file left behind
        "extra.png", "index.html", "refiner_samples.png"]
    assert page.count("data:image/png;base64,") == 2
    assert "11.47 ± 0.23" in page and "9.31 ± 0.19" in page and "52.1 ± 2.0" in page
    assert ORACLE_LABEL in page and "stand-in real camera" in page
    assert page.count("<svg") == 3  # error CDF, losses, discriminator accuracy
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script" not in page
    assert "0.6725" in page and "1234" in page  # refiner.json and ingest.json
    assert "not found" not in page
    assert not re.search(r"(src|href)=\"(?!data:|#)", page)  # data: or in-page only


def test_missing_optional_inputs_are_noted(dirs: tuple[Path, Path]) -> None:
    metrics, reports = dirs
    for name in ("error_cdf.csv", "ablations.json", "refiner_curves.csv", "ingest.json"):
        (metrics / name).unlink()
    (reports / "extra.png").unlink()
    page = _report(metrics, reports).read_text(encoding="utf-8")
    for name in ("error_cdf.csv", "ablations.json", "refiner_curves.csv", "ingest.json",
                 "extra.png"):
        assert f"{name} not found: its section is skipped." in page
    assert "<svg" not in page and page.count("data:image/png;base64,") == 1
    assert "11.47 ± 0.23" in page


def test_missing_evaluate_json_is_an_error_naming_it(dirs: tuple[Path, Path]) -> None:
    metrics, reports = dirs
    (metrics / "evaluate.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"gaze/evaluate\.json not found"):
        _report(metrics, reports)
    assert not (reports / "index.html").exists()


def test_metric_keys_come_from_the_caller(dirs: tuple[Path, Path]) -> None:
    metrics, reports = dirs
    hand = {"synthetic": {"pck_5px": 69.71, "pck_5px_std": 0.5, "mean_px": 6.0, "seeds": 2,
                          "n_train": 8}}
    (metrics / "evaluate.json").write_text(json.dumps(hand))
    page = _report(metrics, reports, metric_keys=["pck_5px", "mean_px"]).read_text()
    assert "within 5 px (%)" in page and "69.7 ± 0.5" in page and "6.00" in page
    assert "within 7 deg" not in page


def test_results_markdown_shows_ours_next_to_the_paper(dirs: tuple[Path, Path]) -> None:
    md = results_markdown(dirs[0], "gaze")
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert "| synthetic | 11.47 ± 0.23 | 10.67 ± 0.11 | 38.4 ± 2.0 | 3 | 6000 |" in rows
    assert f"| {ORACLE_LABEL} | 6.90 ± 0.05 | 6.10 ± 0.11 | 71.3 ± 2.0 | 3 | 3000 |" in rows
    assert rows[0].startswith("| training set | mean error (deg) |")
    order = [r.split(" | ")[0][2:] for r in rows[1:5]]
    assert order == ["synthetic", "synthetic_aug", "refined", ORACLE_LABEL]
    assert "0.812" in md and "stand-in real domain" in md and "1612.07828" in md
    assert "Table 2" in md and "Table 3" in md
    for row in ("| refined 4x | 87.2 |", "| CNN with UnityEyes refined | refined | 7.8 |",
                "| SVR / ALR / RF | real | 16.5 / 16.4 / 15.4 |"):
        assert row in md
    assert "| no_history | history buffer off &lt;script&gt;x&lt;/script&gt; |" in md
    assert "0.9103" in md and "<script>" not in md


def test_results_markdown_without_ablations(dirs: tuple[Path, Path]) -> None:
    (dirs[0] / "ablations.json").unlink()
    md = results_markdown(dirs[0], "gaze")
    assert "Ablations" not in md and "11.47 ± 0.23" in md


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference not present")
def test_paper_values_match_the_reference() -> None:
    reference = REFERENCE.read_text(encoding="utf-8")
    for _caption, _header, rows in PAPER_TABLES["gaze"] + PAPER_TABLES["hand"]:
        for row in rows:
            assert "| " + " | ".join(row) + " |" in reference


def test_update_readme_replaces_only_between_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    before, after = "# Title\n\nintro\n", "\n## Later\ntext\n"
    readme.write_text(f"{before}{START_MARKER}\nold table\n{END_MARKER}{after}")
    assert update_readme(readme, "## Results\n\nnew table\n") is True
    text = readme.read_text()
    assert text == f"{before}{START_MARKER}\n## Results\n\nnew table\n{END_MARKER}{after}"
    assert update_readme(readme, "## Results\n\nnew table\n") is False
    assert readme.read_text() == text


@pytest.mark.parametrize("body", ["no markers", f"{START_MARKER} only",
                                  f"{END_MARKER}\n{START_MARKER}"])
def test_update_readme_needs_both_markers(tmp_path: Path, body: str) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(body)
    with pytest.raises(ValueError, match=r"README\.md: needs exactly one"):
        update_readme(readme, "x")
    assert readme.read_text() == body


def test_results_markdown_shows_the_perfect_refiner_ceiling(dirs: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    absent = results_markdown(dirs[0], "gaze", ceiling_dir=tmp_path)  # no ceiling file yet
    assert "perfect refiner" not in absent
    (tmp_path / "gaze_ceiling.json").write_text(json.dumps({
        "domain": "gaze", "n_train": 12000, "perfect_refined": 7.7112,
        "perfect_refined_per_seed": [7.5, 7.9, 7.73], "perfect_refined_over_synthetic": 0.787,
        "pipeline": {"synthetic": 9.8, "synthetic_aug": 9.6, "refined": 10.4,
                     "real_oracle": 6.8}}))
    md = results_markdown(dirs[0], "gaze", ceiling_dir=tmp_path)
    assert "How far a perfect refiner could go" in md
    assert "**7.71 deg** mean error (seeds: 7.50, 7.90, 7.73), **0.787** times the 9.80" in md
    assert md.index("perfect refiner") > md.index("Table 3")  # after the paper's tables


def test_results_markdown_shows_the_label_shift_floor(dirs: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    assert "moves the label judge" not in results_markdown(dirs[0], "gaze", ceiling_dir=tmp_path)
    (tmp_path / "gaze_label_shift_floor.json").write_text(json.dumps({
        "domain": "gaze", "metric": "gaze_shift_deg", "n_pairs": 2000,
        "perfect_refiner": 10.141,
        "pipeline": {"published": 7.674, "per_seed": {"1": 7.674, "0": 6.567}}}))
    md = results_markdown(dirs[0], "gaze", ceiling_dir=tmp_path)
    assert "How far a perfect refiner moves the label judge" in md
    assert ("a perfect refiner's `gaze_shift_deg` is **10.14**, against the pipeline's "
            "refiners' 7.67 published (seed 0: 6.57, seed 1: 7.67)") in md


def test_results_markdown_shows_the_realism_judge_by_training_length(
        dirs: tuple[Path, Path], tmp_path: Path) -> None:
    assert "How long the realism judge trains" not in results_markdown(
        dirs[0], "gaze", ceiling_dir=tmp_path)
    (tmp_path / "gaze_c2st_power.json").write_text(json.dumps({
        "domain": "gaze", "n_per_set": 2000, "stage_c2st_steps": 1000, "steps": [200, 1000],
        "c2st": {"synthetic": {"200": 0.9745, "1000": 0.995},
                 "refined_seed0": {"200": 0.569, "1000": 0.9935}}}))
    md = results_markdown(dirs[0], "gaze", ceiling_dir=tmp_path)
    assert "How long the realism judge trains (`" in md
    assert "the stage uses 1000" in md
    assert "| set | 200 steps | 1000 steps |" in md
    assert "| refined seed0 | 0.569 | 0.994 |" in md
