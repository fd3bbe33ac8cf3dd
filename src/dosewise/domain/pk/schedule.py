"""Dose schedules for the model: a plan's planned doses or a person's actual dose history.

Times become hours from an origin (local midnight of the first day, in the person's zone); amounts become
mg as floats at exactly one place, ``_mg``. Days are calendar days in the person's zone, so a
daylight-saving day lasts 23 or 25 hours and per-day figures follow the clock the person lives by.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Literal

from dosewise.domain.errors import InvalidInput
from dosewise.domain.pk.parameters import SimulationRefused
from dosewise.domain.quantity import Quantity, Unit
from dosewise.domain.regimen import Plan, administrations

__all__ = [
    "DayWindow",
    "DoseEvent",
    "DoseSchedule",
    "RepeatingDay",
    "StepMark",
    "schedule_from_history",
    "schedule_from_plan",
]


@dataclass(frozen=True)
class DoseEvent:
    """A dose actually taken (or planned): a zone-aware instant and an exact amount."""

    at: datetime
    dose: Quantity
    note: str = ""

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvalidInput(f"dose time {self.at.isoformat()} has no time zone")
        if not self.dose.unit.is_mass:
            raise InvalidInput(f"a dose is a mass (mg or mcg), not {self.dose}")
        if self.dose.amount < 0:
            raise InvalidInput("a dose cannot be negative")


@dataclass(frozen=True)
class DayWindow:
    day: date
    start_h: float
    end_h: float


@dataclass(frozen=True)
class StepMark:
    at_h: float
    label: str


@dataclass(frozen=True)
class RepeatingDay:
    """The final step repeated every 24 h (used for steady state): offsets in hours within the day."""

    start_h: float
    offsets_h: tuple[float, ...]
    amounts_mg: tuple[float, ...]

    @property
    def daily_mg(self) -> float:
        return sum(self.amounts_mg)


@dataclass(frozen=True)
class DoseSchedule:
    origin: datetime
    times_h: tuple[float, ...]
    amounts_mg: tuple[float, ...]
    horizon_h: float
    days: tuple[DayWindow, ...]
    kind: Literal["plan", "history"]
    marks: tuple[StepMark, ...] = field(default=())
    repeating: RepeatingDay | None = None

    def __post_init__(self) -> None:
        if len(self.times_h) != len(self.amounts_mg):
            raise InvalidInput("each dose needs one time and one amount")
        if any(b < a for a, b in pairwise(self.times_h)):
            raise InvalidInput("doses must be in time order")
        if self.horizon_h <= 0:
            raise InvalidInput("the simulated period must be longer than zero")

    @property
    def total_mg(self) -> float:
        return sum(self.amounts_mg)

    def sample_count(self, resolution_h: float) -> int:
        """Grid samples 0, h, 2h, ... before the horizon (at least one) for a step of ``resolution_h``."""
        if not 0 < resolution_h <= 24:
            raise InvalidInput("resolution must be between 0 and 24 hours")
        # 1e-9 absorbs the rounding of horizon / h, so a horizon on a grid point is not one sample more.
        return max(1, math.ceil(self.horizon_h / resolution_h - 1e-9))


def _mg(dose: Quantity) -> float:
    """The one place an exact dose becomes a float: explicit conversion to mg first (mcg / 1000)."""
    return float(dose.to(Unit.MG).amount)


def _midnight(day: date, tz: tzinfo) -> datetime:
    aware = datetime.combine(day, time(0)).replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz)


def _hours(at: datetime, origin: datetime) -> float:
    # Through UTC: subtracting two datetimes that share a tzinfo object ignores their offsets (wall time),
    # which would lose or gain an hour across a daylight-saving change.
    return (at.astimezone(UTC) - origin.astimezone(UTC)).total_seconds() / 3600.0


def _days(first: date, last_exclusive: date, origin: datetime, tz: tzinfo) -> tuple[DayWindow, ...]:
    windows = []
    day = first
    while day < last_exclusive:
        nxt = day + timedelta(days=1)
        windows.append(DayWindow(day, _hours(_midnight(day, tz), origin), _hours(_midnight(nxt, tz), origin)))
        day = nxt
    return tuple(windows)


def schedule_from_plan(plan: Plan, tz: tzinfo, *, extra_days: int = 0) -> DoseSchedule:
    """The planned doses from the plan's first day to its end, plus ``extra_days`` afterwards.

    A plan that continues keeps giving its last step's doses in the extra days; one that stops gives
    nothing, which shows the wash-out.
    """
    if plan.route != "oral":
        raise SimulationRefused(f"the PK model covers oral dosing only, not {plan.route}")
    if extra_days < 0:
        raise InvalidInput("extra days cannot be negative")
    origin = _midnight(plan.start, tz)
    end = plan.end + timedelta(days=extra_days)
    doses = list(administrations(plan, tz, start=plan.start, end=end))
    times = tuple(_hours(d.at, origin) for d in doses)
    amounts = tuple(_mg(d.dose) for d in doses)
    marks = tuple(
        StepMark(_hours(_midnight(step.start, tz), origin), f"{step.dose} x{step.times_per_day}")
        for step in plan.steps
    )
    repeating = None
    last = plan.steps[-1]
    if plan.then == "continue" and not last.dose.is_zero:
        start_h = _hours(_midnight(last.start, tz), origin)
        repeating = RepeatingDay(
            start_h,
            tuple(clock.hour + clock.minute / 60.0 for clock in last.times),
            tuple(_mg(last.dose) for _ in last.times),
        )
    days = _days(plan.start, end, origin, tz)
    return DoseSchedule(origin, times, amounts, days[-1].end_h, days, "plan", marks, repeating)


def schedule_from_history(
    doses: Sequence[DoseEvent], tz: tzinfo, *, until: datetime | None = None
) -> DoseSchedule:
    """Actual doses (missed ones simply absent, extra ones present) from the first dose's day on.

    ``until`` ends the simulated period (default: the end of the day of the last dose plus one day).
    """
    if not doses:
        raise InvalidInput("a dose history needs at least one dose")
    ordered = sorted(doses, key=lambda event: event.at)
    first_day = ordered[0].at.astimezone(tz).date()
    origin = _midnight(first_day, tz)
    if until is None:
        last_day = ordered[-1].at.astimezone(tz).date() + timedelta(days=2)
    else:
        if until.tzinfo is None:
            raise InvalidInput("'until' needs a time zone")
        if until <= ordered[-1].at:
            raise InvalidInput("'until' must be after the last dose")
        local_until = until.astimezone(tz)
        last_day = local_until.date() + timedelta(days=1 if local_until.time() != time(0) else 0)
    days = _days(first_day, last_day, origin, tz)
    horizon = days[-1].end_h if until is None else _hours(until, origin)
    days = tuple(window for window in days if window.start_h < horizon)
    return DoseSchedule(
        origin,
        tuple(_hours(event.at, origin) for event in ordered),
        tuple(_mg(event.dose) for event in ordered),
        horizon,
        days,
        "history",
        tuple(StepMark(_hours(e.at, origin), e.note) for e in ordered if e.note),
    )
