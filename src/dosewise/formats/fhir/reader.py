"""Read FHIR R4 JSON into a dosewise plan and medication list: a Bundle, or one MedicationRequest or
MedicationStatement. All or nothing: the first element dosewise cannot read without guessing stops the
whole import with ``FhirUnsupported`` naming it; nothing is half-read.

Which resource is the plan: a MedicationRequest that is not patient-reported (``reportedBoolean`` /
``reportedReference``), whose medicine has dosing rules in the knowledge base, and whose status is one a
plan can have in force (active, on-hold, draft, unknown). A plan written one request per step is read by
following ``priorPrescription`` (under one ``groupIdentifier``): the chain must be complete and linear,
so a lost step is refused, never skipped. Every other MedicationRequest and each MedicationStatement
becomes a medication-list entry; a resource a dosewise export wrote twice for US Core (a statement and a
reported request with the same identifier) is one entry. Resource types dosewise writes but does not
import (Patient, MedicationAdministration, Observation, DetectedIssue, Medication) are reported in
``ignored``; the plan's findings are worked out again by the checker, never copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from dosewise.domain.errors import InvalidInput
from dosewise.domain.patient import Medication
from dosewise.domain.quantity import Unit
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase
from dosewise.domain.screening import resolve

from .codes import RXNORM, FhirUnsupported
from .dosage import read_dosage
from .plan import drug_ingredient, plan_from_requests

__all__ = ["FhirImport", "medication_from_resource", "plan_from_medication_requests", "read_fhir"]

_PLAN_STATUSES = {"active", "on-hold", "draft", "unknown"}
_NOT_IMPORTED = {"Patient", "MedicationAdministration", "Observation", "DetectedIssue", "Medication"}
_WHY_NOT = {
    "Patient": "an import does not change the profile",
    "MedicationAdministration": "logged doses are not imported",
    "Observation": "diary entries are not imported",
    "DetectedIssue": "findings are worked out again by the checker",
    "Medication": "read only for the requests that reference it",
}
_BUNDLE_TYPES = {"collection", "searchset", "transaction", "batch", "document", "history"}
_LIST_STATUSES = {"active", "intended", "on-hold", "unknown"}


@dataclass(frozen=True)
class FhirImport:
    plan: Plan | None
    medications: tuple[Medication, ...]
    ignored: tuple[str, ...]  # what was read and deliberately not imported, with why


def _resources(data: object) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(where, fullUrl, resource) for a Bundle's entries or a single resource."""
    if not isinstance(data, Mapping):
        raise FhirUnsupported("(root)", "a FHIR file is a JSON object with a resourceType")
    kind = data.get("resourceType")
    if kind in ("MedicationRequest", "MedicationStatement"):
        return [(str(kind), None, dict(data))]
    if kind != "Bundle":
        raise FhirUnsupported(
            "resourceType",
            f"'{str(kind)[:40]}' is not imported",
            hint="import a Bundle, a MedicationRequest or a MedicationStatement",
        )
    if data.get("type") not in _BUNDLE_TYPES:
        raise FhirUnsupported("Bundle.type", f"a Bundle of type {data.get('type')!r} is not imported")
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        raise FhirUnsupported("Bundle.entry", "expected a list")
    out = []
    for index, entry in enumerate(entries):
        where = f"Bundle.entry[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("resource"), Mapping):
            raise FhirUnsupported(where, "an entry holds a resource")
        if isinstance(entry.get("request"), Mapping) and entry["request"].get("method") not in (
            None,
            "POST",
            "PUT",
        ):
            raise FhirUnsupported(
                f"{where}.request.method", f"'{entry['request'].get('method')}' is not an import"
            )
        resource = dict(entry["resource"])
        kind = resource.get("resourceType")
        if kind == "OperationOutcome" and data.get("type") == "searchset":
            continue
        if kind not in _NOT_IMPORTED | {"MedicationRequest", "MedicationStatement"}:
            raise FhirUnsupported(
                f"{where}.resource",
                f"resourceType '{str(kind)[:40]}' is not supported",
                hint="dosewise imports MedicationRequest and MedicationStatement resources",
            )
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        out.append((f"{where}.resource({kind})", full_url, resource))
    return out


def _reported(resource: Mapping[str, Any]) -> bool:
    return resource.get("reportedBoolean") is True or "reportedReference" in resource


def _concept(
    resource: Mapping[str, Any], by_url: Mapping[str, Mapping[str, Any]], where: str
) -> dict[str, Any]:
    """The medicine: medicationCodeableConcept, or the code of the Medication it references."""
    if isinstance(resource.get("medicationCodeableConcept"), Mapping):
        return dict(resource["medicationCodeableConcept"])
    reference = resource.get("medicationReference")
    if isinstance(reference, Mapping) and isinstance(reference.get("reference"), str):
        target = reference["reference"]
        contained = {f"#{c.get('id')}": c for c in resource.get("contained", []) if isinstance(c, Mapping)}
        medication = contained.get(target) or by_url.get(target)
        if medication is not None and isinstance(medication.get("code"), Mapping):
            return dict(medication["code"])
        if isinstance(reference.get("display"), str):
            return {"text": reference["display"]}
        raise FhirUnsupported(f"{where}.medicationReference", f"'{target[:60]}' is not in the file")
    raise FhirUnsupported(f"{where}.medication[x]", "the resource does not name its medicine")


def _name(concept: Mapping[str, Any], where: str) -> str:
    text = concept.get("text")
    if isinstance(text, str) and text.strip():
        return " ".join(text.split())[:200]
    for coding in concept.get("coding", []) if isinstance(concept.get("coding"), list) else []:
        if (
            isinstance(coding, Mapping)
            and isinstance(coding.get("display"), str)
            and coding["display"].strip()
        ):
            return " ".join(coding["display"].split())[:200]
    raise FhirUnsupported(where, "the medicine has neither text nor a coding display")


def medication_from_resource(
    resource: Mapping[str, Any],
    where: str = "resource",
    by_url: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[Medication, str | None]:
    """A medication-list entry from a MedicationStatement or MedicationRequest, and a note when its dose was
    not taken over (several dosages, or a dose that is not one mg, mcg, mL or U amount a number of times a
    day): the name is kept, the dose is not guessed."""
    concept = _concept(resource, by_url or {}, where)
    name = _name(concept, f"{where}.medication")
    key = "dosage" if resource.get("resourceType") == "MedicationStatement" else "dosageInstruction"
    dosages = resource.get(key, [])
    if not isinstance(dosages, list):
        raise FhirUnsupported(f"{where}.{key}", "expected a list")
    if not dosages:
        return Medication(name), None
    if len(dosages) > 1:
        return Medication(name), f"{name}: {len(dosages)} dosages; the dose was not imported (name kept)"
    dosage = dosages[0]
    if isinstance(dosage, Mapping) and "doseAndRate" not in dosage:
        repeat = (
            dosage.get("timing", {}).get("repeat", {}) if isinstance(dosage.get("timing"), Mapping) else {}
        )
        if isinstance(repeat, Mapping) and repeat.get("periodUnit") == "d" and repeat.get("period", 1) == 1:
            frequency = repeat.get("frequency")
            if isinstance(frequency, int) and not isinstance(frequency, bool) and 1 <= frequency <= 24:
                return Medication(name, None, frequency), None
        return Medication(name), None
    try:
        reading = read_dosage(dosage, f"{where}.{key}[0]", allowed=(Unit.MG, Unit.MCG, Unit.ML, Unit.UNITS))
    except FhirUnsupported as problem:
        return Medication(name), f"{name}: the dose was not imported ({problem.message})"
    per_day = len(reading.times) or None
    return Medication(name, reading.dose, per_day), None


def _chain(requests: list[tuple[str, str | None, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """One plan's requests in step order, following priorPrescription; a broken chain is refused."""
    if len(requests) == 1:
        return [(requests[0][0], requests[0][2])]
    groups = {
        ((r.get("groupIdentifier") or {}).get("system"), (r.get("groupIdentifier") or {}).get("value"))
        for _, _, r in requests
    }
    if len(groups) != 1 or (None, None) in groups:
        raise FhirUnsupported(
            requests[1][0],
            f"{len(requests)} plan MedicationRequests that are not one plan (no shared groupIdentifier)",
            hint="import one plan at a time, or chain its steps by priorPrescription under one groupIdentifier",
        )
    keys: dict[str, int] = {}
    for index, (_, url, resource) in enumerate(requests):
        for key in (url, f"MedicationRequest/{resource.get('id')}", f"urn:uuid:{resource.get('id')}"):
            if key:
                keys[key] = index
    previous: dict[int, int | None] = {}
    for index, (where, _, resource) in enumerate(requests):
        prior = resource.get("priorPrescription")
        if prior is None:
            previous[index] = None
            continue
        target = prior.get("reference") if isinstance(prior, Mapping) else None
        if target not in keys:
            raise FhirUnsupported(
                f"{where}.priorPrescription",
                f"'{str(target)[:60]}' is not a step of this plan: a step is missing",
            )
        previous[index] = keys[target]
    firsts = [i for i, p in previous.items() if p is None]
    following: dict[int, list[int]] = {}
    for index, p in previous.items():
        if p is not None:
            following.setdefault(p, []).append(index)
    if len(firsts) != 1 or any(len(v) > 1 for v in following.values()):
        raise FhirUnsupported(
            requests[0][0],
            "the steps do not form one chain by priorPrescription (a step is missing or repeated)",
        )
    order = [firsts[0]]
    while order[-1] in following:
        order.append(following[order[-1]][0])
        if len(order) > len(requests):  # pragma: no cover - a cycle has no first step, refused above
            break
    if len(order) != len(requests):
        raise FhirUnsupported(requests[0][0], "the steps do not form one chain by priorPrescription")
    return [(requests[i][0], requests[i][2]) for i in order]


def plan_from_medication_requests(
    requests: list[Mapping[str, Any]], kb: KnowledgeBase, *, start: date | None = None, timezone: str = "UTC"
) -> Plan:
    """A plan from its MedicationRequests (one with sequenced dosages, or a priorPrescription chain).

    The reading function for other features (CDS Hooks draft orders): exact doses, mg and mcg explicit,
    ``FhirUnsupported`` naming the element for anything it cannot read.
    """
    entries: list[tuple[str, str | None, dict[str, Any]]] = [
        (f"MedicationRequest[{i}]", None, dict(r)) for i, r in enumerate(requests)
    ]
    return plan_from_requests(_chain(entries), kb, start=start, timezone=timezone)


def read_fhir(
    data: object, kb: KnowledgeBase, *, start: date | None = None, timezone: str = "UTC"
) -> FhirImport:
    """Everything importable in ``data`` (parsed JSON), or ``FhirUnsupported`` and nothing."""
    resources = _resources(data)
    by_url = {url: r for _, url, r in resources if url}
    by_url |= {f"{r.get('resourceType')}/{r.get('id')}": r for _, _, r in resources if r.get("id")}
    ignored: list[str] = []
    skipped: dict[str, int] = {}
    plans: list[tuple[str, str | None, dict[str, Any]]] = []
    listed: list[tuple[str, dict[str, Any]]] = []
    for where, url, resource in resources:
        kind = resource.get("resourceType")
        if kind in _NOT_IMPORTED:
            skipped[str(kind)] = skipped.get(str(kind), 0) + 1
            continue
        status = resource.get("status")
        if (
            kind == "MedicationRequest"
            and not _reported(resource)
            and _has_rules(resource, by_url, kb, where)
        ):
            if status not in _PLAN_STATUSES:
                ignored.append(f"{where}: a plan with status {status!r} is not in force; not imported")
                continue
            plans.append((where, url, resource))
        elif status in _LIST_STATUSES or (kind == "MedicationRequest" and status in ("draft",)):
            listed.append((where, resource))
        else:
            ignored.append(f"{where}: status {status!r} is not a current medicine; not imported")
    ignored = [f"{count} {kind} ({_WHY_NOT[kind]})" for kind, count in skipped.items()] + ignored
    plan = None
    if plans:
        try:
            plan = plan_from_requests(_chain(plans), kb, start=start, timezone=timezone)
        except InvalidInput as exc:
            if isinstance(exc, FhirUnsupported):
                raise
            raise FhirUnsupported(plans[0][0], exc.message, hint=exc.hint) from exc
    medications: list[Medication] = []
    seen: set[tuple[str | None, str | None]] = set()
    for where, resource in listed:
        identifiers = {
            (i.get("system"), i.get("value"))
            for i in resource.get("identifier", [])
            if isinstance(i, Mapping)
        }
        if identifiers & seen:
            ignored.append(f"{where}: the same medicine as an earlier entry (same identifier); listed once")
            continue
        seen |= identifiers
        medication, note = medication_from_resource(resource, where, by_url)
        medications.append(medication)
        if note:
            ignored.append(f"{where}: {note}")
    return FhirImport(plan, tuple(medications), tuple(ignored))


def _has_rules(
    resource: Mapping[str, Any], by_url: Mapping[str, Mapping[str, Any]], kb: KnowledgeBase, where: str
) -> bool:
    """Whether the request's medicine is one dosewise plans (so the request is read as the plan)."""
    concept = _concept(resource, by_url, where)
    planned = {i.id for i in (drug_ingredient(r, kb) for r in kb.drugs.values()) if i is not None}
    codes = {
        c.get("code")
        for c in concept.get("coding", [])
        if isinstance(c, Mapping) and c.get("system") == RXNORM
    }
    if any(i.rxcui in codes and i.rxcui_status == "verified" and i.id in planned for i in kb.ingredients):
        return True
    text = concept.get("text")
    if not isinstance(text, str):
        return False
    resolution = resolve(text, kb)
    return (
        resolution.screened and len(resolution.ingredients) == 1 and resolution.ingredients[0].id in planned
    )
