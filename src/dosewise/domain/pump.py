"""Intrathecal pump refill planner (clinical-reference 8.4), in exact arithmetic.

    daily volume (mL)  = daily dose (mcg/day) / concentration (mcg/mL)
    days to alarm      = (fill volume - low-reservoir alarm volume) / daily volume
    days to empty      = fill volume / daily volume                      (never planned to)
    refill date        = today + floor(days to alarm) - safety buffer days

``today`` is the day the reservoir holds ``fill`` mL (usually the refill day). A programme change part-way
through the interval (``changes``: from a date on, a new daily total) is followed segment by segment: the
alarm date is when the residual volume above the alarm is used up at the rates in force. A refill interval
longer than the pump's service life (clinical-reference 8.3) is refused: it means a wrong value, not a
refill date years away. Intrathecal doses are mcg a
day only: an mg dose or an mg/mL concentration is refused, because a slip between them is a thousandfold
error. For flex or bolus programmes the daily dose is the programmed daily total, boluses included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from math import floor

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Concentration, Quantity, Unit
from dosewise.domain.rules import Provenance, PumpRules, Severity

__all__ = ["ORIGINS", "PumpWarning", "RefillPlan", "days_until_used", "plan_refill", "residual_volume"]

ORIGINS = ("spinal", "cerebral")


@dataclass(frozen=True)
class PumpWarning:
    severity: Severity
    code: str
    message: str
    source: str
    source_ids: tuple[str, ...]


@dataclass(frozen=True)
class RefillPlan:
    today: date
    reservoir: Quantity
    fill: Quantity
    concentration: Concentration
    daily_dose: Quantity
    alarm: Quantity
    daily_volume: Quantity
    days_to_alarm: Fraction
    days_to_empty: Fraction
    alarm_date: date
    empty_date: date
    refill_date: date
    buffer_days: int
    safer_alarm: Quantity
    days_to_safer_alarm: Fraction | None
    warnings: tuple[PumpWarning, ...]
    notes: tuple[str, ...]
    source: str
    source_ids: tuple[str, ...]
    kb_version: str
    changes: tuple[tuple[date, Quantity], ...] = ()

    @property
    def whole_days_to_alarm(self) -> int:
        return floor(self.days_to_alarm)


def _require(quantity: Quantity, unit: Unit, what: str, hint: str) -> None:
    if quantity.unit is not unit:
        raise InvalidInput(
            f"{what} must be in {unit.value}, not {quantity.unit.value} ({quantity})", hint=hint
        )
    if quantity.amount <= 0:
        raise InvalidInput(f"{what} must be more than zero (got {quantity})")


def _warning(severity: Severity, code: str, message: str, provenance: Provenance) -> PumpWarning:
    return PumpWarning(severity, f"pump.{code}", message, provenance.cite(), provenance.source_ids)


def plan_refill(
    *,
    reservoir: Quantity,
    concentration: Concentration,
    daily_dose: Quantity,
    today: date,
    rules: PumpRules,
    kb_version: str,
    alarm: Quantity | None = None,
    fill: Quantity | None = None,
    origin: str | None = None,
    changes: tuple[tuple[date, Quantity], ...] = (),
) -> RefillPlan:
    """Days to the low-reservoir alarm and a refill date with the safety buffer; warnings outside ranges."""
    mcg_hint = "intrathecal doses are written in mcg a day (1 mg = 1000 mcg)"
    _require(reservoir, Unit.ML, "the reservoir size", "give the reservoir in mL, e.g. 40 mL")
    _require(daily_dose, Unit.MCG, "the intrathecal daily dose", mcg_hint)
    if concentration.mass.unit is not Unit.MCG:
        raise InvalidInput(f"the concentration must be in mcg/mL, not {concentration}", hint=mcg_hint)
    alarm = rules.low_reservoir_alarm if alarm is None else alarm
    fill = reservoir if fill is None else fill
    _require(fill, Unit.ML, "the fill volume", "give the volume in mL")
    if alarm.unit is not Unit.ML or alarm.amount < 0:
        raise InvalidInput(f"the alarm volume must be 0 mL or more (got {alarm})")
    if fill > reservoir:
        raise InvalidInput(
            f"a fill of {fill} does not fit in a {reservoir} reservoir",
            hint="check the fill volume and the pump model: planning on it would put the refill too late",
        )
    if fill <= alarm:
        raise InvalidInput(
            f"the fill ({fill}) is not above the low-reservoir alarm volume ({alarm}): the alarm is due now",
            hint="contact the pump team for a refill now",
        )
    if origin is not None and origin not in ORIGINS:
        raise InvalidInput(f"origin '{origin}' is not one of {', '.join(ORIGINS)}")

    programme = _programme(today, daily_dose, changes)
    per_ml = concentration.per_ml.amount
    daily_volume = Quantity(daily_dose.amount / per_ml, Unit.ML)
    days_to_alarm = days_until_used((fill - alarm).amount, programme, per_ml)
    days_to_empty = days_until_used(fill.amount, programme, per_ml)
    _within_service_life(rules, today, days_to_alarm, daily_dose, concentration)
    alarm_date = today + timedelta(days=floor(days_to_alarm))
    planned = alarm_date - timedelta(days=rules.refill_buffer_days)
    refill_date = max(planned, today)
    safer = rules.safer_alarm
    days_to_safer = days_until_used((fill - safer).amount, programme, per_ml) if fill > safer else None

    warnings: list[PumpWarning] = []
    for _, dose in programme:
        for item in _warnings(
            rules, reservoir, concentration, dose, alarm, origin, planned, today, days_to_alarm
        ):
            if all(w.code != item.code for w in warnings):
                warnings.append(item)
    notes = (
        "Flex or bolus programmes: use the programmed daily total, boluses included.",
        rules.note,
        "Also cap the interval at the pump's elective replacement (ERI) date and the drug's stability "
        "limit, which the knowledge base does not hold.",
    )
    provenance = rules.provenance
    return RefillPlan(
        today=today,
        reservoir=reservoir,
        fill=fill,
        concentration=concentration,
        daily_dose=daily_dose,
        alarm=alarm,
        daily_volume=daily_volume,
        days_to_alarm=days_to_alarm,
        days_to_empty=days_to_empty,
        alarm_date=alarm_date,
        empty_date=today + timedelta(days=floor(days_to_empty)),
        refill_date=refill_date,
        buffer_days=rules.refill_buffer_days,
        safer_alarm=safer,
        days_to_safer_alarm=days_to_safer,
        warnings=tuple(warnings),
        notes=notes,
        changes=tuple(programme[1:]),
        source=provenance.cite(),
        source_ids=provenance.source_ids,
        kb_version=kb_version,
    )


def _programme(
    today: date, daily_dose: Quantity, changes: tuple[tuple[date, Quantity], ...]
) -> list[tuple[date, Quantity]]:
    """(from, daily dose) segments: today's dose, then each change in date order."""
    programme = [(today, daily_dose)]
    for day, dose in sorted(changes, key=lambda item: item[0]):
        _require(dose, Unit.MCG, f"the daily dose from {day}", "intrathecal doses are mcg a day")
        if day <= programme[-1][0]:
            raise InvalidInput(
                f"the programme change on {day} is not after {programme[-1][0]}",
                hint="give each change once, after the fill day",
            )
        programme.append((day, dose))
    return programme


def days_until_used(volume: Fraction, programme: list[tuple[date, Quantity]], per_ml: Fraction) -> Fraction:
    """Days from the first segment's start until ``volume`` mL is delivered at the programmed rates."""
    elapsed = Fraction(0)
    remaining = volume
    for index, (start, dose) in enumerate(programme):
        rate = dose.amount / per_ml
        if index + 1 < len(programme):
            span = Fraction((programme[index + 1][0] - start).days)
            if rate * span < remaining:
                remaining -= rate * span
                elapsed += span
                continue
        return elapsed + remaining / rate
    raise AssertionError("unreachable: the last segment runs until the volume is used")  # pragma: no cover


def residual_volume(plan: RefillPlan, day: date) -> Quantity:
    """The volume left in the reservoir at the start of ``day``, at the programmed rates since the fill.

    The same segments as the alarm date: before a programme change the old rate, from it the new one; so
    the days left after a change part-way through the interval are counted from this residual volume.
    Never below zero (an empty reservoir delivers nothing).
    """
    per_ml = plan.concentration.per_ml.amount
    programme = [(plan.today, plan.daily_dose), *plan.changes]
    used = Fraction(0)
    for index, (start, dose) in enumerate(programme):
        end = programme[index + 1][0] if index + 1 < len(programme) else day
        end = min(end, day)
        if end <= start:
            break
        used += dose.amount / per_ml * (end - start).days
    return Quantity(max(plan.fill.amount - used, Fraction(0)), Unit.ML)


def _within_service_life(
    rules: PumpRules, today: date, days_to_alarm: Fraction, dose: Quantity, concentration: Concentration
) -> None:
    """A reservoir that would outlast the pump itself means a wrong dose or concentration: refused."""
    try:
        end = today.replace(year=today.year + rules.max_service_years)
    except ValueError:  # 29 February
        end = today.replace(year=today.year + rules.max_service_years, day=28)
    if days_to_alarm > (end - today).days:
        years = days_to_alarm / Fraction("365.25")
        raise InvalidInput(
            f"{dose} a day of {concentration} would take {float(years):.0f} years to reach the alarm, longer "
            f"than the pump's service life ({rules.max_service_years} years at most): the dose or the "
            "concentration is not plausible",
            hint="check the programmed daily total (mcg a day) and the concentration on the syringe (mcg/mL)",
        )


def _warnings(
    rules: PumpRules,
    reservoir: Quantity,
    concentration: Concentration,
    daily_dose: Quantity,
    alarm: Quantity,
    origin: str | None,
    planned: date,
    today: date,
    days_to_alarm: Fraction,
) -> tuple[PumpWarning, ...]:
    out: list[PumpWarning] = []
    pump, limits = rules.provenance, rules.limits_provenance
    if daily_dose > rules.max_daily:
        out.append(
            _warning(
                Severity.MAJOR,
                "above_max_daily",
                f"{daily_dose} a day is above {rules.max_daily} a day: experience above this is limited.",
                limits,
            )
        )
    floor_dose, screening = rules.smallest_screening_dose, rules.screening_provenance
    if floor_dose is not None and screening is not None and daily_dose < floor_dose:
        out.append(
            _warning(
                Severity.MAJOR,
                "below_any_intrathecal_dose",
                f"{daily_dose} a day is below the smallest screening bolus ({floor_dose}), and pumps start "
                "at the effective screening dose a day or more: this is not a plausible intrathecal daily "
                "total. Check the programme and the unit (mcg, not mg).",
                screening,
            )
        )
    ranges = [r for r in rules.maintenance_ranges if origin is None or r[0] == origin]
    if ranges and not any(low <= daily_dose <= high for _, low, high in ranges):
        usual = "; ".join(f"{name} {low}-{high} a day" for name, low, high in ranges)
        out.append(
            _warning(
                Severity.MODERATE,
                "outside_usual_maintenance",
                f"{daily_dose} a day is outside the usual maintenance range ({usual}). Check the programme.",
                limits,
            )
        )
    if not any(c.per_ml == concentration.per_ml for c in rules.concentrations):
        marketed = ", ".join(str(c) for c in rules.concentrations)
        slip = [
            c
            for c in rules.concentrations
            if c.per_ml.amount in (concentration.per_ml.amount * 1000, concentration.per_ml.amount / 1000)
        ]
        if slip:
            marketed += f"; was {slip[0]} meant (a mg/mcg slip is a thousandfold error)?"
        out.append(
            _warning(
                Severity.MAJOR,
                "unmarketed_concentration",
                f"{concentration} is not a marketed concentration ({marketed}). "
                "Check the label on the syringe.",
                pump,
            )
        )
    if reservoir not in rules.reservoir_sizes_ml:
        sizes = " and ".join(str(s) for s in rules.reservoir_sizes_ml)
        out.append(
            _warning(
                Severity.MODERATE,
                "unusual_reservoir",
                f"A {reservoir} reservoir is not a SynchroMed II size ({sizes}). Check the pump model.",
                pump,
            )
        )
    if alarm < rules.low_reservoir_alarm:
        out.append(
            _warning(
                Severity.MAJOR,
                "alarm_below_manufacturer",
                f"The alarm at {alarm} is below the manufacturer's recommended {rules.low_reservoir_alarm}.",
                pump,
            )
        )
    if alarm < rules.safer_alarm:
        out.append(
            _warning(
                Severity.INFO,
                "consider_safer_alarm",
                f"Some patients developed withdrawal with more than {rules.low_reservoir_alarm} left; "
                f"none recurred with the alarm at {rules.safer_alarm} (multicentre study). "
                f"Consider the {rules.safer_alarm} alarm.",
                pump,
            )
        )
    if planned <= today:
        out.append(
            _warning(
                Severity.MAJOR,
                "refill_due_now",
                f"Only {floor(days_to_alarm)} whole days to the alarm, within the "
                f"{rules.refill_buffer_days}-day safety buffer: refill now.",
                pump,
            )
        )
    return tuple(out)
