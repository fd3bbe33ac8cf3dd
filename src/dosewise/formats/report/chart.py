"""The planned-against-taken chart as SVG, with the sentence that stands for it (the figure's alt text).

Two bars a day: planned (outlined) and taken (filled), so the difference reads without colour too. The
dose axis runs to a round number at or above the largest bar and is titled with its unit. The same
numbers are printed in a table beside the chart; the alt text summarises them.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from html import escape

from dosewise.domain.adherence import DayTotals
from dosewise.domain.quantity import format_limit

__all__ = ["adherence_chart", "chart_alt", "round_top"]

_W, _H = 720, 270
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 40, 46
_PLANNED = "#424242"
_TAKEN = "#1565c0"
_FONT = 'font-family="DejaVu Sans"'


def round_top(largest: Fraction) -> Fraction:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``largest`` (never below 1)."""
    top = Fraction(1)
    while top * 10 < largest:
        top *= 10
    for step in (1, 2, Fraction(5, 2), 5, 10):
        if top * step >= largest:
            return top * step
    return top * 10  # pragma: no cover - the loop above always returns


def _day_label(totals: DayTotals) -> str:
    return f"{totals.day.day} {totals.day.strftime('%b')}"


def adherence_chart(days: Sequence[DayTotals], unit: str) -> str:
    """The SVG text (empty days included, so gaps show as gaps)."""
    if not days:
        raise ValueError("a chart needs at least one day")
    top = round_top(max([d.planned.amount for d in days] + [d.taken.amount for d in days] + [Fraction(1)]))
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    slot = plot_w / len(days)
    bar = max(1.0, slot * 0.38)

    def y(amount: Fraction) -> float:
        return _TOP + plot_h - float(amount / top) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}">',
        f'<rect x="0" y="0" width="{_W}" height="{_H}" fill="#ffffff"/>',
    ]
    for tick in (Fraction(0), top / 2, top):
        ty = y(tick)
        parts.append(
            f'<line x1="{_LEFT}" y1="{ty:.1f}" x2="{_W - _RIGHT}" y2="{ty:.1f}" stroke="#bdbdbd" stroke-width="0.6"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11" {_FONT}>{format_limit(tick)}</text>'
        )
    parts.append(
        f'<text x="14" y="{_TOP + plot_h / 2:.1f}" font-size="11" {_FONT} text-anchor="middle" '
        f'transform="rotate(-90 14 {_TOP + plot_h / 2:.1f})">{escape(unit)} a day</text>'
    )
    every = max(1, -(-len(days) // 10))
    for index, totals in enumerate(days):
        left = _LEFT + index * slot + (slot - 2 * bar) / 2
        for offset, amount, style in (
            (0.0, totals.planned.amount, f'fill="#ffffff" stroke="{_PLANNED}" stroke-width="1.2"'),
            (bar, totals.taken.amount, f'fill="{_TAKEN}"'),
        ):
            if amount > 0:
                height = float(amount / top) * plot_h
                parts.append(
                    f'<rect x="{left + offset:.1f}" y="{_TOP + plot_h - height:.1f}" width="{bar:.1f}" '
                    f'height="{height:.1f}" {style}/>'
                )
        if index % every == 0:
            cx = _LEFT + index * slot + slot / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{_H - _BOTTOM + 16}" text-anchor="middle" font-size="10" {_FONT}>'
                f"{escape(_day_label(totals))}</text>"
            )
    parts.append(
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_W - _RIGHT}" y2="{_TOP + plot_h}" stroke="#212121"/>'
    )
    legend_y = 16
    parts.append(
        f'<rect x="{_LEFT}" y="{legend_y}" width="14" height="10" fill="#ffffff" stroke="{_PLANNED}" stroke-width="1.2"/>'
        f'<text x="{_LEFT + 20}" y="{legend_y + 9}" font-size="11" {_FONT}>planned (due)</text>'
        f'<rect x="{_LEFT + 130}" y="{legend_y}" width="14" height="10" fill="{_TAKEN}"/>'
        f'<text x="{_LEFT + 150}" y="{legend_y + 9}" font-size="11" {_FONT}>taken</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def chart_alt(days: Sequence[DayTotals], unit: str, drug: str) -> str:
    """One paragraph that says what the chart shows: the span, and every day that differs from the plan."""
    first, last = days[0].day, days[-1].day
    below = [d for d in days if d.taken.amount < d.planned.amount]
    above = [d for d in days if d.taken.amount > d.planned.amount]

    def listed(group: list[DayTotals]) -> str:
        shown = "; ".join(
            f"{d.day.isoformat()} {format_limit(d.taken.amount)} of {format_limit(d.planned.amount)} {unit}"
            for d in group[:8]
        )
        return shown + (f"; and {len(group) - 8} more days" if len(group) > 8 else "")

    text = (
        f"Bar chart of {drug} planned against taken, {unit} a day, {len(days)} days from {first.isoformat()} "
        f"to {last.isoformat()}. Taken matched planned on {len(days) - len(below) - len(above)} days."
    )
    if below:
        text += f" Less than planned on {len(below)} days ({listed(below)})."
    if above:
        text += f" More than planned on {len(above)} days ({listed(above)})."
    return text + " The table below gives every day's numbers."
