"""The advisor: judge the due slots, choose take-now or skip, and decide how urgent repeated misses are."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from fractions import Fraction
from itertools import pairwise

from dosewise.domain.errors import InvalidInput
from dosewise.domain.missed.slots import (
    DoseRecord,
    Schedule,
    is_late,
    match_records,
    scale,
    utc,
    within_take_window,
)
from dosewise.domain.missed.types import (
    Action,
    Credit,
    MissedDoseAdvice,
    OverdoseLevel,
    OverdoseQuestion,
    OverdoseRule,
    SlotRecord,
    Status,
    Urgency,
)
from dosewise.domain.missed.wording import (
    compose_clinician_text,
    compose_patient_text,
    hours_text,
    reason_text,
)
from dosewise.domain.quantity import Quantity
from dosewise.domain.regimen import Administration, Plan, administrations
from dosewise.domain.rules import MissedDoseRule

__all__ = [
    "advise",
]

# How far ahead to look for the next planned dose: a computation bound, not a clinical number.
LOOKAHEAD_DAYS = 9


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
    records: Sequence[DoseRecord] = (),
    overdose_rule: OverdoseRule | None = None,
) -> MissedDoseAdvice:
    """Decide take-now or skip for the most recent due dose that was not taken, and how urgent it is.

    ``records`` are slot-keyed records (the web's); ``taken`` and ``skipped`` are times without a slot.
    Both are counted by the one matcher, ``slots.match_records``.
    """
    now_utc = utc(now, "now")
    recorded = [
        *records,
        *(DoseRecord("taken", t) for t in taken),
        *(DoseRecord("skipped", s) for s in skipped),
    ]
    taken = [r.at for r in recorded if r.status == "taken"]
    skipped = [r.at for r in recorded if r.status == "skipped"]
    taken_utc = [utc(t, "taken time") for t in taken]
    if any(t > now_utc for t in taken_utc):
        raise InvalidInput("a dose is recorded as taken after 'now'", hint="check the dates and time zones")
    skipped_utc = [utc(s, "skipped time") for s in skipped]
    if history_from is not None:
        history_from = utc(history_from, "history start")
    earliest = min([now_utc, *taken_utc, *skipped_utc, *([history_from] if history_from else [])])
    first_day: date = earliest.astimezone(tz).date() - timedelta(days=2)
    last_day: date = now_utc.astimezone(tz).date() + timedelta(days=LOOKAHEAD_DAYS)
    schedule = Schedule(plan, list(administrations(plan, tz, start=first_day, end=last_day)))
    fraction = rule.take_if_elapsed_fraction_below
    match = match_records(schedule, recorded, fraction)
    closed, credited, credits = match.closed, match.credited, list(match.credits)
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
    judged = _judge(schedule, last, history_from, credited, closed, fraction)
    runs = _runs(judged)
    run = runs[-1] if runs and judged[-1].status != "taken" else []
    recent_window = timedelta(hours=rule.recent_window_hours)
    recent = [r for r in judged if now_utc - r.slot.at_utc <= recent_window]
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
        take_until = (schedule.instants[last] + scale(interval, fraction)).astimezone(tz)
        action = (
            "take_now"
            if within_take_window(now_utc - schedule.instants[last], interval, fraction)
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
    reason = reason_text(action, status, last is None, fraction)
    doubles = _close_pairs(schedule, credits, fraction)
    overdose = _overdose(schedule, credits, doubles, overdose_rule, tz) if doubles else None
    if overdose is not None:
        urgency, urgency_reason = "urgent", f"{overdose.reason} ({urgency_reason})"
    patient_text = compose_patient_text(
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
        overdose,
    )
    clinician_text = compose_clinician_text(
        action, status, missed_slot, take_until, run, missed_for, urgency_reason, rule, tz
    )
    if overdose is not None:
        clinician_text += f" Overdose question ({overdose.level}): {overdose.reason}."
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
        slots=tuple(judged),
        possible_doubles=tuple((a.astimezone(tz), b.astimezone(tz)) for a, b in doubles),
        overdose=overdose,
        withdrawal_signs=tuple(withdrawal_signs)
        if urgency in ("urgent", "soon") and overdose is None
        else (),
    )


def _judge(
    schedule: Schedule,
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
            records.append(SlotRecord(slot, "taken", moment, is_late(schedule, index, moment, fraction)))
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
    schedule: Schedule, now: datetime, credited: dict[int, datetime], closed: frozenset[int]
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
            f"doses missed for {hours_text(missed_for)} (urgent from {rule.urgent_after_missed_hours} h)",
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
            f"{worst} doses in a row were missed in the last {hours_text(timedelta(hours=rule.recent_window_hours))}",
        )
    return "none", "no repeated misses"


def _close_pairs(
    schedule: Schedule, credits: list[Credit], fraction: Fraction
) -> list[tuple[datetime, datetime]]:
    """Consecutive recorded doses closer than the take window of the interval around them."""
    moments = sorted(c.taken_at for c in credits)
    pairs = []
    for first, second in pairwise(moments):
        position = bisect_right(schedule.instants, first)
        index = min(max(position - 1, 0), len(schedule.slots) - 1) if schedule.slots else None
        interval = schedule.interval(index) if index is not None else timedelta(days=1)
        if within_take_window(second - first, interval, fraction):
            pairs.append((first, second))
    return pairs


def _dose_at(schedule: Schedule, credit: Credit) -> Quantity:
    """The amount a recorded dose stands for: its slot's dose, else the planned dose in force then."""
    if credit.slot is not None:
        return credit.slot.dose
    position = bisect_right(schedule.instants, credit.taken_at)
    return schedule.slots[min(max(position - 1, 0), len(schedule.slots) - 1)].dose


def _overdose(
    schedule: Schedule,
    credits: list[Credit],
    doubles: list[tuple[datetime, datetime]],
    rule: OverdoseRule | None,
    tz: tzinfo,
) -> OverdoseQuestion | None:
    """Chains of doses taken close together; the largest chain is judged against the red flags.

    At or above the large-ingestion threshold, or with impaired kidney function (overdose signs can come
    even at low doses, pms-Baclofen monograph), it is an emergency; otherwise more than prescribed
    (urgent). The texts are the knowledge base's triage texts, which name the poison centre.
    """
    if rule is None or not schedule.slots:
        return None
    chains: list[list[datetime]] = []
    for first, second in doubles:
        if chains and chains[-1][-1] == first:
            chains[-1].append(second)
        else:
            chains.append([first, second])
    amount = {c.taken_at: _dose_at(schedule, c) for c in credits}

    def total(chain: list[datetime]) -> Quantity:
        out = amount[chain[0]]
        for moment in chain[1:]:
            out = out + amount[moment]
        return out

    chain = max(chains, key=lambda c: total(c).amount)
    taken = total(chain)
    when = ", ".join(moment.astimezone(tz).strftime("%H:%M") for moment in chain)
    reason = f"{len(chain)} doses taken close together ({when}), {taken} in all"
    level: OverdoseLevel = "urgent"
    if rule.threshold is not None and taken.unit is rule.threshold.unit and taken >= rule.threshold:
        level = "emergency"
        reason += f", at or above the large-ingestion red flag of {rule.threshold}"
    elif rule.kidney_impaired is not None:
        level = "emergency"
        reason += f", with {rule.kidney_impaired}: overdose signs can come even at low doses"
    text = (rule.emergency_text if level == "emergency" else rule.urgent_text).replace(
        "{drug}", rule.drug_name
    )
    return OverdoseQuestion(
        level,
        tuple(m.astimezone(tz) for m in chain),
        taken,
        reason,
        text,
        rule.source,
        rule.source_ids,
    )
