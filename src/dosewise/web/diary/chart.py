"""A server-drawn SVG chart: planned against taken daily dose (bars), check-in scores (lines, 0-10).

No script and no external library; a table with the same numbers sits beside it for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from html import escape

from dosewise.services.diary import ChartDay

__all__ = ["dose_chart"]

_W, _H = 640, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 34, 14, 30


def _number(value: Fraction | float) -> str:
    return f"{float(value):.1f}".rstrip("0").rstrip(".")


def dose_chart(days: Sequence[ChartDay], unit: str, predicted: Sequence[tuple[float, float]] = ()) -> str:
    if not days:
        return ""
    top = max(
        [d.planned.amount for d in days if d.planned]
        + [d.taken.amount for d in days if d.taken]
        + [Fraction(1)]
    )
    width = (_W - _LEFT - _RIGHT) / len(days)
    height = _H - _TOP - _BOTTOM

    def y(value: Fraction | float) -> float:
        return _TOP + height - float(value) / float(top) * height

    def score_y(value: int) -> float:
        return _TOP + height - value / 10 * height

    parts = [
        f'<svg viewBox="0 0 {_W} {_H}" class="chart" role="img" aria-labelledby="chart-title chart-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Planned and taken daily dose, with check-in scores</title>',
        f'<desc id="chart-desc">Grey bars: planned {escape(unit)} a day. Blue bars: taken. Orange line: '
        "spasticity 0-10. Purple line: drowsiness 0-10. The table below has the same numbers.</desc>",
    ]
    for fraction in (0, 0.5, 1):
        value = top * Fraction(fraction)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y(value) + 4:.1f}" class="axis" text-anchor="end">{_number(value)}</text>'
        )
    parts.append(f'<text x="{_W - _RIGHT + 6}" y="{score_y(10) + 4:.1f}" class="axis">10</text>')
    parts.append(f'<text x="{_W - _RIGHT + 6}" y="{score_y(0) + 4:.1f}" class="axis">0</text>')
    spasticity, drowsiness = [], []
    for index, day in enumerate(days):
        x = _LEFT + index * width
        if day.planned:
            parts.append(
                f'<rect x="{x + width * 0.1:.1f}" y="{y(day.planned.amount):.1f}" width="{width * 0.8:.1f}" '
                f'height="{_TOP + height - y(day.planned.amount):.1f}" class="planned"/>'
            )
        if day.taken and day.taken.amount:
            parts.append(
                f'<rect x="{x + width * 0.3:.1f}" y="{y(day.taken.amount):.1f}" width="{width * 0.4:.1f}" '
                f'height="{_TOP + height - y(day.taken.amount):.1f}" class="taken"/>'
            )
        if day.checkin:
            spasticity.append(f"{x + width / 2:.1f},{score_y(day.checkin.spasticity):.1f}")
            drowsiness.append(f"{x + width / 2:.1f},{score_y(day.checkin.drowsiness):.1f}")
        if index % 7 == 0 or index == len(days) - 1:
            label = day.day.strftime("%d %b").lstrip("0")
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{_H - 10}" class="axis" text-anchor="middle">{label}</text>'
            )
    for points, css in ((spasticity, "spasticity"), (drowsiness, "drowsiness")):
        if len(points) > 1:
            parts.append(f'<polyline points="{" ".join(points)}" class="{css}"/>')
        for point in points:
            cx, cy = point.split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" class="{css}-dot"/>')
    if predicted:
        peak = max(value for _, value in predicted) or 1.0
        line = " ".join(
            f"{_LEFT + hours / 24 * width:.1f},{_TOP + height - value / peak * height:.1f}"
            for hours, value in predicted
        )
        parts.append(f'<polyline points="{line}" class="predicted"/>')
    parts.append("</svg>")
    return "".join(parts)
