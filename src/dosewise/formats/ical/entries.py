"""From plan versions to calendar entries: one per planned dose, with a UID, a SEQUENCE and a status.

A calendar only follows a change if the changed event keeps its UID and carries a higher SEQUENCE, so:

* the UID is a hash of (series, slot day, slot index), never of a time or a random number: the 08:00
  dose of 3 December is the same event in every version of the plan;
* the SEQUENCE of an entry is the number of the plan version that last changed what the event shows
  (its time, zone, title or text) minus one; version 1 gives 0, and a version that leaves a dose as it
  was leaves its SEQUENCE as it was;
* a dose an earlier version had and the latest has not is written as STATUS:CANCELLED (with the next
  SEQUENCE), for a while, so calendars that kept the old event strike it out instead of keeping it.

Everything is computed over the window asked for, from the versions given; nothing is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dosewise.domain.dispensing import TakeInstruction, take_for_dose
from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.quantity import Quantity
from dosewise.domain.regimen import Plan, administrations
from dosewise.domain.rules import DrugRules
from dosewise.formats.ical import wording

__all__ = [
    "MAX_WINDOW_DAYS",
    "CancelPolicy",
    "DoseEntry",
    "Revision",
    "Window",
    "dose_entries",
    "slot_uid",
]

# dosewise policy, not a clinical number: a calendar file covers at most a bit over a year.
MAX_WINDOW_DAYS = 400

Slot = tuple[date, int]


@dataclass(frozen=True)
class Revision:
    """One version of a plan as the calendar sees it: its number (increasing), the plan, the drug's
    rules (for what to take) and when it was made."""

    number: int
    plan: Plan
    rules: DrugRules
    made_at: datetime

    def __post_init__(self) -> None:
        if self.made_at.tzinfo is None:
            raise InvalidInput("a plan version's time must carry its zone")
        if self.number < 1:
            raise InvalidInput("plan versions are numbered from 1")


@dataclass(frozen=True)
class Window:
    """The days a calendar covers: ``first`` up to, not including, ``end``."""

    first: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.first:
            raise InvalidInput("a calendar covers at least one day")
        if (self.end - self.first).days > MAX_WINDOW_DAYS:
            raise InvalidInput(f"a calendar covers at most {MAX_WINDOW_DAYS} days")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day < self.end


@dataclass(frozen=True)
class CancelPolicy:
    """How long a removed dose stays in a subscribed feed as cancelled.

    ``keep_days`` after the change that removed it; and only a dose the feed could have shown then (within
    ``horizon_days`` of that day), so a calendar never receives a cancellation for an event it never had.
    """

    keep_days: int
    horizon_days: int


@dataclass(frozen=True)
class Shown:
    """What one event shows; two versions that give a slot equal ``Shown`` leave the event unchanged."""

    at: datetime
    zone: str
    summary: str
    description: str
    rules: DrugRules = field(compare=False)


@dataclass(frozen=True)
class DoseEntry:
    uid: str
    slot: Slot
    at: datetime  # zone-aware, in ``zone``
    zone: str
    summary: str
    description: str
    sequence: int
    cancelled: bool
    created: datetime  # UTC: the version that first had this dose
    revised: datetime  # UTC: the version that last changed it (DTSTAMP and LAST-MODIFIED)


def slot_uid(series: str, slot: Slot) -> str:
    """A stable UID for one planned dose; the series (a record or plan name) is hashed, never shown."""
    digest = hashlib.sha256(f"{series}|{slot[0].isoformat()}|{slot[1]}".encode()).hexdigest()[:32]
    return f"{digest}@dose.dosewise"


def _take(
    rules: DrugRules, plan: Plan, dose: Quantity, cache: dict[tuple[object, ...], TakeInstruction | None]
) -> TakeInstruction | None:
    key = (rules.id, dose, plan.products, plan.confirmed_scored)
    if key not in cache:
        try:
            cache[key] = take_for_dose(dose, rules, plan.products, confirmed_scored=plan.confirmed_scored)
        except DosewiseError:
            cache[key] = None  # the plan checker refuses such a plan; the event still says the dose
    return cache[key]


def _shown(
    revision: Revision, window: Window, cache: dict[tuple[object, ...], TakeInstruction | None]
) -> dict[Slot, Shown]:
    plan, rules = revision.plan, revision.rules
    zone = ZoneInfo(plan.timezone)
    out: dict[Slot, Shown] = {}
    for given in administrations(plan, zone, start=window.first, end=window.end):
        take = _take(rules, plan, given.dose, cache)
        out[(given.slot_date, given.slot_index)] = Shown(
            at=given.at,
            zone=plan.timezone,
            summary=wording.dose_summary(rules, given.dose),
            description=wording.dose_text(rules, given.dose, take, plan.overrides),
            rules=rules,
        )
    return out


@dataclass
class _History:
    shown: Shown | None
    last_shown: Shown
    first: Revision
    changed: Revision


def _local_day(revision: Revision) -> date:
    return revision.made_at.astimezone(ZoneInfo(revision.plan.timezone)).date()


def dose_entries(
    revisions: Sequence[Revision],
    window: Window,
    *,
    series: str,
    today: date,
    cancel: CancelPolicy | None = None,
) -> tuple[DoseEntry, ...]:
    """Entries for every dose the latest version plans inside ``window``, and cancelled entries for doses
    an earlier version planned there. ``cancel`` None (a file export) keeps every removed dose."""
    if not revisions:
        return ()
    ordered = sorted(revisions, key=lambda r: r.number)
    if len({r.number for r in ordered}) != len(ordered):
        raise InvalidInput("two plan versions carry the same number")
    cache: dict[tuple[object, ...], TakeInstruction | None] = {}
    history: dict[Slot, _History] = {}
    for revision in ordered:
        shown = _shown(revision, window, cache)
        for slot in set(history) | set(shown):
            now_shown = shown.get(slot)
            past = history.get(slot)
            if past is None:
                assert now_shown is not None
                history[slot] = _History(now_shown, now_shown, revision, revision)
            elif past.shown != now_shown:
                past.shown = now_shown
                past.changed = revision
                if now_shown is not None:
                    past.last_shown = now_shown
    entries = [
        entry
        for slot, past in sorted(history.items())
        if (entry := _entry(slot, past, series=series, today=today, cancel=cancel)) is not None
    ]
    return tuple(entries)


def _entry(
    slot: Slot, past: _History, *, series: str, today: date, cancel: CancelPolicy | None
) -> DoseEntry | None:
    sequence = past.changed.number - 1
    if past.shown is not None:
        shown, cancelled, description = past.shown, False, past.shown.description
    else:
        changed_on = _local_day(past.changed)
        if cancel is not None and (
            today >= changed_on + timedelta(days=cancel.keep_days)
            or slot[0] >= changed_on + timedelta(days=cancel.horizon_days)
        ):
            return None
        shown, cancelled = past.last_shown, True
        description = wording.cancelled_text(shown.rules, changed_on)
    return DoseEntry(
        uid=slot_uid(series, slot),
        slot=slot,
        at=shown.at,
        zone=shown.zone,
        summary=f"Cancelled: {shown.summary}" if cancelled else shown.summary,
        description=description,
        sequence=sequence,
        cancelled=cancelled,
        created=past.first.made_at.astimezone(UTC),
        revised=past.changed.made_at.astimezone(UTC),
    )
