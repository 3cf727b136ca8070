"""The aged balance's bar chart, drawn as inline SVG on the server: no script, no asset from elsewhere."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 16, 16, 28, 44
# Older debt is harder to collect: the bars darken from the newest bucket to the oldest.
COLOURS = ("#9ec5fe", "#6ea8fe", "#3d8bfd", "#0d6efd", "#0a58ca", "#084298")


def bar_chart(bars: list[tuple[str, int, str, str]], title: str) -> Markup:
    """Return an SVG bar chart of (label, cents, amount shown, link) bars; negative bars are drawn as zero."""
    count = max(len(bars), 1)
    slot = (WIDTH - LEFT - RIGHT) / count
    bar_width = slot * 0.64
    highest = max([cents for _label, cents, _shown, _link in bars] + [1])
    plot = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="aged-chart" '
        f'aria-label="{escape(title)}" font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot}" x2="{WIDTH - RIGHT}" y2="{TOP + plot}" stroke="#adb5bd"/>',
    ]
    for index, (label, cents, shown, link) in enumerate(bars):
        height = round(plot * max(cents, 0) / highest, 1)
        x = LEFT + index * slot + (slot - bar_width) / 2
        y = TOP + plot - height
        centre = x + bar_width / 2
        colour = COLOURS[min(index, len(COLOURS) - 1)]
        parts.append(
            f'<a href="{escape(link)}"><rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{height}" '
            f'fill="{colour}" data-cents="{cents}"><title>{escape(label)} : {escape(shown)}</title></rect></a>'
        )
        parts.append(f'<text x="{centre:.1f}" y="{y - 6:.1f}" text-anchor="middle" fill="#212529">{escape(shown)}</text>')
        parts.append(f'<text x="{centre:.1f}" y="{TOP + plot + 18}" text-anchor="middle" fill="#495057">'
                     f"{escape(label)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
