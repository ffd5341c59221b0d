"""The human-facing report: one self-contained HTML page built from the stage outputs.

Pictures are embedded as base64 `data:` PNG URIs and plots as inline SVG, with the CSS
in the page itself: it opens from disk in a browser with no server and no network.
Every piece of text from the inputs goes through `html.escape`. The page holds no
timestamp, so the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from simgan_core.result_rows import (
    MetricColumn,
    ablation_table,
    format_value,
    headline_sentences,
    ordered,
    result_header,
    result_rows,
    training_set_label,
    training_sets,
)
from simgan_core.svg_plot import Marker, Series, line_plot_svg

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOSS_COLUMNS = ("loss_reg", "loss_adv", "loss_refiner", "loss_disc")
ACCURACY_COLUMNS = ("disc_acc_real", "disc_acc_refined")

Columns = Mapping[str, Sequence[str | float]]  # a CSV as column name -> values

CSS = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; }
th, td { border: 1px solid #bbb; padding: .25em .6em; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
th { background: #f0f0f0; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5em 1em; }
figure { margin: 1em 0; }
figure img { image-rendering: pixelated; max-width: 100%; border: 1px solid #ccc; }
figcaption { color: #555; font-size: .9em; }
"""


@dataclass(frozen=True)
class CurveText:
    """How the error-curve plot reads: gaze's Fig. 7 CDF or hand's PCK curve."""

    heading: str = "Error distribution"
    title: str = "Error on the real test set (cumulative)"
    y_label: str = "images within error (%)"
    caption: str = ("Share of real test images whose error is at most the threshold, mean "
                    "over seeds (as in the paper's Fig. 7).")


CDF_CURVE_TEXT = CurveText()  # gaze's
PCK_CURVE_TEXT = CurveText(
    heading="Joints within a distance (PCK curve)",
    title="Joint error on the real test set (cumulative)",
    y_label="joints within distance (%)",
    caption=("Share of the 14 joints of the real test crops whose predicted position is "
             "within d pixels of the label, at the paper's 224-pixel crop scale, mean over "
             "seeds; the value at 5 px is the paper's hand metric."))


@dataclass(frozen=True)
class ReportInputs:
    """Everything the page shows; optional parts left as None are skipped.

    evaluation: evaluate.json (training set -> metrics, plus top-level scalars).
    images: (caption, PNG bytes) pairs, e.g. the synthetic | refined | real grid.
    error_cdf: error_cdf.csv by column; the first column is the error threshold.
    refiner_curves: refiner_curves.csv by column (step, phase, loss_*, disc_acc_*).
    summaries: (heading, flat-or-nested JSON object) pairs shown as key/value tables.
    notes: sentences for the reader, e.g. which optional inputs were missing.
    """

    title: str
    data_note: str
    evaluation: Mapping[str, Any]
    metric_columns: Sequence[MetricColumn]
    images: Sequence[tuple[str, bytes]] = ()
    error_cdf: Columns | None = None
    refiner_curves: Columns | None = None
    ablations: Mapping[str, Mapping[str, Any]] | None = None
    summaries: Sequence[tuple[str, Mapping[str, Any]]] = ()
    notes: Sequence[str] = ()
    curve_text: CurveText = CDF_CURVE_TEXT


def floats(values: Sequence[str | float]) -> list[float]:
    """CSV cells as floats; an empty or unparsable cell is NaN (a gap in a plot)."""
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(math.nan)
    return out


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects to dotted keys: {"a": {"b": 1}} -> {"a.b": 1}."""
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]],
               text_columns: Sequence[int] = (0,)) -> str:
    """A <table>; every cell escaped; `text_columns` are left-aligned."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="text">{escape(c)}</td>' if i in text_columns else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<table>\n<tr>{head}</tr>\n" + "\n".join(body) + "\n</table>"


def image_figure(caption: str, png: bytes) -> str:
    """A <figure> with the PNG inlined as a data: URI."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError(f"image {caption!r}: not a PNG")
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def results_section(evaluation: Mapping[str, Any], columns: Sequence[MetricColumn]) -> str:
    """The results table (mean ± std over seeds), the test set size and the ratio."""
    parts = ["<h2>Results on the real test set</h2>"]
    n = evaluation.get("real_test_n")
    if isinstance(n, int):
        parts.append(f"<p>Estimators tested on {n} held-out real images; "
                     "values are mean ± std over seeds.</p>")
    parts.append(html_table(result_header(columns), result_rows(evaluation, columns)))
    if "real_oracle" in training_sets(evaluation):
        parts.append(f"<p>{escape(training_set_label('real_oracle'))} is trained on the real "
                     "images' own labels, which a SimGAN user does not have: it shows how good "
                     "an estimator can get, not a competing method.</p>")
    for sentence in headline_sentences(evaluation):
        parts.append(f"<p><strong>{escape(sentence)}</strong></p>")
    return "\n".join(parts)


def _axis_name(column: str) -> str:
    """'error_deg' -> 'error (deg)'; a name without a unit suffix is kept."""
    stem, _, unit = column.rpartition("_")
    return f"{stem} ({unit})" if stem else column


def error_cdf_svg(cdf: Columns, text: CurveText = CDF_CURVE_TEXT) -> str:
    """The paper's Fig. 7 (gaze) or the PCK curve (hand): percent of test images or
    joints within each error threshold."""
    x_key, *sets = list(cdf)
    x = floats(cdf[x_key])
    series = [Series(training_set_label(s), x, floats(cdf[s])) for s in ordered(sets)]
    return line_plot_svg(series, title=text.title, x_label=_axis_name(x_key),
                         y_label=text.y_label, x_range=(min(x), max(x)), y_range=(0.0, 100.0))


def error_cdf_section(cdf: Columns | None, text: CurveText = CDF_CURVE_TEXT) -> str:
    """The curve plot with its caption; empty without a curve."""
    if not cdf:
        return ""
    return (f"<h2>{escape(text.heading)}</h2>\n<figure>" + error_cdf_svg(cdf, text)
            + f"<figcaption>{escape(text.caption)}</figcaption></figure>")


def phase_markers(curves: Columns) -> list[Marker]:
    """A marker at the first logged step of every training phase."""
    steps, phases = floats(curves.get("step", [])), curves.get("phase", [])
    markers, previous = [], None
    for step, phase in zip(steps, phases, strict=False):
        if phase != previous:
            markers.append(Marker(step, str(phase)))
        previous = phase
    return markers


def curves_svg(curves: Columns, keys: Sequence[str], title: str, y_label: str,
               y_range: tuple[float, float] | None = None,
               y_from_zero: bool = False) -> str | None:
    """The given columns of refiner_curves.csv against the step; None if none is present."""
    present = [k for k in keys if k in curves]
    if not present or "step" not in curves:
        return None
    steps = floats(curves["step"])
    series = [Series(k, steps, floats(curves[k])) for k in present]
    return line_plot_svg(series, title=title, x_label="step", y_label=y_label,
                         y_range=y_range, y_from_zero=y_from_zero,
                         markers=phase_markers(curves))


def refiner_section(curves: Columns | None) -> str:
    """Loss curves and discriminator accuracy during refiner training."""
    if curves is None:
        return ""
    plots = [
        curves_svg(curves, LOSS_COLUMNS, "Refiner and discriminator losses", "loss",
                   y_from_zero=True),
        curves_svg(curves, ACCURACY_COLUMNS, "Discriminator accuracy", "accuracy",
                   y_range=(0.0, 1.0)),
    ]
    body = "\n".join(f"<figure>{p}</figure>" for p in plots if p)
    return ("<h2>Refiner training</h2>\n<p>Dashed lines mark where each training "
            "phase starts. A discriminator accuracy near 0.5 on refined images means the refiner "
            f"fools it half of the time.</p>\n{body}")


def ablation_section(ablations: Mapping[str, Mapping[str, Any]] | None) -> str:
    """One row per ablation: its description, the params it overrides, its figures."""
    if not ablations:
        return ""
    header, rows = ablation_table(ablations)
    return "<h2>Ablations</h2>\n" + html_table(header, rows, text_columns=(0, 1, 2))


def summary_section(heading: str, summary: Mapping[str, Any]) -> str:
    """A JSON object as a two-column key/value table."""
    rows = [[k, format_value(v)] for k, v in flatten(summary).items()]
    return f"<h3>{escape(heading)}</h3>\n" + html_table(["figure", "value"], rows)


def render_report(inputs: ReportInputs) -> str:
    """The whole page as one HTML string."""
    notes = "".join(f"<li>{escape(n)}</li>" for n in inputs.notes)
    sections = [
        f"<h1>{escape(inputs.title)}</h1>",
        f'<p class="note"><strong>Data:</strong> {escape(inputs.data_note)}</p>',
        f'<div class="note"><ul>{notes}</ul></div>' if notes else "",
        "<h2>Samples</h2>" if inputs.images else "",
        *(image_figure(caption, png) for caption, png in inputs.images),
        results_section(inputs.evaluation, inputs.metric_columns),
        error_cdf_section(inputs.error_cdf, inputs.curve_text),
        ablation_section(inputs.ablations),
        refiner_section(inputs.refiner_curves),
        "<h2>Stage figures</h2>" if inputs.summaries else "",
        *(summary_section(h, s) for h, s in inputs.summaries),
    ]
    body = "\n".join(s for s in sections if s)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(inputs.title)}</title>\n<style>{CSS}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")
