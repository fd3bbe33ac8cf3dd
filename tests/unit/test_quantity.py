"""Quantities: exact arithmetic, mg never silently mixed with mcg, safe writing, strict parsing."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.errors import InvalidInput, UnitMismatch
from dosewise.domain.quantity import (
    Concentration,
    Quantity,
    Unit,
    format_amount,
    mcg,
    mg,
    ml,
    parse_amount,
    parse_concentration,
    parse_quantity,
    times_per_day_words,
)

# ---------------------------------------------------------------- exact arithmetic


def test_a_tenth_added_three_times_is_exactly_three_tenths() -> None:
    """0.1 mg + 0.1 mg + 0.1 mg is exactly 0.3 mg, where binary floats would drift."""
    total = mg("0.1") + mg("0.1") + mg("0.1")
    assert total == mg("0.3")
    assert total.amount == Fraction(3, 10)


def test_a_third_of_a_dose_stays_an_exact_fraction() -> None:
    """Dividing 10 mg by 3 and multiplying back gives exactly 10 mg."""
    assert (mg(10) / 3) * 3 == mg(10)


def test_a_quantity_built_from_an_int_holds_a_fraction() -> None:
    """Amounts are always Fractions, whatever exact type built them."""
    assert isinstance(Quantity(5, Unit.MG).amount, Fraction)


def test_a_quantity_refuses_to_scale_by_a_float() -> None:
    """Floats never enter dose arithmetic: scaling by 0.5 is a TypeError."""
    with pytest.raises(TypeError):
        _ = mg(10) * 0.5  # type: ignore[operator]


def test_a_quantity_refuses_to_be_multiplied_by_another_quantity() -> None:
    """mg x mg has no meaning for a dose and is refused."""
    with pytest.raises(TypeError):
        _ = mg(10) * mg(2)  # type: ignore[operator]


def test_ratio_of_two_same_unit_quantities_is_an_exact_fraction() -> None:
    """45 mg / 60 mg is exactly 3/4."""
    assert mg(45).ratio(mg(60)) == Fraction(3, 4)


@settings(max_examples=80)
@given(
    a=st.fractions(min_value=0, max_value=1000, max_denominator=100),
    b=st.fractions(min_value=0, max_value=1000, max_denominator=100),
)
def test_addition_then_subtraction_returns_exactly_the_first_amount(a: Fraction, b: Fraction) -> None:
    """For any exact amounts, (a + b) - b == a with no rounding."""
    assert (Quantity(a, Unit.MG) + Quantity(b, Unit.MG)) - Quantity(b, Unit.MG) == Quantity(a, Unit.MG)


# ---------------------------------------------------------------- mg and mcg


def test_adding_mcg_to_mg_raises_unit_mismatch() -> None:
    """5 mg + 500 mcg is refused rather than silently added."""
    with pytest.raises(UnitMismatch):
        _ = mg(5) + mcg(500)


def test_subtracting_mcg_from_mg_raises_unit_mismatch() -> None:
    """Subtraction across mg and mcg is refused too."""
    with pytest.raises(UnitMismatch):
        _ = mg(5) - mcg(500)


def test_comparing_mg_with_mcg_raises_unit_mismatch() -> None:
    """Even a comparison (1 mg < 2000 mcg) refuses to guess across units."""
    with pytest.raises(UnitMismatch):
        _ = mg(1) < mcg(2000)


def test_mass_and_volume_never_combine() -> None:
    """Adding 5 mL to 5 mg is a unit mismatch."""
    with pytest.raises(UnitMismatch):
        _ = mg(5) + ml(5)


def test_ratio_across_units_raises_unit_mismatch() -> None:
    """A ratio needs both quantities in the same unit."""
    with pytest.raises(UnitMismatch):
        mg(1).ratio(mcg(1))


def test_unit_mismatch_is_an_invalid_input_with_a_conversion_hint() -> None:
    """The refusal is an InvalidInput and tells the user how to convert."""
    with pytest.raises(InvalidInput) as caught:
        _ = mg(5) + mcg(5)
    assert isinstance(caught.value, UnitMismatch)
    assert caught.value.hint is not None
    assert "1000" in caught.value.hint


def test_explicit_conversion_from_mg_to_mcg_is_exact() -> None:
    """0.05 mg converts to exactly 50 mcg (1 mg = 1000 mcg)."""
    assert mg("0.05").to(Unit.MCG) == mcg(50)


def test_explicit_conversion_from_mcg_to_mg_is_exact() -> None:
    """1 mcg is exactly 1/1000 mg, not a rounded float."""
    assert mcg(1).to(Unit.MG).amount == Fraction(1, 1000)


def test_converting_a_mass_to_a_volume_is_refused() -> None:
    """mg cannot be converted to mL without a concentration."""
    with pytest.raises(UnitMismatch):
        mg(5).to(Unit.ML)


@settings(max_examples=60)
@given(st.fractions(min_value=0, max_value=10_000, max_denominator=1000))
def test_mg_to_mcg_and_back_is_lossless(amount: Fraction) -> None:
    """Any exact mg amount survives a round trip through mcg unchanged."""
    dose = Quantity(amount, Unit.MG)
    assert dose.to(Unit.MCG).to(Unit.MG) == dose
    assert dose.to(Unit.MCG).amount == amount * 1000


# ---------------------------------------------------------------- safe formatting


@pytest.mark.parametrize(
    ("quantity", "text"),
    [
        (mg(5), "5 mg"),
        (mg("5.0"), "5 mg"),
        (mg("2.50"), "2.5 mg"),
        (mg(10), "10 mg"),
        (mg(100), "100 mg"),
        (ml("0.5"), "0.5 mL"),
        (ml(".5"), "0.5 mL"),
        (mcg(50), "50 mcg"),
        (mcg("0.25"), "0.25 mcg"),
    ],
)
def test_quantities_print_without_trailing_zeros_and_with_leading_zeros(
    quantity: Quantity, text: str
) -> None:
    """Safe writing: "5 mg" never "5.0 mg", "0.5 mL" never ".5 mL"."""
    assert str(quantity) == text


def test_micrograms_print_as_mcg_never_as_the_micro_sign() -> None:
    """A dose written "500 µg" is printed back as "500 mcg" (µ is misread as m)."""
    text = str(parse_quantity("500 µg"))
    assert text == "500 mcg"
    assert "µ" not in text
    assert "μ" not in text


def test_a_repeating_decimal_is_refused_rather_than_rounded() -> None:
    """10/3 mg has no exact decimal, so formatting refuses it instead of writing 3.33 mg."""
    with pytest.raises(InvalidInput):
        str(mg(10) / 3)


def test_format_amount_keeps_every_significant_digit() -> None:
    """1/8 prints as 0.125 exactly (not 0.13)."""
    assert format_amount(Fraction(1, 8)) == "0.125"


def test_negative_amounts_keep_their_sign_and_leading_zero() -> None:
    """A negative difference prints as -0.5, with its leading zero."""
    assert format_amount(Fraction(-1, 2)) == "-0.5"


@settings(max_examples=80)
@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=4),
    st.integers(min_value=0, max_value=4),
)
def test_formatted_amounts_are_exact_and_follow_safe_writing(numerator: int, twos: int, fives: int) -> None:
    """Every terminating decimal prints exactly, with a leading zero and no trailing zero."""
    amount = Fraction(numerator, 2**twos * 5**fives)
    text = format_amount(amount)
    assert Fraction(Decimal(text)) == amount
    assert not text.startswith(".")
    if "." in text:
        assert not text.endswith("0")
        assert not text.endswith(".")


def test_json_form_of_a_quantity_is_value_and_unit_as_text() -> None:
    """to_json gives {"value": "0.5", "unit": "mL"} so no float reaches JSON."""
    assert ml("0.5").to_json() == {"value": "0.5", "unit": "mL"}


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 mg", mg(10)),
        ("10mg", mg(10)),
        ("2.5 mg", mg("2.5")),
        ("0.5 mL", ml("0.5")),
        ("0.5 ml", ml("0.5")),
        ("500 mcg", mcg(500)),
        ("500 micrograms", mcg(500)),
        ("  20   milligrams ", mg(20)),
    ],
)
def test_quantities_with_units_parse_exactly(text: str, expected: Quantity) -> None:
    """Written quantities with a unit parse to the exact amount and unit."""
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["10", "2.5", " 0.5 "])
def test_a_bare_number_is_refused_with_a_hint_to_add_the_unit(text: str) -> None:
    """A dose is never a bare number: "10" is refused and the hint asks for the unit."""
    with pytest.raises(InvalidInput) as caught:
        parse_quantity(text)
    assert "no unit" in caught.value.message
    assert caught.value.hint is not None
    assert "unit" in caught.value.hint


@pytest.mark.parametrize("text", ["10 tabs", "5 drops", "10 mgs", "5 teaspoons"])
def test_an_unknown_unit_is_refused(text: str) -> None:
    """Units the engine does not know are refused, never guessed."""
    with pytest.raises(InvalidInput) as caught:
        parse_quantity(text)
    assert "unit" in caught.value.message


def test_ug_is_refused_with_a_hint_to_write_mcg() -> None:
    """ "ug" is an error-prone abbreviation: refused with the hint "write mcg"."""
    with pytest.raises(InvalidInput) as caught:
        parse_quantity("500 ug")
    assert caught.value.hint == "write mcg"


def test_cc_is_refused_with_a_hint_to_write_ml() -> None:
    """ "cc" is an error-prone abbreviation: refused with the hint "write mL"."""
    with pytest.raises(InvalidInput) as caught:
        parse_quantity("5 cc")
    assert caught.value.hint == "write mL"


@pytest.mark.parametrize("text", ["1 g", "1 gram", "1 L"])
def test_grams_and_litres_are_refused_for_doses(text: str) -> None:
    """Doses are written in mg, mcg or mL; grams and litres are refused (thousandfold slips)."""
    with pytest.raises(InvalidInput):
        parse_quantity(text)


def test_a_unit_outside_the_allowed_set_is_refused() -> None:
    """When only mg or mcg are allowed, "5 mL" is refused."""
    with pytest.raises(InvalidInput):
        parse_quantity("5 mL", allowed=(Unit.MG, Unit.MCG))


@pytest.mark.parametrize("text", ["", "mg", "ten mg", "-5 mg", "5,5 mg", "1e3 mg"])
def test_text_that_is_not_a_quantity_is_refused(text: str) -> None:
    """Empty text, words for numbers, negative signs, commas and exponents are refused."""
    with pytest.raises(InvalidInput):
        parse_quantity(text)


def test_a_fraction_written_in_a_quantity_is_read_as_the_whole_fraction() -> None:
    """ "1/2 mg" is exactly half a milligram, never 1 mg with a strange unit."""
    assert parse_quantity("1/2 mg") == mg(Fraction(1, 2))


def test_parse_amount_reads_simple_fractions_exactly() -> None:
    """A bare amount "1/2" (no unit, e.g. a multiplier) is exactly one half."""
    assert parse_amount("1/2") == Fraction(1, 2)


def test_parse_amount_refuses_division_by_zero() -> None:
    """ "1/0" is refused rather than crashing."""
    with pytest.raises(InvalidInput):
        parse_amount("1/0")


def test_parse_amount_reads_decimals_exactly() -> None:
    """ "0.1" is exactly one tenth."""
    assert parse_amount("0.1") == Fraction(1, 10)


# ---------------------------------------------------------------- concentrations and volumes


def test_a_concentration_written_per_five_ml_is_exact_per_ml() -> None:
    """10 mg/5 mL is exactly 2 mg per mL."""
    assert parse_concentration("10 mg/5 mL").per_ml == mg(2)


def test_the_volume_for_a_dose_is_exact() -> None:
    """7.5 mg of 25 mg/5 mL is exactly 1.5 mL (7.5 / 5)."""
    assert parse_concentration("25 mg/5 mL").volume_for(mg("7.5")) == ml("1.5")


def test_the_dose_in_a_volume_is_exact() -> None:
    """2.5 mL of 5 mg/5 mL holds exactly 2.5 mg."""
    assert parse_concentration("5 mg/5 mL").dose_in(ml("2.5")) == mg("2.5")


def test_a_mcg_dose_is_converted_explicitly_for_a_mcg_per_ml_liquid() -> None:
    """500 mcg of 2000 mcg/mL is 0.25 mL; 0.5 mg of it is the same 0.25 mL."""
    concentration = parse_concentration("2000 mcg/mL")
    assert concentration.volume_for(mcg(500)) == ml("0.25")
    assert concentration.volume_for(mg("0.5")) == ml("0.25")


def test_a_concentration_prints_as_written() -> None:
    """Concentrations print as "10 mg/5 mL" and "2000 mcg/mL"."""
    assert str(parse_concentration("10 mg/5 mL")) == "10 mg/5 mL"
    assert str(parse_concentration("2000 mcg/mL")) == "2000 mcg/mL"


def test_a_concentration_must_be_mass_per_volume() -> None:
    """mL per mg is not a concentration."""
    with pytest.raises(UnitMismatch):
        Concentration(ml(5), mg(10))


def test_a_zero_concentration_is_refused() -> None:
    """0 mg/5 mL cannot make any dose and is refused."""
    with pytest.raises(InvalidInput):
        parse_concentration("0 mg/5 mL")


@pytest.mark.parametrize("text", ["10 mg", "10 mg/5", "10/5 mL", "10 mg/5 mL/2"])
def test_malformed_concentrations_are_refused(text: str) -> None:
    """A concentration needs a mass and a volume, each with its unit."""
    with pytest.raises(InvalidInput):
        parse_concentration(text)


def test_dose_in_refuses_a_mass_where_a_volume_belongs() -> None:
    """Asking how much drug is in "5 mg" of a liquid is a unit mismatch."""
    with pytest.raises(UnitMismatch):
        parse_concentration("5 mg/5 mL").dose_in(mg(5))


@settings(max_examples=60)
@given(
    mass=st.integers(min_value=1, max_value=100),
    volume=st.integers(min_value=1, max_value=20),
    dose_tenths=st.integers(min_value=1, max_value=1000),
)
def test_volume_for_and_dose_in_are_exact_inverses(mass: int, volume: int, dose_tenths: int) -> None:
    """For any concentration and dose, the dose in the computed volume is the dose itself."""
    concentration = Concentration(mg(mass), ml(volume))
    dose = mg(Fraction(dose_tenths, 10))
    assert concentration.dose_in(concentration.volume_for(dose)) == dose


# ---------------------------------------------------------------- plain words


@pytest.mark.parametrize(
    ("times", "words"),
    [(1, "once a day"), (2, "twice a day"), (3, "three times a day"), (4, "four times a day")],
)
def test_frequencies_are_plain_words_for_patients(times: int, words: str) -> None:
    """Patients read "three times a day", never TID."""
    assert times_per_day_words(times) == words


@pytest.mark.parametrize("times", range(1, 7))
def test_frequency_words_never_use_latin_abbreviations(times: int) -> None:
    """No QD, BID, TID, QID or q.d. in patient text."""
    words = times_per_day_words(times).lower()
    for abbreviation in ("qd", "bid", "tid", "qid", "q.d", "b.i.d", "t.i.d"):
        assert abbreviation not in words.split()
