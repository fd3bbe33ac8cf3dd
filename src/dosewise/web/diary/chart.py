"""A server-drawn SVG chart: planned against taken daily dose (bars), check-in scores (lines, 0-10).

No script and no external library; a table with the same numbers sits beside it for screen readers.
Both axes are titled with their units, the dose axis runs to a round number just above the largest
planned or taken dose (so the plan fills the chart), days before the plan and before any record are
left out, and the legend (drawn in the chart) names the predicted level when there is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from html import escape

from dosewise.formats.report.chart import round_top as nice_top
from dosewise.services.diary import ChartDay

__all__ = ["dose_chart", "nice_top"]

_W, _H = 680, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 62, 62, 44, 48


def _number(value: Fraction | float) -> str:
    return f"{float(value):.1f}".rstrip("0").rstrip(".")


def _has_data(day: ChartDay) -> bool:
    return bool(day.planned or (day.taken and day.taken.amount) or day.checkin)


def dose_chart(days: Sequence[ChartDay], unit: str, predicted: Sequence[tuple[float, float]] = ()) -> str:
    skipped = next((index for index, day in enumerate(days) if _has_data(day)), len(days))
    days = list(days[skipped:])
    predicted = [(hours - skipped * 24, value) for hours, value in predicted if hours >= skipped * 24]
    if not days:
        return ""
    top = nice_top(
        max(
            [d.planned.amount for d in days if d.planned]
            + [d.taken.amount for d in days if d.taken]
            + [Fraction(1)]
        )
    )
    width = (_W - _LEFT - _RIGHT) / len(days)
    height = _H - _TOP - _BOTTOM
    per_day = f"{unit} a day"

    def y(value: Fraction | float) -> float:
        return _TOP + height - float(value) / float(top) * height

    def score_y(value: int) -> float:
        return _TOP + height - value / 10 * height

    predicted_words = " Green line: predicted level in the blood (a model estimate)." if predicted else ""
    parts = [
        f'<svg viewBox="0 0 {_W} {_H}" class="chart" role="img" aria-labelledby="chart-title chart-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Planned and taken daily dose, with check-in scores</title>',
        f'<desc id="chart-desc">Left axis: dose in {escape(per_day)}, from 0 to {_number(top)}. Grey bars: '
        "planned. Blue bars: taken. Right axis: check-in score from 0 (none) to 10 (worst). Orange line: "
        f"stiffness. Purple line: drowsiness.{predicted_words} The table below has the same numbers.</desc>",
    ]
    for fraction in (0, Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1):
        value = top * Fraction(fraction)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y(value) + 4:.1f}" class="axis" text-anchor="end">{_number(value)}</text>'
        )
    for score in (0, 5, 10):
        parts.append(f'<text x="{_W - _RIGHT + 6}" y="{score_y(score) + 4:.1f}" class="axis">{score}</text>')
    middle = _TOP + height / 2
    parts.append(
        f'<text x="14" y="{middle:.1f}" class="axis-title" text-anchor="middle" '
        f'transform="rotate(-90 14 {middle:.1f})">Dose ({escape(per_day)})</text>'
    )
    parts.append(
        f'<text x="{_W - 12}" y="{middle:.1f}" class="axis-title" text-anchor="middle" '
        f'transform="rotate(90 {_W - 12} {middle:.1f})">Score (0 none, 10 worst)</text>'
    )
    parts.append(f'<text x="{_W / 2:.1f}" y="{_H - 4}" class="axis-title" text-anchor="middle">Day</text>')
    spasticity, drowsiness = [], []
    label_every = max(1, round(len(days) / 5))
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
        if index % label_every == 0 or index == len(days) - 1:
            label = day.day.strftime("%d %b").lstrip("0")
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{_H - 24}" class="axis" text-anchor="middle">{label}</text>'
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
    parts.extend(_legend(bool(predicted)))
    parts.append("</svg>")
    return "".join(parts)


def _legend(with_predicted: bool) -> list[str]:
    items = [("planned", "planned", "bar"), ("taken", "taken", "bar"), ("spasticity", "stiffness", "line")]
    items.append(("drowsiness", "drowsiness", "line"))
    if with_predicted:
        items.append(("predicted", "predicted level (model estimate)", "line"))
    parts, x = ['<g class="chart-legend">'], float(_LEFT)
    for css, label, kind in items:
        if kind == "bar":
            parts.append(f'<rect x="{x:.1f}" y="10" width="12" height="12" class="{css}"/>')
        else:
            parts.append(f'<line x1="{x:.1f}" x2="{x + 14:.1f}" y1="16" y2="16" class="{css}"/>')
        parts.append(f'<text x="{x + 18:.1f}" y="21" class="axis">{escape(label)}</text>')
        x += 26 + len(label) * 6.4
    parts.append("</g>")
    return parts
