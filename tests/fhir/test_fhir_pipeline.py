"""The validation pipeline itself catches seeded defects: a checker that passes everything proves nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from fhir_corpus import KB, full_record
from test_fhir_export import _taper

from dosewise.formats.fhir import record_bundle


def _plan_request(bundle: dict[str, Any]) -> dict[str, Any]:
    return next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest" and "reportedReference" not in e["resource"]
    )


def _repeat(bundle: dict[str, Any]) -> dict[str, Any]:
    return _plan_request(bundle)["dosageInstruction"][0]["timing"]["repeat"]


def _set(
    path: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: object
) -> Callable[[dict[str, Any]], None]:
    def apply(bundle: dict[str, Any]) -> None:
        path(bundle)[key] = value

    return apply


def _drop(path: Callable[[dict[str, Any]], dict[str, Any]], key: str) -> Callable[[dict[str, Any]], None]:
    def apply(bundle: dict[str, Any]) -> None:
        del path(bundle)[key]

    return apply


def _dose(bundle: dict[str, Any]) -> dict[str, Any]:
    return _plan_request(bundle)["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]


DEFECTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "status outside its required value set": _set(_plan_request, "status", "bogus"),
    "R5 status leaking into R4 (recorded)": lambda b: next(
        e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "MedicationStatement"
    ).__setitem__("status", "recorded"),
    "intent missing (required primitive)": _drop(_plan_request, "intent"),
    "subject missing (min 1)": _drop(_plan_request, "subject"),
    "Bundle.type missing": _drop(lambda b: b, "type"),
    "period without periodUnit (tim-4)": _drop(_repeat, "periodUnit"),
    "periodUnit outside units-of-time (day)": _set(_repeat, "periodUnit", "day"),
    "boundsPeriod ending before it starts (per-1)": _set(
        _repeat, "boundsPeriod", {"start": "2026-12-09", "end": "2026-12-01"}
    ),
    "timeOfDay together with when (tim-10)": _set(_repeat, "when", ["MORN"]),
    "duration without durationUnit (tim-1)": _set(_repeat, "duration", 5),
    "dose code without a system (qty-3)": _drop(_dose, "system"),
    "dose comparator outside its value set": _set(_dose, "comparator", "about"),
    "dosageInstruction as an object (max *)": lambda b: _plan_request(b).__setitem__(
        "dosageInstruction", _plan_request(b)["dosageInstruction"][0]
    ),
    "unknown element (doseQuantity directly under Dosage)": _set(
        lambda b: _plan_request(b)["dosageInstruction"][0], "doseQuantity", {"value": 5, "unit": "mg"}
    ),
    "timeOfDay not a time": _set(_repeat, "timeOfDay", ["8am"]),
    "entry with a request in a collection (bdl-3)": lambda b: b["entry"][0].__setitem__(
        "request", {"method": "POST", "url": "Patient"}
    ),
    "MedicationAdministration without effective[x] (min 1)": lambda b: next(
        e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "MedicationAdministration"
    ).pop("effectiveDateTime"),
    "DetectedIssue severity outside its value set": lambda b: next(
        e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "DetectedIssue"
    ).__setitem__("severity", "major"),
    "Observation without status (min 1)": lambda b: next(
        e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "Observation"
    ).pop("status"),
    "Observation dataAbsentReason beside a value (obs-6)": lambda b: next(
        e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "Observation"
    ).__setitem__("dataAbsentReason", {"text": "unknown"}),
}


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_the_pipeline_catches_each_seeded_defect(fhir_validators: Any, name: str) -> None:
    """Each defect, seeded alone into a valid Bundle, is reported by the schema, an invariant, a binding or a
    cardinality check."""
    valid = json.loads(json.dumps(record_bundle(full_record(KB, _taper()))))
    assert fhir_validators.validate_resource(valid).errors == []
    broken = copy.deepcopy(valid)
    DEFECTS[name](broken)
    errors = fhir_validators.validate_resource(broken).errors
    assert errors, f"not caught: {name}"
