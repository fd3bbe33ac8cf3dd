"""Builders for CDS Hooks 2.0.1 requests whose FHIR content is valid R4.

Written from the R4 definitions, not from the hook pages' examples (which are not valid R4: a bare
``doseQuantity`` under Dosage, ``doseAndRate`` as an object, Bundles without ``type``). Every resource has
its required elements (MedicationRequest status, intent, medication[x], subject; Observation status and
code; Bundle type), Dosage has ``doseAndRate`` as an array, units are UCUM with system and code.
"""

from __future__ import annotations

import uuid
from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
FHIR_BASE = "https://ehr.example.org/fhir"
PATIENT_ID = "pat-1"

# RxNorm codes from the knowledge base's dictionary (ingredient level) and product table.
BACLOFEN = ("1292", "baclofen")
BACLOFEN_10_TABLET = ("197391", "baclofen 10 MG Oral Tablet")
TIZANIDINE = ("57258", "tizanidine")
OXYCODONE = ("7804", "oxycodone")
LORAZEPAM = ("6470", "lorazepam")
CIPROFLOXACIN = ("2551", "ciprofloxacin")
FLUVOXAMINE = ("42355", "fluvoxamine")
AMOXICILLIN = ("723", "amoxicillin")  # not in the dictionary


def concept(code: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [{"system": RXNORM, "code": code[0], "display": code[1]}], "text": code[1]}


def dosage(
    dose_mg: float | int | None,
    per_day: int | None = 3,
    *,
    sequence: int | None = None,
    start: str | None = None,
    end: str | None = None,
    days: int | None = None,
    unit: tuple[str, str] = ("mg", "mg"),
) -> dict[str, Any]:
    """One R4 Dosage: ``dose_mg`` ``per_day`` times a day, bounded by a period or a duration."""
    repeat: dict[str, Any] = {}
    if per_day is not None:
        repeat.update({"frequency": per_day, "period": 1, "periodUnit": "d"})
    if start or end:
        repeat["boundsPeriod"] = {k: v for k, v in (("start", start), ("end", end)) if v}
    if days is not None:
        repeat["boundsDuration"] = {"value": days, "unit": "days", "system": UCUM, "code": "d"}
    out: dict[str, Any] = {"text": f"{dose_mg} {unit[0]} {per_day} times a day"}
    if sequence is not None:
        out["sequence"] = sequence
    if repeat:
        out["timing"] = {"repeat": repeat}
    if dose_mg is not None:
        out["doseAndRate"] = [
            {"doseQuantity": {"value": dose_mg, "unit": unit[0], "system": UCUM, "code": unit[1]}}
        ]
    out["route"] = {
        "coding": [{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}]
    }
    return out


def medication_request(
    ident: str,
    code: tuple[str, str],
    dosages: list[dict[str, Any]] | None = None,
    *,
    status: str = "draft",
    authored: str = "2026-11-10",
    prior: str | None = None,
    do_not_perform: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": ident,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": concept(code),
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "authoredOn": authored,
    }
    if do_not_perform:
        out["doNotPerform"] = True
    if dosages:
        out["dosageInstruction"] = dosages
    if prior:
        out["priorPrescription"] = {"reference": prior}
    return out


def patient(*, gender: str | None = "female", birth: str | None = "1956-03-14") -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Patient", "id": PATIENT_ID}
    if gender:
        out["gender"] = gender
    if birth:
        out["birthDate"] = birth
    return out


def observation(
    code: str, display: str, value: float, unit: str, ucum: str, on: str = "2026-11-01"
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"obs-{uuid.uuid4().hex[:8]}",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory" if code != "29463-7" else "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": on,
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": ucum},
    }


def creatinine(mg_dl: float, on: str = "2026-11-01") -> dict[str, Any]:
    return observation("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", mg_dl, "mg/dL", "mg/dL", on)


def egfr(value: float, on: str = "2026-11-01") -> dict[str, Any]:
    return observation(
        "98979-8",
        "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by "
        "Creatinine-based formula (CKD-EPI 2021)",
        value,
        "mL/min/1.73m2",
        "mL/min/{1.73_m2}",
        on,
    )


def weight(kg: float, on: str = "2026-11-01") -> dict[str, Any]:
    return observation("29463-7", "Body weight", kg, "kg", "kg", on)


def bundle(resources: list[dict[str, Any]], kind: str = "searchset") -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Bundle", "type": kind}
    if kind == "searchset":
        out["total"] = len(resources)
    out["entry"] = [
        {"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
    ]
    if not resources:
        del out["entry"]
    return out


def hook_request(
    hook: str,
    drafts: list[dict[str, Any]],
    *,
    listed: list[dict[str, Any]] | None = None,
    labs: dict[str, list[dict[str, Any]]] | None = None,
    selections: list[str] | None = None,
    the_patient: dict[str, Any] | None = None,
    omit: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A spec-shaped request; ``labs`` maps creatinine/egfr/weight to results (empty list: none on file)."""
    labs = {"creatinine": [creatinine(1.0)], "weight": [weight(70)], "egfr": []} if labs is None else labs
    context: dict[str, Any] = {
        "userId": "Practitioner/prac-1",
        "patientId": PATIENT_ID,
        "encounterId": "enc-1",
        "draftOrders": bundle(drafts, "collection"),
    }
    if hook == "order-select":
        context["selections"] = selections or [f"MedicationRequest/{drafts[0]['id']}"]
    prefetch: dict[str, Any] = {
        "patient": the_patient or patient(),
        "medications": bundle(listed or []),
        **{key: bundle(values) for key, values in labs.items()},
    }
    for key in omit:
        prefetch.pop(key, None)
    return {
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": FHIR_BASE,
        "hook": hook,
        "context": context,
        "prefetch": prefetch,
    }


def resources_in(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every FHIR resource in a request (the Bundles and what they hold), for the R4 validator."""
    found: list[dict[str, Any]] = [request["context"]["draftOrders"]]
    found += [r["resource"] for r in request["context"]["draftOrders"].get("entry", [])]
    for value in request.get("prefetch", {}).values():
        if isinstance(value, dict):
            found.append(value)
            found += [e["resource"] for e in value.get("entry", [])]
    return found
