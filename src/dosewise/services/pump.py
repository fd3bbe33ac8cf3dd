"""The intrathecal pump in the record: the device, refills and programme changes, and the dates they give.

The history is append-only (``ports.PumpEntry``): a correction is a new entry that marks the old one
entered-in-error, like dose and diary entries. What stands is read in one place, ``pump_state``, and the
dates come from the engine's refill planner (``domain.pump.plan_refill``, clinical-reference 8.4) and
nowhere else: the last refill is the fill day, the daily total in force that day is the starting rate,
and every programme change after it is a segment, so a change part-way through the interval counts the
remaining days from the residual volume at the change date (exact arithmetic throughout).

``pump_outlook`` is the pure answer to "when is this record's refill due, and when will the alarm sound"
that pages, the clinician's panel and alerts days ahead all use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal

from dosewise.domain.errors import DosewiseError, InvalidInput, KnowledgeError
from dosewise.domain.pump import RefillPlan, residual_volume
from dosewise.domain.quantity import Concentration, Quantity, Unit, format_amount
from dosewise.domain.rules import KnowledgeBase
from dosewise.services import audit
from dosewise.services.advice import plan_pump_refill
from dosewise.services.dates import read_date
from dosewise.services.diary_alert import standing
from dosewise.services.ports import Actor, Clock, Conflict, PumpEntry, Store, UnitOfWork
from dosewise.services.record_day import record_today
from dosewise.services.sharing import Access, authorise
from dosewise.services.typed_input import read_number

__all__ = [
    "PumpOutlook",
    "PumpState",
    "PumpView",
    "amount_text",
    "correct_pump_entry",
    "has_pump",
    "outlook_for",
    "pump_outlook",
    "pump_state",
    "pump_view",
    "record_programme_change",
    "record_pump_device",
    "record_refill",
    "volume_text",
]

Standing = Literal["ok", "due_soon", "refill_overdue", "alarm_due"]
# How far ahead a programme change may be dated (a plausibility bound on typed input, like a plan's start).
_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class PumpState:
    """What the standing history says: the device, the last refill, and the daily totals around it."""

    reservoir: Quantity | None
    alarm: Quantity | None
    refill: PumpEntry | None
    concentration: Concentration | None  # of the last refill (carried from an earlier one if not given)
    daily_dose: Quantity | None  # the programmed daily total on the refill day
    changes: tuple[tuple[date, Quantity], ...]  # programme changes after the refill day, in date order

    @property
    def complete(self) -> bool:
        return None not in (self.reservoir, self.refill, self.concentration, self.daily_dose)


@dataclass(frozen=True)
class PumpOutlook:
    """The refill due date and the low-reservoir alarm date for a record, with the plan behind them."""

    plan: RefillPlan
    refill_due: date
    alarm_on: date
    empty_on: date
    standing: Standing
    days_to_refill: int  # from ``today`` (negative when overdue)
    residual_today: Quantity
    flag_days: int  # the knowledge base's refill buffer: a refill is flagged this many days ahead

    @property
    def needs_attention(self) -> bool:
        return self.standing != "ok"

    @property
    def residual_text(self) -> str:
        return volume_text(self.residual_today)


@dataclass(frozen=True)
class PumpView:
    access: Access
    today: date
    entries: tuple[tuple[PumpEntry, bool], ...]  # (entry, superseded or corrected), newest first
    state: PumpState
    outlook: PumpOutlook | None
    problem: str = ""  # why no dates could be worked out from a complete history

    @property
    def can_record(self) -> bool:
        return self.access.may("manage_plans")


def _q(amount: Fraction | None, unit: Unit) -> Quantity | None:
    return Quantity(amount, unit) if amount is not None else None


def pump_state(entries: Sequence[PumpEntry]) -> PumpState:
    """The one reading of a pump history: latest device, latest refill, the daily totals around it."""
    kept = standing(entries)
    devices = [e for e in kept if e.kind == "pump"]
    device = devices[-1] if devices else None
    refills = sorted((e for e in kept if e.kind == "refill"), key=lambda e: (e.on, e.id))
    refill = refills[-1] if refills else None
    concentration = None
    for e in refills:
        if e.concentration_mcg_ml is not None:
            concentration = e.concentration_mcg_ml
    # Every setting of the daily total in date order: a refill that names one, and each programme change.
    # On one day the entry recorded last stands.
    settings: dict[date, Fraction] = {}
    for e in sorted((e for e in kept if e.daily_mcg is not None), key=lambda e: (e.on, e.id)):
        assert e.daily_mcg is not None
        settings[e.on] = e.daily_mcg
    daily = None
    changes: list[tuple[date, Quantity]] = []
    if refill is not None:
        before = [day for day in settings if day <= refill.on]
        daily = settings[max(before)] if before else None
        changes = [(day, Quantity(settings[day], Unit.MCG)) for day in sorted(settings) if day > refill.on]
    return PumpState(
        reservoir=_q(device.reservoir_ml, Unit.ML) if device else None,
        alarm=_q(device.alarm_ml, Unit.ML) if device else None,
        refill=refill,
        concentration=Concentration(Quantity(concentration, Unit.MCG), Quantity(Fraction(1), Unit.ML))
        if concentration is not None
        else None,
        daily_dose=_q(daily, Unit.MCG),
        changes=tuple(changes),
    )


def has_pump(entries: Sequence[PumpEntry]) -> bool:
    """Whether the record shows an intrathecal pump (a device or a refill that stands)."""
    return any(e.kind in ("pump", "refill") for e in standing(entries))


def pump_outlook(*, kb: KnowledgeBase, entries: Sequence[PumpEntry], today: date) -> PumpOutlook | None:
    """The refill due date and alarm date for this history (None until device and a refill are recorded).

    Pure: the engine's planner over the standing history. Refusals of the planner (an mg value, a fill
    above the reservoir or not above the alarm, a reservoir that would outlast the pump) propagate.
    """
    state = pump_state(entries)
    if not state.complete:
        return None
    assert state.reservoir and state.refill and state.concentration and state.daily_dose
    assert state.refill.fill_ml is not None
    plan = plan_pump_refill(
        kb=kb,
        reservoir=state.reservoir,
        concentration=state.concentration,
        daily_dose=state.daily_dose,
        today=state.refill.on,
        alarm=state.alarm,
        fill=Quantity(state.refill.fill_ml, Unit.ML),
        changes=state.changes,
    )
    flag_days = plan.buffer_days
    days_to_refill = (plan.refill_date - today).days
    level: Standing
    if today >= plan.alarm_date:
        level = "alarm_due"
    elif today > plan.refill_date:
        level = "refill_overdue"
    elif days_to_refill <= flag_days:
        level = "due_soon"
    else:
        level = "ok"
    return PumpOutlook(
        plan=plan,
        refill_due=plan.refill_date,
        alarm_on=plan.alarm_date,
        empty_on=plan.empty_date,
        standing=level,
        days_to_refill=days_to_refill,
        residual_today=residual_volume(plan, max(today, plan.today)),
        flag_days=flag_days,
    )


def outlook_for(uow: UnitOfWork, kb: KnowledgeBase, patient_id: int, today: date) -> PumpOutlook | None:
    """``pump_outlook`` for one record inside a unit of work the caller opened (and authorised)."""
    try:
        return pump_outlook(kb=kb, entries=uow.pump.entries(patient_id), today=today)
    except DosewiseError:
        return None


def volume_text(volume: Quantity) -> str:
    """A volume in safe writing; one that is not a finite decimal is given to two places, marked 'about'."""
    try:
        return str(volume)
    except InvalidInput:
        return f"about {float(volume.amount):.2f} mL"


def amount_text(amount: Fraction | None) -> str:
    """Exact decimal text; a value that is not a finite decimal to two places (never a repeating tail)."""
    if amount is None:
        return "-"
    try:
        return format_amount(amount)
    except InvalidInput:
        return f"{float(amount):.2f}"


# ------------------------------------------------------------------ reading typed values


def _amount(text: str, *, what: str, field: str, unit: str, required: bool) -> Fraction | None:
    value, _ = read_number(text, what=what, field=field, units=(unit,))
    if value is None:
        if required:
            raise InvalidInput(f"{what} is needed (in {unit})", field=field)
        return None
    if value <= 0 and field != "alarm_ml":
        raise InvalidInput(f"{what} must be more than zero", field=field)
    return value


def _refuse_mg(text: str, field: str, what: str) -> None:
    """An intrathecal dose typed in mg is a thousandfold slip waiting to happen: refused, never converted."""
    lowered = text.strip().lower().replace(" ", "")
    if lowered.endswith(("mg", "mg/ml", "mg/day", "mg/d")) and not lowered.endswith(("mcg", "mcg/ml")):
        raise InvalidInput(
            f"{what} is written in mcg (micrograms), not mg",
            hint="intrathecal doses are mcg a day and concentrations mcg/mL; 1 mg = 1000 mcg",
            field=field,
        )


def _on(text: str, what: str, today: date, *, future: bool) -> date:
    if not text.strip():
        return today
    day = read_date(text, what, latest=today + _AHEAD if future else today)
    return day


# ------------------------------------------------------------------ use cases


def _add(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    make: Callable[[int, date, datetime], PumpEntry],
    summary: Callable[[PumpEntry], str],
) -> PumpEntry:
    """Store one entry after checking the whole history still plans (the planner's refusals stand)."""
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
        uow.patients.lock(access.profile.id)
        today = record_today(access.profile, uow.plans.latest(access.profile.id), now)
        if kb.pump is None:
            raise KnowledgeError(f"knowledge base {kb.version} has no intrathecal pump rules")
        entry = make(access.profile.id, today, now)
        history = list(uow.pump.entries(access.profile.id))
        # The history as it would stand (the new entry newest): refused when the planner refuses it.
        candidate = replace(entry, id=max((e.id for e in history), default=0) + 1)
        pump_outlook(kb=kb, entries=[*history, candidate], today=today)
        stored = uow.pump.add(entry)
        audit.record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action=f"pump.{entry.kind}",
            summary=summary(stored),
            detail={"entry": stored.id},
        )
        uow.commit()
        return stored


def record_pump_device(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    reservoir_ml: str,
    alarm_ml: str = "",
    note: str = "",
) -> PumpEntry:
    """The pump itself: its reservoir and the low-reservoir alarm volume (default: the knowledge base's)."""

    def make(pid: int, today: date, now: datetime) -> PumpEntry:
        reservoir = _amount(reservoir_ml, what="reservoir", field="reservoir_ml", unit="mL", required=True)
        alarm = _amount(alarm_ml, what="alarm volume", field="alarm_ml", unit="mL", required=False)
        if alarm is None and kb.pump is not None:
            alarm = kb.pump.low_reservoir_alarm.amount
        return PumpEntry(
            id=0,
            patient_id=pid,
            kind="pump",
            on=today,
            recorded_at=now,
            recorded_by=actor.user_id,
            recorded_by_name=actor.display_name,
            reservoir_ml=reservoir,
            alarm_ml=alarm,
            note=note.strip()[:500],
        )

    return _add(
        store=store,
        kb=kb,
        clock=clock,
        actor=actor,
        public_id=public_id,
        make=make,
        summary=lambda e: f"pump recorded: {amount_text(e.reservoir_ml)} mL reservoir, "
        f"alarm at {amount_text(e.alarm_ml)} mL",
    )


def record_refill(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    on: str,
    fill_ml: str,
    concentration_mcg_ml: str = "",
    daily_mcg: str = "",
    note: str = "",
) -> PumpEntry:
    """A refill: its day, the volume put in (mL), the concentration (mcg/mL; carried from the last refill
    when left out) and the daily total programmed from that day (mcg a day; likewise)."""

    def make(pid: int, today: date, now: datetime) -> PumpEntry:
        _refuse_mg(concentration_mcg_ml, "concentration_mcg_ml", "the concentration")
        _refuse_mg(daily_mcg, "daily_mcg", "the daily dose")
        fill = _amount(fill_ml, what="volume put in", field="fill_ml", unit="mL", required=True)
        concentration = _amount(
            concentration_mcg_ml,
            what="concentration",
            field="concentration_mcg_ml",
            unit="mcg/mL",
            required=False,
        )
        daily = _amount(daily_mcg, what="daily dose", field="daily_mcg", unit="mcg", required=False)
        return PumpEntry(
            id=0,
            patient_id=pid,
            kind="refill",
            on=_on(on, "refill date", today, future=False),
            recorded_at=now,
            recorded_by=actor.user_id,
            recorded_by_name=actor.display_name,
            fill_ml=fill,
            concentration_mcg_ml=concentration,
            daily_mcg=daily,
            note=note.strip()[:500],
        )

    return _add(
        store=store,
        kb=kb,
        clock=clock,
        actor=actor,
        public_id=public_id,
        make=make,
        summary=lambda e: f"pump refill on {e.on.isoformat()}: {amount_text(e.fill_ml)} mL"
        + (f" of {amount_text(e.concentration_mcg_ml)} mcg/mL" if e.concentration_mcg_ml else "")
        + (f", {amount_text(e.daily_mcg)} mcg a day" if e.daily_mcg else ""),
    )


def record_programme_change(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    on: str,
    daily_mcg: str,
    note: str = "",
) -> PumpEntry:
    """A programme change: from ``on`` the pump delivers a new daily total (mcg a day, boluses included)."""

    def make(pid: int, today: date, now: datetime) -> PumpEntry:
        _refuse_mg(daily_mcg, "daily_mcg", "the daily dose")
        daily = _amount(daily_mcg, what="daily dose", field="daily_mcg", unit="mcg", required=True)
        return PumpEntry(
            id=0,
            patient_id=pid,
            kind="programme",
            on=_on(on, "date of the change", today, future=True),
            recorded_at=now,
            recorded_by=actor.user_id,
            recorded_by_name=actor.display_name,
            daily_mcg=daily,
            note=note.strip()[:500],
        )

    return _add(
        store=store,
        kb=kb,
        clock=clock,
        actor=actor,
        public_id=public_id,
        make=make,
        summary=lambda e: f"pump programme from {e.on.isoformat()}: {amount_text(e.daily_mcg)} mcg a day",
    )


def correct_pump_entry(
    *, store: Store, clock: Clock, actor: Actor, public_id: str, entry_id: int, reason: str
) -> PumpEntry:
    """Mark an entry entered-in-error: a new entry pointing at it; the original stays in the history."""
    why = reason.strip()[:500]
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
        if not why:
            raise InvalidInput("say why the entry was wrong", field="reason")
        uow.patients.lock(access.profile.id)
        history = uow.pump.entries(access.profile.id)
        original = next((e for e in history if e.id == entry_id), None)
        if original is None or original.status == "entered_in_error":
            raise InvalidInput("no such pump entry")
        if original not in standing(history):
            raise Conflict("this pump entry was already corrected")
        entry = uow.pump.add(
            PumpEntry(
                id=0,
                patient_id=original.patient_id,
                kind=original.kind,
                on=original.on,
                recorded_at=now,
                recorded_by=actor.user_id,
                recorded_by_name=actor.display_name,
                reservoir_ml=original.reservoir_ml,
                alarm_ml=original.alarm_ml,
                fill_ml=original.fill_ml,
                concentration_mcg_ml=original.concentration_mcg_ml,
                daily_mcg=original.daily_mcg,
                note=why,
                status="entered_in_error",
                supersedes_id=original.id,
            )
        )
        audit.record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="pump.entered_in_error",
            summary=f"marked the pump {original.kind} entry of {original.on.isoformat()} as entered in "
            f"error ({why})",
            detail={"entry": entry.id, "supersedes": original.id},
        )
        uow.commit()
        return entry


def pump_view(*, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str) -> PumpView:
    now = clock()
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        today = record_today(access.profile, uow.plans.latest(access.profile.id), now)
        history = uow.pump.entries(access.profile.id)
    state = pump_state(history)
    problem = ""
    try:
        outlook = pump_outlook(kb=kb, entries=history, today=today)
    except DosewiseError as error:
        outlook, problem = None, error.message
    replaced = {e.supersedes_id for e in history if e.supersedes_id is not None}
    shown = tuple((e, e.id in replaced or e.status == "entered_in_error") for e in reversed(history))
    return PumpView(access, today, shown, state, outlook, problem)
