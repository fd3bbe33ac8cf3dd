"""Type checks on patient and plan fields, and conflicting kidney inputs resolved to the safer value."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.assessment import assess
from dosewise.domain.errors import InvalidInput
from dosewise.domain.patient import Patient, SerumCreatinine, kidney_function
from dosewise.domain.rules import KnowledgeBase, Severity
from dosewise.formats.patient_file import patient_from_document
from dosewise.formats.plan_document import plan_from_document

STEP = {"start": "2026-11-23", "days": 7, "dose": "5 mg", "times_per_day": 3}


@pytest.mark.parametrize("text", ["no", "false", "yes", "0", ""])
def test_a_string_is_never_read_as_a_dialysis_boolean(text: str) -> None:
    """'no' (truthy as a Python string) and every other string are refused for dialysis."""
    with pytest.raises(InvalidInput, match="true or false"):
        patient_from_document({"dialysis": text})


@pytest.mark.parametrize("number", [0, 1])
def test_a_number_is_never_read_as_a_dialysis_boolean(number: int) -> None:
    """0 and 1 are refused for dialysis: only true or false."""
    with pytest.raises(InvalidInput):
        patient_from_document({"dialysis": number})


@pytest.mark.parametrize("zone", ["Mars/Olympus", "+02:00", "Europe", "../etc/passwd", "CET/Nowhere"])
def test_unknown_time_zones_are_refused_when_the_file_is_read(kb: KnowledgeBase, zone: str) -> None:
    """A zone the system does not know is refused at once in both patient files and plans."""
    with pytest.raises(InvalidInput, match="time zone"):
        patient_from_document({"timezone": zone})
    with pytest.raises(InvalidInput, match="time zone"):
        plan_from_document({"drug": "baclofen", "timezone": zone, "steps": [STEP]}, kb)


@pytest.mark.parametrize("field", ["weight_kg", "crcl_ml_min", "egfr", "age"])
@pytest.mark.parametrize("bad", [True, False, "40", float("nan"), float("inf"), [40], {"value": 40}])
def test_patient_numbers_must_be_finite_numbers(field: str, bad: Any) -> None:
    """Strings, booleans (true is not 1), NaN, infinity, lists and objects are refused for numbers."""
    with pytest.raises(InvalidInput):
        patient_from_document({field: bad})


@pytest.mark.parametrize("field", ["days", "times_per_day"])
@pytest.mark.parametrize("bad", [True, "3", 3.0, None, [3]])
def test_plan_step_counts_must_be_whole_numbers(kb: KnowledgeBase, field: str, bad: Any) -> None:
    """A step's days and times_per_day are refused as strings, booleans, floats, null or lists."""
    with pytest.raises(InvalidInput):
        plan_from_document({"drug": "baclofen", "steps": [{**STEP, field: bad}]}, kb)


@pytest.mark.parametrize("field", ["products", "notes", "overrides", "findings"])
@pytest.mark.parametrize("bad", [None, "baclofen-tab-10mg", {"a": 1}, 3])
def test_null_or_scalars_where_a_plan_list_belongs_are_refused(
    kb: KnowledgeBase, field: str, bad: Any
) -> None:
    """null, a string, an object or a number where a list belongs is refused, not read as empty."""
    with pytest.raises(InvalidInput, match="list"):
        plan_from_document({"drug": "baclofen", "steps": [STEP], field: bad}, kb)


def cg_patient(crcl: int | None = None, egfr: int | None = None) -> Patient:
    """A 40-year-old 80 kg man with creatinine 1.0 mg/dL: Cockcroft-Gault CrCl 111 mL/min."""
    return Patient(
        age_years=40,
        sex="male",
        weight_kg=Fraction(80),
        creatinine=SerumCreatinine(Fraction(1), "mg/dL"),
        crcl_ml_min=None if crcl is None else Fraction(crcl),
        egfr=None if egfr is None else Fraction(egfr),
    )


@settings(max_examples=60, deadline=None)
@given(measured=st.integers(min_value=0, max_value=250))
def test_a_measured_crcl_and_a_creatinine_use_the_lower_value(measured: int) -> None:
    """With both a creatinine (Cockcroft-Gault) and a measured CrCl, the lower of the two is used."""
    kidney = kidney_function(cg_patient(crcl=measured))
    cockcroft = Fraction(100) * 80 / 72
    assert kidney.crcl_ml_min == min(Fraction(measured), cockcroft)
    assert (kidney.notice is not None) == (Fraction(measured) != cockcroft)


def test_conflicting_kidney_inputs_in_different_bands_are_a_moderate_finding(kb: KnowledgeBase) -> None:
    """CG 111 and measured 45 mL/min fall in different baclofen bands: moderate, and the lower band applies."""
    result = assess(kb.drug("baclofen"), cg_patient(crcl=45), kb.version)
    disagreement = [f for f in result.findings if f.code == "renal.inputs_disagree"]
    assert len(disagreement) == 1
    assert disagreement[0].severity is Severity.MODERATE
    assert "45 mL/min" in disagreement[0].message
    assert result.multiplier < 1


def test_an_egfr_below_the_crcl_is_named_and_used(kb: KnowledgeBase) -> None:
    """An eGFR well below the Cockcroft-Gault CrCl is listed in the notice and used for the bands."""
    result = assess(kb.drug("baclofen"), cg_patient(egfr=40), kb.version)
    codes = {f.code: f for f in result.findings}
    assert "renal.inputs_disagree" in codes
    assert "eGFR 40" in codes["renal.inputs_disagree"].message
    assert result.kidney.for_bands == 40


def test_agreeing_kidney_inputs_raise_no_disagreement(kb: KnowledgeBase) -> None:
    """A single kidney value (or equal ones) gives no disagreement finding."""
    result = assess(kb.drug("baclofen"), Patient(crcl_ml_min=Fraction(70)), kb.version)
    assert all(f.code != "renal.inputs_disagree" for f in result.findings)
