"""FHIR R4 import: a lossless round trip for random plans in both shapes, the NHS Dose Syntax shape, and a
precise refusal (all or nothing) for everything dosewise cannot read without guessing."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import date, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from fhir_corpus import KB, NOW, full_record, plans
from hypothesis import HealthCheck, given, settings
from test_fhir_export import _taper

from dosewise.domain.patient import Medication, Patient
from dosewise.domain.quantity import Quantity, Unit, mg
from dosewise.domain.regimen import Plan, Step, default_times
from dosewise.formats.fhir import (
    FhirUnsupported,
    RecordExport,
    plan_from_medication_requests,
    read_fhir,
    record_bundle,
)
from dosewise.formats.fhir.codes import RXNORM, UCUM, fhir_string
from dosewise.services.fhir_exchange import import_fhir
from dosewise.services.plan_gate import PlanNotSafe


def _wire(bundle: dict[str, Any], *, decimals: bool) -> Any:
    text = json.dumps(bundle)
    return json.loads(text, parse_float=Decimal) if decimals else json.loads(text)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans())
def test_random_plans_survive_the_round_trip_exactly_in_both_shapes(plan: Plan) -> None:
    """Export then import gives the same plan (steps, doses as Fractions, times, kind, products, prior,
    overrides, notes, zone), whether floats or Decimals came off the wire."""
    for per_step in (False, True):
        for decimals in (False, True):
            bundle = record_bundle(full_record(KB, plan), per_step=per_step)
            read = read_fhir(_wire(bundle, decimals=decimals), KB)
            assert read.plan == _as_fhir_strings(plan).with_findings(())
            assert [m.name for m in read.medications] == [
                "lorazepam",
                "Percocet",
                "unknownium 5 mL",
                "tizanidine",
            ]
            assert read.medications[0] == Medication("lorazepam", mg(1), 2)


def _as_fhir_strings(plan: Plan) -> Plan:
    """The plan with its free text as FHIR strings (control characters and odd whitespace made spaces)."""
    return replace(
        plan,
        notes=tuple(fhir_string(n) for n in plan.notes),
        overrides=tuple(
            replace(o, reason=fhir_string(o.reason), by=fhir_string(o.by)) for o in plan.overrides
        ),
    )


def test_free_text_with_control_characters_is_written_as_a_valid_fhir_string(fhir_validators: Any) -> None:
    """A reason typed with a no-break space, U+0085 or a C1 control (found by the random export test) is
    written with spaces: R4 strings match [ \\r\\n\\t\\S]+, and the schema refuses anything else."""
    plan = replace(_taper(), notes=("5\u00a0mg\u0085less\x9c", "line one\nline two"))
    bundle = record_bundle(RecordExport("p", KB, NOW, plan=plan))
    assert fhir_validators.validate_resource(_wire(bundle, decimals=True)).errors == []
    read = read_fhir(_wire(bundle, decimals=True), KB)
    assert read.plan is not None
    assert read.plan.notes == ("5 mg less ", "line one\nline two")


def _nhs_request(**changes: Any) -> dict[str, Any]:
    """A taper written as NHS Dose Syntax: one Dosage per step, boundsDuration, no dosewise extension."""

    def dosage(sequence: int, dose: str, weeks: int, start: str | None = None) -> dict[str, Any]:
        repeat: dict[str, Any] = {
            "frequency": 2,
            "period": 1,
            "periodUnit": "d",
            "timeOfDay": ["09:00:00", "21:00:00"],
        }
        repeat["boundsDuration"] = {"value": weeks, "unit": "week", "system": UCUM, "code": "wk"}
        if start:
            repeat = {k: v for k, v in repeat.items() if k != "boundsDuration"} | {
                "boundsPeriod": {"start": start, "end": "2026-12-14"}
            }
        return {
            "sequence": sequence,
            "text": f"{dose} mg twice a day",
            "timing": {"repeat": repeat},
            "doseAndRate": [
                {"doseQuantity": {"value": Decimal(dose), "unit": "mg", "system": UCUM, "code": "mg"}}
            ],
        }

    resource = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/1"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "1292"}],
            "text": "Baclofen 10 mg tablets",
        },
        "dosageInstruction": [
            dosage(1, "20", 2, start="2026-12-01"),
            dosage(2, "15", 2),
            dosage(3, "10", 1),
            dosage(4, "5", 1),
        ],
    }
    resource.update(changes)
    return resource


def test_an_nhs_dose_syntax_taper_is_read_step_by_step() -> None:
    """boundsDuration in weeks after a first boundsPeriod: the steps follow each other with no gap."""
    plan = plan_from_medication_requests([_nhs_request()], KB, timezone="Europe/London")
    assert [(s.start, s.days, s.dose) for s in plan.steps] == [
        (date(2026, 12, 1), 14, mg(20)),
        (date(2026, 12, 15), 14, mg(15)),
        (date(2026, 12, 29), 7, mg(10)),
        (date(2027, 1, 5), 7, mg(5)),
    ]
    assert plan.then == "stop"
    assert plan.drug == "baclofen"
    assert plan.timezone == "Europe/London"
    assert plan.steps[0].times == (time(9), time(21))


def test_frequency_alone_takes_the_planners_default_clock_times() -> None:
    """A Dosage with frequency 3 per day and no timeOfDay gets 08:00, 14:00, 20:00."""
    request = _nhs_request()
    for dosage in request["dosageInstruction"]:
        del dosage["timing"]["repeat"]["timeOfDay"]
        dosage["timing"]["repeat"]["frequency"] = 3
    plan = plan_from_medication_requests([request], KB)
    assert plan.steps[0].times == default_times(3)


def _refused(data: Any, where: str, words: str) -> FhirUnsupported:
    with pytest.raises(FhirUnsupported) as caught:
        read_fhir(data, KB)
    assert caught.value.where.startswith(where), caught.value.message
    assert words in caught.value.message
    return caught.value


def test_a_mcg_dose_for_oral_baclofen_is_refused_never_converted() -> None:
    """A thousandfold unit slip: the step in ug is refused with the drug's own unit named."""
    request = _nhs_request()
    request["dosageInstruction"][1]["doseAndRate"][0]["doseQuantity"] |= {"unit": "mcg", "code": "ug"}
    _refused(request, "MedicationRequest.dosageInstruction[1].doseAndRate[0].doseQuantity", "dosed in mg")


def test_a_unit_text_that_disagrees_with_its_ucum_code_is_refused() -> None:
    """'mg' beside the code 'ug' is refused rather than guessed either way."""
    request = _nhs_request()
    request["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["code"] = "ug"
    _refused(request, "MedicationRequest.dosageInstruction[0].doseAndRate[0].doseQuantity.unit", "disagrees")


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (lambda d: d["doseAndRate"][0]["doseQuantity"].pop("system"), "doseAndRate[0].doseQuantity", "UCUM"),
        (
            lambda d: d["doseAndRate"][0]["doseQuantity"].update(code="{tablet}"),
            "doseAndRate[0].doseQuantity.code",
            "not accepted",
        ),
        (
            lambda d: d["doseAndRate"][0].update(doseRange={"low": {"value": 5}}),
            "doseAndRate[0].doseRange",
            "not supported",
        ),
        (lambda d: d.update(asNeededBoolean=True), "asNeededBoolean", "as needed"),
        (
            lambda d: d["timing"]["repeat"].update(period=8, periodUnit="h", frequency=1, timeOfDay=None)
            or d["timing"]["repeat"].pop("timeOfDay"),
            "timing.repeat",
            "per day",
        ),
        (lambda d: d["timing"]["repeat"].update(when=["MORN"]), "timing.repeat.when", "not supported"),
        (
            lambda d: d["timing"]["repeat"].update(dayOfWeek=["mon"]),
            "timing.repeat.dayOfWeek",
            "not supported",
        ),
        (lambda d: d["timing"]["repeat"].update(frequency=3), "timing.repeat", "frequency 3"),
        (lambda d: d.update(doseAndRate=[]), "doseAndRate", "exactly one"),
    ],
)
def test_what_a_dosage_cannot_say_in_dosewise_is_refused_with_its_element(
    change: Any, where: str, words: str
) -> None:
    """Ranges, rates, as-needed, hourly periods, 'when', weekdays, a wrong count of times, no dose."""
    request = _nhs_request()
    change(request["dosageInstruction"][1])
    _refused(request, f"MedicationRequest.dosageInstruction[1].{where}", words)


def test_a_gap_or_an_overlap_between_steps_is_refused() -> None:
    """A day without a dose, or two doses a day from overlapping steps, is a dosing error, never smoothed."""
    request = _nhs_request()
    request["dosageInstruction"][1]["timing"]["repeat"] = {
        "boundsPeriod": {"start": "2026-12-20", "end": "2026-12-27"},
        "frequency": 2,
        "period": 1,
        "periodUnit": "d",
    }
    _refused(request, "MedicationRequest.dosageInstruction[1]", "leaves days without a dose")


def test_two_dosages_with_the_same_sequence_are_refused_as_concurrent() -> None:
    """Same sequence means concurrent (morning 10 mg and evening 5 mg): not a dosewise step."""
    request = _nhs_request()
    request["dosageInstruction"][1]["sequence"] = 1
    _refused(request, "MedicationRequest.dosageInstruction", "share a sequence")


def test_a_lost_step_in_a_per_step_chain_is_refused_not_skipped() -> None:
    """Removing one MedicationRequest of the chain breaks priorPrescription: the import stops."""
    bundle = _wire(record_bundle(full_record(KB, _taper()), per_step=True), decimals=True)
    index = next(i for i, e in enumerate(bundle["entry"]) if "priorPrescription" in e["resource"])
    del bundle["entry"][index]
    _refused(bundle, "Bundle.entry", "a step is missing")


def test_an_unsupported_resource_stops_the_whole_import() -> None:
    """All or nothing: one Procedure in the Bundle and nothing is imported, the entry named."""
    bundle = _wire(record_bundle(full_record(KB, _taper())), decimals=True)
    bundle["entry"].append(
        {"fullUrl": "urn:uuid:x", "resource": {"resourceType": "Procedure", "status": "done"}}
    )
    _refused(bundle, f"Bundle.entry[{len(bundle['entry']) - 1}].resource", "'Procedure' is not supported")


def test_a_single_medication_statement_becomes_one_list_entry() -> None:
    """A MedicationStatement on its own: the name, its mg dose and times a day."""
    statement = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "subject": {"reference": "Patient/1"},
        "medicationCodeableConcept": {"text": "gabapentin 300 mg"},
        "dosage": [
            {
                "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 300, "unit": "mg", "system": UCUM, "code": "mg"}}],
            }
        ],
    }
    read = read_fhir(statement, KB)
    assert read.plan is None
    assert read.medications == (Medication("gabapentin 300 mg", Quantity(Fraction(300), Unit.MG), 3),)


def test_an_imported_plan_passes_the_plan_gate_or_is_refused() -> None:
    """A titration that jumps 5 -> 20 mg a dose after one day is refused by the checker (no override)."""
    times = default_times(3)
    fast = Plan(
        "baclofen",
        "oral",
        (Step(date(2026, 12, 1), 1, mg(5), times), Step(date(2026, 12, 2), 7, mg(20), times)),
        KB.version,
        kind="titration",
    )
    bundle = _wire(record_bundle(RecordExport("p", KB, NOW, plan=fast)), decimals=True)
    with pytest.raises(PlanNotSafe) as caught:
        import_fhir(kb=KB, data=bundle)
    assert {b.finding.code for b in caught.value.blocked} & {
        "titration.too_fast_increment",
        "titration.too_fast_interval",
    }
    steady = Plan(
        "baclofen", "oral", (Step(date(2026, 12, 1), 7, mg(5), times),), KB.version, kind="maintenance"
    )
    good = import_fhir(
        kb=KB, data=_wire(record_bundle(full_record(KB, steady)), decimals=True), patient=Patient()
    )
    assert good.plan is not None
    assert good.plan.steps == steady.steps
    # The findings are the checker's, worked out again: lorazepam on the imported list is screened.
    assert any("lorazepam" in f.message for f in good.plan.findings)
    # The same taper the tests export elsewhere stops from 22.5 mg a day: the gate refuses it too.
    with pytest.raises(PlanNotSafe):
        import_fhir(kb=KB, data=_wire(record_bundle(full_record(KB, _taper())), decimals=True))


def test_a_dosewise_bundle_lists_each_medicine_once_though_written_twice_for_us_core() -> None:
    """The statement and the reported request share an identifier: one list entry, the second named as such."""
    read = read_fhir(_wire(record_bundle(full_record(KB, _taper())), decimals=True), KB)
    assert len(read.medications) == 4
    assert sum("listed once" in line for line in read.ignored) == 4


def test_a_plan_that_has_ended_is_not_imported_as_the_plan_in_force() -> None:
    """A completed or stopped plan request is reported as not imported, never revived."""
    request = copy.deepcopy(_nhs_request(status="completed"))
    read = read_fhir(request, KB)
    assert read.plan is None
    assert "not in force" in read.ignored[0]
