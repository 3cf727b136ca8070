"""Charts drawn on the server as SVG: no script, no CDN, and the same markup fits in a PDF."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

# Colour-blind-safe palette (Okabe-Ito), repeated when there are more lines than colours.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""


@dataclass(frozen=True)
class Series:
    label: str
    points: list[Decimal | None]  # y values (percent) at x = 0, 1, 2…


@dataclass(frozen=True)
class Bar:
    label: str
    value: int  # what the length is proportional to
    text: str  # what is written at the end of the bar
    href: str = ""


def _axis(value: Decimal) -> tuple[int, int]:
    """Return the top of the y axis and its tick step: round steps, at most six ticks, at least up to 10 %."""
    for step in (2, 5, 10, 20, 25, 50):
        ticks = max(1, math.ceil(value / step))
        if ticks <= 6 and ticks * step >= 10:
            return ticks * step, step
    top = math.ceil(value / 100) * 100
    return top, top // 5


def line_chart(series: list[Series], title: str, x_label: str, y_label: str, width: int = 760,
               height: int = 320) -> Markup:
    """Return an SVG line chart of percentages, one line per series, with a legend on the right."""
    left, right, top, bottom = 52, 150, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max((len(s.points) for s in series), default=1)
    highest = max((p for s in series for p in s.points if p is not None), default=Decimal(0))
    y_top, y_step = _axis(highest)

    def x(i: int) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: Decimal) -> float:
        return top + plot_h - plot_h * float(v) / y_top  # float for drawing only; the figures stay Decimal

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'class="chart" {FONT} font-size="12"><title>{escape(title)}</title>']
    for tick in range(0, y_top + 1, y_step):
        value = Decimal(tick)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#dee2e6" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="#6c757d">'
                     f'{value.normalize():f} %</text>')
    every = max(1, count // 12)
    for i in range(0, count, every):
        parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#6c757d">{i}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" fill="#495057">'
                 f'{escape(x_label)}</text>')
    parts.append(f'<text transform="translate(12 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
                 f'fill="#495057">{escape(y_label)}</text>')
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = [(x(i), y(p)) for i, p in enumerate(s.points) if p is not None]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5" '
                     f'stroke-linejoin="round"><title>{escape(s.label)}</title></polyline>')
        parts.extend(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in points)
        legend_y = top + 8 + n * 20
        if legend_y < height - bottom:
            parts.append(f'<line x1="{width - right + 16}" x2="{width - right + 36}" y1="{legend_y}" y2="{legend_y}" '
                         f'stroke="{colour}" stroke-width="3"/>')
            parts.append(f'<text x="{width - right + 42}" y="{legend_y + 4}" fill="#212529">{escape(s.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(bars: list[Bar], title: str, width: int = 520, row: int = 30) -> Markup:
    """Return an SVG chart of horizontal bars, labelled on the left, the value written at the end."""
    label_w, text_w = 130, 190
    height = max(row, row * len(bars)) + 8
    longest = max((b.value for b in bars), default=0) or 1
    plot_w = width - label_w - text_w
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'class="chart" {FONT} font-size="12"><title>{escape(title)}</title>']
    for n, bar in enumerate(bars):
        top = 4 + n * row
        length = max(2.0, plot_w * max(bar.value, 0) / longest)
        shape = (f'<text x="{label_w - 8}" y="{top + row / 2 + 4:.1f}" text-anchor="end" fill="#212529">'
                 f'{escape(bar.label)}</text>'
                 f'<rect x="{label_w}" y="{top + 4}" width="{length:.1f}" height="{row - 10}" rx="3" '
                 f'fill="{PALETTE[n % len(PALETTE)]}"/>'
                 f'<text x="{label_w + length + 6:.1f}" y="{top + row / 2 + 4:.1f}" fill="#212529">'
                 f'{escape(bar.text)}</text>')
        parts.append(f'<a href="{escape(bar.href)}">{shape}</a>' if bar.href else shape)  # .chart a: not underlined
    parts.append("</svg>")
    return Markup("".join(parts))
