"""Line plots drawn by matplotlib (Agg, no display) as inline SVG for the report page.

The SVG is static and self-contained: text stays text (`svg.fonttype: none`, shown in
the browser's sans-serif), no script, no external file, no date, and ids seeded by
`svg.hashsalt` so that the same data gives the same bytes. Every id gets a per-figure
prefix: several SVGs share one HTML document, and matplotlib reuses names such as
`figure_1`. A NaN is a gap in a line (e.g. a loss that a training phase does not
compute); a finite point with no finite neighbour is drawn as a dot.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
FIGSIZE = (6.6, 3.4)  # inches; the legend adds a row per three series below
MARKER_ROWS = 3
RC = {"svg.fonttype": "none", "text.parse_math": False, "font.family": "sans-serif",
      "font.size": 9, "axes.titlesize": 11, "axes.titleweight": "bold",
      "axes.grid": True, "grid.color": "#dddddd", "grid.linewidth": 0.8}
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


@dataclass(frozen=True)
class Series:
    """One line: x and y of equal length; a NaN y (or x) is a gap."""

    label: str
    x: Sequence[float]
    y: Sequence[float]


@dataclass(frozen=True)
class Marker:
    """A dashed vertical line at `x` with a short label (e.g. where a training phase starts)."""

    x: float
    label: str


def isolated_points(x: Sequence[float], y: Sequence[float]) -> list[tuple[float, float]]:
    """Finite points whose neighbours are both gaps (or ends): a line cannot show them."""
    ok = [math.isfinite(a) and math.isfinite(b) for a, b in zip(x, y, strict=True)]
    return [(x[i], y[i]) for i in range(len(ok))
            if ok[i] and not (i > 0 and ok[i - 1]) and not (i + 1 < len(ok) and ok[i + 1])]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "plot"


def prefix_ids(svg: str, prefix: str) -> str:
    """Give every id, and every reference to one (`href="#id"`, `url(#id)`), a prefix."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)


def figure_svg(fig: Figure, key: str) -> str:
    """The figure as an `<svg>` element (no XML prolog or doctype), ids prefixed by key."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": key}):
        fig.savefig(buf, format="svg", metadata=SVG_METADATA)
    text = buf.getvalue()
    svg = text[text.index("<svg"):].strip()
    return prefix_ids(svg, _slug(key))


def line_plot_svg(series: Sequence[Series], *, title: str, x_label: str, y_label: str,
                  x_range: tuple[float, float] | None = None,
                  y_range: tuple[float, float] | None = None,
                  markers: Sequence[Marker] = (), y_from_zero: bool = False) -> str:
    """An `<svg>` element: the series as lines over ticked axes, a title and a legend.

    Ranges default to matplotlib's fit of the data (y from 0 if `y_from_zero`); pass
    `y_range=(0, 100)` for percentages.
    """
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        ax = fig.add_subplot()
        for i, s in enumerate(series):
            colour = PALETTE[i % len(PALETTE)]
            ax.plot(s.x, s.y, color=colour, linewidth=1.8, label=s.label,
                    gid=f"series-{i}")
            dots = isolated_points(s.x, s.y)
            if dots:
                ax.plot(*zip(*dots, strict=True), linestyle="none", marker="o", markersize=3,
                        color=colour)
        if x_range:
            ax.set_xlim(*x_range)
        if y_range:
            ax.set_ylim(*y_range)
        elif y_from_zero:
            ax.set_ylim(bottom=0.0)
        x_lo, x_hi = ax.get_xlim()
        for i, m in enumerate(markers):
            if not x_lo <= m.x <= x_hi:
                continue
            ax.axvline(m.x, color="#888888", linestyle=(0, (4, 3)), linewidth=1.0)
            row = i % MARKER_ROWS  # stagger the labels: phases can be short
            ax.text(m.x, 0.97 - 0.07 * row, f" {m.label}", transform=ax.get_xaxis_transform(),
                    fontsize=8, color="#444444", va="top",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5,
                          "alpha": 0.8})
        ax.set_title(title)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        if series:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16),
                      ncols=min(len(series), 3), frameon=False)
        return figure_svg(fig, title)
