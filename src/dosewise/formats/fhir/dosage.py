"""One plan step as one R4 ``Dosage`` and back.

Written: ``sequence`` (different numbers are sequential), ``text`` for the step in words,
``timing.repeat.boundsPeriod`` (the first and last calendar day of the step, whole days), ``frequency``
a ``period`` of 1 ``d`` and the local ``timeOfDay`` clock times, and ``doseAndRate`` with an ordered UCUM
``doseQuantity``. Read: that shape, and the NHS Dose Syntax shape (``boundsDuration`` in days or weeks,
the start carried over from the step before), with ``frequency`` alone taking the planner's default
clock times. Everything else a Dosage can say (ranges, rates, "as needed", ``when``, days of the week,
hourly periods, concurrent doses) is refused with the element named, never approximated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Quantity, Unit
from dosewise.domain.regimen import Step, default_times

from .codes import DOSE_RATE_ORDERED, FhirUnsupported, dose_quantity, exact_decimal, quantity_from_fhir

__all__ = ["DosageReading", "dosage_for_step", "read_dosage", "steps_from_dosages"]

# Input guard (dosewise policy, as in the plan document): no step of a real plan lasts ten years.
_MAX_STEP_DAYS = 3660
_DOSAGE_KEYS = {"sequence", "text", "timing", "doseAndRate", "route", "patientInstruction", "asNeededBoolean"}
_REPEAT_KEYS = {"boundsPeriod", "boundsDuration", "frequency", "period", "periodUnit", "timeOfDay"}
_DURATION_DAYS = {"d": 1, "wk": 7}


def dosage_for_step(
    step: Step, sequence: int, text: str, *, route: str, open_ended: bool = False
) -> dict[str, Any]:
    """The step as a Dosage; ``open_ended`` writes a period with a start only (the dose goes on)."""
    bounds: dict[str, str] = {"start": step.start.isoformat()}
    if not open_ended:
        bounds["end"] = step.last_day.isoformat()
    repeat: dict[str, Any] = {"boundsPeriod": bounds}
    if step.times:
        repeat |= {
            "frequency": step.times_per_day,
            "period": 1,
            "periodUnit": "d",
            "timeOfDay": [clock.strftime("%H:%M:00") for clock in step.times],
        }
    return {
        "sequence": sequence,
        "text": text,
        "timing": {"repeat": repeat},
        "route": {"text": route},
        "doseAndRate": [{"type": DOSE_RATE_ORDERED, "doseQuantity": dose_quantity(step.dose)}],
    }


@dataclass(frozen=True)
class DosageReading:
    """What one Dosage says, as read: the dose, the clock times, and its days when it gives them."""

    sequence: int | None
    dose: Quantity
    times: tuple[time, ...]
    start: date | None
    days: int | None  # None: open-ended (a period without an end, or no bounds at all)
    route: str | None


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FhirUnsupported(where, "expected an object")
    return value


def _only(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise FhirUnsupported(
            f"{where}.{unknown[0]}",
            f"'{unknown[0]}' is not supported in a dosewise plan step",
            hint="dosewise reads a dose, its clock times or times a day, and the step's days",
        )


def _date(value: object, where: str) -> date:
    if not isinstance(value, str) or len(value) < 10:
        raise FhirUnsupported(where, f"'{str(value)[:40]}' is not a date")
    if len(value) > 10 and not value[10:].startswith("T00:00:00"):
        raise FhirUnsupported(where, "a step starts and ends on whole days (give a date, or midnight)")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise FhirUnsupported(where, f"'{value[:40]}' is not a date") from exc


def _whole(value: object, where: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        number = exact_decimal(value, where)
        if number.denominator != 1:
            raise FhirUnsupported(where, f"'{value}' is not a whole number")
        value = int(number)
    if not low <= value <= high:
        raise FhirUnsupported(where, f"{value} is outside {low}-{high}")
    return value


def _times(raw: object, where: str) -> tuple[time, ...]:
    if not isinstance(raw, list) or not raw:
        raise FhirUnsupported(where, "timeOfDay is a non-empty list of times")
    times = []
    for index, value in enumerate(raw):
        try:
            clock = time.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            clock = None
        if clock is None or len(value) != 8 or clock.second or clock.microsecond:
            raise FhirUnsupported(f"{where}[{index}]", f"'{str(value)[:20]}' is not a time such as 08:00:00")
        times.append(clock)
    if len(set(times)) != len(times):
        raise FhirUnsupported(where, "the same clock time is listed twice")
    return tuple(sorted(times))


def _bounds(repeat: dict[str, Any], where: str) -> tuple[date | None, int | None]:
    if "boundsPeriod" in repeat and "boundsDuration" in repeat:
        raise FhirUnsupported(where, "give boundsPeriod or boundsDuration, not both")
    if "boundsPeriod" in repeat:
        period = _object(repeat["boundsPeriod"], f"{where}.boundsPeriod")
        _only(period, {"start", "end"}, f"{where}.boundsPeriod")
        if "start" not in period:
            raise FhirUnsupported(f"{where}.boundsPeriod", "a step's period needs its start day")
        start = _date(period["start"], f"{where}.boundsPeriod.start")
        if "end" not in period:
            return start, None
        end = _date(period["end"], f"{where}.boundsPeriod.end")
        if end < start:
            raise FhirUnsupported(f"{where}.boundsPeriod", "the period ends before it starts")
        days = (end - start).days + 1
        if days > _MAX_STEP_DAYS:
            raise FhirUnsupported(f"{where}.boundsPeriod", f"a step of {days} days is not a plausible plan")
        return start, days
    if "boundsDuration" in repeat:
        duration = _object(repeat["boundsDuration"], f"{where}.boundsDuration")
        code = duration.get("code", duration.get("unit"))
        if code not in _DURATION_DAYS:
            raise FhirUnsupported(
                f"{where}.boundsDuration", f"a step lasts whole days or weeks (d or wk), not {code!r}"
            )
        count = _whole(duration.get("value"), f"{where}.boundsDuration.value", low=1, high=_MAX_STEP_DAYS)
        return None, count * _DURATION_DAYS[str(code)]
    return None, None


def read_dosage(raw: object, where: str, *, allowed: tuple[Unit, ...] = (Unit.MG, Unit.MCG)) -> DosageReading:
    """Read one Dosage exactly, or refuse it naming the element dosewise cannot read."""
    dosage = _object(raw, where)
    _only(dosage, _DOSAGE_KEYS, where)
    if dosage.get("asNeededBoolean") is True:
        raise FhirUnsupported(f"{where}.asNeededBoolean", "an 'as needed' dose is not a plan step")
    sequence = dosage.get("sequence")
    if sequence is not None:
        sequence = _whole(sequence, f"{where}.sequence", low=1, high=10_000)
    rates = dosage.get("doseAndRate")
    if not isinstance(rates, list) or len(rates) != 1:
        raise FhirUnsupported(
            f"{where}.doseAndRate",
            "a plan step needs exactly one doseAndRate with a doseQuantity",
            hint="tapering doses are one Dosage per step, each with its own doseQuantity",
        )
    rate = _object(rates[0], f"{where}.doseAndRate[0]")
    _only(rate, {"type", "doseQuantity"}, f"{where}.doseAndRate[0]")
    if "doseQuantity" not in rate:
        raise FhirUnsupported(f"{where}.doseAndRate[0]", "the dose is missing (doseQuantity)")
    dose = quantity_from_fhir(rate["doseQuantity"], f"{where}.doseAndRate[0].doseQuantity", allowed=allowed)
    timing = _object(dosage.get("timing", {}), f"{where}.timing")
    _only(timing, {"repeat"}, f"{where}.timing")
    repeat = _object(timing.get("repeat", {}), f"{where}.timing.repeat")
    _only(repeat, _REPEAT_KEYS, f"{where}.timing.repeat")
    start, days = _bounds(repeat, f"{where}.timing.repeat")
    times = _read_frequency(repeat, f"{where}.timing.repeat", zero=dose.is_zero)
    route = dosage.get("route")
    route_text = _object(route, f"{where}.route").get("text") if route is not None else None
    return DosageReading(
        sequence, dose, times, start, days, route_text if isinstance(route_text, str) else None
    )


def _read_frequency(repeat: dict[str, Any], where: str, *, zero: bool) -> tuple[time, ...]:
    has_times = "timeOfDay" in repeat
    if "frequency" not in repeat and not has_times:
        if zero:
            return ()
        raise FhirUnsupported(
            where, "the step says neither its clock times (timeOfDay) nor how often (frequency)"
        )
    times = _times(repeat["timeOfDay"], f"{where}.timeOfDay") if has_times else ()
    if "frequency" in repeat or "period" in repeat or "periodUnit" in repeat:
        frequency = _whole(repeat.get("frequency", 1), f"{where}.frequency", low=1, high=6)
        period = exact_decimal(repeat.get("period", 1), f"{where}.period")
        unit = repeat.get("periodUnit")
        if period != 1 or unit != "d":
            raise FhirUnsupported(
                where,
                f"only doses per day are read (period 1, periodUnit d); got period {repeat.get('period')!r} "
                f"{unit!r}",
                hint="'every 8 hours' has no clock times: write timeOfDay, or frequency per 1 d",
            )
        if has_times and len(times) != frequency:
            raise FhirUnsupported(where, f"frequency {frequency} a day but {len(times)} times in timeOfDay")
        if not has_times:
            try:
                times = default_times(frequency)
            except InvalidInput as exc:  # pragma: no cover - frequency is already 1-6
                raise FhirUnsupported(f"{where}.frequency", exc.message) from exc
    return times


def steps_from_dosages(
    readings: list[tuple[str, DosageReading]], *, start: date | None
) -> tuple[list[Step], bool]:
    """Ordered readings as steps, and whether the plan continues after its last step.

    Each step starts where the one before ended (a gap or an overlap is refused: a lost or doubled day
    is a dosing error); the first needs its start in the Dosage or from ``start``. A last reading without
    an end continues: when it repeats the step before it is that step going on, otherwise it is a step of
    one day that then continues.
    """
    steps: list[Step] = []
    then_continue = False
    for index, (where, reading) in enumerate(readings):
        previous_end = steps[-1].end if steps else None
        first_day = reading.start or previous_end or (start if index == 0 else None)
        if first_day is None:
            raise FhirUnsupported(
                where,
                "the first step has no start day (timing.repeat.boundsPeriod.start)",
                hint="give --start DATE",
            )
        if previous_end is not None and first_day != previous_end:
            gap = (
                "starts before the step before it ends"
                if first_day < previous_end
                else "leaves days without a dose"
            )
            raise FhirUnsupported(
                where,
                f"the step starting {first_day.isoformat()} {gap} (previous step ends {previous_end.isoformat()})",
                hint="each step starts the day after the one before ends",
            )
        if reading.days is None:
            if index != len(readings) - 1:
                raise FhirUnsupported(where, "only the last step may be open-ended (no end day)")
            then_continue = True
            last = steps[-1] if steps else None
            if last is not None and last.dose == reading.dose and last.times == reading.times:
                break
            days = 1
        else:
            days = reading.days
        try:
            steps.append(Step(first_day, days, reading.dose, reading.times))
        except InvalidInput as exc:
            raise FhirUnsupported(where, exc.message) from exc
    return steps, then_continue
