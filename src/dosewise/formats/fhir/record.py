"""The whole record as an R4 ``collection`` Bundle: Patient, the plan, the other medicines, each logged
dose, the diary and the findings.

Inputs are the record's own values, read through the small Protocols below, so the services' stored
dataclasses pass straight in and the format never imports a service. Statuses are only what dosewise
knows: a listed medicine is ``active`` on the list; a logged dose is ``completed`` (taken) or ``not-done``
(skipped); an entry later marked wrong is ``entered-in-error``; a check-in replaced by a later one for the
same day is left out and its replacement is ``amended``; findings are ``preliminary`` (computed by software
from a knowledge base that is itself a draft for clinical review).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from dosewise.domain.findings import Finding
from dosewise.domain.patient import Medication as DomainMedication
from dosewise.domain.quantity import Quantity, Unit, parse_quantity, times_per_day_words
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase, Severity

from .codes import (
    FINDING_SYSTEM,
    IDENTIFIER_SYSTEMS,
    KB_TAG_SYSTEM,
    OBSERVATION_CATEGORY,
    TRIAGE_SYSTEM,
    clean_strings,
    codeable,
    dose_quantity,
    resource_id,
)
from .plan import plan_requests

__all__ = [
    "CheckInData",
    "DoseData",
    "ListedMedicine",
    "RecordExport",
    "SymptomData",
    "record_bundle",
]

_SEVERITY = {
    Severity.CONTRAINDICATED: "high",
    Severity.MAJOR: "high",
    Severity.MODERATE: "moderate",
    Severity.MINOR: "low",
}
_SURVEY = {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
_CHECKIN_SCORES = (
    ("spasticity", "Spasticity, 0 (none) to 10 (worst)"),
    ("spasm_frequency", "Penn spasm frequency score, 0 to 4"),
    ("sleep_quality", "Sleep quality, 0 (worst) to 10 (best)"),
    ("drowsiness", "Drowsiness, 0 (none) to 10 (worst)"),
)


class DoseData(Protocol):
    """A logged dose as the record stores it (``services.ports.DoseEvent`` fits)."""

    @property
    def id(self) -> int: ...
    @property
    def slot_date(self) -> date: ...
    @property
    def slot_index(self) -> int: ...
    @property
    def scheduled_at(self) -> datetime: ...
    @property
    def dose(self) -> Quantity: ...
    @property
    def status(self) -> str: ...
    @property
    def taken_at(self) -> datetime | None: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def note(self) -> str: ...
    @property
    def supersedes_id(self) -> int | None: ...


class SymptomData(Protocol):
    """A diary symptom entry with its triage (``services.ports.SymptomEntry`` fits)."""

    @property
    def id(self) -> int: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def text(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def triage_level(self) -> str: ...
    @property
    def triage(self) -> Mapping[str, Any]: ...
    @property
    def kb_version(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def supersedes_id(self) -> int | None: ...


class CheckInData(Protocol):
    """A daily check-in (``services.ports.CheckIn`` fits)."""

    @property
    def id(self) -> int: ...
    @property
    def day(self) -> date: ...
    @property
    def spasticity(self) -> int: ...
    @property
    def spasm_frequency(self) -> int: ...
    @property
    def sleep_quality(self) -> int: ...
    @property
    def drowsiness(self) -> int: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def supersedes_id(self) -> int | None: ...


@dataclass(frozen=True)
class ListedMedicine:
    """A medicine on the patient's list, as written (the dose is optional)."""

    key: str
    name: str
    dose: Quantity | None = None
    times_per_day: int | None = None
    asserted: datetime | None = None

    @classmethod
    def from_domain(cls, medication: DomainMedication, index: int) -> ListedMedicine:
        return cls(f"listed-{index + 1}", medication.name, medication.dose, medication.times_per_day)

    @classmethod
    def from_text(
        cls, key: str, name: str, dose_text: str | None, times_per_day: int | None, asserted: datetime | None
    ) -> ListedMedicine:
        """A stored list entry; its dose text was checked when it was added (mg, mcg, mL or U)."""
        dose = (
            parse_quantity(dose_text, allowed=(Unit.MG, Unit.MCG, Unit.ML, Unit.UNITS)) if dose_text else None
        )
        return cls(key, name, dose, times_per_day, asserted)


@dataclass(frozen=True)
class RecordExport:
    """Everything one export holds. ``patient_key`` names the record stably (its public id); ``findings``
    are the medication list's (interactions, duplicates): the plan's own findings come with the plan."""

    patient_key: str
    kb: KnowledgeBase
    timestamp: datetime
    display_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    plan: Plan | None = None
    plan_key: str = "plan"
    plan_status: str = "unknown"
    plan_authored: datetime | None = None
    medications: Sequence[ListedMedicine] = ()
    doses: Sequence[DoseData] = ()
    symptoms: Sequence[SymptomData] = ()
    checkins: Sequence[CheckInData] = ()
    findings: Sequence[Finding] = field(default=())


def _ref(resource: dict[str, Any]) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource['id']}"}


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _patient(export: RecordExport) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": resource_id("patient", export.patient_key),
        "identifier": [{"system": IDENTIFIER_SYSTEMS["patient"], "value": export.patient_key}],
    }
    if export.display_name:
        resource["name"] = [{"text": export.display_name}]
    # The sex entered for the Cockcroft-Gault formula; nothing else about gender is known.
    if export.sex in ("female", "male"):
        resource["gender"] = export.sex
    if export.birth_date is not None:
        resource["birthDate"] = export.birth_date.isoformat()
    return resource


def _listed_dosage(medicine: ListedMedicine) -> list[dict[str, Any]]:
    if medicine.dose is None and medicine.times_per_day is None:
        return []
    words = [str(medicine.dose)] if medicine.dose is not None else []
    if medicine.times_per_day is not None:
        words.append(times_per_day_words(medicine.times_per_day))
    dosage: dict[str, Any] = {"text": " ".join(words) + " (as written on the medication list)"}
    if medicine.times_per_day is not None:
        dosage["timing"] = {"repeat": {"frequency": medicine.times_per_day, "period": 1, "periodUnit": "d"}}
    if medicine.dose is not None:
        dosage["doseAndRate"] = [{"doseQuantity": dose_quantity(medicine.dose)}]
    return [dosage]


def _medicines(export: RecordExport, patient: dict[str, Any]) -> list[dict[str, Any]]:
    """Each listed medicine as a MedicationStatement and, for US Core, a reported MedicationRequest."""
    out: list[dict[str, Any]] = []
    for medicine in export.medications:
        identifier = [
            {"system": IDENTIFIER_SYSTEMS["medication"], "value": f"{export.patient_key}/{medicine.key}"}
        ]
        concept = codeable(medicine.name, export.kb)
        dosage = _listed_dosage(medicine)
        statement: dict[str, Any] = {
            "resourceType": "MedicationStatement",
            "id": resource_id("medication-statement", export.patient_key, medicine.key),
            "identifier": identifier,
            "status": "active",
            "medicationCodeableConcept": concept,
            "subject": _ref(patient),
            "informationSource": _ref(patient),
        }
        if medicine.asserted is not None:
            statement["dateAsserted"] = _instant(medicine.asserted)
        if dosage:
            statement["dosage"] = dosage
        request: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "id": resource_id("medication-reported", export.patient_key, medicine.key),
            "identifier": identifier,
            "status": "active",
            "intent": "plan",
            "reportedReference": _ref(patient),
            "medicationCodeableConcept": concept,
            "subject": _ref(patient),
        }
        if dosage:
            request["dosageInstruction"] = dosage
        out += [statement, request]
    return out


def _fate(entries: Sequence[Any]) -> tuple[dict[int, Any], set[int]]:
    """Which entries were marked wrong (id -> the marking entry) and which were replaced by a later one."""
    wrong: dict[int, Any] = {}
    replaced: set[int] = set()
    for entry in entries:
        if entry.supersedes_id is None:
            continue
        if entry.status == "entered_in_error":
            wrong[entry.supersedes_id] = entry
        else:
            replaced.add(entry.supersedes_id)
    return wrong, replaced


def _administrations(
    export: RecordExport, patient: dict[str, Any], plan_ref: dict[str, str] | None, medication: dict[str, Any]
) -> list[dict[str, Any]]:
    wrong, _ = _fate(export.doses)
    out = []
    for event in export.doses:
        if event.status == "entered_in_error":
            continue  # the correction marks the entry it corrects; it is not a dose of its own
        resource: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "id": resource_id("dose", export.patient_key, event.id),
            "identifier": [
                {"system": IDENTIFIER_SYSTEMS["dose"], "value": f"{export.patient_key}/{event.id}"}
            ],
        }
        if event.id in wrong:
            resource["status"] = "entered-in-error"
        elif event.status == "taken":
            resource["status"] = "completed"
        else:
            resource["status"] = "not-done"
            resource["statusReason"] = [{"text": "recorded as skipped in dosewise"}]
        resource |= {"medicationCodeableConcept": medication, "subject": _ref(patient)}
        taken = (
            event.taken_at if event.status == "taken" and event.taken_at is not None else event.scheduled_at
        )
        resource["effectiveDateTime"] = _instant(taken)
        if plan_ref is not None:
            resource["request"] = plan_ref
        notes = [
            f"For the dose planned at {_instant(event.scheduled_at)} (day {event.slot_date.isoformat()}, dose {event.slot_index + 1} of the day)."
        ]
        if event.note:
            notes.append(event.note)
        if event.id in wrong:
            notes.append(f"Marked entered in error: {wrong[event.id].note or 'no reason given'}")
        resource["note"] = [{"text": text} for text in notes]
        resource["dosage"] = {"dose": dose_quantity(event.dose)}
        out.append(resource)
    return out


def _symptoms(export: RecordExport, patient: dict[str, Any]) -> list[dict[str, Any]]:
    wrong, replaced = _fate(export.symptoms)
    out = []
    for entry in export.symptoms:
        if entry.status == "entered_in_error" or entry.id in replaced:
            continue
        triage = entry.triage
        components: list[dict[str, Any]] = [
            {
                "code": {"text": "triage level (dosewise)"},
                "valueCodeableConcept": {
                    "coding": [{"system": TRIAGE_SYSTEM, "code": entry.triage_level}],
                    "text": entry.triage_level,
                },
            },
            {"code": {"text": "severity as reported"}, "valueString": entry.severity},
        ]
        notes = [
            str(triage[key])
            for key in ("reason", "clinician_text")
            if isinstance(triage.get(key), str) and triage[key]
        ]
        notes.append(f"Triaged with the dosewise knowledge base {entry.kb_version}.")
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": resource_id("symptom", export.patient_key, entry.id),
            "identifier": [
                {"system": IDENTIFIER_SYSTEMS["symptom"], "value": f"{export.patient_key}/{entry.id}"}
            ],
            "status": "entered-in-error"
            if entry.id in wrong
            else ("amended" if entry.supersedes_id else "final"),
            "category": [_SURVEY],
            "code": {"text": "Symptoms reported by the patient"},
            "subject": _ref(patient),
            "effectiveDateTime": _instant(entry.recorded_at),
            "valueString": entry.text or ", ".join(str(s) for s in triage.get("symptoms", [])) or "symptoms",
            "note": [{"text": text} for text in notes],
            "component": components,
        }
        out.append(resource)
    return out


def _checkins(export: RecordExport, patient: dict[str, Any]) -> list[dict[str, Any]]:
    wrong, replaced = _fate(export.checkins)
    out = []
    for entry in export.checkins:
        if entry.status == "entered_in_error" or entry.id in replaced:
            continue
        out.append(
            {
                "resourceType": "Observation",
                "id": resource_id("checkin", export.patient_key, entry.id),
                "identifier": [
                    {"system": IDENTIFIER_SYSTEMS["checkin"], "value": f"{export.patient_key}/{entry.id}"}
                ],
                "status": "entered-in-error"
                if entry.id in wrong
                else ("amended" if entry.supersedes_id else "final"),
                "category": [_SURVEY],
                "code": {"text": "Daily check-in (dosewise)"},
                "subject": _ref(patient),
                "effectiveDateTime": entry.day.isoformat(),
                "issued": _instant(entry.recorded_at),
                "component": [
                    {"code": {"text": words}, "valueInteger": getattr(entry, name)}
                    for name, words in _CHECKIN_SCORES
                ],
            }
        )
    return out


def _issues(
    export: RecordExport, patient: dict[str, Any], findings: Sequence[tuple[Finding, list[dict[str, str]]]]
) -> list[dict[str, Any]]:
    out = []
    for index, (item, implicated) in enumerate(findings):
        resource: dict[str, Any] = {
            "resourceType": "DetectedIssue",
            "id": resource_id("finding", export.patient_key, index, item.code),
            "status": "preliminary",
            "code": {"coding": [{"system": FINDING_SYSTEM, "code": item.code}], "text": item.code},
        }
        if item.severity in _SEVERITY:
            resource["severity"] = _SEVERITY[item.severity]
        step = f" (plan step {item.step_index + 1})" if item.step_index is not None else ""
        resource |= {
            "patient": _ref(patient),
            "identifiedDateTime": _instant(export.timestamp),
            "implicated": implicated,
            "detail": f"[{item.severity.value}] {item.message}{step} Source: {item.source}. "
            f"Knowledge base {item.kb_version}.",
        }
        if not implicated:
            del resource["implicated"]
        out.append(resource)
    return out


def record_bundle(export: RecordExport, *, per_step: bool = False) -> dict[str, Any]:
    """The record as a ``collection`` Bundle; references use each entry's ``urn:uuid`` fullUrl."""
    patient = _patient(export)
    resources: list[dict[str, Any]] = [patient]
    plan_ref = None
    medication: dict[str, Any] = {"text": "the medicine of the dosewise plan"}
    findings: list[tuple[Finding, list[dict[str, str]]]] = []
    if export.plan is not None:
        requests = plan_requests(
            export.plan,
            export.kb,
            key=f"{export.patient_key}/{export.plan_key}",
            subject=f"urn:uuid:{patient['id']}",
            status=export.plan_status,
            per_step=per_step,
            authored_on=_instant(export.plan_authored) if export.plan_authored else None,
        )
        resources += requests.resources
        plan_ref = _ref(requests.resources[0])
        medication = requests.resources[0]["medicationCodeableConcept"]
        # A plan finding is about the plan; which list entries an interaction involves is in its text.
        findings += [(item, [_ref(r) for r in requests.resources]) for item in export.plan.findings]
    # The checker screens the list with the plan too: a list finding it already reported is written once.
    said = {(item.code, item.message) for item, _ in findings}
    findings += [(item, []) for item in export.findings if (item.code, item.message) not in said]
    resources += _medicines(export, patient)
    resources += _administrations(export, patient, plan_ref, medication)
    resources += _symptoms(export, patient) + _checkins(export, patient)
    resources += _issues(export, patient, findings)
    kb_version = export.plan.kb_version if export.plan is not None else export.kb.version
    bundle: dict[str, Any] = clean_strings(
        {
            "resourceType": "Bundle",
            "id": resource_id("bundle", export.patient_key, _instant(export.timestamp)),
            "meta": {"tag": [{"system": KB_TAG_SYSTEM, "code": kb_version}]},
            "type": "collection",
            "timestamp": _instant(export.timestamp),
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
        }
    )
    return bundle
