"""Line plots as inline SVG: axes, ticks, axis labels, a legend; nothing external.

The report page must open from disk with no server and no network, so the plots are
plain SVG markup (no script, no font, no stylesheet link). Each contiguous run of
finite points of a series is one `<polyline>`; a NaN breaks the line (e.g. a loss
that a training phase does not compute).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

WIDTH, PLOT_HEIGHT = 640, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 20, 34, 46
LEGEND_ROW = 18
X_TICKS, Y_TICKS = 6, 5  # about this many ticks per axis
MARKER_ROWS = 3
Y_PAD = 0.05  # headroom above and below the data when the y range is automatic


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


@dataclass(frozen=True)
class _Frame:
    """Maps data coordinates to SVG pixels inside the plot area."""

    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float
    left: float = MARGIN_LEFT
    top: float = MARGIN_TOP
    width: float = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    height: float = PLOT_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def px(self, x: float) -> float:
        return self.left + (x - self.x_lo) / (self.x_hi - self.x_lo) * self.width

    def py(self, y: float) -> float:
        return self.top + (self.y_hi - y) / (self.y_hi - self.y_lo) * self.height


def nice_step(span: float, target: int = 5) -> float:
    """A tick step of 1, 2, 2.5 or 5 times a power of ten giving about `target` ticks."""
    raw = span / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for mantissa in (1.0, 2.0, 2.5, 5.0, 10.0):
        if mantissa * power >= raw * (1 - 1e-9):
            return mantissa * power
    return 10.0 * power  # unreachable: 10 * power >= raw always


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (lo < hi)."""
    step = nice_step(hi - lo, target)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(i * step, 12) for i in range(first, last + 1)]


def format_tick(value: float, step: float) -> str:
    """As many decimals as the step needs: 0, 0.5, 1.0 -> '0.0', '0.5', '1.0'; 25 -> '25'."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if not math.isclose(round(step, decimals), step, rel_tol=1e-9):
        decimals += 1  # 2.5 x 10^k needs one more
    return f"{value:.{decimals}f}"


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def data_range(values: Sequence[float], pad: float = 0.0,
               include_zero: bool = False) -> tuple[float, float]:
    """(lo, hi) of the finite values (and of 0 if `include_zero`), widened by `pad` times
    the span on each side; widened further when empty or flat so that lo < hi."""
    finite = _finite(values) + ([0.0] if include_zero else [])
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    if lo == hi:
        half = abs(lo) * 0.1 or 1.0
        return lo - half, hi + half
    margin = (hi - lo) * pad
    return (lo if include_zero and lo == 0.0 else lo - margin), hi + margin


def segments(x: Sequence[float], y: Sequence[float]) -> list[list[tuple[float, float]]]:
    """Contiguous runs of points where both x and y are finite."""
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for xi, yi in zip(x, y, strict=True):
        if math.isfinite(xi) and math.isfinite(yi):
            current.append((xi, yi))
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _text(x: float, y: float, text: str, anchor: str = "middle", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>'
            f"{escape(text)}</text>")


def _axes(frame: _Frame, x_label: str, y_label: str) -> list[str]:
    """Plot box, grid lines, tick labels and axis labels."""
    parts = [f'<rect x="{frame.left}" y="{frame.top}" width="{frame.width}" '
             f'height="{frame.height}" fill="none" stroke="#444"/>']
    x_step = nice_step(frame.x_hi - frame.x_lo, X_TICKS)
    y_step = nice_step(frame.y_hi - frame.y_lo, Y_TICKS)
    bottom = frame.top + frame.height
    for t in nice_ticks(frame.x_lo, frame.x_hi, X_TICKS):
        px = frame.px(t)
        parts.append(f'<line x1="{px:.1f}" y1="{frame.top}" x2="{px:.1f}" y2="{bottom}" '
                     'stroke="#ddd"/>')
        parts.append(_text(px, bottom + 16, format_tick(t, x_step)))
    for t in nice_ticks(frame.y_lo, frame.y_hi, Y_TICKS):
        py = frame.py(t)
        parts.append(f'<line x1="{frame.left}" y1="{py:.1f}" x2="{frame.left + frame.width}" '
                     f'y2="{py:.1f}" stroke="#ddd"/>')
        parts.append(_text(frame.left - 6, py + 4, format_tick(t, y_step), anchor="end"))
    parts.append(_text(frame.left + frame.width / 2, bottom + 36, x_label))
    mid_y = frame.top + frame.height / 2
    parts.append(_text(16, mid_y, y_label, extra=f' transform="rotate(-90 16 {mid_y:.1f})"'))
    return parts


def _lines(frame: _Frame, series: Sequence[Series]) -> list[str]:
    """One polyline per contiguous run of each series; a dot for an isolated point."""
    parts = []
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        for run in segments(s.x, s.y):
            if len(run) == 1:
                px, py = frame.px(run[0][0]), frame.py(run[0][1])
                parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2" fill="{colour}"/>')
                continue
            points = " ".join(f"{frame.px(x):.1f},{frame.py(y):.1f}" for x, y in run)
            parts.append(f'<polyline data-series="{escape(s.label)}" fill="none" '
                         f'stroke="{colour}" stroke-width="1.8" points="{points}"/>')
    return parts


def _markers(frame: _Frame, markers: Sequence[Marker]) -> list[str]:
    parts = []
    for i, m in enumerate(markers):
        if not frame.x_lo <= m.x <= frame.x_hi:
            continue
        px = frame.px(m.x)
        parts.append(f'<line x1="{px:.1f}" y1="{frame.top}" x2="{px:.1f}" '
                     f'y2="{frame.top + frame.height}" stroke="#888" stroke-dasharray="4 3"/>')
        row = i % MARKER_ROWS  # stagger the labels: phases can be short
        parts.append(_text(px + 3, frame.top + 12 + 12 * row, m.label, anchor="start",
                           extra=' font-size="10" fill="#444" stroke="#fff" '
                           'stroke-width="3" paint-order="stroke"'))
    return parts


def _legend(series: Sequence[Series], top: float) -> list[str]:
    """One row per series under the plot: a short coloured stroke and the label."""
    parts = []
    for i, s in enumerate(series):
        y = top + i * LEGEND_ROW
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{MARGIN_LEFT + 24}" '
                     f'y2="{y:.1f}" stroke="{colour}" stroke-width="3"/>')
        parts.append(_text(MARGIN_LEFT + 30, y + 4, s.label, anchor="start"))
    return parts


def line_plot_svg(series: Sequence[Series], *, title: str, x_label: str, y_label: str,
                  x_range: tuple[float, float] | None = None,
                  y_range: tuple[float, float] | None = None,
                  markers: Sequence[Marker] = (), y_from_zero: bool = False) -> str:
    """An `<svg>` element: the series as lines over ticked axes, a title and a legend.

    Ranges default to the data's finite extent (y with a little headroom, from 0 if
    `y_from_zero`); pass `y_range=(0, 100)` for percentages.
    """
    x_lo, x_hi = x_range or data_range([v for s in series for v in s.x])
    y_lo, y_hi = y_range or data_range([v for s in series for v in s.y], pad=Y_PAD,
                                       include_zero=y_from_zero)
    frame = _Frame(x_lo, x_hi, y_lo, y_hi)
    height = PLOT_HEIGHT + LEGEND_ROW * len(series) + 6
    parts = [
        f'<svg width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        _text(WIDTH / 2, 20, title, extra=' font-size="14" font-weight="bold"'),
        *_axes(frame, x_label, y_label),
        *_lines(frame, series),
        *_markers(frame, markers),  # after the lines: their labels stay readable
        *_legend(series, PLOT_HEIGHT + 8),
        "</svg>",
    ]
    return "\n".join(parts)
