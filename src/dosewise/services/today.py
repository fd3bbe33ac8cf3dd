"""Today: the doses due with exactly what to take, logging that never records a dose twice, missed-dose
advice in place, and the run-out forecast. History is append-only: a correction marks the old entry
entered-in-error by adding a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dosewise.domain.dispensing import TakeInstruction, take_for_dose
from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.missed import MissedDoseAdvice
from dosewise.domain.quantity import times_per_day_words
from dosewise.domain.regimen import Administration, Plan, administrations
from dosewise.domain.rules import KnowledgeBase
from dosewise.services.advice import advise_missed, parse_moment
from dosewise.services.audit import record
from dosewise.services.diary_alert import Alert, alert_from, standing
from dosewise.services.plans_service import plan_in_force
from dosewise.services.ports import Actor, Clock, Conflict, DoseEvent, PlanVersion, Store
from dosewise.services.sharing import Access, authorise
from dosewise.services.today_stock import StockForecast, forecast_stock, take_cached

__all__ = [
    "DoseSlot",
    "LogResult",
    "TodayView",
    "correct_dose",
    "current_events",
    "dose_history",
    "log_dose",
    "plan_timezone",
    "recorded_times",
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

    @property
    def paused(self) -> bool:
        return self.version is not None and self.version.status == "paused"


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
    return take, take.describe()


def _slots(
    kb: KnowledgeBase,
    plan: Plan,
    tz: ZoneInfo,
    first: date,
    end: date,
    now: datetime,
    recorded: dict[tuple[date, int], DoseEvent],
) -> list[DoseSlot]:
    planned = list(administrations(plan, tz, start=first, end=end))
    due_index = max((i for i, a in enumerate(planned) if a.at <= now), default=None)
    slots = []
    for index, administration in enumerate(planned):
        event = recorded.get((administration.slot_date, administration.slot_index))
        status: SlotStatus
        if event is not None:
            status = "taken" if event.status == "taken" else "skipped"
        elif administration.at > now:
            status = "upcoming"
        elif index == due_index:
            status = "due"
        else:
            status = "missed"
        take, text = _take(kb, plan, administration)
        slots.append(DoseSlot(administration, take, text, status, event))
    return slots


def recorded_times(events: Sequence[DoseEvent], now: datetime) -> tuple[list[datetime], list[datetime]]:
    """When standing doses were taken, and the planned times of standing skips (for advice and triage)."""
    entries = current_events(events).values()
    taken = [
        e.taken_at for e in entries if e.status == "taken" and e.taken_at is not None and e.taken_at <= now
    ]
    skipped = [e.scheduled_at for e in entries if e.status == "skipped"]
    return taken, skipped


def _advice(
    kb: KnowledgeBase, plan: Plan, now: datetime, events: Sequence[DoseEvent]
) -> MissedDoseAdvice | None:
    if kb.drug(plan.drug).missed_dose is None:
        return None
    taken, skipped = recorded_times(events, now)
    return advise_missed(kb=kb, plan=plan, now=now, taken=taken, skipped=skipped)


def plan_timezone(plan: Plan | None, fallback: str) -> str:
    """A plan's clock times are local to the zone it was made in; without a plan, the profile's zone."""
    return plan.timezone if plan is not None else fallback


def _look_back(kb: KnowledgeBase, plan: Plan) -> timedelta:
    """How far back unrecorded doses are listed: the span the missed-dose advice judges."""
    rule = kb.drug(plan.drug).missed_dose
    return timedelta(hours=rule.recent_window_hours) if rule is not None else _LOOK_BACK_WITHOUT_RULE


def today_view(*, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str) -> TodayView:
    now_utc = clock()
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        version, plan = plan_in_force(uow, kb, access.profile.id)
        zone_name = plan_timezone(plan, access.profile.timezone)
        tz = ZoneInfo(zone_name)
        now = now_utc.astimezone(tz)
        today = now.date()
        look_back = _look_back(kb, plan) if plan else timedelta(0)
        # Whole calendar days that hold every slot in the look-back, plus one for any time zone.
        first = today - timedelta(days=-(-look_back // timedelta(days=1)))
        events = uow.doses.between(access.profile.id, first - timedelta(days=1), today)
        counts = uow.stock.latest(access.profile.id) if plan else ()
        alert = alert_from(uow, access.profile.id, now_utc)
    if plan is None:
        return TodayView(access, today, now, zone_name, None, None, "", (), (), None, (), "", alert)
    window = _slots(kb, plan, tz, first, today + timedelta(days=1), now, current_events(events))
    slots = tuple(s for s in window if s.administration.slot_date == today)
    earlier = tuple(
        s
        for s in window
        if s.administration.slot_date < today
        and s.status in ("missed", "due")
        and now - s.administration.at <= look_back
    )
    advice = _advice(kb, plan, now_utc, events)
    stock = forecast_stock(
        plan=plan, rules=kb.drug(plan.drug), counts=counts, now=now_utc, timezone=zone_name
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
    )


def _taken_at(text: str, slot: Administration, tz: ZoneInfo, now: datetime) -> datetime:
    """A local "HH:MM" (on the slot's day, or the next day if that is earlier than the slot) or ISO time.

    A local time the clocks skip or repeat is refused rather than guessed (``parse_moment``).
    """
    raw = text.strip()
    if "T" in raw or " " in raw:
        moment, _ = parse_moment(raw, tz, "the time taken")
    else:
        try:
            clock = time.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInput(f"'{text}' is not a time such as 07:30") from exc
        day = slot.slot_date
        if datetime.combine(day, clock, tzinfo=tz) < slot.at - _EARLY_LIMIT:
            day += timedelta(days=1)  # "00:30" for a 20:00 slot is the night after
        moment, _ = parse_moment(datetime.combine(day, clock).isoformat(), tz, "the time taken")
    if moment > now:
        raise InvalidInput("a dose cannot be recorded as taken in the future")
    if abs(moment - slot.at) > _LATE_LIMIT:
        raise InvalidInput(
            f"{moment.strftime('%d %b %H:%M')} is too far from the planned time "
            f"{slot.at.strftime('%d %b %H:%M')} to count for that dose",
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
        today = clock().astimezone(ZoneInfo(plan_timezone(plan, access.profile.timezone))).date()
        events = uow.doses.between(access.profile.id, today - timedelta(days=days), today + timedelta(days=1))
    superseded = {e.supersedes_id for e in events if e.supersedes_id is not None}
    entries = tuple(HistoryEntry(e, e.id in superseded) for e in events)
    return access, tuple(sorted(entries, key=lambda h: (h.event.scheduled_at, h.event.id), reverse=True))
