"""Plans as steps, and their expansion into dated, zone-aware administrations.

A step is a dose per administration given at fixed local clock times for a number of days. Expansion is
done per calendar day in the patient's zone, so a daylight-saving change neither drops nor doubles a dose:
a clock time that does not exist that day (spring forward) is given at the moment the clock jumps, and a
repeated time (fall back) is given once, at its first occurrence. The doses of a day always stay at
distinct instants, in clock order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Literal

from dosewise.domain.errors import InvalidInput
from dosewise.domain.findings import Finding
from dosewise.domain.quantity import Quantity, Unit

__all__ = [
    "DEFAULT_TIMES",
    "Administration",
    "Override",
    "Plan",
    "PriorRegimen",
    "Step",
    "administrations",
    "default_times",
    "parse_clock_time",
]

# Scheduling defaults (waking-hours spacing), not clinical numbers: a person or clinician may set any times.
DEFAULT_TIMES: dict[int, tuple[str, ...]] = {
    1: ("08:00",),
    2: ("08:00", "20:00"),
    3: ("08:00", "14:00", "20:00"),
    4: ("08:00", "12:00", "16:00", "20:00"),
    5: ("07:00", "10:00", "13:00", "16:00", "19:00"),
    6: ("06:00", "09:00", "12:00", "15:00", "18:00", "21:00"),
}


def parse_clock_time(text: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        value = time(int(hours), int(minutes))
    except (ValueError, AttributeError) as exc:
        raise InvalidInput(f"'{text}' is not a clock time such as 08:00") from exc
    return value


def default_times(times_per_day: int) -> tuple[time, ...]:
    if times_per_day not in DEFAULT_TIMES:
        raise InvalidInput(f"{times_per_day} doses a day is not supported (1 to 6)")
    return tuple(parse_clock_time(text) for text in DEFAULT_TIMES[times_per_day])


@dataclass(frozen=True)
class Step:
    """``dose`` per administration at each of ``times`` (local clock) for ``days`` days from ``start``."""

    start: date
    days: int
    dose: Quantity
    times: tuple[time, ...]

    def __post_init__(self) -> None:
        if self.days < 1:
            raise InvalidInput(f"a step lasts at least one day (got {self.days})")
        if not self.dose.unit.is_mass:
            raise InvalidInput(f"a step's dose is a mass (mg or mcg), not {self.dose}")
        if self.dose.amount < 0:
            raise InvalidInput("a dose cannot be negative")
        if not self.times and not self.dose.is_zero:
            raise InvalidInput("a step needs at least one time a day")
        if len(set(self.times)) != len(self.times):
            raise InvalidInput("a step lists the same clock time twice")
        if list(self.times) != sorted(self.times):
            object.__setattr__(self, "times", tuple(sorted(self.times)))

    @property
    def times_per_day(self) -> int:
        return len(self.times)

    @property
    def daily(self) -> Quantity:
        return self.dose * self.times_per_day

    @property
    def end(self) -> date:
        """The first day after this step."""
        return self.start + timedelta(days=self.days)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def with_start(self, start: date) -> Step:
        return replace(self, start=start)


@dataclass(frozen=True)
class PriorRegimen:
    """What the patient took before the plan's first step: a taper's first reduction is from this."""

    dose: Quantity
    times_per_day: int

    def __post_init__(self) -> None:
        if not self.dose.unit.is_mass or self.dose.amount <= 0:
            raise InvalidInput(f"the prior regimen's dose must be a positive mass, not {self.dose}")
        if not 1 <= self.times_per_day <= 6:
            raise InvalidInput("the prior regimen has 1 to 6 doses a day")

    @property
    def daily(self) -> Quantity:
        return self.dose * self.times_per_day


@dataclass(frozen=True)
class Override:
    """A clinician's explicit decision to cross a limit; the plan then says so loudly."""

    code: str
    reason: str
    by: str = ""


@dataclass(frozen=True)
class Plan:
    """A schedule of steps for one drug. ``then`` says what happens after the last step."""

    drug: str
    route: str
    steps: tuple[Step, ...]
    kb_version: str
    timezone: str = "UTC"
    kind: Literal["titration", "taper", "maintenance", "custom"] = "custom"
    then: Literal["continue", "stop"] = "continue"
    products: tuple[str, ...] = ()
    # Tablets whose score a pharmacist confirmed on the product in hand (scored "varies"): halves allowed.
    confirmed_scored: tuple[str, ...] = ()
    prior: PriorRegimen | None = None
    overrides: tuple[Override, ...] = ()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.steps:
            raise InvalidInput("a plan needs at least one step")
        units = {step.dose.unit for step in self.steps}
        if len(units) > 1:
            raise InvalidInput("all steps of a plan use one dose unit (mg or mcg)")

    @property
    def dose_unit(self) -> Unit:
        return self.steps[0].dose.unit

    @property
    def start(self) -> date:
        return self.steps[0].start

    @property
    def end(self) -> date:
        return self.steps[-1].end

    def step_on(self, day: date) -> Step | None:
        for step in self.steps:
            if step.start <= day < step.end:
                return step
        if self.then == "continue" and day >= self.end:
            return self.steps[-1]
        return None

    def overridden(self, code: str) -> Override | None:
        for override in self.overrides:
            if override.code == code:
                return override
        return None

    def override_note(self, code: str) -> str:
        """The sentence a finding ends with when a clinician overrode ``code``; empty otherwise."""
        override = self.overridden(code)
        return f" OVERRIDDEN by clinician ({override.reason})." if override else ""

    def with_findings(self, findings: tuple[Finding, ...]) -> Plan:
        return replace(self, findings=findings)


@dataclass(frozen=True)
class Administration:
    """One planned dose: its slot (calendar day and index in the day) and the real instant."""

    slot_date: date
    slot_index: int
    local_time: time
    at: datetime
    dose: Quantity
    step_index: int

    @property
    def at_utc(self) -> datetime:
        return self.at.astimezone(UTC)


@lru_cache(maxsize=8192)
def _instant(day: date, clock: time, tz: tzinfo) -> datetime:
    """The real instant for a local clock time: a repeated time is its first occurrence; a time that does
    not exist is the moment the clock jumps. Pure, and asked for the same days on every page: memoised. (Shifting it by the jump instead would land it on a later dose
    of the same day: 01:30 and 02:30 in London on the spring day would both be 01:30 UTC.)"""
    naive = datetime.combine(day, clock)
    after_jump = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if after_jump.astimezone(tz).replace(tzinfo=None) == naive:
        return after_jump.astimezone(tz)
    # In a gap the two readings of the time (offset before / after the jump) straddle the jump: find it.
    before_jump = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    offset_before = before_jump.astimezone(tz).utcoffset()
    low, high = int(before_jump.timestamp()), int(after_jump.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(tz).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC).astimezone(tz)


def administrations(
    plan: Plan,
    tz: tzinfo,
    *,
    start: date | None = None,
    end: date | None = None,
) -> Iterator[Administration]:
    """Every planned administration from ``start`` (default: plan start) up to, not including, ``end``.

    A plan that continues after its last step keeps producing its last step's doses up to ``end``; a plan
    that stops produces nothing after it. ``end`` defaults to the end of the last step.
    """
    first = start or plan.start
    stop = end or plan.end
    if stop <= first:
        return
    day = first
    while day < stop:
        for index, step in enumerate(plan.steps):
            if step.start <= day < step.end:
                yield from _day_doses(step, index, day, tz)
                break
        else:
            if plan.then == "continue" and day >= plan.end:
                yield from _day_doses(plan.steps[-1], len(plan.steps) - 1, day, tz)
        day += timedelta(days=1)


def _day_doses(step: Step, index: int, day: date, tz: tzinfo) -> Iterator[Administration]:
    if step.dose.is_zero:
        return
    previous: datetime | None = None
    for slot, clock in enumerate(step.times):
        at = _instant(day, clock, tz).astimezone(UTC)
        if previous is not None and at <= previous:
            # Two clock times fell into the same daylight-saving gap: keep them apart and in order.
            at = previous + timedelta(minutes=1)
        previous = at
        yield Administration(day, slot, clock, at.astimezone(tz), step.dose, index)
