"""Adherence over a window: every planned dose due in it counted as taken (on time or late), skipped or
missed by the one slot matcher (``missed.slots.match_records``), and the planned against taken daily totals.

A dose counts for the day of the slot it was credited to (the 20:00 dose taken at 00:30 belongs to the day
before); a dose credited to no slot is an extra dose, on the local day it was taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from fractions import Fraction

from dosewise.domain.missed.slots import DoseRecord, Schedule, is_late, match_records, utc
from dosewise.domain.quantity import Quantity, Unit
from dosewise.domain.regimen import Plan, administrations

__all__ = ["Adherence", "DayTotals", "adherence"]


@dataclass(frozen=True)
class DayTotals:
    """One day of the window: what was due and what was taken, in the plan's dose unit."""

    day: date
    planned: Quantity
    taken: Quantity
    due: int
    taken_count: int


@dataclass(frozen=True)
class Adherence:
    first: date
    now: datetime
    due: int
    on_time: int
    late: int
    skipped: int
    missed: int
    extra: int
    days: tuple[DayTotals, ...]

    @property
    def taken(self) -> int:
        return self.on_time + self.late

    @property
    def share(self) -> Fraction | None:
        """Taken over due; None when nothing was due (never a reassuring 100 %)."""
        return Fraction(self.taken, self.due) if self.due else None


def adherence(
    plan: Plan,
    tz: tzinfo,
    records: Sequence[DoseRecord],
    *,
    fraction: Fraction,
    first: date,
    now: datetime,
    amounts: Mapping[datetime, Quantity] | None = None,
) -> Adherence:
    """Count the slots due from ``first`` (local day) up to ``now``; ``amounts`` gives the dose recorded at
    each taken instant (a taken dose without one counts as its slot's planned dose; an extra dose without one
    is counted, but adds nothing to the day's total)."""
    utc(now, "now")
    unit: Unit = plan.dose_unit
    last = now.astimezone(tz).date()
    # Two days before the window and the rest of today, so that doses near its edges match as Today does.
    planned = list(administrations(plan, tz, start=first - timedelta(days=2), end=last + timedelta(days=2)))
    schedule = Schedule(plan, planned)
    match = match_records(schedule, records, fraction) if planned else None
    given = {utc(moment, "taken time"): dose for moment, dose in (amounts or {}).items()}

    def amount(moment: datetime, fallback: Quantity | None) -> Fraction:
        dose = given.get(utc(moment, "taken time"), fallback)
        return dose.to(unit).amount if dose is not None else Fraction(0)

    zero = Fraction(0)
    planned_by_day: dict[date, Fraction] = {}
    taken_by_day: dict[date, Fraction] = {}
    due_by_day: dict[date, int] = {}
    count_by_day: dict[date, int] = {}
    on_time = late = skipped = missed = 0
    for index, slot in enumerate(schedule.slots):
        if slot.slot_date < first or slot.at > now:
            continue
        day = slot.slot_date
        planned_by_day[day] = planned_by_day.get(day, zero) + slot.dose.to(unit).amount
        due_by_day[day] = due_by_day.get(day, 0) + 1
        if match is not None and index in match.credited:
            moment = match.credited[index]
            taken_by_day[day] = taken_by_day.get(day, zero) + amount(moment, slot.dose)
            count_by_day[day] = count_by_day.get(day, 0) + 1
            if is_late(schedule, index, moment, fraction):
                late += 1
            else:
                on_time += 1
        elif match is not None and index in match.closed:
            skipped += 1
        else:
            missed += 1
    extra = 0
    loose = (credit for credit in (match.credits if match else ()) if credit.slot is None)
    taken_loose = [r.at for r in records if r.status == "taken"] if match is None else []
    for moment in [credit.taken_at for credit in loose] + taken_loose:
        day = moment.astimezone(tz).date()
        if first <= day <= last and moment <= now:
            extra += 1
            taken_by_day[day] = taken_by_day.get(day, zero) + amount(moment, None)
            count_by_day[day] = count_by_day.get(day, 0) + 1
    days = []
    day = first
    while day <= last:
        days.append(
            DayTotals(
                day,
                Quantity(planned_by_day.get(day, zero), unit),
                Quantity(taken_by_day.get(day, zero), unit),
                due_by_day.get(day, 0),
                count_by_day.get(day, 0),
            )
        )
        day += timedelta(days=1)
    return Adherence(first, now, sum(due_by_day.values()), on_time, late, skipped, missed, extra, tuple(days))
