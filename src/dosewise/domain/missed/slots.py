"""The schedule as real instants, and the matching rule that credits each recorded dose to a slot."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Literal

from dosewise.domain.errors import InvalidInput
from dosewise.domain.missed.types import (
    MICRO,
    Credit,
    CreditKind,
)
from dosewise.domain.regimen import Administration, Plan

__all__ = [
    "DoseRecord",
    "Schedule",
    "SlotMatch",
    "credit_doses",
    "early_enough",
    "is_late",
    "match_records",
    "match_skipped",
    "preference",
    "scale",
    "us",
    "utc",
    "within_take_window",
]


def utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{what} {moment.isoformat()} has no time zone", hint="give an offset or a zone")
    return moment.astimezone(UTC)


def us(delta: timedelta) -> int:
    return delta // MICRO


def within_take_window(elapsed: timedelta, interval: timedelta, fraction: Fraction) -> bool:
    """``elapsed < fraction x interval``, exactly (integer microseconds, no floats)."""
    return us(elapsed) * fraction.denominator < fraction.numerator * us(interval)


def scale(interval: timedelta, fraction: Fraction) -> timedelta:
    return timedelta(microseconds=us(interval) * fraction.numerator // fraction.denominator)


class Schedule:
    """Expanded slots in instant order, with each slot's interval to the next (or previous) slot."""

    def __init__(self, plan: Plan, slots: list[Administration]) -> None:
        self.plan = plan
        self.slots = sorted(slots, key=lambda a: a.at_utc)
        self.instants = [slot.at_utc for slot in self.slots]

    def interval(self, index: int) -> timedelta:
        if index + 1 < len(self.slots):
            return self.instants[index + 1] - self.instants[index]
        if index > 0:
            return self.instants[index] - self.instants[index - 1]
        step = self.plan.steps[self.slots[index].step_index]
        return timedelta(days=1) / max(step.times_per_day, 1)

    def last_due(self, now: datetime) -> int | None:
        position = bisect_right(self.instants, now)
        return position - 1 if position else None

    def index_of(self, slot_date: date, slot_index: int) -> int | None:
        for index, slot in enumerate(self.slots):
            if (slot.slot_date, slot.slot_index) == (slot_date, slot_index):
                return index
        return None


@dataclass(frozen=True)
class DoseRecord:
    """A standing record of a dose: taken (when) or skipped, and the planned slot it names, if any.

    The web records name their slot; a command line gives only times. ``at`` is the time taken, or the
    planned time of the skipped slot.
    """

    status: Literal["taken", "skipped"]
    at: datetime
    slot_date: date | None = None
    slot_index: int | None = None


@dataclass(frozen=True)
class SlotMatch:
    """Which slot each record counts for: the credits in time order, the credited and the closed slots."""

    credits: tuple[Credit, ...]
    credited: dict[int, datetime]
    closed: frozenset[int]


def _in_own_window(schedule: Schedule, index: int, moment: datetime, fraction: Fraction) -> bool:
    if moment < schedule.instants[index]:
        return early_enough(schedule, index, moment, fraction)
    return not is_late(schedule, index, moment, fraction)


def match_records(schedule: Schedule, records: Sequence[DoseRecord], fraction: Fraction | None) -> SlotMatch:
    """The one matcher: Today, the missed-dose advice, triage and the forecast all count doses by it.

    A skip closes the slot it names (or, without a name, the nearest slot). A dose taken inside the take
    window of the slot it names counts for that slot. Any other dose (no name, or taken outside its named
    slot's window) is matched by its time under the missed-dose rule (``credit_doses``): the 08:00 dose
    taken at 13:30 is, under a rule of half the interval, the 14:00 dose taken early, and 08:00 was missed.
    For a drug without a missed-dose rule (``fraction`` None) there is no take window to judge by: a dose
    counts for the slot it names, and a dose that names no planned slot is an extra dose.
    """
    if fraction is None:
        return _match_named(schedule, records)
    keyed_skips = [r for r in records if r.status == "skipped" and r.slot_date is not None]
    closed = set(
        match_skipped(schedule, [r.at for r in records if r.status == "skipped" and r.slot_date is None])
    )
    for record in keyed_skips:
        assert record.slot_date is not None and record.slot_index is not None
        index = schedule.index_of(record.slot_date, record.slot_index)
        if index is not None:
            closed.add(index)
    credited: dict[int, datetime] = {}
    own: list[Credit] = []
    loose: list[datetime] = []
    for record in sorted((r for r in records if r.status == "taken"), key=lambda r: r.at):
        moment = utc(record.at, "taken time")
        index = (
            schedule.index_of(record.slot_date, record.slot_index)
            if record.slot_date is not None and record.slot_index is not None
            else None
        )
        if (
            index is not None
            and index not in credited
            and index not in closed
            and _in_own_window(schedule, index, moment, fraction)
        ):
            credited[index] = moment
            kind: CreditKind = "early" if moment < schedule.instants[index] else "in_window"
            own.append(Credit(moment, schedule.slots[index], kind))
        else:
            loose.append(moment)
    rest, more = credit_doses(schedule, loose, fraction, frozenset(closed), credited)
    credits = tuple(sorted([*own, *rest], key=lambda c: c.taken_at))
    return SlotMatch(credits, {**credited, **more}, frozenset(closed))


def _match_named(schedule: Schedule, records: Sequence[DoseRecord]) -> SlotMatch:
    closed = set(
        match_skipped(schedule, [r.at for r in records if r.status == "skipped" and r.slot_date is None])
    )
    credited: dict[int, datetime] = {}
    credits: list[Credit] = []
    for record in sorted(records, key=lambda r: (r.status != "skipped", r.at)):
        index = (
            schedule.index_of(record.slot_date, record.slot_index)
            if record.slot_date is not None and record.slot_index is not None
            else None
        )
        if record.status == "skipped":
            if index is not None:
                closed.add(index)
            continue
        moment = utc(record.at, "taken time")
        if index is None or index in credited or index in closed:
            credits.append(Credit(moment, None, "extra" if index is not None else "outside_plan"))
            continue
        credited[index] = moment
        kind: CreditKind = "early" if moment < schedule.instants[index] else "in_window"
        credits.append(Credit(moment, schedule.slots[index], kind))
    return SlotMatch(tuple(sorted(credits, key=lambda c: c.taken_at)), credited, frozenset(closed))


def credit_doses(
    schedule: Schedule,
    taken: Sequence[datetime],
    fraction: Fraction,
    closed: frozenset[int] = frozenset(),
    already: dict[int, datetime] | None = None,
) -> tuple[list[Credit], dict[int, datetime]]:
    """Credit doses known only by their time; ``already`` holds slots other records filled."""
    credited: dict[int, datetime] = dict(already or {})
    credits: list[Credit] = []
    for moment in sorted(utc(t, "taken time") for t in taken):
        position = bisect_right(schedule.instants, moment)
        before = position - 1 if position else None
        after = position if position < len(schedule.slots) else None
        preferred, other = preference(schedule, moment, before, after, fraction)
        chosen = None
        for candidate in (preferred, other):
            if candidate is None or candidate in credited or candidate in closed:
                continue
            # A fallback to the next slot counts only inside that slot's own take window: an extra dose
            # hours earlier must not cancel a later dose (a skipped dose is a withdrawal risk).
            too_early = moment < schedule.instants[candidate] and not early_enough(
                schedule, candidate, moment, fraction
            )
            if candidate == other and too_early:
                continue
            chosen = candidate
            break
        if chosen is None:
            kind: CreditKind = "extra" if preferred is not None else "outside_plan"
            credits.append(Credit(moment, None, kind))
            continue
        credited[chosen] = moment
        slot = schedule.slots[chosen]
        late = is_late(schedule, chosen, moment, fraction)
        kind = "early" if moment < slot.at_utc else ("late" if late else "in_window")
        credits.append(Credit(moment, slot, kind))
    return credits, {i: m for i, m in credited.items() if not already or i not in already}


def early_enough(schedule: Schedule, index: int, moment: datetime, fraction: Fraction) -> bool:
    """Taken before the slot but within its take window (the same fraction of the interval before it)."""
    lead = schedule.instants[index] - moment
    gap = schedule.instants[index] - schedule.instants[index - 1] if index > 0 else schedule.interval(index)
    return within_take_window(lead, gap, fraction)


def is_late(schedule: Schedule, index: int, moment: datetime, fraction: Fraction) -> bool:
    """Taken after the slot's take window closed."""
    elapsed = moment - schedule.instants[index]
    return elapsed > timedelta(0) and not within_take_window(elapsed, schedule.interval(index), fraction)


def preference(
    schedule: Schedule, moment: datetime, before: int | None, after: int | None, fraction: Fraction
) -> tuple[int | None, int | None]:
    if before is not None and after is not None:
        gap = schedule.instants[after] - schedule.instants[before]
        if within_take_window(moment - schedule.instants[before], gap, fraction):
            return before, after
        return after, before
    if before is not None:  # after the last planned slot
        inside = moment - schedule.instants[before] < schedule.interval(before)
        return (before, None) if inside else (None, None)
    if after is not None:  # before the first planned slot
        inside = schedule.instants[after] - moment <= schedule.interval(after)
        return (after, None) if inside else (None, None)
    return None, None


def match_skipped(schedule: Schedule, skipped: Sequence[datetime]) -> frozenset[int]:
    """A skipped record names a slot by its scheduled time; the nearest slot within an interval is used."""
    found: set[int] = set()
    for moment in (utc(s, "skipped time") for s in skipped):
        position = bisect_right(schedule.instants, moment)
        candidates = [i for i in (position - 1, position) if 0 <= i < len(schedule.slots)]
        if not candidates:
            raise InvalidInput(f"no planned dose near the skipped time {moment.isoformat()}")
        best = min(candidates, key=lambda i: abs(schedule.instants[i] - moment))
        if abs(schedule.instants[best] - moment) >= schedule.interval(best):
            raise InvalidInput(f"no planned dose near the skipped time {moment.isoformat()}")
        found.add(best)
    return frozenset(found)
