"""`dosewise pump --reservoir-ml 40 --concentration-mcg-ml 2000 --daily-mcg 500`: intrathecal refill planner.

Volumes in mL, the concentration in mcg/mL and the daily dose in mcg a day; a value written with another
unit ("0.5 mg") is refused, never converted behind the user's back.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from dosewise.cli.common import load_kb, parse_date
from dosewise.cli.output import emit

if TYPE_CHECKING:
    from fractions import Fraction

    from dosewise.domain.pump import RefillPlan
    from dosewise.domain.quantity import Quantity, Unit

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "pump", parents=parents, help="intrathecal pump: days to the low-reservoir alarm and the refill date"
    )
    parser.add_argument("--reservoir-ml", required=True, metavar="ML", help="reservoir size in mL (20 or 40)")
    parser.add_argument("--concentration-mcg-ml", required=True, metavar="MCG_PER_ML", help="e.g. 2000")
    parser.add_argument("--daily-mcg", required=True, metavar="MCG", help="programmed daily total in mcg")
    parser.add_argument("--alarm-ml", metavar="ML", help="low-reservoir alarm volume (default 2 mL)")
    parser.add_argument("--fill-ml", metavar="ML", help="volume in the reservoir today (default: full)")
    parser.add_argument("--today", metavar="DATE", help="the day of the fill (YYYY-MM-DD; default today)")
    parser.add_argument("--origin", choices=("spinal", "cerebral"), help="spasticity origin (usual ranges)")
    parser.add_argument(
        "--change",
        action="append",
        default=[],
        metavar="'DATE MCG'",
        help="a programme change part-way through the interval: from DATE the daily total is MCG "
        "(repeatable), e.g. --change '2026-12-10 600'",
    )
    parser.set_defaults(handler=_run)


def _value(text: str, unit: Unit, flag: str) -> Quantity:
    """A bare number in the flag's unit, or a quantity that must already be in that unit."""
    from dosewise.domain.errors import InvalidInput
    from dosewise.domain.quantity import Quantity, parse_amount, parse_quantity

    raw = text.strip()
    if raw and any(char.isalpha() or char == "µ" for char in raw):
        quantity = parse_quantity(raw)
        if quantity.unit is not unit:
            raise InvalidInput(
                f"{flag} is in {unit.value}, not {quantity.unit.value} ('{text}')",
                hint="intrathecal doses are mcg a day and volumes mL; 1 mg = 1000 mcg",
            )
        return quantity
    return Quantity(parse_amount(raw), unit)


def _changes(values: list[str]) -> tuple[tuple[Any, Quantity], ...]:
    from dosewise.domain.errors import InvalidInput
    from dosewise.domain.quantity import Unit

    out = []
    for value in values:
        day, _, dose = value.strip().partition(" ")
        if not dose.strip():
            raise InvalidInput(f"--change '{value}' is 'DATE MCG'", hint="e.g. --change '2026-12-10 600'")
        out.append((parse_date(day, None), _value(dose, Unit.MCG, "--change")))  # type: ignore[arg-type]
    return tuple(out)


def _days(value: Fraction) -> float | int:
    from dosewise.formats.numbers import floor_decimal

    return floor_decimal(value)


def _volume(quantity: Quantity) -> dict[str, Any]:
    from dosewise.domain.errors import InvalidInput

    try:
        return {**quantity.to_json(), "exact": True}
    except InvalidInput:
        return {"value": f"{float(quantity.amount):.4f}", "unit": quantity.unit.value, "exact": False}


def _payload(plan: RefillPlan) -> dict[str, Any]:
    return {
        "kb_version": plan.kb_version,
        "today": plan.today.isoformat(),
        "reservoir": plan.reservoir.to_json(),
        "fill": plan.fill.to_json(),
        "concentration": str(plan.concentration),
        "daily_dose": plan.daily_dose.to_json(),
        "alarm": plan.alarm.to_json(),
        "daily_volume": _volume(plan.daily_volume),
        "days_to_alarm": _days(plan.days_to_alarm),
        "whole_days_to_alarm": plan.whole_days_to_alarm,
        "days_to_alarm_exact": str(plan.days_to_alarm),
        "days_to_empty": _days(plan.days_to_empty),
        "alarm_date": plan.alarm_date.isoformat(),
        "empty_date": plan.empty_date.isoformat(),
        "refill_date": plan.refill_date.isoformat(),
        "buffer_days": plan.buffer_days,
        "safer_alarm": {
            "alarm": plan.safer_alarm.to_json(),
            "days_to_alarm": _days(plan.days_to_safer_alarm)
            if plan.days_to_safer_alarm is not None
            else None,
        },
        "warnings": [
            {
                "severity": w.severity.value,
                "code": w.code,
                "message": w.message,
                "source": w.source,
                "source_ids": list(w.source_ids),
            }
            for w in plan.warnings
        ],
        "changes": [{"from": day.isoformat(), "daily_dose": dose.to_json()} for day, dose in plan.changes],
        "notes": list(plan.notes),
        "source": plan.source,
        "source_ids": list(plan.source_ids),
    }


def _text(plan: RefillPlan) -> str:
    volume = _volume(plan.daily_volume)
    approx = "" if volume["exact"] else "about "
    lines = [
        f"Intrathecal pump: {plan.daily_dose} a day of {plan.concentration}, {plan.fill} in a {plan.reservoir} "
        f"reservoir on {plan.today.isoformat()}.",
        f"  Daily volume: {approx}{volume['value']} mL",
        f"  Low-reservoir alarm ({plan.alarm}): after {_days(plan.days_to_alarm)} days, on {plan.alarm_date}",
        f"  Empty (never plan to this): after {_days(plan.days_to_empty)} days, on {plan.empty_date}",
        f"  REFILL BY: {plan.refill_date} ({plan.buffer_days}-day safety buffer before the alarm)",
    ]
    for day, dose in plan.changes:
        lines.insert(2, f"  From {day.isoformat()}: {dose} a day (the dates below follow the new rate)")
    if plan.days_to_safer_alarm is not None:
        lines.append(f"  With the alarm at {plan.safer_alarm}: after {_days(plan.days_to_safer_alarm)} days")
    for warning in plan.warnings:
        lines.append(f"[{warning.severity.value.upper()}] {warning.code}: {warning.message}")
    for note in plan.notes:
        lines.append(f"Note: {note}")
    lines.append(f"Source: {plan.source} (knowledge base {plan.kb_version})")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from datetime import date
    from fractions import Fraction

    from dosewise.domain.quantity import Concentration, Quantity, Unit, parse_concentration
    from dosewise.services.advice import plan_pump_refill

    kb = load_kb(args)
    if "/" in args.concentration_mcg_ml:  # written out, e.g. "2000 mcg/mL": the domain refuses mg/mL
        concentration = parse_concentration(args.concentration_mcg_ml)
    else:
        per_ml = _value(args.concentration_mcg_ml, Unit.MCG, "--concentration-mcg-ml")
        concentration = Concentration(per_ml, Quantity(Fraction(1), Unit.ML))
    plan = plan_pump_refill(
        kb=kb,
        reservoir=_value(args.reservoir_ml, Unit.ML, "--reservoir-ml"),
        concentration=concentration,
        daily_dose=_value(args.daily_mcg, Unit.MCG, "--daily-mcg"),
        today=parse_date(args.today, date.today()),
        alarm=_value(args.alarm_ml, Unit.ML, "--alarm-ml") if args.alarm_ml else None,
        fill=_value(args.fill_ml, Unit.ML, "--fill-ml") if args.fill_ml else None,
        origin=args.origin,
        changes=_changes(args.change),
    )
    emit(args.json, _payload(plan), _text(plan))
    return 0
