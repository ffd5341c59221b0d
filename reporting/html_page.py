"""The report page: one self-contained HTML page built from the stage outputs.

Rendered from the Jinja2 template `reporting/templates/report.html` with autoescape on,
so every piece of text from the inputs (file names, captions, annotations, JSON keys)
is escaped; only the SVG that matplotlib writes goes in as markup. Pictures are
embedded as base64 `data:` PNG URIs and plots as inline SVG, with the CSS in the page:
it opens from disk in a browser with no server and no network. The page holds no
timestamp, so the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reporting.plots import Marker, Series, line_plot_svg
from reporting.result_rows import (
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
from simgan_core.domain import CurveText

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOSS_COLUMNS = ("loss_reg", "loss_adv", "loss_refiner", "loss_disc")
ACCURACY_COLUMNS = ("disc_acc_real", "disc_acc_refined")
TEMPLATE = "report.html"

Columns = Mapping[str, Sequence[str | float]]  # a CSV as column name -> values

ENV = Environment(loader=PackageLoader("reporting", "templates"), autoescape=True,
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                  keep_trailing_newline=True)


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
    curve_text: CurveText  # the error curve's words: the domain spec's
    images: Sequence[tuple[str, bytes]] = ()
    error_cdf: Columns | None = None
    refiner_curves: Columns | None = None
    ablations: Mapping[str, Mapping[str, Any]] | None = None
    summaries: Sequence[tuple[str, Mapping[str, Any]]] = ()
    notes: Sequence[str] = ()


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


def png_data_uri(caption: str, png: bytes) -> str:
    """The PNG as a data: URI; anything else is refused, naming the caption."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError(f"image {caption!r}: not a PNG")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _axis_name(column: str) -> str:
    """'error_deg' -> 'error (deg)'; a name without a unit suffix is kept."""
    stem, _, unit = column.rpartition("_")
    return f"{stem} ({unit})" if stem else column


def error_cdf_svg(cdf: Columns, text: CurveText) -> str:
    """The paper's Fig. 7 (gaze) or the PCK curve (hand): percent of test images or
    joints within each error threshold."""
    x_key, *sets = list(cdf)
    x = floats(cdf[x_key])
    series = [Series(training_set_label(s), x, floats(cdf[s])) for s in ordered(sets)]
    return line_plot_svg(series, title=text.title, x_label=_axis_name(x_key),
                         y_label=text.y_label, x_range=(min(x), max(x)), y_range=(0.0, 100.0))


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


def refiner_plots(curves: Columns | None) -> list[Markup]:
    """Loss curves and discriminator accuracy during refiner training."""
    if curves is None:
        return []
    plots = [
        curves_svg(curves, LOSS_COLUMNS, "Refiner and discriminator losses", "loss",
                   y_from_zero=True),
        curves_svg(curves, ACCURACY_COLUMNS, "Discriminator accuracy", "accuracy",
                   y_range=(0.0, 1.0)),
    ]
    return [Markup(p) for p in plots if p]  # noqa: S704  (matplotlib's SVG, text escaped)


def page_context(inputs: ReportInputs) -> dict[str, Any]:
    """What the template shows, as plain strings, rows and SVG markup."""
    evaluation, columns = inputs.evaluation, inputs.metric_columns
    n = evaluation.get("real_test_n")
    ablations = ablation_table(inputs.ablations) if inputs.ablations else None
    cdf = (Markup(error_cdf_svg(inputs.error_cdf, inputs.curve_text))  # noqa: S704
           if inputs.error_cdf else None)
    return {
        "title": inputs.title,
        "data_note": inputs.data_note,
        "notes": list(inputs.notes),
        "images": [(caption, png_data_uri(caption, png)) for caption, png in inputs.images],
        "real_test_n": n if isinstance(n, int) else None,
        "results_header": result_header(columns),
        "results_rows": result_rows(evaluation, columns),
        "oracle_label": (training_set_label("real_oracle")
                         if "real_oracle" in training_sets(evaluation) else None),
        "headlines": headline_sentences(evaluation),
        "curve_text": inputs.curve_text,
        "cdf_svg": cdf,
        "ablations": ablations,
        "refiner_plots": refiner_plots(inputs.refiner_curves),
        "summaries": [(heading, [[k, format_value(v)] for k, v in flatten(s).items()])
                      for heading, s in inputs.summaries],
    }


def render_report(inputs: ReportInputs) -> str:
    """The whole page as one HTML string."""
    return ENV.get_template(TEMPLATE).render(page_context(inputs))
