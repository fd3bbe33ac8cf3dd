"""FHIR R4 export: every Bundle passes the independent pipeline (R4 JSON schema, official invariants with
fhirpathpy, required bindings, cardinalities), and says only what dosewise knows."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from fhir_corpus import KB, NOW, full_record, plans, resources_of
from hypothesis import HealthCheck, given, settings

from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step, default_times
from dosewise.formats.fhir import RecordExport, record_bundle
from dosewise.formats.fhir.codes import RXNORM, UCUM

FIGURES: dict[str, int] = {"bundles": 0, "resources": 0, "invariants": 0, "bindings": 0, "cardinalities": 0}


def _validate(validator: Any, bundle: dict[str, Any]) -> None:
    report = validator.validate_resource(json.loads(json.dumps(bundle)))
    assert report.errors == []
    assert validator.validate_bundle_references(bundle) == []
    FIGURES["bundles"] += 1
    for key in ("resources", "invariants", "bindings", "cardinalities"):
        FIGURES[key] += getattr(report, key)


def _taper() -> Plan:
    times = default_times(3)
    return Plan(
        drug="baclofen",
        route="oral",
        steps=(
            Step(date(2026, 12, 1), 7, mg(20), times),
            Step(date(2026, 12, 8), 7, mg(15), times),
            Step(date(2026, 12, 15), 7, mg("7.5"), times),
        ),
        kb_version=KB.version,
        timezone="Europe/London",
        kind="taper",
        then="stop",
        products=("baclofen-tab-5mg", "baclofen-tab-10mg"),
    )


@pytest.mark.parametrize("per_step", [False, True])
def test_a_full_record_bundle_passes_every_independent_check(fhir_validators: Any, per_step: bool) -> None:
    """Patient, plan, listed medicines, doses, diary and findings: schema, invariants, bindings, cardinalities."""
    bundle = record_bundle(full_record(KB, _taper()), per_step=per_step)
    _validate(fhir_validators, bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {
        "Patient",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
        "Observation",
        "DetectedIssue",
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans())
def test_random_plans_export_as_valid_r4_in_both_shapes(fhir_validators: Any, plan: Plan) -> None:
    """Random titrations, tapers, holds and zero-dose steps in any zone: both shapes pass the pipeline."""
    for per_step in (False, True):
        _validate(fhir_validators, record_bundle(full_record(KB, plan), per_step=per_step))


def test_zz_print_the_validation_figures() -> None:
    """The figures for the report: how much the pipeline checked in this module (printed with -s)."""
    print("FHIR validation figures:", FIGURES)
    if FIGURES["bundles"]:
        assert FIGURES["invariants"] > FIGURES["bundles"]


def test_each_step_is_one_sequenced_dosage_with_its_days_times_and_ucum_dose() -> None:
    """One Dosage per step in sequence, bounds on whole days, timeOfDay and frequency, mg in UCUM."""
    plan = _taper()
    (request,) = [
        r
        for r in resources_of(record_bundle(full_record(KB, plan)), "MedicationRequest")
        if "reportedReference" not in r
    ]
    dosages = request["dosageInstruction"]
    assert [d["sequence"] for d in dosages] == [1, 2, 3]
    assert dosages[2]["timing"]["repeat"] == {
        "boundsPeriod": {"start": "2026-12-15", "end": "2026-12-21"},
        "frequency": 3,
        "period": 1,
        "periodUnit": "d",
        "timeOfDay": ["08:00:00", "14:00:00", "20:00:00"],
    }
    assert dosages[2]["doseAndRate"][0]["doseQuantity"] == {
        "value": 7.5,
        "unit": "mg",
        "system": UCUM,
        "code": "mg",
    }
    assert dosages[2]["text"].startswith(
        "Step 3 of 3, 2026-12-15 to 2026-12-21 (7 days): 7.5 mg three times a day"
    )
    assert dosages[2]["text"].endswith("Then stop.")
    assert request["intent"] == "plan"
    assert request["status"] == "active"


def test_a_plan_that_continues_ends_with_an_open_ended_dosage_repeating_the_last_step() -> None:
    """'Continue until reviewed' is a last Dosage with a start and no end, never an invented end day."""
    plan = Plan("baclofen", "oral", (Step(date(2026, 12, 1), 3, mg(5), default_times(3)),), KB.version)
    (request,) = resources_of(record_bundle(RecordExport("p", KB, NOW, plan=plan)), "MedicationRequest")
    last = request["dosageInstruction"][-1]
    assert last["timing"]["repeat"]["boundsPeriod"] == {"start": "2026-12-04"}
    assert last["text"].startswith("Then continue 5 mg three times a day")


def test_per_step_requests_chain_by_prior_prescription_under_one_group_identifier() -> None:
    """One MedicationRequest per step: each names the one before, all share the groupIdentifier."""
    bundle = record_bundle(full_record(KB, _taper()), per_step=True)
    plan_requests = [r for r in resources_of(bundle, "MedicationRequest") if "reportedReference" not in r]
    assert len(plan_requests) == 3
    assert len({json.dumps(r["groupIdentifier"]) for r in plan_requests}) == 1
    assert "priorPrescription" not in plan_requests[0]
    for before, after in itertools.pairwise(plan_requests):
        assert after["priorPrescription"] == {"reference": f"urn:uuid:{before['id']}"}
    assert all(len(r["dosageInstruction"]) == 1 for r in plan_requests)


def test_only_rxnorm_codes_the_knowledge_base_verified_are_claimed() -> None:
    """Baclofen (verified 1292) is coded; tizanidine (unverified) and Percocet carry text only."""
    bundle = record_bundle(full_record(KB, _taper()))
    concepts = {
        r["medicationCodeableConcept"]["text"]: r["medicationCodeableConcept"]
        for r in resources_of(bundle, "MedicationStatement") + resources_of(bundle, "MedicationRequest")
    }
    assert concepts["baclofen"]["coding"] == [{"system": RXNORM, "code": "1292", "display": "baclofen"}]
    assert "coding" not in concepts["tizanidine"]
    assert "coding" not in concepts["Percocet"]
    assert "coding" not in concepts["unknownium 5 mL"]
    assert concepts["lorazepam"]["coding"][0]["code"] == next(
        i.rxcui for i in KB.ingredients if i.id == "lorazepam"
    )


def test_logged_doses_say_completed_not_done_or_entered_in_error_and_nothing_more() -> None:
    """Taken -> completed at the time taken; skipped -> not-done with a reason; corrected -> entered-in-error."""
    administrations = resources_of(record_bundle(full_record(KB, _taper())), "MedicationAdministration")
    assert [a["status"] for a in administrations] == ["completed", "not-done", "entered-in-error"]
    assert administrations[0]["effectiveDateTime"] == "2026-12-01T08:20:00Z"
    assert administrations[1]["statusReason"] == [{"text": "recorded as skipped in dosewise"}]
    assert "wrong day" in administrations[2]["note"][-1]["text"]
    assert all(a["dosage"]["dose"]["code"] == "mg" for a in administrations)


def test_diary_entries_are_survey_observations_with_their_triage_level() -> None:
    """Symptoms carry the triage level; a corrected entry is entered-in-error; a replaced check-in is left out."""
    observations = resources_of(record_bundle(full_record(KB, _taper())), "Observation")
    assert all(o["category"][0]["coding"][0]["code"] == "survey" for o in observations)
    symptoms = [o for o in observations if o["code"]["text"].startswith("Symptoms")]
    assert [s["status"] for s in symptoms] == ["final", "entered-in-error"]
    assert symptoms[0]["component"][0]["valueCodeableConcept"]["text"] == "urgent"
    checkins = [o for o in observations if o["code"]["text"].startswith("Daily")]
    assert [c["status"] for c in checkins] == ["amended", "entered-in-error"]
    assert [c["valueInteger"] for c in checkins[0]["component"]] == [5, 2, 6, 3]


def test_findings_are_preliminary_detected_issues_with_source_and_knowledge_base_version() -> None:
    """Software findings from a draft knowledge base are never final; severity maps to high/moderate/low."""
    issues = resources_of(record_bundle(full_record(KB, _taper())), "DetectedIssue")
    assert {i["status"] for i in issues} == {"preliminary"}
    interaction = next(i for i in issues if i["code"]["text"] == "interaction.cns_depressants")
    assert interaction["severity"] == "high"
    assert "Source: label [H]" in interaction["detail"]
    assert KB.version in interaction["detail"]
    info = next(i for i in issues if i["code"]["text"] == "screening.not_assessed")
    assert "severity" not in info


def test_a_plan_without_a_known_status_is_exported_as_unknown() -> None:
    """RecordExport's default status is unknown: a plan file alone does not know if it is in force."""
    plan = _taper()
    (request,) = resources_of(record_bundle(RecordExport("p", KB, NOW, plan=plan)), "MedicationRequest")
    assert request["status"] == "unknown"


def test_the_same_record_exports_the_same_bundle() -> None:
    """Ids come from what a resource stands for, never from time or randomness."""
    first = record_bundle(full_record(KB, _taper()))
    assert record_bundle(full_record(KB, _taper())) == first


def test_a_finding_the_plan_and_the_list_both_report_is_written_once() -> None:
    """The checker screens the list with the plan, so the same interaction can come twice: one DetectedIssue,
    implicating the plan."""
    record = full_record(KB, _taper())
    shared = record.findings[0]
    record = replace(record, plan=record.plan.with_findings((shared,)) if record.plan else None)
    issues = resources_of(record_bundle(record), "DetectedIssue")
    same = [i for i in issues if i["code"]["text"] == shared.code]
    assert len(same) == 1
    assert "implicated" in same[0]
