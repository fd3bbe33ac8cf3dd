"""Doses taken close together are an overdose question, escalated by the large-ingestion red flag and kidneys."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.patient import Patient
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.plan_document import plan_from_document
from dosewise.services.advice import advise_missed

PARIS = ZoneInfo("Europe/Paris")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def plan(kb: KnowledgeBase, dose: str):  # type: ignore[no-untyped-def]
    """Baclofen three times a day in March 2026, Paris time."""
    document = {
        "drug": "baclofen",
        "timezone": "Europe/Paris",
        "steps": [{"start": "2026-03-01", "days": 30, "dose": dose, "times_per_day": 3}],
    }
    return plan_from_document(document, kb)


def test_two_close_doses_below_the_threshold_are_an_urgent_overdose_question(kb: KnowledgeBase) -> None:
    """20 mg at 08:00 and 08:10 is 40 mg: urgent, the poison centre is named, the next dose is held."""
    advice = advise_missed(
        kb=kb,
        plan=plan(kb, "20 mg"),
        now=at("2026-03-10T09:00"),
        taken=[at("2026-03-10T08:00"), at("2026-03-10T08:10")],
    )
    assert advice.overdose is not None
    assert advice.overdose.level == "urgent"
    assert advice.overdose.total.amount == 40
    assert advice.urgency == "urgent"
    assert "poison centre" in advice.patient_text
    assert "do not take the next dose" in advice.patient_text
    assert "as planned" not in advice.patient_text
    assert "leung_2006" in advice.overdose.source_ids


def test_close_doses_reaching_the_large_ingestion_red_flag_are_an_emergency(kb: KnowledgeBase) -> None:
    """Ten 20 mg doses within the morning reach 200 mg: an emergency naming the emergency number."""
    times = [at(f"2026-03-10T08:{minute:02d}") for minute in range(0, 50, 5)]
    advice = advise_missed(kb=kb, plan=plan(kb, "20 mg"), now=at("2026-03-10T09:00"), taken=times)
    assert advice.overdose is not None
    assert advice.overdose.level == "emergency"
    assert advice.overdose.total.amount == 200
    assert "emergency number" in advice.patient_text


@pytest.mark.parametrize("patient", [Patient(crcl_ml_min=Fraction(20)), Patient(dialysis=True)])
def test_impaired_kidneys_make_any_close_doses_an_emergency(kb: KnowledgeBase, patient: Patient) -> None:
    """With CrCl 20 mL/min or dialysis, even 2 x 5 mg close together is an emergency."""
    advice = advise_missed(
        kb=kb,
        plan=plan(kb, "5 mg"),
        now=at("2026-03-10T09:00"),
        taken=[at("2026-03-10T08:00"), at("2026-03-10T08:05")],
        patient=patient,
    )
    assert advice.overdose is not None
    assert advice.overdose.level == "emergency"
    assert "kidney" in advice.overdose.reason or "dialysis" in advice.overdose.reason


def test_doses_at_their_planned_times_raise_no_overdose_question(kb: KnowledgeBase) -> None:
    """Doses at 08:00 and 14:00 (their slots) are not close together: no overdose question."""
    advice = advise_missed(
        kb=kb,
        plan=plan(kb, "20 mg"),
        now=at("2026-03-10T15:00"),
        taken=[at("2026-03-10T08:00"), at("2026-03-10T14:00")],
    )
    assert advice.overdose is None


@settings(max_examples=40, deadline=None)
@given(count=st.integers(min_value=2, max_value=12), dose=st.sampled_from([5, 10, 20, 25]))
def test_the_level_follows_the_total_against_the_threshold(kb: KnowledgeBase, count: int, dose: int) -> None:
    """For any number of close doses, the level is an emergency exactly when the total reaches 200 mg."""
    times = [at(f"2026-03-10T08:{3 * i:02d}") for i in range(count)]
    advice = advise_missed(kb=kb, plan=plan(kb, f"{dose} mg"), now=at("2026-03-10T09:00"), taken=times)
    assert advice.overdose is not None
    assert advice.overdose.total.amount == count * dose
    assert advice.overdose.level == ("emergency" if count * dose >= 200 else "urgent")
