"""`check` over the medication list: the planned medicine listed again under a brand is a major duplicate
with the total daily dose across plan and list; the same ingredient twice on the list; three or more CNS
depressants counting the planned drug; combinations screened in the checker too."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.checks import check_plan
from dosewise.domain.findings import Finding
from dosewise.domain.patient import Medication, Patient
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase, Severity
from dosewise.formats.plan_document import plan_from_document
from dosewise.knowledge import default_version, load_knowledge_base

KB = load_knowledge_base(default_version())


def a_plan(kb: KnowledgeBase, drug: str = "baclofen", dose: str = "20 mg", per_day: int = 3) -> Plan:
    step: dict[str, Any] = {"start": "2026-11-23", "days": 30, "dose": dose, "times_per_day": per_day}
    return plan_from_document({"drug": drug, "steps": [step], "kind": "maintenance"}, kb)


def codes(kb: KnowledgeBase, plan: Plan, *meds: Medication) -> dict[str, Finding]:
    patient = Patient(crcl_ml_min=Fraction(100), medications=meds)
    return {f.code: f for f in check_plan(plan, kb, patient)}


def test_a_brand_of_the_planned_drug_is_a_major_duplicate_with_the_total_above_the_maximum(
    kb: KnowledgeBase,
) -> None:
    """Plan 20 mg x3 (60 mg) + Lioresal 10 mg x3 on the list: 90 mg a day, above the 80 mg label maximum."""
    found = codes(kb, a_plan(kb), Medication("Lioresal", mg(10), 3))
    duplicate = found["duplicate.planned_drug"]
    assert duplicate.severity is Severity.MAJOR
    assert "Lioresal (baclofen)" in duplicate.message
    assert "90 mg a day in total" in duplicate.message
    assert "above the labelled maximum of 80 mg" in duplicate.message
    assert "90 mg a day" in duplicate.patient_message
    assert duplicate.kb_version == kb.version


def test_a_listed_duplicate_without_a_dose_says_the_total_is_not_known(kb: KnowledgeBase) -> None:
    """ "baclofen" on the list with no dose: still a major duplicate, and the total is named as unknown."""
    duplicate = codes(kb, a_plan(kb), Medication("baclofen"))["duplicate.planned_drug"]
    assert duplicate.severity is Severity.MAJOR
    assert "total is not known" in duplicate.message


def test_a_tizanidine_plan_with_zanaflex_on_the_list_is_a_duplicate(kb: KnowledgeBase) -> None:
    """The check is drug-agnostic: Zanaflex beside a tizanidine plan is the planned medicine again."""
    plan = a_plan(kb, "tizanidine", "2 mg", 3)
    duplicate = codes(kb, plan, Medication("Zanaflex", mg(4), 3))["duplicate.planned_drug"]
    assert "Zanaflex (tizanidine)" in duplicate.message
    assert "18 mg a day in total" in duplicate.message


def test_the_same_ingredient_twice_on_the_list_is_found_by_check(kb: KnowledgeBase) -> None:
    """Norco and Tylenol on the list beside a baclofen plan: acetaminophen twice, a major duplicate."""
    found = codes(kb, a_plan(kb), Medication("Norco"), Medication("Tylenol 500 mg"))
    assert found["duplicate.same_ingredient"].severity is Severity.MAJOR
    assert "acetaminophen" in found["duplicate.same_ingredient"].message


def test_three_cns_depressants_count_the_planned_drug(kb: KnowledgeBase) -> None:
    """Baclofen (the plan) + Seroquel + beer: three CNS depressants, a major class-count finding."""
    found = codes(kb, a_plan(kb), Medication("Seroquel"), Medication("beer"))
    assert found["class_count.three-cns-depressants"].severity is Severity.MAJOR


def test_check_screens_pairs_inside_a_combination_product(kb: KnowledgeBase) -> None:
    """Percocet with Xanax beside a baclofen plan: the opioid-benzodiazepine boxed warning is in the check."""
    found = codes(kb, a_plan(kb), Medication("Percocet"), Medication("Xanax"))
    assert "interaction.opioid-benzodiazepine" in found
    assert "interaction.baclofen-opioid" in found


@settings(max_examples=60, deadline=None)
@given(
    listed=st.integers(min_value=1, max_value=30),
    times=st.integers(min_value=1, max_value=4),
    per_day=st.integers(min_value=1, max_value=4),
    brand=st.sampled_from(["Lioresal", "baclofen", "Ozobax", "baclophen", "BACLOFEN 10 MG"]),
)
def test_the_total_daily_dose_is_the_plan_plus_the_list_exactly(
    listed: int, times: int, per_day: int, brand: str
) -> None:
    """For any listed dose and frequency, the total in the finding is plan daily + listed daily, and 'above the
    labelled maximum' appears exactly when that total passes it."""
    plan = a_plan(KB, "baclofen", "5 mg", per_day)
    duplicate = codes(KB, plan, Medication(brand, mg(listed), times))["duplicate.planned_drug"]
    total = 5 * per_day + listed * times
    assert f"{total} mg a day in total" in duplicate.message
    limits = KB.drug("baclofen").limits
    assert limits is not None
    assert ("above the labelled maximum" in duplicate.message) == (Fraction(total) > limits.max_daily.amount)


@pytest.mark.parametrize("other", ["Xanax", "metformin", "zorblatex"])
def test_no_duplicate_without_the_same_ingredient(kb: KnowledgeBase, other: str) -> None:
    """A different medicine (or an unknown one) is never called a duplicate of the plan."""
    found = codes(kb, a_plan(kb), Medication(other))
    assert not any(code.startswith("duplicate.") for code in found)
