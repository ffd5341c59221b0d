"""The report page: self-contained, shows the fixture's numbers, escapes text, draws lines."""

from __future__ import annotations

import base64
import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from report_fixture import (
    CDF,
    GAZE_KEYS,
    HOSTILE_FILE,
    HOSTILE_TEXT,
    hostile_inputs,
    png,
    report_inputs,
)

from reporting.html_page import render_report
from reporting.plots import Series, isolated_points, line_plot_svg, prefix_ids
from reporting.result_rows import ORACLE_LABEL, metric_columns


@pytest.fixture(scope="module")
def page() -> str:
    return render_report(report_inputs())


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", page, flags=re.S)


def _series_runs(svg: str) -> list[int]:
    """Per drawn series (in order): how many contiguous runs its path has."""
    paths = re.findall(r'<g id="[^"]*series-\d+">\s*<path d="([^"]*)"', svg)
    return [d.count("M") for d in paths]


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_page_needs_no_network_and_no_script(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.count("<html") == 1
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    text = re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", text)  # SVG namespace names, not fetched
    assert "//" not in text  # no http://, https:// or protocol-relative reference
    for tag in ("<script", "<link", "<iframe", "@import", "<image", "<foreignObject"):
        assert tag not in page
    assert re.findall(r'src="([^"]*)"', page) == [
        "data:image/png;base64," + base64.b64encode(png()).decode()]
    assert re.findall(r"url\(([^)]*)\)", page) and all(  # only the SVGs' own clip paths
        u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", page))


def test_embeds_the_image_losslessly(page: str) -> None:
    data = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(data) == png()
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
    assert f">{ORACLE_LABEL}</text>" in cdf_svg  # the CDF's legend too
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
    assert _series_runs(cdf) == [1, 1, 1]  # synthetic, refined, oracle; no gaps
    # loss_reg breaks where the discriminator pre-trains; loss_refiner is not in the CSV
    assert _series_runs(losses) == [2, 1, 1]
    assert ">loss_reg</text>" in losses and "loss_refiner" not in losses
    assert _series_runs(accuracy) == [1, 1]
    assert "> pretrain_disc</text>" in losses and "> adversarial</text>" in losses  # phases


def test_ids_are_unique_across_the_page_and_references_resolve(page: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) > 50 and len(ids) == len(set(ids))
    refs = re.findall(r'href="#([^"]+)"', page) + re.findall(r"url\(#([^)]+)\)", page)
    assert refs and set(refs) <= set(ids)


def test_the_same_inputs_give_the_same_bytes(page: str) -> None:
    assert render_report(report_inputs()) == page
    assert "<metadata" not in page and "<dc:date" not in page  # no metadata, no date


def test_hostile_file_names_and_annotations_are_escaped() -> None:
    page = render_report(hostile_inputs())
    elements = Elements(page)
    names = [tag for tag, _ in elements.tags]
    assert "script" not in names and names.count("img") == 1 and names.count("html") == 1
    assert names.count("table") == 3  # results, ablations, the summary: none broken out
    handlers = [k for _, attrs in elements.tags for k in attrs if k.startswith("on")]
    assert handlers == []
    (img,) = [attrs for tag, attrs in elements.tags if tag == "img"]
    assert img["alt"] == HOSTILE_FILE and img["src"].startswith("data:image/png;base64,")
    text = "".join(elements.text)
    assert text.count(HOSTILE_TEXT) >= 6  # title x2, data note, row, ablation, summary
    assert f"{HOSTILE_FILE} not found" in text
    assert "&lt;/svg&gt;&lt;script&gt;alert(2)&lt;/script&gt;&amp;amp;" in _svgs(page)[0]
    for svg in _svgs(page):
        ET.fromstring(svg)


def test_optional_sections_are_left_out() -> None:
    page = render_report(report_inputs(images=[], error_cdf=None, refiner_curves=None,
                                       ablations=None, summaries=[], notes=[]))
    assert "<svg" not in page and "<img" not in page and "Ablations" not in page
    assert "<ul>" not in page and "Stage figures" not in page
    assert "11.47 ± 0.21" in page


def test_metric_columns_follow_the_caller() -> None:
    hand = {"synthetic": {"pck_5px": 69.7, "pck_5px_std": 0.4, "mean_px": 6.1, "seeds": 2,
                          "n_train": 10}}
    page = render_report(report_inputs(evaluation=hand, error_cdf=None,
                                       metric_columns=metric_columns(("pck_5px", "mean_px"))))
    assert "within 5 px (%)" in page and "69.7 ± 0.4" in page and "6.10" in page
    assert "mean error (deg)" not in page
    assert metric_columns(GAZE_KEYS)[0].label == "mean error (deg)"


def test_a_non_png_image_is_refused() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        render_report(report_inputs(images=[("grid", b"GIF89a")]))


def test_isolated_points_and_id_prefixes() -> None:
    nan = math.nan
    assert isolated_points([0, 1, 2, 3, 4], [1, nan, 2, 3, nan]) == [(0, 1)]
    assert isolated_points([0, 1, 2], [nan, 5, nan]) == [(1, 5)]
    assert isolated_points([0, 1], [1, 2]) == []
    svg = '<g id="a"><use xlink:href="#a"/><path clip-path="url(#b)"/></g>'
    assert prefix_ids(svg, "p") == (
        '<g id="p-a"><use xlink:href="#p-a"/><path clip-path="url(#p-b)"/></g>')


def test_plot_draws_series_upwards_with_a_dot_for_a_lone_point() -> None:
    svg = line_plot_svg([Series("a", [0.0, 10.0, 20.0, 30.0], [0.0, 100.0, math.nan, 50.0])],
                        title="t", x_label="x", y_label="y", y_range=(0.0, 100.0))
    path = re.search(r'series-0">\s*<path d="([^"]+)"', svg).group(1)
    (x0, y0), (x1, y1) = (tuple(map(float, p.split()[-2:]))
                          for p in path.strip().splitlines()[:2])
    assert x0 < x1 and y0 > y1  # left to right, upwards
    assert svg.count('style="fill: #0072b2') == 1  # the dot at x = 30, in the line's colour
    assert CDF["error_deg"][-1] == 25.0
