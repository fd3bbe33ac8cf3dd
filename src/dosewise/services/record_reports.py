"""Use cases: the clinician report and the schedule sheet of a patient's record, for the people the
patient let in (``view``: the patient, a caregiver, a clinician); anyone else is refused exactly as for a
record that does not exist.

Both are made from the plan in force at the moment of the request (never a stored copy), so a sheet
printed after a plan change shows the new tablets.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from dosewise.domain.adherence import adherence
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.report import SymptomLine
from dosewise.services.audit import record_download
from dosewise.services.diary_alert import standing
from dosewise.services.plans_service import plan_in_force
from dosewise.services.ports import Actor, Clock, Conflict, PlanVersion, Store, SymptomEntry, UnitOfWork
from dosewise.services.record_day import record_today
from dosewise.services.records import to_patient
from dosewise.services.reports import (
    DEFAULT_REPORT_DAYS,
    DEFAULT_SHEET_DAYS,
    ReportFile,
    clinician_report,
    missed_fraction,
    schedule_sheet,
    window_start,
)
from dosewise.services.sharing import Access, authorise
from dosewise.services.today import current_events, dose_records

__all__ = ["NoPlanYet", "record_report", "record_sheet"]


class NoPlanYet(Conflict):
    """The record has no plan: there is nothing to print (409, like any request the record contradicts)."""

    code = "no_plan"


def _label(version: PlanVersion) -> str:
    paused = "; PAUSED" if version.status == "paused" else ""
    return (
        f"version {version.number}, {version.action} on {version.created_at.date().isoformat()} by "
        f"{version.created_by_name}{paused}"
    )


def _symptom(entry: SymptomEntry) -> SymptomLine:
    advice = entry.triage.get("clinician_text") or entry.triage.get("reason") or ""
    return SymptomLine(
        entry.recorded_at, entry.text, entry.severity, entry.triage_level, str(advice), entry.kb_version
    )


def _opened(
    uow: UnitOfWork, kb: KnowledgeBase, actor: Actor, public_id: str
) -> tuple[Access, PlanVersion, Plan]:
    """The record (authorised for ``view``) and the plan in force in it; no plan is nothing to print."""
    access = authorise(uow, actor=actor, public_id=public_id, permission="view")
    version, plan = plan_in_force(uow, kb, access.profile.id)
    if version is None or plan is None:
        raise NoPlanYet("this record has no plan yet: there is nothing to print", hint="make a plan first")
    return access, version, plan


def record_report(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    days: int = DEFAULT_REPORT_DAYS,
) -> ReportFile:
    """The clinician report over the last ``days`` days of the record."""
    now = clock()
    with store.read() as uow:
        access, version, plan = _opened(uow, kb, actor, public_id)
        tz = ZoneInfo(plan.timezone)
        today = record_today(access.profile, plan, now)
        first = window_start(plan, now, days)
        # Two days before the window, so that doses near its start are matched as Today matches them.
        events = uow.doses.between(access.profile.id, first - timedelta(days=2), today)
        since = datetime.combine(first, time(0), tzinfo=tz)
        symptoms = [
            e for e in standing(uow.diary.symptoms(access.profile.id, since=since)) if e.recorded_at <= now
        ]
        medications = uow.medications.current(access.profile.id)
        profile = access.profile
    patient = to_patient(profile, today, medications)
    taken = {
        e.taken_at: e.dose for e in current_events(events).values() if e.status == "taken" and e.taken_at
    }
    record = adherence(
        plan,
        tz,
        dose_records(events, now),
        fraction=missed_fraction(kb, plan),
        first=first,
        now=now,
        amounts=taken,
    )
    report = clinician_report(
        kb=kb,
        plan=plan,
        now=now,
        patient=patient,
        patient_name=profile.display_name,
        medications=[m.name for m in medications],
        record=record,
        symptoms=[_symptom(e) for e in symptoms],
        plan_label=_label(version),
        creatinine_date=profile.creatinine_date,
    )
    record_download(
        store,
        at=now,
        actor=actor,
        patient_id=profile.id,
        what="the clinician report (PDF)",
        format_name="clinician-report",
    )
    return report


def record_sheet(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    days: int = DEFAULT_SHEET_DAYS,
) -> ReportFile:
    """The patient's schedule sheet from today for ``days`` days, from the plan in force now."""
    now = clock()
    with store.read() as uow:
        access, version, plan = _opened(uow, kb, actor, public_id)
        name = access.profile.display_name
        patient_id = access.profile.id
    sheet = schedule_sheet(
        kb=kb, plan=plan, now=now, days=days, patient_name=name, plan_label=_label(version)
    )
    record_download(
        store,
        at=now,
        actor=actor,
        patient_id=patient_id,
        what="the schedule sheet (PDF)",
        format_name="schedule-sheet",
    )
    return sheet
