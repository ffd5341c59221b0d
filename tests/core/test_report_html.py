"""The report page: self-contained, shows the fixture's numbers, escapes text, draws lines."""

from __future__ import annotations

import base64
import io
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from simgan_core.report_html import ReportInputs, render_report
from simgan_core.result_rows import ORACLE_LABEL, metric_columns
from simgan_core.svg_plot import Series, format_tick, line_plot_svg, nice_ticks, segments

GAZE_KEYS = ("mean_deg", "median_deg", "within_7deg")


def _entry(mean: float, n_train: int) -> dict:
    return {"mean_deg": mean, "mean_deg_std": 0.21, "median_deg": mean - 1.0,
            "median_deg_std": 0.3, "within_7deg": 40.0 + mean, "within_7deg_std": 1.25,
            "seeds": 3, "n_train": n_train,
            "per_seed": {"0": {"mean_deg": mean, "median_deg": mean - 1, "within_7deg": 50.0}}}


EVALUATION = {
    "real_oracle": _entry(6.9, 3000),  # listed first on purpose: the table reorders
    "synthetic": _entry(11.47, 6000),
    "refined": _entry(9.31, 6000),
    "real_test_n": 1500,
    "refined_over_synthetic": 0.812,
}
X = [i * 0.5 for i in range(51)]
CDF = {"error_deg": X,
       "synthetic": [min(100.0, 4 * x) for x in X],
       "refined": [min(100.0, 5 * x) for x in X],
       "real_oracle": [min(100.0, 8 * x) for x in X]}
# refiner_curves.csv's layout: losses empty during discriminator pre-training.
CURVES = {
    "step": ["10", "20", "30", "40", "50", "60"],
    "phase": ["pretrain_refiner", "pretrain_refiner", "pretrain_disc", "pretrain_disc",
              "adversarial", "adversarial"],
    "loss_reg": ["0.09", "0.04", "", "", "0.16", "0.15"],
    "loss_adv": ["", "", "", "", "0.75", "0.70"],
    "loss_disc": ["", "", "1.3", "1.0", "1.33", "1.30"],
    "disc_acc_real": ["", "", "0.0", "0.87", "0.26", "0.65"],
    "disc_acc_refined": ["", "", "1.0", "0.65", "0.83", "0.47"],
}
ABLATIONS = {"no_history": {"description": "no history buffer <script>alert(1)</script>",
                            "overrides": {"history_size": 0},
                            "c2st_refined_vs_real": 0.71, "refined_mean_deg": 10.2,
                            "synthetic_mean_deg": 11.47, "refined_over_synthetic": 0.889}}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.arange(35 * 55, dtype=np.uint8).reshape(35, 55)).save(buf, "PNG")
    return buf.getvalue()


def _inputs(**changes: object) -> ReportInputs:
    base: dict = dict(title="SimGAN gaze", data_note="stand-in real camera & simulator",
                      evaluation=EVALUATION, metric_columns=metric_columns(GAZE_KEYS),
                      images=[("synthetic | refined | real", _png())], error_cdf=CDF,
                      refiner_curves=CURVES, ablations=ABLATIONS,
                      summaries=[("refiner.json", {"c2st_refined_vs_real": 0.6725,
                                                   "by": {"nested": 3}})],
                      notes=["ingest.json not found: its section is skipped."])
    return ReportInputs(**(base | changes))


@pytest.fixture(scope="module")
def page() -> str:
    return render_report(_inputs())


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", page, flags=re.S)


def _series_polylines(svg: str, label: str) -> int:
    return svg.count(f'<polyline data-series="{label}"')


def test_page_needs_no_network_and_no_script(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.count("<html") == 1
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert "//" not in text  # no http://, https:// or protocol-relative reference
    for tag in ("<script", "<link", "<iframe", "@import", "url("):
        assert tag not in page
    assert re.findall(r'src="([^"]*)"', page) == [
        "data:image/png;base64," + base64.b64encode(_png()).decode()]


def test_embeds_the_image_losslessly(page: str) -> None:
    data = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(data) == _png()
    assert "<figcaption>synthetic | refined | real</figcaption>" in page


def test_results_table_shows_the_fixture_in_order(page: str) -> None:
    rows = re.findall(r"<tr>(.*?)</tr>", page)
    table = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in rows]
    results = [r for r in table if r and r[0] in ("synthetic", "refined", ORACLE_LABEL)]
    assert [r[0] for r in results] == ["synthetic", "refined", ORACLE_LABEL]
    assert results[0] == ["synthetic", "11.47 ± 0.21", "10.47 ± 0.30", "51.5 ± 1.2", "3", "6000"]
    assert results[2][1] == "6.90 ± 0.21" and results[2][-1] == "3000"
    assert "synthetic_aug" not in page  # absent training sets are not invented
    assert "1500 held-out real images" in page
    assert "0.812" in page and "refinement reduced the error" in page


def test_oracle_is_labelled_upper_bound_everywhere(page: str) -> None:
    assert ORACLE_LABEL == "real_oracle (upper bound: real labels)"
    cdf_svg = _svgs(page)[0]
    assert _series_polylines(cdf_svg, ORACLE_LABEL) == 1  # the CDF legend and line too
    assert page.count("real_oracle") == page.count(ORACLE_LABEL)


def test_text_is_escaped(page: str) -> None:
    assert "<script>" not in page
    assert "no history buffer &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "stand-in real camera &amp; simulator" in page
    assert "history_size=0" in page and "0.889" in page  # the ablation row
    assert "ingest.json not found" in page


def test_svgs_are_well_formed_with_one_line_per_run(page: str) -> None:
    cdf, losses, accuracy = _svgs(page)
    for svg in (cdf, losses, accuracy):
        ET.fromstring(svg)  # well-formed XML
    assert cdf.count("<polyline") == 3  # synthetic, refined, oracle; no gaps
    assert [_series_polylines(losses, k) for k in ("loss_reg", "loss_adv", "loss_disc")] == [
        2, 1, 1]  # loss_reg breaks where the discriminator pre-trains
    assert "loss_refiner" not in losses  # a column the CSV lacks is not drawn
    assert accuracy.count("<polyline") == 2
    assert ">pretrain_disc</text>" in losses and ">adversarial</text>" in losses  # phases


def test_optional_sections_are_left_out() -> None:
    page = render_report(_inputs(images=[], error_cdf=None, refiner_curves=None,
                                 ablations=None, summaries=[], notes=[]))
    assert "<svg" not in page and "<img" not in page and "Ablations" not in page
    assert "11.47 ± 0.21" in page


def test_metric_columns_follow_the_caller() -> None:
    hand = {"synthetic": {"pck_5px": 69.7, "pck_5px_std": 0.4, "mean_px": 6.1, "seeds": 2,
                          "n_train": 10}}
    page = render_report(_inputs(evaluation=hand, error_cdf=None,
                                 metric_columns=metric_columns(("pck_5px", "mean_px"))))
    assert "within 5 px (%)" in page and "69.7 ± 0.4" in page and "6.10" in page
    assert "mean error (deg)" not in page


def test_a_non_png_image_is_refused() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        render_report(_inputs(images=[("grid", b"GIF89a")]))


def test_ticks_and_segments() -> None:
    assert nice_ticks(0.0, 25.0, 6) == [0, 5, 10, 15, 20, 25]
    assert nice_ticks(0.0, 1.0, 5) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert [format_tick(t, 0.25) for t in (0.0, 0.25)] == ["0.00", "0.25"]
    assert format_tick(10.0, 5.0) == "10"
    nan = math.nan
    assert segments([0, 1, 2, 3, 4], [1, nan, 2, 3, nan]) == [[(0, 1)], [(2, 2), (3, 3)]]


def test_plot_scales_points_into_the_frame() -> None:
    svg = line_plot_svg([Series("a", [0.0, 10.0], [0.0, 100.0])], title="t", x_label="x",
                        y_label="y", y_range=(0.0, 100.0))
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    (x0, y0), (x1, y1) = (tuple(map(float, p.split(","))) for p in points)
    assert x0 < x1 and y0 > y1  # left to right, upwards
    assert 'height="324"' in svg  # one legend row under the 300 px plot
