"""Today: the doses due with exactly what to take, logging that never records a dose twice, missed-dose
advice in place, and the run-out forecast. History is append-only: a correction marks the old entry
entered-in-error by adding a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

from dosewise.domain.dispensing import TakeInstruction, take_for_dose
from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.missed import MissedDoseAdvice
from dosewise.domain.missed.slots import DoseRecord, Schedule, match_records, within_take_window
from dosewise.domain.patient import Patient
from dosewise.domain.quantity import times_per_day_words
from dosewise.domain.regimen import Administration, Plan, administrations
from dosewise.domain.rules import KnowledgeBase
from dosewise.services.advice import advise_missed, parse_moment
from dosewise.services.audit import record
from dosewise.services.diary_alert import Alert, alert_from, standing
from dosewise.services.plans_service import knowledge_note, plan_in_force
from dosewise.services.ports import Actor, Clock, Conflict, DoseEvent, PlanVersion, Store
from dosewise.services.pump import PumpOutlook, outlook_for
from dosewise.services.record_day import record_today, record_zone
from dosewise.services.records import to_patient
from dosewise.services.sharing import Access, authorise
from dosewise.services.today_stock import StockForecast, forecast_stock, take_cached, take_words_cached

__all__ = [
    "ConfirmationNeeded",
    "DoseSlot",
    "LogResult",
    "TodayView",
    "correct_dose",
    "current_events",
    "dose_history",
    "dose_records",
    "log_dose",
    "today_view",
]

SlotStatus = Literal["taken", "skipped", "due", "upcoming", "missed"]
# Unrecorded doses are listed as far back as the drug's missed-dose rule judges them (recent_window_hours);
# this is for a drug without one. dosewise policy, not a clinical number.
_LOOK_BACK_WITHOUT_RULE = timedelta(hours=48)
# dosewise policy: a dose may be recorded up to 12 h before its planned time, and a clock time more than
# 12 h before the slot ("00:30" for a 20:00 dose) means the night after.
_EARLY_LIMIT = timedelta(hours=12)
_LATE_LIMIT = timedelta(hours=36)  # "took it at another time" reaches back at most this far from the slot
# "Taken" without a time means "just now"; hours after the planned time that guess would misplace the dose.
_NOW_ONLY_WITHIN = timedelta(hours=4)


@dataclass(frozen=True)
class DoseSlot:
    administration: Administration
    take: TakeInstruction | None
    take_text: str
    status: SlotStatus
    event: DoseEvent | None
    # Why the status differs from what the entry for this slot says (a dose counted for another slot).
    note: str = ""

    @property
    def may_take_now(self) -> bool:
        """A "Taken" (now) button only for the dose the missed-dose advice says to take now."""
        return self.status == "due"

    @property
    def key(self) -> str:
        return f"{self.administration.slot_date.isoformat()}#{self.administration.slot_index}"


@dataclass(frozen=True)
class TodayView:
    access: Access
    today: date
    now: datetime
    timezone: str
    version: PlanVersion | None
    plan: Plan | None
    drug_name: str
    slots: tuple[DoseSlot, ...]
    earlier: tuple[DoseSlot, ...]
    advice: MissedDoseAdvice | None
    stock: tuple[StockForecast, ...]
    daily_text: str
    alert: Alert | None = None
    kb_note: str | None = None  # plain words when the plan was made with another knowledge-base release
    pump: PumpOutlook | None = None  # the pump's refill and alarm dates, for a record with a pump

    @property
    def paused(self) -> bool:
        return self.version is not None and self.version.status == "paused"


class ConfirmationNeeded(Conflict):
    """The dose is recorded only once the person confirms it: it is close to another dose, or it counts
    for a different planned dose than the one chosen."""

    code = "confirmation_needed"

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(
            " ".join(reasons),
            hint="record it only if this dose was really taken; if unsure, ask your clinician or pharmacist",
        )
        self.reasons = tuple(reasons)
        self.details: dict[str, object] = {"reasons": list(reasons), "confirm": True}


@dataclass(frozen=True)
class LogResult:
    event: DoseEvent
    created: bool  # False when the same request (or the same answer for the slot) was already recorded


def current_events(events: Sequence[DoseEvent]) -> dict[tuple[date, int], DoseEvent]:
    """The entry that stands for each slot: the newest one that nothing supersedes and is not an error."""
    return {(event.slot_date, event.slot_index): event for event in standing(events)}


def _take(
    kb: KnowledgeBase, plan: Plan, administration: Administration
) -> tuple[TakeInstruction | None, str]:
    rules = kb.drug(plan.drug)
    take = take_cached(administration.dose, rules, plan.products, plan.confirmed_scored)
    if take is None:
        try:
            take_for_dose(administration.dose, rules, plan.products, confirmed_scored=plan.confirmed_scored)
        except DosewiseError as error:
            return None, f"{administration.dose}: {error.message}"
    assert take is not None
    return take, take_words_cached(administration.dose, rules, plan.products, plan.confirmed_scored)


def dose_records(events: Sequence[DoseEvent], now: datetime) -> list[DoseRecord]:
    """The standing entries as slot-keyed records, for the one matcher (``slots.match_records``)."""
    out: list[DoseRecord] = []
    for e in current_events(events).values():
        if e.status == "taken" and e.taken_at is not None and e.taken_at <= now:
            out.append(DoseRecord("taken", e.taken_at, e.slot_date, e.slot_index))
        elif e.status == "skipped":
            out.append(DoseRecord("skipped", e.scheduled_at, e.slot_date, e.slot_index))
    return out


def _fraction(kb: KnowledgeBase, plan: Plan) -> Fraction | None:
    rule = kb.drug(plan.drug).missed_dose
    return rule.take_if_elapsed_fraction_below if rule is not None else None


def _statuses(
    plan: Plan,
    planned: list[Administration],
    records: list[DoseRecord],
    fraction: Fraction | None,
    advice: MissedDoseAdvice | None,
    now: datetime,
) -> dict[tuple[date, int], tuple[SlotStatus, datetime | None]]:
    """Each slot's status (and the dose counted for it) from the one matcher, ``slots.match_records``;
    "due" only for the dose the missed-dose advice says to take now."""
    out: dict[tuple[date, int], tuple[SlotStatus, datetime | None]] = {}
    if not planned:
        return out
    schedule = Schedule(plan, planned)
    match = match_records(schedule, records, fraction)
    due = advice.missed_slot if advice is not None and advice.action == "take_now" else None
    for index, a in enumerate(schedule.slots):
        key = (a.slot_date, a.slot_index)
        if index in match.credited:
            out[key] = ("taken", match.credited[index])
        elif index in match.closed:
            out[key] = ("skipped", None)
        elif a.at > now:
            out[key] = ("upcoming", None)
        elif due is not None and (due.slot_date, due.slot_index) == key:
            out[key] = ("due", None)
        else:
            out[key] = ("missed", None)
    return out


def _slots(
    kb: KnowledgeBase,
    plan: Plan,
    tz: ZoneInfo,
    first: date,
    end: date,
    now: datetime,
    events: Sequence[DoseEvent],
    advice: MissedDoseAdvice | None,
) -> list[DoseSlot]:
    # Two more days before the window, so that doses recorded then are matched as the advice matches them.
    planned = list(administrations(plan, tz, start=first - timedelta(days=2), end=end))
    records = dose_records(events, now)
    statuses = _statuses(plan, planned, records, _fraction(kb, plan), advice, now)
    recorded = current_events(events)
    slots = []
    for administration in planned:
        if administration.slot_date < first:
            continue
        key = (administration.slot_date, administration.slot_index)
        status, counted = statuses[key]
        event = recorded.get(key)
        note = ""
        if (
            event is not None
            and event.status == "taken"
            and event.taken_at is not None
            and counted != event.taken_at
        ):
            note = _counted_elsewhere(event.taken_at, statuses, planned, tz)
        elif status == "taken" and (event is None or event.status != "taken"):
            note = f"The dose recorded at {counted.astimezone(tz).strftime('%H:%M') if counted else ''} counts for this dose."
        take, text = _take(kb, plan, administration)
        slots.append(DoseSlot(administration, take, text, status, event, note))
    return slots


def _counted_elsewhere(
    taken_at: datetime,
    statuses: dict[tuple[date, int], tuple[SlotStatus, datetime | None]],
    planned: list[Administration],
    tz: ZoneInfo,
) -> str:
    for a in planned:
        status, counted = statuses[(a.slot_date, a.slot_index)]
        if status == "taken" and counted == taken_at:
            return (
                f"Taken at {taken_at.astimezone(tz).strftime('%H:%M')}, too late to count for this dose: "
                f"it counts as the {a.at.strftime('%H:%M')} dose."
            )
    return f"Taken at {taken_at.astimezone(tz).strftime('%H:%M')}: counted as an extra dose."


def _advice(
    kb: KnowledgeBase, plan: Plan, now: datetime, events: Sequence[DoseEvent], patient: Patient | None
) -> MissedDoseAdvice | None:
    if kb.drug(plan.drug).missed_dose is None:
        return None
    # The patient's kidney function goes in: doses taken close together are an overdose question, and
    # weak kidneys make it an emergency at a lower total (services.advice.overdose_rule).
    return advise_missed(kb=kb, plan=plan, now=now, records=dose_records(events, now), patient=patient)


def _look_back(kb: KnowledgeBase, plan: Plan) -> timedelta:
    """How far back unrecorded doses are listed: the span the missed-dose advice judges."""
    rule = kb.drug(plan.drug).missed_dose
    return timedelta(hours=rule.recent_window_hours) if rule is not None else _LOOK_BACK_WITHOUT_RULE


def today_view(*, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str) -> TodayView:
    now_utc = clock()
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        version, plan = plan_in_force(uow, kb, access.profile.id)
        zone_name = record_zone(access.profile, plan)
        tz = ZoneInfo(zone_name)
        now = now_utc.astimezone(tz)
        today = record_today(access.profile, plan, now_utc)
        look_back = _look_back(kb, plan) if plan else timedelta(0)
        # Whole calendar days that hold every slot in the look-back, plus one for any time zone.
        first = today - timedelta(days=-(-look_back // timedelta(days=1)))
        counts = uow.stock.latest(access.profile.id) if plan else ()
        # The doses since the oldest count too: the forecast draws the recorded ones from it.
        since = min([first, *(c.counted_at.astimezone(tz).date() for c in counts)]) - timedelta(days=3)
        since_count = uow.doses.between(access.profile.id, since, today + timedelta(days=1))
        events = [e for e in since_count if e.slot_date >= first - timedelta(days=3)]
        alert = alert_from(uow, access.profile.id, now_utc)
        pump = outlook_for(uow, kb, access.profile.id, today)
    if plan is None:
        return TodayView(
            access, today, now, zone_name, None, None, "", (), (), None, (), "", alert, pump=pump
        )
    advice = _advice(kb, plan, now_utc, events, to_patient(access.profile, today))
    window = _slots(kb, plan, tz, first, today + timedelta(days=2), now, events, advice)
    slots = tuple(s for s in window if s.administration.slot_date == today)
    earlier = tuple(
        s
        for s in window
        if s.administration.slot_date < today
        and s.status in ("missed", "due")
        and now - s.administration.at <= look_back
    )
    stock = forecast_stock(
        plan=plan,
        rules=kb.drug(plan.drug),
        counts=counts,
        records=dose_records(since_count, now_utc),
        now=now_utc,
        timezone=zone_name,
    )
    step = plan.step_on(today)
    daily_text = (
        f"{step.dose} {times_per_day_words(step.times_per_day)} ({step.daily} a day)"
        if step and not step.dose.is_zero
        else ""
    )
    return TodayView(
        access,
        today,
        now,
        zone_name,
        version,
        plan,
        kb.drug(plan.drug).name,
        slots,
        earlier,
        advice,
        stock,
        daily_text,
        alert,
        knowledge_note(plan, kb),
        pump,
    )


def _field(read: Callable[[], tuple[datetime, bool]]) -> tuple[datetime, bool]:
    """A typed time's refusal, tied to the "Time taken" field."""
    try:
        return read()
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=exc.hint, field="taken_at") from exc


def _taken_at(text: str, slot: Administration, tz: ZoneInfo, now: datetime) -> datetime:
    """A local "HH:MM" (on the slot's day, or the next day if that is earlier than the slot) or ISO time.

    A local time the clocks skip or repeat is refused rather than guessed (``parse_moment``).
    """
    raw = text.strip()
    if "T" in raw or " " in raw:
        moment, _ = _field(lambda: parse_moment(raw, tz, "the time taken"))
    else:
        try:
            clock = time.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInput(f"'{text}' is not a time such as 07:30", field="taken_at") from exc
        day = slot.slot_date
        if datetime.combine(day, clock, tzinfo=tz) < slot.at - _EARLY_LIMIT:
            day += timedelta(days=1)  # "00:30" for a 20:00 slot is the night after
        moment, _ = _field(
            lambda: parse_moment(datetime.combine(day, clock).isoformat(), tz, "the time taken")
        )
    if moment > now:
        raise InvalidInput("a dose cannot be recorded as taken in the future", field="taken_at")
    if abs(moment - slot.at) > _LATE_LIMIT:
        raise InvalidInput(
            f"{moment.strftime('%d %b %H:%M')} is too far from the planned time "
            f"{slot.at.strftime('%d %b %H:%M')} to count for that dose",
            field="taken_at",
        )
    return moment


def log_dose(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    slot_date: date,
    slot_index: int,
    status: str,
    idempotency_key: str,
    taken_at: str = "",
    at_planned_time: bool = False,
    note: str = "",
    confirmed: bool = False,
) -> LogResult:
    """Record a planned dose as taken (now, at the planned time, or at another time) or skipped, exactly once.

    The same idempotency key always returns the first result; a second answer for a slot that already
    has one returns that one (or a conflict if it differs): correct the first entry instead.
    """
    if status not in ("taken", "skipped"):
        raise InvalidInput("a dose is recorded as 'taken' or 'skipped'")
    key = idempotency_key.strip()
    if not 8 <= len(key) <= 64:
        raise InvalidInput("a dose needs an idempotency key (8 to 64 characters)")
    now_utc = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="log")
        uow.patients.lock(access.profile.id)
        repeat = uow.doses.by_key(access.profile.id, key)
        if repeat is not None:
            if (repeat.slot_date, repeat.slot_index) != (slot_date, slot_index):
                raise Conflict("this idempotency key was already used for another dose")
            return LogResult(repeat, created=False)
        version, plan = plan_in_force(uow, kb, access.profile.id)
        if plan is None or version is None:
            raise InvalidInput("there is no plan, so there is no dose to record")
        tz = ZoneInfo(plan.timezone)
        now = now_utc.astimezone(tz)
        slot = next(
            (
                a
                for a in administrations(plan, tz, start=slot_date, end=slot_date + timedelta(days=1))
                if a.slot_index == slot_index
            ),
            None,
        )
        if slot is None:
            raise InvalidInput(f"no dose is planned for {slot_date.isoformat()} slot {slot_index + 1}")
        when = now
        if status == "taken" and at_planned_time:
            when = slot.at
            if when > now:
                raise InvalidInput("a dose cannot be recorded as taken in the future")
        elif status == "taken" and taken_at.strip():
            when = _taken_at(taken_at, slot, tz, now)
        elif status == "taken" and now - slot.at > _NOW_ONLY_WITHIN:
            raise InvalidInput(
                f"say when this dose was taken: it was planned for {slot.at.strftime('%a %d %b %H:%M')}",
                hint="use 'took it at another time' with the time, or 'taken at the planned time'",
                field="taken_at",
            )
        if slot.at - now > _EARLY_LIMIT or (status == "taken" and slot.at - when > _EARLY_LIMIT):
            raise InvalidInput("that dose is not due yet")
        recorded = current_events(uow.doses.between(access.profile.id, slot_date, slot_date)).get(
            (slot_date, slot_index)
        )
        if recorded is not None:
            if recorded.status == status:
                return LogResult(recorded, created=False)
            raise Conflict(
                f"this dose is already recorded as {recorded.status} by {recorded.recorded_by_name}",
                hint="mark that entry as entered in error first, then record the right one",
            )
        if status == "taken" and not confirmed:
            nearby = uow.doses.between(
                access.profile.id, slot_date - timedelta(days=2), slot_date + timedelta(days=1)
            )
            _confirm_first(kb, plan, tz, slot, when, nearby, now_utc)
        event = uow.doses.add(
            DoseEvent(
                id=0,
                patient_id=access.profile.id,
                plan_version_id=version.id,
                slot_date=slot_date,
                slot_index=slot_index,
                scheduled_at=slot.at,
                dose=slot.dose,
                status=status,  # type: ignore[arg-type]
                taken_at=when if status == "taken" else None,
                recorded_by=actor.user_id,
                recorded_by_name=actor.display_name,
                recorded_at=now_utc,
                idempotency_key=key,
                note=note.strip()[:500],
            )
        )
        record(
            uow,
            at=now_utc,
            actor=actor,
            patient_id=access.profile.id,
            action=f"dose.{status}",
            summary=f"{status} {slot.dose} planned {slot.at.strftime('%Y-%m-%d %H:%M')}"
            + (f", taken {when.strftime('%Y-%m-%d %H:%M')}" if status == "taken" else ""),
            detail={"event": event.id, "slot": f"{slot_date.isoformat()}#{slot_index}"},
        )
        uow.commit()
        return LogResult(event, created=True)


def _hm(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []) + (
        [f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes or not hours else []
    )
    return " ".join(parts)


def _confirm_first(
    kb: KnowledgeBase,
    plan: Plan,
    tz: ZoneInfo,
    slot: Administration,
    when: datetime,
    events: Sequence[DoseEvent],
    now: datetime,
) -> None:
    """Ask before recording a dose close to another one, or one that counts for a different planned dose.

    "Close" is the missed-dose rule's own take window (its fraction of the interval between doses): the
    same span inside which the advice would call two doses a possible double dose.
    """
    fraction = _fraction(kb, plan)
    if fraction is None:
        return
    planned = list(
        administrations(
            plan, tz, start=slot.slot_date - timedelta(days=2), end=slot.slot_date + timedelta(days=2)
        )
    )
    schedule = Schedule(plan, planned)
    index = schedule.index_of(slot.slot_date, slot.slot_index)
    if index is None:
        return
    records = dose_records(events, now)
    reasons: list[str] = []
    # The shorter interval around this dose: the overnight gap must not widen "close" for an evening dose.
    interval = schedule.interval(index)
    if index > 0:
        interval = min(interval, schedule.instants[index] - schedule.instants[index - 1])
    for other in (r for r in records if r.status == "taken"):
        gap = when - other.at
        if within_take_window(abs(gap), interval, fraction):
            side = "before" if gap > timedelta(0) else "after"
            reasons.append(
                f"Another dose is recorded at {other.at.astimezone(tz).strftime('%H:%M')}, "
                f"{_hm(gap)} {side} this one. Two doses this close together can add up to a double dose."
            )
    new = DoseRecord("taken", when, slot.slot_date, slot.slot_index)
    match = match_records(schedule, [*records, new], fraction)
    moment = when.astimezone(UTC)
    counted = next((c for c in match.credits if c.taken_at == moment), None)
    if counted is not None and counted.slot is not None and counted.slot != slot:
        reasons.append(
            f"{when.astimezone(tz).strftime('%H:%M')} is past the time to take the {slot.at.strftime('%H:%M')} "
            f"dose, so it counts as the {counted.slot.at.strftime('%H:%M')} dose. "
            f"Do not take the {counted.slot.at.strftime('%H:%M')} dose as well."
        )
    elif counted is not None and counted.slot is None:
        reasons.append(
            "This would be an extra dose: every planned dose around that time is already recorded."
        )
    if reasons:
        raise ConfirmationNeeded(reasons)


def correct_dose(
    *,
    store: Store,
    clock: Clock,
    actor: Actor,
    public_id: str,
    event_id: int,
    reason: str,
    idempotency_key: str,
) -> LogResult:
    """Mark an entry entered-in-error by adding an entry that supersedes it (nothing is edited)."""
    if not reason.strip():
        raise InvalidInput("say why the entry was wrong")
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="log")
        uow.patients.lock(access.profile.id)
        repeat = uow.doses.by_key(access.profile.id, idempotency_key)
        if repeat is not None:
            return LogResult(repeat, created=False)
        original = uow.doses.get(event_id)
        if original is None or original.patient_id != access.profile.id:
            raise InvalidInput("no such dose entry")
        if original.status == "entered_in_error" or event_id in uow.doses.superseded_ids(access.profile.id):
            raise Conflict("this entry was already corrected")
        event = uow.doses.add(
            DoseEvent(
                id=0,
                patient_id=access.profile.id,
                plan_version_id=original.plan_version_id,
                slot_date=original.slot_date,
                slot_index=original.slot_index,
                scheduled_at=original.scheduled_at,
                dose=original.dose,
                status="entered_in_error",
                taken_at=None,
                recorded_by=actor.user_id,
                recorded_by_name=actor.display_name,
                recorded_at=now,
                idempotency_key=idempotency_key,
                note=reason.strip()[:500],
                supersedes_id=original.id,
            )
        )
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="dose.entered_in_error",
            summary=f"marked the {original.status} entry for {original.scheduled_at.strftime('%Y-%m-%d %H:%M')} "
            f"as entered in error ({reason.strip()})",
            detail={"event": event.id, "supersedes": original.id},
        )
        uow.commit()
        return LogResult(event, created=True)


@dataclass(frozen=True)
class HistoryEntry:
    event: DoseEvent
    superseded: bool


def dose_history(
    *,
    store: Store,
    clock: Clock,
    actor: Actor,
    public_id: str,
    kb: KnowledgeBase,
    days: int = 14,
) -> tuple[Access, tuple[HistoryEntry, ...]]:
    """Every entry, including corrected ones (shown struck through), newest slot first."""
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        _, plan = plan_in_force(uow, kb, access.profile.id)
        today = record_today(access.profile, plan, clock())
        events = uow.doses.between(access.profile.id, today - timedelta(days=days), today + timedelta(days=1))
    superseded = {e.supersedes_id for e in events if e.supersedes_id is not None}
    entries = tuple(HistoryEntry(e, e.id in superseded) for e in events)
    return access, tuple(sorted(entries, key=lambda h: (h.event.scheduled_at, h.event.id), reverse=True))
