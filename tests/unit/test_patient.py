"""The patient and their kidney function: Cockcroft-Gault CrCl, creatinine units and plausibility."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.errors import InvalidInput
from dosewise.domain.patient import (
    CREATININE_UMOL_PER_MG_DL,
    Patient,
    SerumCreatinine,
    kidney_function,
    parse_creatinine_unit,
)


def cockcroft_gault(age: int, weight_kg: Fraction, creatinine_mg_dl: Fraction, female: bool) -> Fraction:
    """The published formula, written out independently: (140 - age) x weight / (72 x SCr), x 0.85 if female."""
    value = (140 - age) * weight_kg / (72 * creatinine_mg_dl)
    return value * Fraction(85, 100) if female else value


def test_the_creatinine_conversion_factor_is_88_point_4() -> None:
    """1 mg/dL of creatinine is 88.4 micromol/L (molar mass 113.12 g/mol)."""
    assert Fraction(88.4).limit_denominator(10) == CREATININE_UMOL_PER_MG_DL


def test_a_textbook_man_has_a_crcl_of_exactly_80() -> None:
    """Age 60, 72 kg, creatinine 1.0 mg/dL: (140 - 60) x 72 / (72 x 1.0) = 80 mL/min."""
    patient = Patient(
        age_years=60, sex="male", weight_kg=Fraction(72), creatinine=SerumCreatinine(Fraction(1), "mg/dL")
    )
    assert kidney_function(patient).crcl_ml_min == Fraction(80)


def test_the_same_woman_has_85_percent_of_that_crcl() -> None:
    """The female factor 0.85 turns 80 mL/min into exactly 68 mL/min."""
    patient = Patient(
        age_years=60, sex="female", weight_kg=Fraction(72), creatinine=SerumCreatinine(Fraction(1), "mg/dL")
    )
    assert kidney_function(patient).crcl_ml_min == Fraction(68)


def test_an_older_light_woman_falls_below_30() -> None:
    """Age 85, 50 kg, creatinine 1.2 mg/dL, female: 55 x 50 / 86.4 x 0.85 is about 27 mL/min."""
    patient = Patient(
        age_years=85,
        sex="female",
        weight_kg=Fraction(50),
        creatinine=SerumCreatinine(Fraction("1.2"), "mg/dL"),
    )
    crcl = kidney_function(patient).crcl_ml_min
    assert crcl == Fraction(55 * 50, 1) / Fraction("86.4") * Fraction("0.85")
    assert Fraction(27) < crcl < Fraction(28)


@settings(max_examples=80)
@given(
    age=st.integers(min_value=18, max_value=100),
    weight=st.integers(min_value=30, max_value=200),
    creatinine_tenths=st.integers(min_value=3, max_value=100),
    female=st.booleans(),
)
def test_cockcroft_gault_matches_the_formula_exactly(
    age: int, weight: int, creatinine_tenths: int, female: bool
) -> None:
    """For any plausible inputs, the engine's CrCl equals the formula computed here, exactly."""
    creatinine = Fraction(creatinine_tenths, 10)
    patient = Patient(
        age_years=age,
        sex="female" if female else "male",
        weight_kg=Fraction(weight),
        creatinine=SerumCreatinine(creatinine, "mg/dL"),
    )
    assert kidney_function(patient).crcl_ml_min == cockcroft_gault(age, Fraction(weight), creatinine, female)


@settings(max_examples=60)
@given(
    age=st.integers(min_value=18, max_value=100),
    weight=st.integers(min_value=30, max_value=200),
    creatinine_tenths=st.integers(min_value=3, max_value=100),
    female=st.booleans(),
)
def test_creatinine_in_micromol_gives_the_same_crcl_as_in_mg_dl(
    age: int, weight: int, creatinine_tenths: int, female: bool
) -> None:
    """The same creatinine written in mg/dL or in micromol/L (x 88.4) gives exactly the same CrCl."""
    mg_dl = Fraction(creatinine_tenths, 10)
    common = {"age_years": age, "sex": "female" if female else "male", "weight_kg": Fraction(weight)}
    in_mg = Patient(**common, creatinine=SerumCreatinine(mg_dl, "mg/dL"))  # type: ignore[arg-type]
    in_umol = Patient(**common, creatinine=SerumCreatinine(mg_dl * Fraction("88.4"), "umol/L"))  # type: ignore[arg-type]
    assert kidney_function(in_mg).crcl_ml_min == kidney_function(in_umol).crcl_ml_min


def test_106_micromol_is_about_1_point_2_mg_dl() -> None:
    """106 micromol/L is 106 / 88.4 mg/dL (about 1.2), the everyday European value."""
    assert SerumCreatinine(Fraction(106), "umol/L").mg_dl == Fraction(106) / Fraction("88.4")


def test_a_micromol_value_entered_as_mg_dl_is_refused_with_a_unit_hint() -> None:
    """106 entered as mg/dL is implausible: refused, and the hint asks whether it was umol/L."""
    with pytest.raises(InvalidInput) as caught:
        SerumCreatinine(Fraction(106), "mg/dL")
    assert "plausible" in caught.value.message
    assert caught.value.hint is not None
    assert "umol/L" in caught.value.hint


def test_a_mg_dl_value_entered_as_micromol_is_refused_with_a_unit_hint() -> None:
    """1.2 entered as umol/L is implausible: refused, and the hint asks whether it was mg/dL."""
    with pytest.raises(InvalidInput) as caught:
        SerumCreatinine(Fraction("1.2"), "umol/L")
    assert caught.value.hint is not None
    assert "mg/dL" in caught.value.hint


@pytest.mark.parametrize(
    ("value", "unit"), [("0.1", "mg/dL"), ("20", "mg/dL"), ("8.84", "umol/L"), ("1768", "umol/L")]
)
def test_the_edges_of_the_plausible_creatinine_range_are_accepted(value: str, unit: str) -> None:
    """0.1-20 mg/dL (8.84-1768 umol/L) are accepted, edges included."""
    creatinine = SerumCreatinine(Fraction(value), unit)  # type: ignore[arg-type]
    assert Fraction("0.1") <= creatinine.mg_dl <= 20


@pytest.mark.parametrize(
    ("value", "unit"), [("0.09", "mg/dL"), ("20.1", "mg/dL"), ("8", "umol/L"), ("1800", "umol/L")]
)
def test_creatinine_just_outside_the_plausible_range_is_refused(value: str, unit: str) -> None:
    """Values just outside 0.1-20 mg/dL, in either unit, are refused rather than used."""
    with pytest.raises(InvalidInput):
        SerumCreatinine(Fraction(value), unit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("missing", "fields"),
    [
        ("age", {"sex": "male", "weight_kg": Fraction(70)}),
        ("weight_kg", {"age_years": 50, "sex": "male"}),
        ("sex", {"age_years": 50, "weight_kg": Fraction(70)}),
    ],
)
def test_cockcroft_gault_refuses_to_run_without_all_its_inputs(
    missing: str, fields: dict[str, object]
) -> None:
    """A creatinine without age, weight or sex is refused, naming what is missing."""
    patient = Patient(creatinine=SerumCreatinine(Fraction(1), "mg/dL"), **fields)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as caught:
        kidney_function(patient)
    assert missing in caught.value.message


def test_a_given_crcl_is_used_as_given() -> None:
    """Without a creatinine, a CrCl given directly is used, marked as given."""
    kidney = kidney_function(Patient(crcl_ml_min=Fraction(45)))
    assert kidney.crcl_ml_min == Fraction(45)
    assert kidney.crcl_method == "given"
    assert kidney.known


def test_nothing_known_about_the_kidneys_is_reported_as_unknown() -> None:
    """No creatinine, CrCl, eGFR or dialysis: kidney function is unknown, not assumed normal."""
    kidney = kidney_function(Patient())
    assert not kidney.known
    assert kidney.for_bands is None


def test_dialysis_alone_counts_as_known_kidney_function() -> None:
    """A patient on dialysis has known (failed) kidney function even without numbers."""
    assert kidney_function(Patient(dialysis=True)).known


def test_the_lower_of_crcl_and_egfr_decides_the_band() -> None:
    """With CrCl 70 and eGFR 45, the worse value (45) is used for bands and eGFR rules."""
    kidney = kidney_function(Patient(crcl_ml_min=Fraction(70), egfr=Fraction(45)))
    assert kidney.for_bands == Fraction(45)
    assert kidney.for_egfr_rules == Fraction(45)


def test_the_method_text_shows_the_working_and_the_female_factor() -> None:
    """The CrCl explanation names Cockcroft-Gault, the inputs and the 0.85 factor."""
    patient = Patient(
        age_years=60, sex="female", weight_kg=Fraction(72), creatinine=SerumCreatinine(Fraction(1), "mg/dL")
    )
    method = kidney_function(patient).crcl_method
    assert "Cockcroft-Gault" in method
    assert "0.85" in method
    assert method.endswith("= 68 mL/min")  # exact value, written without a trailing zero


@pytest.mark.parametrize("age", [-1, 121])
def test_an_implausible_age_is_refused(age: int) -> None:
    """Ages outside 0-120 years are refused."""
    with pytest.raises(InvalidInput):
        Patient(age_years=age)


@pytest.mark.parametrize("weight", [Fraction(0), Fraction(401)])
def test_an_implausible_weight_is_refused_with_a_kg_hint(weight: Fraction) -> None:
    """Weights outside 1-400 kg are refused (pounds typed as kg are caught at the top)."""
    with pytest.raises(InvalidInput) as caught:
        Patient(weight_kg=weight)
    assert caught.value.hint == "weight in kg"


@pytest.mark.parametrize("field", ["crcl_ml_min", "egfr"])
def test_an_implausible_clearance_is_refused(field: str) -> None:
    """A CrCl or eGFR above 250 mL/min is refused as a typing error."""
    with pytest.raises(InvalidInput):
        Patient(**{field: Fraction(300)})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("mg/dL", "mg/dL"),
        ("MG/DL", "mg/dL"),
        ("umol/L", "umol/L"),
        ("µmol/L", "umol/L"),
        ("micromol/L", "umol/L"),
    ],
)
def test_creatinine_units_are_read_one_way_everywhere(text: str, unit: str) -> None:
    """The patient file and the web profile share one reader of creatinine units."""
    assert parse_creatinine_unit(text) == unit


@pytest.mark.parametrize("text", ["", "mmol/L", "mg"])
def test_a_missing_or_unknown_creatinine_unit_is_refused(text: str) -> None:
    """No unit, or another unit, is refused with a hint that the unit decides the value."""
    with pytest.raises(InvalidInput) as caught:
        parse_creatinine_unit(text)
    assert caught.value.hint is not None
