"""The plan as printed tables: each step's dose, times, daily total and tablets, and what to dispense.

The tablets come from ``domain.dispensing`` (the same arithmetic as Today and the plan document), so the
sheet and the report can never show a tablet count the app would not.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from dosewise.domain.dispensing import TakeInstruction, dispense_totals, take_for_dose
from dosewise.domain.quantity import Unit, times_per_day_words
from dosewise.domain.regimen import Plan, administrations
from dosewise.domain.rules import DrugRules
from dosewise.formats.report.layout import Table

__all__ = ["dispense_table", "plan_table", "step_takes", "take_words", "then_text", "times_text"]


def step_takes(plan: Plan, rules: DrugRules) -> tuple[TakeInstruction | None, ...]:
    """What to take for each step's dose (None for a step without doses); an unmakeable dose raises."""
    return tuple(
        None
        if step.dose.is_zero
        else take_for_dose(step.dose, rules, plan.products, confirmed_scored=plan.confirmed_scored)
        for step in plan.steps
    )


def take_words(take: TakeInstruction | None) -> str:
    return take.describe() if take is not None else "no dose"


def times_text(plan: Plan, index: int) -> str:
    times = plan.steps[index].times
    return ", ".join(t.strftime("%H:%M") for t in times) if times else "none"


def _dates(start: date, last: date) -> str:
    return start.isoformat() if start == last else f"{start.isoformat()} to {last.isoformat()}"


def plan_table(plan: Plan, rules: DrugRules) -> Table:
    takes = step_takes(plan, rules)
    rows = []
    for index, (step, take) in enumerate(zip(plan.steps, takes, strict=True)):
        rows.append(
            (
                (str(index + 1),),
                (_dates(step.start, step.last_day), f"{step.days} day{'s' if step.days != 1 else ''}"),
                (str(step.dose), times_per_day_words(step.times_per_day) if step.times else "no doses"),
                (times_text(plan, index),),
                (str(step.daily),),
                (take_words(take),),
            )
        )
    return Table(
        ("Step", "Dates", "Dose", "Times", "Daily total", "Take for each dose"),
        tuple(rows),
        widths=(3, 10, 8, 9, 6, 14),
    )


def then_text(plan: Plan) -> str:
    last = plan.steps[-1]
    if plan.then == "stop":
        return f"After {last.last_day.isoformat()}: the plan stops (no more doses are planned)."
    return (
        f"After {last.last_day.isoformat()}: continue {last.dose} {times_per_day_words(last.times_per_day)} "
        f"({last.daily} a day) until the prescriber reviews it."
    )


def dispense_table(plan: Plan, rules: DrugRules) -> Table:
    """Whole tablets (or mL and packs) for every planned dose from the first step to the last."""
    lines = dispense_totals(
        administrations(plan, ZoneInfo(plan.timezone)),
        rules,
        plan.products,
        confirmed_scored=plan.confirmed_scored,
    )
    rows = []
    for line in lines:
        if line.count is not None:
            amount = f"{line.count} {line.product.unit_word}{'' if line.count == 1 else 's'}"
        else:
            assert line.volume is not None and line.volume.unit is Unit.ML
            amount = f"{line.volume}" + (f" ({line.packs} packs)" if line.packs else "")
        rows.append(((line.product.label,), (amount,)))
    return Table(("Product", "Quantity for the whole plan"), tuple(rows), widths=(3, 2))
