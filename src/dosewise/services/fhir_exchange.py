"""FHIR in and out: a plan file or the whole record as a Bundle, and a FHIR file read into a checked plan.

An imported plan goes through the same gate as every stored plan (``plan_gate.checked_for_storing``):
what the checker calls blocking is refused unless the plan carries the named clinician override, and
the findings the plan is shown with are worked out again here, never taken from the file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from dosewise.domain.patient import Patient
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.fhir import FhirImport, ListedMedicine, RecordExport, read_fhir, record_bundle
from dosewise.services import plan_gate
from dosewise.services.audit import record_download
from dosewise.services.plans_service import plan_in_force
from dosewise.services.ports import Actor, Clock, PlanVersion, Store
from dosewise.services.record_day import record_today
from dosewise.services.records import to_patient
from dosewise.services.screening import screen
from dosewise.services.sharing import authorise

__all__ = ["CheckedImport", "import_fhir", "plan_bundle", "record_fhir", "record_status"]

# The record export reaches every dose and diary entry (the "all my data" export); the bounds only keep
# the date range finite (services.dates' plausible-date window).
_ALL_SINCE, _ALL_UNTIL = date(1900, 1, 1), date(2199, 12, 31)


@dataclass(frozen=True)
class CheckedImport:
    plan: Plan | None  # with the checker's findings
    medications: FhirImport
    patient: Patient


def import_fhir(
    *, kb: KnowledgeBase, data: object, patient: Patient | None = None, start: date | None = None
) -> CheckedImport:
    """Read ``data`` (parsed FHIR JSON) all or nothing, and pass its plan through the plan gate.

    The imported medicines join the patient's list for the check (the planned drug listed again, the total
    daily dose); ``PlanNotSafe`` when the plan must not be stored without an override.
    """
    base = patient or Patient()
    read = read_fhir(data, kb, start=start, timezone=base.timezone)
    checked_patient = replace(base, medications=base.medications + read.medications)
    plan = None
    if read.plan is not None:
        plan = plan_gate.checked_for_storing(
            kb, read.plan, patient=checked_patient, effective_from=read.plan.start
        )
    return CheckedImport(plan, read, checked_patient)


def plan_bundle(
    *, kb: KnowledgeBase, plan: Plan, patient: Patient | None, now: datetime, per_step: bool = False
) -> dict[str, object]:
    """A plan file (and optional patient file) as a Bundle. A file knows nothing of whether the plan is in
    force, so its MedicationRequest says ``unknown``; the plan is checked first and carries its findings."""
    from dosewise.services import planning

    who = patient or Patient()
    checked = planning.check(kb=kb, plan=plan, patient=who)
    names = [m.name for m in who.medications]
    report = screen(kb=kb, names=names, planned=plan.drug)
    findings = [i.to_finding(kb.version) for i in report.interactions] + list(report.duplicates)
    export = RecordExport(
        patient_key=f"file-{_digest(plan)}",
        kb=kb,
        timestamp=now,
        sex=who.sex,
        plan=checked,
        plan_status="unknown",
        medications=[ListedMedicine.from_domain(m, i) for i, m in enumerate(who.medications)],
        findings=findings + list(report.class_counts),
    )
    return record_bundle(export, per_step=per_step)


def _digest(plan: Plan) -> str:
    import hashlib

    return hashlib.sha256(repr((plan.drug, plan.steps, plan.kind, plan.then)).encode()).hexdigest()[:16]


def record_status(version: PlanVersion, plan: Plan, today: date) -> str:
    """What the record knows of its plan: on hold while paused, completed once a plan that stops has
    ended, active otherwise."""
    if version.status == "paused":
        return "on-hold"
    if plan.then == "stop" and today >= plan.end:
        return "completed"
    return "active"


def record_fhir(
    *, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str, per_step: bool = False
) -> dict[str, object]:
    """The whole record as a FHIR Bundle (the patient's "all my data" export), for whoever may view it."""
    now = clock()
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        profile = access.profile
        version, plan = plan_in_force(uow, kb, profile.id)
        today = record_today(profile, plan, now)
        medications = uow.medications.current(profile.id)
        doses = uow.doses.between(profile.id, _ALL_SINCE, _ALL_UNTIL)
        symptoms = uow.diary.symptoms(profile.id)
        checkins = uow.diary.checkins(profile.id, _ALL_SINCE, _ALL_UNTIL)
    patient = to_patient(profile, today, medications)
    report = screen(kb=kb, names=[m.name for m in medications], planned=plan.drug if plan else None)
    checked = None
    if plan is not None:
        from dosewise.services import planning

        checked = planning.check(kb=kb, plan=plan, patient=patient)
    export = RecordExport(
        patient_key=profile.public_id,
        kb=kb,
        timestamp=now,
        display_name=profile.display_name,
        birth_date=profile.date_of_birth,
        sex=profile.sex,
        plan=checked,
        plan_key=f"plan-v{version.number}" if version else "plan",
        plan_status=record_status(version, plan, today) if version and plan else "unknown",
        plan_authored=version.created_at if version else None,
        medications=[
            ListedMedicine.from_text(f"m{m.id}", m.name, m.dose_text, m.times_per_day, m.added_at)
            for m in medications
        ],
        doses=doses,
        symptoms=symptoms,
        checkins=checkins,
        findings=[i.to_finding(kb.version) for i in report.interactions]
        + list(report.duplicates)
        + list(report.class_counts),
    )
    bundle = record_bundle(export, per_step=per_step)
    record_download(
        store,
        at=now,
        actor=actor,
        patient_id=profile.id,
        what="the whole record (FHIR R4)",
        format_name="fhir-r4",
    )
    return bundle
