"""The plan document and the patient file: one format written and read back everywhere, refusing anything
ambiguous."""

from __future__ import annotations

import json
from datetime import date, time
from fractions import Fraction
from typing import Any

import pytest

from dosewise.domain.errors import InvalidInput, UnknownDrug
from dosewise.domain.patient import kidney_function
from dosewise.domain.quantity import Unit, mg
from dosewise.domain.regimen import Override, Plan
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.patient_file import patient_from_document
from dosewise.formats.plan_document import PLAN_FORMAT, plan_from_document, plan_to_document
from dosewise.services import planning

START = date(2026, 11, 23)


def round_trip(plan: Plan, kb: KnowledgeBase) -> Plan:
    """Plan -> document -> JSON text -> document -> plan, as the CLI and the store do it."""
    document = plan_to_document(plan, kb.drug(plan.drug))
    return plan_from_document(json.loads(json.dumps(document)), kb)


def minimal(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "drug": "baclofen",
        "steps": [
            {"start": "2026-11-23", "days": 3, "dose": "5 mg", "times_per_day": 3},
            {"days": 3, "dose": {"value": "10", "unit": "mg"}, "times_per_day": 3},
        ],
    }
    document.update(changes)
    return document


def with_step(index: int, **changes: Any) -> dict[str, Any]:
    document = minimal()
    document["steps"][index].update(changes)
    return document


# ---------------------------------------------------------------- round trips


def test_a_generated_titration_survives_a_round_trip_unchanged(kb: KnowledgeBase) -> None:
    """A checked label titration, written as a document and read back, equals the original plan."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=START)
    assert round_trip(plan, kb) == plan


def test_a_taper_with_an_override_and_notes_survives_a_round_trip(kb: KnowledgeBase) -> None:
    """Overrides (with who and why), notes, findings and "stop" all come back as they were."""
    plan = planning.taper(
        kb=kb,
        drug="baclofen",
        start=START,
        current_dose=mg(20),
        current_times_per_day=3,
        step_days=1,
        overrides=(Override("rapid_withdrawal", "serious adverse reaction", "Dr A"),),
    )
    back = round_trip(plan, kb)
    assert back == plan
    assert back.then == "stop"
    assert back.overrides[0].by == "Dr A"


def test_a_plan_with_halves_of_confirmed_scored_tablets_survives_a_round_trip(kb: KnowledgeBase) -> None:
    """A pharmacist's confirmation that the 10 mg tablet is scored is kept, so halves still make the doses."""
    plan = planning.titrate(
        kb=kb,
        drug="baclofen",
        start=START,
        products=("baclofen-tab-10mg",),
        confirmed_scored=("baclofen-tab-10mg",),
    )
    document = plan_to_document(plan, kb.drug("baclofen"))
    assert document["steps"][0]["label"] == "half a tablet of 10 mg three times a day"
    assert round_trip(plan, kb) == plan


def test_a_document_names_its_format_and_knowledge_base(kb: KnowledgeBase) -> None:
    """Every plan document says which format and which knowledge-base version made it."""
    document = plan_to_document(planning.titrate(kb=kb, drug="baclofen", start=START), kb.drug("baclofen"))
    assert document["format"] == PLAN_FORMAT
    assert document["kb_version"] == kb.version


def test_a_document_states_doses_and_daily_totals_with_units(kb: KnowledgeBase) -> None:
    """Each step carries its dose and daily total as text value and unit, what to take, and an inclusive end date."""
    document = plan_to_document(planning.titrate(kb=kb, drug="baclofen", start=START), kb.drug("baclofen"))
    first = document["steps"][0]
    assert first["dose"] == {"value": "5", "unit": "mg"}
    assert first["daily"] == {"value": "15", "unit": "mg"}
    assert first["times"] == ["08:00", "14:00", "20:00"]
    assert first["end"] == "2026-11-25"
    assert first["take"][0]["product"] == "baclofen-tab-5mg"
    assert first["label"] == "1 tablet of 5 mg three times a day"


def test_a_document_lists_what_to_dispense_for_the_whole_plan(kb: KnowledgeBase) -> None:
    """The label titration needs 18 x 5 mg, 18 x 10 mg and 9 x 20 mg tablets (steps of 3 days, three times a day)."""
    document = plan_to_document(planning.titrate(kb=kb, drug="baclofen", start=START), kb.drug("baclofen"))
    assert {line["product"]: line["count"] for line in document["dispense"]} == {
        "baclofen-tab-5mg": 18,
        "baclofen-tab-10mg": 18,
        "baclofen-tab-20mg": 9,
    }


def test_findings_in_a_document_carry_severity_code_source_and_version(kb: KnowledgeBase) -> None:
    """Each finding in a document has the one severity scale, a stable code, a source and the kb version."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=START)
    for item in plan_to_document(plan, kb.drug("baclofen"))["findings"]:
        assert item["severity"] in {"info", "minor", "moderate", "major", "contraindicated"}
        assert item["code"]
        assert item["source"]
        assert item["kb_version"] == kb.version


# ---------------------------------------------------------------- hand-written plans


def test_a_minimal_hand_written_plan_gets_default_times_and_follow_on_starts(kb: KnowledgeBase) -> None:
    """Times come from the defaults (08:00, 14:00, 20:00) and the second step starts the day after the first ends."""
    plan = plan_from_document(minimal(), kb)
    assert plan.steps[0].times == (time(8), time(14), time(20))
    assert plan.steps[1].start == date(2026, 11, 26)
    assert plan.steps[1].dose == mg(10)
    assert plan.kb_version == kb.version
    assert plan.then == "continue"


def test_a_step_may_give_an_inclusive_end_date_instead_of_days(kb: KnowledgeBase) -> None:
    """start 23 Nov, end 25 Nov is three days."""
    document = with_step(0, end="2026-11-25")
    del document["steps"][0]["days"]
    assert plan_from_document(document, kb).steps[0].days == 3


def test_explicit_times_are_used_as_written(kb: KnowledgeBase) -> None:
    """Times listed in the step are the clock times of the doses."""
    document = with_step(0, times=["07:30", "13:30", "21:00"])
    del document["steps"][0]["times_per_day"]
    assert plan_from_document(document, kb).steps[0].times == (time(7, 30), time(13, 30), time(21))


def test_a_daily_total_that_agrees_with_dose_times_count_is_accepted(kb: KnowledgeBase) -> None:
    """5 mg three times a day with daily "15 mg" is consistent."""
    assert plan_from_document(with_step(0, daily="15 mg"), kb).steps[0].daily == mg(15)


def test_the_drug_name_is_read_in_any_case(kb: KnowledgeBase) -> None:
    """A plan written for "Baclofen" resolves to the baclofen rules."""
    assert plan_from_document(minimal(drug="Baclofen"), kb).drug == "baclofen"


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        (with_step(0, dose=5), "no unit"),
        (with_step(0, dose="5"), "no unit"),
        (with_step(0, dose={"value": "5"}), "quantity"),
        (with_step(0, daily="20 mg"), "does not equal"),
        (with_step(0, colour="blue"), "unknown fields"),
        (minimal(patient="Ann"), "unknown fields"),
        (with_step(0, dose="5000 mcg"), "dosed in mg"),
        (minimal(products=["baclofen-tab-7mg"]), "unknown product"),
        (minimal(confirmed_scored=["baclofen-tab-7mg"]), "unknown product"),
        (with_step(0, times=["08:00", "20:00"]), "times_per_day 3 but 2 times"),
        (with_step(0, days="three"), "whole number"),
        (with_step(0, start="23/11/2026"), "not a date"),
        (minimal(then="pause"), "'then'"),
        (minimal(format="dosewise.plan/9"), "not supported"),
        (minimal(steps=[]), "non-empty"),
        (minimal(overrides=[{"code": "renal_avoid", "reason": ""}]), "reason"),
        (minimal(overrides=[{"code": "anything_goes", "reason": "why not"}]), "unknown override"),
    ],
)
def test_ambiguous_or_impossible_plan_documents_are_refused(
    kb: KnowledgeBase, document: dict[str, Any], fragment: str
) -> None:
    """Bare numbers, inconsistent totals, unknown fields, mcg for oral baclofen and unknown products are refused."""
    with pytest.raises(InvalidInput) as caught:
        plan_from_document(document, kb)
    assert fragment in caught.value.message


def test_the_first_step_needs_a_start_date(kb: KnowledgeBase) -> None:
    """Without a start date the plan cannot be placed in time: refused."""
    document = minimal()
    del document["steps"][0]["start"]
    with pytest.raises(InvalidInput):
        plan_from_document(document, kb)


@pytest.mark.parametrize("drug", ["aspirin", "Lioresal"])
def test_a_plan_for_a_name_without_dosing_rules_is_refused_naming_those_that_have_them(
    kb: KnowledgeBase, drug: str
) -> None:
    """ "aspirin", or a brand such as Lioresal (oral or intrathecal?), is refused; the hint lists baclofen and tizanidine."""
    with pytest.raises(UnknownDrug) as caught:
        plan_from_document(minimal(drug=drug), kb)
    assert caught.value.hint is not None
    assert "baclofen" in caught.value.hint
    assert "tizanidine" in caught.value.hint


# ---------------------------------------------------------------- patient files


def test_a_patient_file_reads_every_field(kb: KnowledgeBase) -> None:
    """Age, sex, weight, creatinine with its unit, dialysis, zone and medications are read."""
    patient = patient_from_document(
        {
            "age": 70,
            "sex": "F",
            "weight_kg": 60,
            "serum_creatinine": {"value": 1.2, "unit": "mg/dL"},
            "timezone": "Europe/London",
            "medications": ["oxycodone", {"name": "Xanax", "dose": "0.5 mg", "times_per_day": 2}],
        }
    )
    assert patient.sex == "female"
    assert patient.weight_kg == 60
    assert patient.creatinine is not None
    assert patient.creatinine.value == Fraction(6, 5)
    assert patient.timezone == "Europe/London"
    assert [m.name for m in patient.medications] == ["oxycodone", "Xanax"]
    assert patient.medications[1].dose is not None
    assert patient.medications[1].dose.unit is Unit.MG


def test_a_decimal_creatinine_is_read_exactly_not_as_a_binary_float(kb: KnowledgeBase) -> None:
    """1.1 from JSON is exactly 11/10 mg/dL."""
    patient = patient_from_document({"serum_creatinine": {"value": 1.1, "unit": "mg/dL"}})
    assert patient.creatinine is not None
    assert patient.creatinine.value == Fraction(11, 10)


def test_a_creatinine_without_its_unit_is_refused_with_a_hint(kb: KnowledgeBase) -> None:
    """A bare creatinine (1.2? 106?) is refused; the hint shows both units."""
    with pytest.raises(InvalidInput) as caught:
        patient_from_document({"serum_creatinine": 1.2})
    assert caught.value.hint is not None
    assert "mg/dL" in caught.value.hint
    assert "umol/L" in caught.value.hint


@pytest.mark.parametrize("unit", ["umol/L", "µmol/L", "μmol/l", "micromol/L"])
def test_micromol_per_litre_is_accepted_in_its_common_spellings(unit: str) -> None:
    """umol/L, µmol/L and micromol/L all read as micromol per litre."""
    patient = patient_from_document({"serum_creatinine": {"value": 106, "unit": unit}})
    assert patient.creatinine is not None
    assert patient.creatinine.unit == "umol/L"


@pytest.mark.parametrize("unit", ["mmol/L", "mg/L", "mg"])
def test_other_creatinine_units_are_refused(unit: str) -> None:
    """mmol/L and mg/L are a thousandfold or tenfold away: refused, never converted by guess."""
    with pytest.raises(InvalidInput):
        patient_from_document({"serum_creatinine": {"value": 1, "unit": unit}})


def test_a_micromol_value_labelled_mg_dl_is_refused(kb: KnowledgeBase) -> None:
    """106 "mg/dL" is implausible and refused at read time, with a unit hint."""
    with pytest.raises(InvalidInput) as caught:
        patient_from_document({"serum_creatinine": {"value": 106, "unit": "mg/dL"}})
    assert caught.value.hint is not None
    assert "umol/L" in caught.value.hint


def test_a_patient_file_gives_the_same_crcl_in_either_unit() -> None:
    """1.2 mg/dL and 106.08 umol/L give the same Cockcroft-Gault CrCl."""
    common = {"age": 60, "sex": "male", "weight_kg": 72}
    in_mg = patient_from_document({**common, "serum_creatinine": {"value": "1.2", "unit": "mg/dL"}})
    in_umol = patient_from_document({**common, "serum_creatinine": {"value": "106.08", "unit": "umol/L"}})
    assert kidney_function(in_mg).crcl_ml_min == kidney_function(in_umol).crcl_ml_min


@pytest.mark.parametrize(
    "document",
    [
        {"height_cm": 170},
        {"sex": "unknown"},
        {"age": "seventy"},
        {"age": 70.5},
        {"weight_kg": True},
        {"medications": [{"dose": "10 mg"}]},
        {"medications": [{"name": "oxycodone", "dose": 10}]},
    ],
)
def test_unreadable_patient_files_are_refused(document: dict[str, Any]) -> None:
    """Unknown fields, unknown sex, non-integer ages, booleans as numbers and bare medication doses are refused."""
    with pytest.raises(InvalidInput):
        patient_from_document(document)


def test_the_prior_regimen_survives_a_round_trip(kb: KnowledgeBase) -> None:
    """A taper's prior regimen (what was taken before step 1) is written and read back unchanged."""
    plan = planning.taper(
        kb=kb, drug="baclofen", start=date(2026, 11, 23), current_dose=mg(20), current_times_per_day=4
    )
    assert plan.prior is not None
    again = plan_from_document(plan_to_document(plan, kb.drug("baclofen")), kb)
    assert again.prior == plan.prior


def test_a_prior_regimen_in_the_wrong_unit_is_refused(kb: KnowledgeBase) -> None:
    """A prior dose in mcg for oral baclofen is refused like any other dose in the wrong unit."""
    document = {
        "drug": "baclofen",
        "prior": {"dose": "20000 mcg", "times_per_day": 3},
        "steps": [{"start": "2026-11-23", "days": 7, "dose": "10 mg", "times_per_day": 3}],
    }
    with pytest.raises(InvalidInput):
        plan_from_document(document, kb)
