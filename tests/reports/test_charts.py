"""The SVG charts: well-formed, scaled to round ticks, labelled in the page's language."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from reports.charts import Bar, Series, _axis, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_axis_tops_are_round_and_above_every_point():
    assert _axis(Decimal("0")) == (10, 10)
    assert _axis(Decimal("46.7")) == (50, 10)
    assert _axis(Decimal("86.7")) == (100, 20)
    assert _axis(Decimal("133.3")) == (150, 25)  # an overpaid month can pass 100 %


def test_line_chart_draws_one_line_per_month_with_its_points():
    svg = line_chart([Series("janv. 2026", [Decimal("13.3"), Decimal("46.7"), Decimal("66.7")]),
                      Series("févr. 2026", [Decimal("0.0"), Decimal("3.6")])],
                     title="Courbes de liquidation", x_label="Mois depuis la remise", y_label="Part du montant remis")
    root = ET.fromstring(str(svg))
    lines = root.findall(f"{SVG}polyline")
    assert [len(line.get("points").split()) for line in lines] == [3, 2]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Mois depuis la remise" in texts and "janv. 2026" in texts and "80 %" in texts
    # The highest point (66.7 %) is drawn below the top of the axis (80 %), inside the plot.
    assert min(float(p.split(",")[1]) for p in lines[0].get("points").split()) > 16


def test_bar_chart_links_each_bar_and_escapes_labels():
    svg = bar_chart([Bar("Appel", 30_000, "300,00 €", "/reports/cases?figure=channel-call"),
                     Bar("<SMS>", 10_000, "100,00 €")], title="Encaissements par canal")
    root = ET.fromstring(str(svg))
    assert [a.get("href") for a in root.iter(f"{SVG}a")] == ["/reports/cases?figure=channel-call"]
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert round(widths[0] / widths[1], 2) == 3.0  # 30,000 against 10,000
    assert "<SMS>" in [t.text for t in root.iter(f"{SVG}text")]
