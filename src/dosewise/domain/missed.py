"""Missed-dose advice: take it now or skip it, never double, and when repeated misses become urgent.

The rule comes from the knowledge base (``MissedDoseRule``): a configurable default, not label text. No US
label gives a missed-dose rule (clinical-reference 7).

Crediting taken doses to slots (the matching rule)
    Everything is compared as real instants (UTC), so daylight-saving days neither stretch nor shrink an
    interval and calendar dates play no part: a dose taken at 00:30 for a 20:00 slot is simply 4.5 hours
    after that slot. Recorded times are processed in order. For a dose taken at ``t`` between slot ``P``
    (at or before ``t``) and slot ``N`` (after ``t``), the preferred slot is ``P`` while ``t`` is still
    inside ``P``'s take window (less than the rule's fraction of the ``P`` -> ``N`` interval after ``P``),
    and ``N`` after that, because a dose taken later than the take window is, under the same rule, the next
    dose taken early. With the default fraction of one half this is the nearest slot. If the preferred slot
    already has a dose, the dose goes to the other neighbour when that is open; otherwise it is an extra
    dose. A dose before the first or after the last planned slot is credited only within one interval.
    Two recorded doses closer than the take window are reported as a possible double dose.

Which slots are judged
    Slots from ``history_from`` to ``now``. Without an explicit start, judging starts at the slot of the
    earliest record (taken or skipped); with no records at all only the most recent due slot is judged,
    and the advice says so.

Urgency
    ``urgent`` when the current run of missed doses has lasted at least ``urgent_after_missed_hours`` since
    the first missed dose was due, or covers a whole day's doses (at least the doses per day of the step,
    and at least ``soon_after_consecutive_missed``): withdrawal is plausible. ``soon`` when the run is at
    least ``soon_after_consecutive_missed`` doses, or an earlier run in the recent window was.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from fractions import Fraction
from itertools import pairwise
from typing import Literal

from dosewise.domain.errors import InvalidInput
from dosewise.domain.regimen import Administration, Plan, administrations
from dosewise.domain.rules import MissedDoseRule

__all__ = [
    "Credit",
    "MissedDoseAdvice",
    "SlotRecord",
    "advise",
]

# How far ahead to look for the next planned dose: a computation bound, not a clinical number.
_LOOKAHEAD_DAYS = 9
_MICRO = timedelta(microseconds=1)

Action = Literal["take_now", "skip", "none"]
Status = Literal["missed", "skipped", "nothing_missed", "not_started", "ended"]
Urgency = Literal["none", "soon", "urgent"]
SlotStatus = Literal["taken", "skipped", "missed"]
CreditKind = Literal["in_window", "late", "early", "extra", "outside_plan"]


@dataclass(frozen=True)
class Credit:
    """Where one recorded dose was counted: its slot (or none) and whether it was late or early."""

    taken_at: datetime
    slot: Administration | None
    kind: CreditKind


@dataclass(frozen=True)
class SlotRecord:
    """A judged, due slot and what happened to it."""

    slot: Administration
    status: SlotStatus
    taken_at: datetime | None = None
    late: bool = False


@dataclass(frozen=True)
class MissedDoseAdvice:
    action: Action
    status: Status
    now: datetime
    timezone: str
    missed_slot: Administration | None
    take_until: datetime | None
    next_dose: Administration | None
    consecutive_missed: int
    missed_for: timedelta
    missed_recent: int
    late_recent: int
    urgency: Urgency
    urgency_reason: str
    reason: str
    patient_text: str
    clinician_text: str
    source: str
    source_ids: tuple[str, ...]
    confidence: str
    kb_version: str
    is_label_text: bool
    history_from: datetime | None
    assumptions: tuple[str, ...]
    credits: tuple[Credit, ...]
    slots: tuple[SlotRecord, ...]
    possible_doubles: tuple[tuple[datetime, datetime], ...]

    @property
    def missed_hours(self) -> Fraction:
        return Fraction(self.missed_for // _MICRO, 3_600_000_000)


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{what} {moment.isoformat()} has no time zone", hint="give an offset or a zone")
    return moment.astimezone(UTC)


def _us(delta: timedelta) -> int:
    return delta // _MICRO


def _within_take_window(elapsed: timedelta, interval: timedelta, fraction: Fraction) -> bool:
    """``elapsed < fraction x interval``, exactly (integer microseconds, no floats)."""
    return _us(elapsed) * fraction.denominator < fraction.numerator * _us(interval)


def _scale(interval: timedelta, fraction: Fraction) -> timedelta:
    return timedelta(microseconds=_us(interval) * fraction.numerator // fraction.denominator)


class _Schedule:
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


def _credit(
    schedule: _Schedule, taken: Sequence[datetime], fraction: Fraction, closed: frozenset[int] = frozenset()
) -> tuple[list[Credit], dict[int, datetime]]:
    credited: dict[int, datetime] = {}
    credits: list[Credit] = []
    for moment in sorted(_utc(t, "taken time") for t in taken):
        position = bisect_right(schedule.instants, moment)
        before = position - 1 if position else None
        after = position if position < len(schedule.slots) else None
        preferred, other = _preference(schedule, moment, before, after, fraction)
        chosen = None
        for candidate in (preferred, other):
            if candidate is None or candidate in credited or candidate in closed:
                continue
            # A fallback to the next slot counts only inside that slot's own take window: an extra dose
            # hours earlier must not cancel a later dose (a skipped dose is a withdrawal risk).
            too_early = moment < schedule.instants[candidate] and not _early_enough(
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
        late = _is_late(schedule, chosen, moment, fraction)
        kind = "early" if moment < slot.at_utc else ("late" if late else "in_window")
        credits.append(Credit(moment, slot, kind))
    return credits, credited


def _early_enough(schedule: _Schedule, index: int, moment: datetime, fraction: Fraction) -> bool:
    """Taken before the slot but within its take window (the same fraction of the interval before it)."""
    lead = schedule.instants[index] - moment
    gap = schedule.instants[index] - schedule.instants[index - 1] if index > 0 else schedule.interval(index)
    return _within_take_window(lead, gap, fraction)


def _is_late(schedule: _Schedule, index: int, moment: datetime, fraction: Fraction) -> bool:
    """Taken after the slot's take window closed."""
    elapsed = moment - schedule.instants[index]
    return elapsed > timedelta(0) and not _within_take_window(elapsed, schedule.interval(index), fraction)


def _preference(
    schedule: _Schedule, moment: datetime, before: int | None, after: int | None, fraction: Fraction
) -> tuple[int | None, int | None]:
    if before is not None and after is not None:
        gap = schedule.instants[after] - schedule.instants[before]
        if _within_take_window(moment - schedule.instants[before], gap, fraction):
            return before, after
        return after, before
    if before is not None:  # after the last planned slot
        inside = moment - schedule.instants[before] < schedule.interval(before)
        return (before, None) if inside else (None, None)
    if after is not None:  # before the first planned slot
        inside = schedule.instants[after] - moment <= schedule.interval(after)
        return (after, None) if inside else (None, None)
    return None, None


def _match_skipped(schedule: _Schedule, skipped: Sequence[datetime]) -> frozenset[int]:
    """A skipped record names a slot by its scheduled time; the nearest slot within an interval is used."""
    found: set[int] = set()
    for moment in (_utc(s, "skipped time") for s in skipped):
        position = bisect_right(schedule.instants, moment)
        candidates = [i for i in (position - 1, position) if 0 <= i < len(schedule.slots)]
        if not candidates:
            raise InvalidInput(f"no planned dose near the skipped time {moment.isoformat()}")
        best = min(candidates, key=lambda i: abs(schedule.instants[i] - moment))
        if abs(schedule.instants[best] - moment) >= schedule.interval(best):
            raise InvalidInput(f"no planned dose near the skipped time {moment.isoformat()}")
        found.add(best)
    return frozenset(found)


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _when(moment: datetime, now: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    today = now.astimezone(tz).date()
    day = {today: "today", today + timedelta(days=1): "tomorrow", today - timedelta(days=1): "yesterday"}
    return f"{local.strftime('%H:%M')} {day.get(local.date(), 'on ' + local.date().isoformat())}"


def _hours(delta: timedelta) -> str:
    hours = _us(delta) // 3_600_000_000
    minutes = (_us(delta) // 60_000_000) % 60
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def advise(
    plan: Plan,
    tz: tzinfo,
    *,
    now: datetime,
    taken: Sequence[datetime],
    rule: MissedDoseRule,
    kb_version: str,
    skipped: Sequence[datetime] = (),
    history_from: datetime | None = None,
    withdrawal_signs: Sequence[str] = (),
) -> MissedDoseAdvice:
    """Decide take-now or skip for the most recent due dose that was not taken, and how urgent it is."""
    now_utc = _utc(now, "now")
    taken_utc = [_utc(t, "taken time") for t in taken]
    if any(t > now_utc for t in taken_utc):
        raise InvalidInput("a dose is recorded as taken after 'now'", hint="check the dates and time zones")
    skipped_utc = [_utc(s, "skipped time") for s in skipped]
    if history_from is not None:
        history_from = _utc(history_from, "history start")
    earliest = min([now_utc, *taken_utc, *skipped_utc, *([history_from] if history_from else [])])
    first_day: date = earliest.astimezone(tz).date() - timedelta(days=2)
    last_day: date = now_utc.astimezone(tz).date() + timedelta(days=_LOOKAHEAD_DAYS)
    schedule = _Schedule(plan, list(administrations(plan, tz, start=first_day, end=last_day)))
    fraction = rule.take_if_elapsed_fraction_below
    closed = _match_skipped(schedule, skipped_utc)
    credits, credited = _credit(schedule, taken_utc, fraction, closed)
    last = schedule.last_due(now_utc)

    assumptions: list[str] = []
    if history_from is None:
        starts = [c.slot.at_utc for c in credits if c.slot is not None] + taken_utc
        starts += [schedule.instants[i] for i in closed] + skipped_utc
        if starts:
            history_from = min(starts)
        elif last is not None:
            history_from = schedule.instants[last]
            assumptions.append(
                "No doses were recorded, so only the most recent planned dose is judged and earlier doses "
                "are assumed taken. Record the doses you took to count earlier misses."
            )
    records = _judge(schedule, last, history_from, credited, closed, fraction)
    runs = _runs(records)
    run = runs[-1] if runs and records[-1].status != "taken" else []
    recent_window = timedelta(hours=rule.recent_window_hours)
    recent = [r for r in records if now_utc - r.slot.at_utc <= recent_window]
    next_index = _next_open(schedule, now_utc, credited, closed)
    next_dose = schedule.slots[next_index] if next_index is not None else None

    action: Action = "none"
    status: Status
    missed_slot: Administration | None = None
    take_until: datetime | None = None
    if last is None:
        first = next(iter(administrations(plan, tz, start=plan.start, end=plan.end)), None)
        if first is not None and now_utc < first.at_utc:
            status = "not_started"
        else:
            status = "ended" if next_dose is None else "nothing_missed"
    elif last in credited:
        status = "nothing_missed" if next_dose is not None else "ended"
    elif last in closed:
        status, action, missed_slot = "skipped", "skip", schedule.slots[last]
    else:
        status, missed_slot = "missed", schedule.slots[last]
        interval = schedule.interval(last)
        take_until = (schedule.instants[last] + _scale(interval, fraction)).astimezone(tz)
        action = (
            "take_now"
            if _within_take_window(now_utc - schedule.instants[last], interval, fraction)
            else "skip"
        )
        if action == "skip" and next_dose is None:
            status = "ended"

    # Once a plan has stopped, time after its end is not "missing" a dose: count only up to the end.
    horizon = now_utc
    if next_dose is None and last is not None:
        horizon = min(now_utc, schedule.instants[last] + schedule.interval(last))
    missed_for = max(horizon - run[0].slot.at_utc, timedelta(0)) if run else timedelta(0)
    urgency, urgency_reason = _urgency(plan, rule, run, missed_for, recent)
    reason = _reason(action, status, last is None, fraction)
    doubles = _close_pairs(schedule, credits, fraction)
    patient_text = _patient_text(
        action,
        status,
        missed_slot,
        next_dose,
        now_utc,
        tz,
        urgency,
        len(run),
        missed_for,
        withdrawal_signs,
        doubles,
    )
    clinician_text = _clinician_text(
        action, status, missed_slot, take_until, run, missed_for, urgency_reason, rule, tz
    )
    return MissedDoseAdvice(
        action=action,
        status=status,
        now=now_utc.astimezone(tz),
        timezone=plan.timezone,
        missed_slot=missed_slot,
        take_until=take_until,
        next_dose=next_dose,
        consecutive_missed=len(run),
        missed_for=missed_for,
        missed_recent=sum(1 for r in recent if r.status != "taken"),
        late_recent=sum(1 for r in recent if r.late),
        urgency=urgency,
        urgency_reason=urgency_reason,
        reason=reason,
        patient_text=patient_text,
        clinician_text=clinician_text,
        source=rule.provenance.cite(),
        source_ids=rule.provenance.source_ids,
        confidence=rule.provenance.confidence,
        kb_version=kb_version,
        is_label_text=rule.is_label_text,
        history_from=history_from.astimezone(tz) if history_from else None,
        assumptions=tuple(assumptions),
        credits=tuple(Credit(c.taken_at.astimezone(tz), c.slot, c.kind) for c in credits),
        slots=tuple(records),
        possible_doubles=tuple((a.astimezone(tz), b.astimezone(tz)) for a, b in doubles),
    )


def _judge(
    schedule: _Schedule,
    last: int | None,
    history_from: datetime | None,
    credited: dict[int, datetime],
    closed: frozenset[int],
    fraction: Fraction,
) -> list[SlotRecord]:
    if last is None or history_from is None:
        return []
    records = []
    for index in range(last + 1):
        if schedule.instants[index] < history_from:
            continue
        slot = schedule.slots[index]
        if index in credited:
            moment = credited[index]
            records.append(SlotRecord(slot, "taken", moment, _is_late(schedule, index, moment, fraction)))
        else:
            records.append(SlotRecord(slot, "skipped" if index in closed else "missed"))
    return records


def _runs(records: list[SlotRecord]) -> list[list[SlotRecord]]:
    runs: list[list[SlotRecord]] = []
    current: list[SlotRecord] = []
    for record in records:
        if record.status == "taken":
            if current:
                runs.append(current)
            current = []
        else:
            current.append(record)
    if current:
        runs.append(current)
    return runs


def _next_open(
    schedule: _Schedule, now: datetime, credited: dict[int, datetime], closed: frozenset[int]
) -> int | None:
    for index in range(bisect_right(schedule.instants, now), len(schedule.slots)):
        if index not in credited and index not in closed:
            return index
    return None


def _whole_day(plan: Plan, rule: MissedDoseRule, run: list[SlotRecord]) -> bool:
    per_day = plan.steps[run[-1].slot.step_index].times_per_day
    return len(run) >= max(per_day, rule.soon_after_consecutive_missed)


def _urgency(
    plan: Plan, rule: MissedDoseRule, run: list[SlotRecord], missed_for: timedelta, recent: list[SlotRecord]
) -> tuple[Urgency, str]:
    limit = timedelta(hours=rule.urgent_after_missed_hours)
    if run and missed_for >= limit:
        return (
            "urgent",
            f"doses missed for {_hours(missed_for)} (urgent from {rule.urgent_after_missed_hours} h)",
        )
    if run and _whole_day(plan, rule, run):
        return "urgent", f"{len(run)} doses in a row missed: a whole day's doses"
    if len(run) >= rule.soon_after_consecutive_missed:
        return "soon", f"{len(run)} doses in a row missed (soon from {rule.soon_after_consecutive_missed})"
    earlier = [r for r in _runs(recent) if len(r) >= rule.soon_after_consecutive_missed]
    if earlier:
        worst = max(len(r) for r in earlier)
        return (
            "soon",
            f"{worst} doses in a row were missed in the last {_hours(timedelta(hours=rule.recent_window_hours))}",
        )
    return "none", "no repeated misses"


def _close_pairs(
    schedule: _Schedule, credits: list[Credit], fraction: Fraction
) -> list[tuple[datetime, datetime]]:
    """Consecutive recorded doses closer than the take window of the interval around them."""
    moments = sorted(c.taken_at for c in credits)
    pairs = []
    for first, second in pairwise(moments):
        position = bisect_right(schedule.instants, first)
        index = min(max(position - 1, 0), len(schedule.slots) - 1) if schedule.slots else None
        interval = schedule.interval(index) if index is not None else timedelta(days=1)
        if _within_take_window(second - first, interval, fraction):
            pairs.append((first, second))
    return pairs


_FRACTION_WORDS = {Fraction(1, 2): "half", Fraction(1, 3): "a third", Fraction(1, 4): "a quarter"}


def _reason(action: Action, status: Status, none_due: bool, fraction: Fraction) -> str:
    share = _FRACTION_WORDS.get(fraction, str(fraction))
    if action == "take_now":
        return f"less than {share} of the time to the next dose has passed since the missed dose was due"
    if action == "skip":
        if status == "skipped":
            return "the dose was recorded as skipped"
        return f"{share} or more of the time to the next dose has passed: taking it now would be too close"
    return {
        "not_started": "the plan has not started yet",
        "ended": "the plan has ended: no more doses are planned",
    }.get(status, "no planned dose is due yet" if none_due else "the most recent planned dose was taken")


def _dose_words(slot: Administration) -> str:
    return f"{slot.dose} dose"


def _patient_text(
    action: Action,
    status: Status,
    missed: Administration | None,
    next_dose: Administration | None,
    now: datetime,
    tz: tzinfo,
    urgency: Urgency,
    run_length: int,
    missed_for: timedelta,
    withdrawal_signs: Sequence[str],
    doubles: list[tuple[datetime, datetime]],
) -> str:
    parts: list[str] = []
    nxt = f"your next dose ({next_dose.dose}) at {_when(next_dose.at, now, tz)}" if next_dose else ""
    if status == "not_started":
        parts.append(
            f"Your plan has not started yet. Take {nxt} as planned." if nxt else "No dose is planned yet."
        )
    elif status in ("nothing_missed",):
        parts.append(
            f"No planned dose is missing. Take {nxt} as planned." if nxt else "No planned dose is missing."
        )
    elif status == "ended" and action == "none":
        parts.append("Your plan has ended: no more doses are planned. Follow your clinician's instructions.")
    elif action == "take_now" and missed is not None:
        parts.append(f"Take the {_dose_words(missed)} you missed at {_when(missed.at, now, tz)} now.")
        parts.append(f"Then take {nxt} as planned." if nxt else "That was the last dose in your plan.")
    elif missed is not None:
        reason = "you recorded it as skipped" if status == "skipped" else "it is too close to the next dose"
        parts.append(f"Skip the {_dose_words(missed)} you missed at {_when(missed.at, now, tz)}: {reason}.")
        parts.append(f"Take {nxt} as planned." if nxt else "No more doses are planned in your plan.")
    parts.append("Never take two doses at once to make up for a missed one.")
    if doubles:
        parts.append(
            "Two doses were recorded close together. If you feel very sleepy, confused or your breathing is "
            "slow, get medical help; call your emergency number if breathing is slow."
        )
    signs = ", ".join(withdrawal_signs)
    watch = (
        f" Get medical help at once if you notice signs of withdrawal such as {signs}; call your emergency "
        "number for a seizure or for high fever with confusion."
        if signs
        else ""
    )
    if urgency == "urgent":
        parts.append(
            f"You have missed {run_length} doses in a row ({_hours(missed_for)} since the first). Stopping "
            "baclofen suddenly can cause a dangerous withdrawal. Contact your clinician or an urgent care "
            "service today and tell them which doses you missed." + watch
        )
    elif urgency == "soon":
        parts.append(
            "Several doses have been missed. Tell your clinician soon (today or tomorrow): missing doses "
            "can bring on withdrawal." + watch
        )
    return " ".join(parts)


def _clinician_text(
    action: Action,
    status: Status,
    missed: Administration | None,
    take_until: datetime | None,
    run: list[SlotRecord],
    missed_for: timedelta,
    urgency_reason: str,
    rule: MissedDoseRule,
    tz: tzinfo,
) -> str:
    parts = []
    if missed is not None and take_until is not None:
        parts.append(
            f"Slot {_local(missed.at, tz)} ({missed.dose}) not taken; take window until "
            f"{_local(take_until, tz)} (elapsed fraction below {rule.take_if_elapsed_fraction_below} "
            f"of the interval): {action}."
        )
    elif status == "skipped" and missed is not None:
        parts.append(f"Slot {_local(missed.at, tz)} recorded as skipped.")
    else:
        parts.append(f"Status: {status.replace('_', ' ')}.")
    if run:
        parts.append(
            f"{len(run)} consecutive missed or skipped; {_hours(missed_for)} since the first was due."
        )
    parts.append(f"Urgency: {urgency_reason}.")
    parts.append(rule.clinician_text)
    return " ".join(parts)
