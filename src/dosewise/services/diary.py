"""The diary: symptoms triaged against the record (missed doses, dose changes, kidneys, sedatives), a daily
check-in, and planned-against-taken doses side by side. Entries are append-only; a correction supersedes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.patient import Patient
from dosewise.domain.quantity import Quantity
from dosewise.domain.regimen import Plan, administrations
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.triage import triage_summary
from dosewise.services.advice import triage_symptoms
from dosewise.services.audit import record
from dosewise.services.dates import read_date
from dosewise.services.diary_alert import ALERT_WINDOW, Alert, alert_from, standing
from dosewise.services.plans_service import plan_in_force
from dosewise.services.ports import Actor, CheckIn, Clock, Conflict, DoseEvent, Store, SymptomEntry
from dosewise.services.pump import has_pump
from dosewise.services.record_day import record_today, record_zone
from dosewise.services.records import to_patient
from dosewise.services.sharing import Access, authorise
from dosewise.services.today import current_events, dose_records

__all__ = [
    "ALERT_WINDOW",
    "Alert",
    "ChartDay",
    "DiaryView",
    "RecordHeader",
    "correct_checkin",
    "correct_symptom",
    "diary_view",
    "record_checkin",
    "record_header",
    "record_symptoms",
]

_SEVERITIES = ("mild", "moderate", "severe")


@dataclass(frozen=True)
class ChartDay:
    day: date
    planned: Quantity | None
    taken: Quantity | None
    checkin: CheckIn | None


@dataclass(frozen=True)
class DiaryView:
    access: Access
    today: date
    symptoms: tuple[tuple[SymptomEntry, bool], ...]  # (entry, superseded), newest first
    checkins: tuple[tuple[CheckIn, bool], ...]
    chart: tuple[ChartDay, ...]
    alert: Alert | None
    symptom_choices: tuple[tuple[str, str], ...]
    dose_unit: str
    predicted: tuple[tuple[float, float], ...] = ()  # (hours from the chart's first midnight, ng/mL)
    predicted_note: str = ""
    zone: str = "UTC"  # the record's zone (record_day.record_zone): every time on the page is shown in it


@dataclass(frozen=True)
class RecordHeader:
    """What every page of a record needs besides its own view: the standing alert (if any) and the zone
    the record's times are shown in (``record_day.record_zone``, the one answer)."""

    alert: Alert | None
    zone: str


def record_header(*, store: Store, clock: Clock, actor: Actor, public_id: str) -> RecordHeader:
    """The urgent or emergency triage that every page of the record shows until it is two days old, and
    the record's zone."""
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        zone = record_zone(access.profile, uow.plans.latest(access.profile.id))
        return RecordHeader(alert_from(uow, access.profile.id, clock()), zone)


def record_symptoms(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    symptoms: Sequence[str],
    text: str = "",
    severity: str = "moderate",
    idempotency_key: str = "",
) -> SymptomEntry:
    """Triage what the person reports, with context from the record, and keep the result with the entry.

    With an idempotency key, a retry of the same entry returns the first one instead of storing it twice.
    """
    if severity not in _SEVERITIES:
        raise InvalidInput("severity is mild, moderate or severe")
    labels = {s.id: s.label for s in kb.symptoms}
    inputs = [labels.get(s, s) for s in symptoms if s.strip()] + ([text.strip()] if text.strip() else [])
    if not inputs:
        raise InvalidInput("choose or describe at least one symptom")
    if len(text) > 2000:
        raise InvalidInput("the description is too long (up to 2000 characters)")
    key = _key(idempotency_key)
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="log")
        uow.patients.lock(access.profile.id)
        if key is not None and (repeat := uow.diary.symptom_by_key(access.profile.id, key)) is not None:
            if (repeat.text, repeat.severity) != ("; ".join(inputs), severity):
                raise Conflict("this idempotency key was already used for another diary entry")
            return repeat
        _, plan = plan_in_force(uow, kb, access.profile.id)
        today = record_today(access.profile, plan, now)
        events = uow.doses.between(access.profile.id, today - timedelta(days=7), today)
        patient = to_patient(access.profile, today, uow.medications.current(access.profile.id))
        result = triage_symptoms(
            kb=kb,
            symptoms=inputs,
            plan=plan,
            now=now if plan else None,
            records=dose_records(events, now),
            patient=patient,
            pump_on_record=has_pump(uow.pump.entries(access.profile.id)),
            reported_severity=severity,
        )
        triage = triage_summary(result, severity)
        level = result.level
        entry = uow.diary.add_symptom(
            SymptomEntry(
                id=0,
                patient_id=access.profile.id,
                recorded_at=now,
                recorded_by=actor.user_id,
                recorded_by_name=actor.display_name,
                text="; ".join(inputs),
                severity=severity,  # type: ignore[arg-type]
                triage_level=level,
                triage=triage,
                kb_version=kb.version,
                idempotency_key=key,
            )
        )
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="diary.symptoms",
            summary=f"recorded symptoms ({severity}): {entry.text} -> {level}",
            detail={"entry": entry.id, "level": level},
        )
        uow.commit()
        return entry


def _key(idempotency_key: str) -> str | None:
    """An optional idempotency key: empty means none; otherwise 8 to 64 characters, as for doses."""
    key = idempotency_key.strip()
    if not key:
        return None
    if not 8 <= len(key) <= 64:
        raise InvalidInput("an idempotency key is 8 to 64 characters")
    return key


def _score(value: object, what: str, top: int) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 0 <= int(text) <= top:
        raise InvalidInput(f"{what} is a whole number from 0 to {top}")
    return int(text)


def record_checkin(
    *,
    store: Store,
    clock: Clock,
    actor: Actor,
    public_id: str,
    spasticity: object,
    spasm_frequency: object,
    sleep_quality: object,
    drowsiness: object,
    day: str = "",
    idempotency_key: str = "",
) -> CheckIn:
    """One check-in a day; a second one for the same day supersedes the first (which stays in history).

    With an idempotency key, a retry returns the first check-in instead of superseding it with a copy.
    """
    scores = (
        _score(spasticity, "spasticity", 10),
        _score(spasm_frequency, "spasm frequency", 4),
        _score(sleep_quality, "sleep", 10),
        _score(drowsiness, "drowsiness", 10),
    )
    key = _key(idempotency_key)
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="log")
        uow.patients.lock(access.profile.id)
        today = record_today(access.profile, uow.plans.latest(access.profile.id), now)
        when = read_date(day, "day") if day.strip() else today
        if key is not None and (repeat := uow.diary.checkin_by_key(access.profile.id, key)) is not None:
            same = (repeat.spasticity, repeat.spasm_frequency, repeat.sleep_quality, repeat.drowsiness)
            if (repeat.day, same) != (when, scores):
                raise Conflict("this idempotency key was already used for another check-in")
            return repeat
        if when > today or when < today - timedelta(days=7):
            raise InvalidInput("a check-in is for today or one of the seven days before")
        earlier = standing(uow.diary.checkins(access.profile.id, when, when))
        entry = uow.diary.add_checkin(
            CheckIn(
                id=0,
                patient_id=access.profile.id,
                day=when,
                spasticity=scores[0],
                spasm_frequency=scores[1],
                sleep_quality=scores[2],
                drowsiness=scores[3],
                recorded_at=now,
                recorded_by=actor.user_id,
                supersedes_id=earlier[-1].id if earlier else None,
                idempotency_key=key,
            )
        )
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="diary.checkin",
            summary=f"check-in for {when.isoformat()}: spasticity {scores[0]}/10, spasms {scores[1]}/4, "
            f"sleep {scores[2]}/10, drowsiness {scores[3]}/10",
            detail={"entry": entry.id, "supersedes": entry.supersedes_id},
        )
        uow.commit()
        return entry


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("say why the entry was wrong")
    return reason.strip()[:500]


def correct_symptom(
    *, store: Store, clock: Clock, actor: Actor, public_id: str, entry_id: int, reason: str
) -> SymptomEntry:
    why = _reason(reason)
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="log")
        original = uow.diary.get_symptom(entry_id)
        if original is None or original.patient_id != access.profile.id:
            raise InvalidInput("no such diary entry")
        if original not in standing(uow.diary.symptoms(access.profile.id, since=original.recorded_at)):
            raise Conflict("this entry was already corrected")
        # A correction is a new entry: the same content, marked entered-in-error, pointing at the original.
        entry = uow.diary.add_symptom(
            replace(
                original,
                id=0,
                recorded_at=now,
                recorded_by=actor.user_id,
                recorded_by_name=actor.display_name,
                triage={"correction": why},
                status="entered_in_error",
                supersedes_id=original.id,
            )
        )
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="diary.entered_in_error",
            summary=f"marked the symptom entry '{original.text}' as entered in error ({why})",
            detail={"entry": entry.id, "supersedes": original.id},
        )
        uow.commit()
        return entry


def correct_checkin(
    *, store: Store, clock: Clock, actor: Actor, public_id: str, entry_id: int, reason: str
) -> CheckIn:
    why = _reason(reason)
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="log")
        original = uow.diary.get_checkin(entry_id)
        if original is None or original.patient_id != access.profile.id:
            raise InvalidInput("no such check-in")
        if original not in standing(uow.diary.checkins(access.profile.id, original.day, original.day)):
            raise Conflict("this check-in was already corrected or replaced")
        entry = uow.diary.add_checkin(
            replace(
                original,
                id=0,
                recorded_at=now,
                recorded_by=actor.user_id,
                status="entered_in_error",
                supersedes_id=original.id,
            )
        )
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="diary.entered_in_error",
            summary=f"marked the check-in for {original.day.isoformat()} as entered in error ({why})",
            detail={"entry": entry.id, "supersedes": original.id},
        )
        uow.commit()
        return entry


def _chart(
    plan: Plan | None,
    tz: ZoneInfo,
    first: date,
    today: date,
    events: Sequence[DoseEvent],
    checkins: Sequence[CheckIn],
) -> tuple[ChartDay, ...]:
    planned: dict[date, Fraction] = {}
    unit = None
    if plan is not None:
        unit = plan.dose_unit
        for dose in administrations(plan, tz, start=first, end=today + timedelta(days=1)):
            planned[dose.slot_date] = planned.get(dose.slot_date, Fraction(0)) + dose.dose.amount
    taken: dict[date, Fraction] = {}
    for event in current_events(events).values():
        if event.status == "taken":
            unit = unit or event.dose.unit
            taken[event.slot_date] = taken.get(event.slot_date, Fraction(0)) + event.dose.amount
    by_day = {c.day: c for c in standing(checkins)}
    days = []
    day = first
    while day <= today:
        days.append(
            ChartDay(
                day,
                Quantity(planned[day], unit) if day in planned and unit else None,
                Quantity(taken.get(day, Fraction(0)), unit) if unit else None,
                by_day.get(day),
            )
        )
        day += timedelta(days=1)
    return tuple(days)


def _predicted(
    kb: KnowledgeBase,
    plan: Plan | None,
    patient: Patient,
    tz: ZoneInfo,
    first: date,
    now: datetime,
    events: Sequence[DoseEvent],
) -> tuple[tuple[tuple[float, float], ...], str]:
    """Predicted concentration from the doses actually taken (none when the drug has no model)."""
    taken = [
        (e.taken_at, e.dose)
        for e in current_events(events).values()
        if e.status == "taken" and e.taken_at is not None and e.taken_at < now
    ]
    if plan is None or not taken:
        return (), ""
    from dosewise.domain.pk import DoseEvent as TakenDose  # numpy: imported only for this page
    from dosewise.services.simulation import simulate_history

    try:
        run = simulate_history(
            kb=kb,
            drug=plan.drug,
            doses=[TakenDose(at, dose) for at, dose in taken],
            timezone=tz.key,
            patient=patient,
            until=now,
            resolution_h=0.5,
        )
    except DosewiseError:
        return (), ""
    result = run.result
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    offset = (result.schedule.origin - start).total_seconds() / 3600
    points = tuple(
        (offset + float(hours), float(value))
        for hours, value in zip(result.times_h, result.concentration_ng_ml, strict=True)
        if offset + float(hours) >= 0
    )
    band = (
        f"; usual range {result.band_ng_ml[0]:.0f}-{result.band_ng_ml[1]:.0f} ng/mL"
        if result.band_ng_ml
        else ""
    )
    note = (
        f"Green line: predicted level from the doses recorded as taken (peak {result.cmax_ng_ml:.0f} ng/mL{band}). "
        f"A model estimate ({run.result.model.parameter_set.label}), not a measurement."
    )
    return points, note


def diary_view(
    *, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str, days: int = 28
) -> DiaryView:
    now = clock()
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        _, plan = plan_in_force(uow, kb, access.profile.id)
        tz = ZoneInfo(record_zone(access.profile, plan))
        today = record_today(access.profile, plan, now)
        first = today - timedelta(days=days - 1)
        symptoms = uow.diary.symptoms(access.profile.id, since=now - timedelta(days=days))
        checkins = uow.diary.checkins(access.profile.id, first, today)
        events = uow.doses.between(access.profile.id, first, today)
        alert = alert_from(uow, access.profile.id, now)
        patient = to_patient(access.profile, today, uow.medications.current(access.profile.id))
    predicted, predicted_note = _predicted(kb, plan, patient, tz, first, now, events)
    superseded_symptoms = {e.supersedes_id for e in symptoms if e.supersedes_id}
    superseded_checkins = {c.supersedes_id for c in checkins if c.supersedes_id}
    return DiaryView(
        access=access,
        today=today,
        symptoms=tuple((e, e.id in superseded_symptoms) for e in reversed(symptoms)),
        checkins=tuple((c, c.id in superseded_checkins) for c in reversed(checkins)),
        chart=_chart(plan, tz, first, today, events, checkins),
        alert=alert,
        symptom_choices=tuple((s.id, s.label) for s in kb.symptoms),
        dose_unit=plan.dose_unit.value if plan else "mg",
        predicted=predicted,
        predicted_note=predicted_note,
        zone=tz.key,
    )
