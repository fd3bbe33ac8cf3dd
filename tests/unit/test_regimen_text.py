"""Regimens written the way people write them: read exactly, or refused, never guessed."""

from __future__ import annotations

from fractions import Fraction

import pytest

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Quantity, Unit, mcg, mg
from dosewise.services.regimen_text import parse_regimen


@pytest.mark.parametrize(
    ("text", "dose", "per_day"),
    [
        ("20 mg 4 times a day", mg(20), 4),
        ("10 mg TID", mg(10), 3),
        ("10 mg tid", mg(10), 3),
        ("5 mg twice daily", mg(5), 2),
        ("5 mg twice a day", mg(5), 2),
        ("20 mg every 6 hours", mg(20), 4),
        ("20 mg every 8 h", mg(20), 3),
        ("10 mg three times a day", mg(10), 3),
        ("10 mg 3 times per day", mg(10), 3),
        ("10mg BID", mg(10), 2),
        ("15 mg QID", mg(15), 4),
        ("10 mg once daily", mg(10), 1),
        ("10 mg daily", mg(10), 1),
        ("2.5 mg x3 a day", Quantity(Fraction(5, 2), Unit.MG), 3),
        ("500 mcg once a day", mcg(500), 1),
    ],
)
def test_common_ways_of_writing_a_regimen_are_read_exactly(text: str, dose: Quantity, per_day: int) -> None:
    """ "20 mg 4 times a day", "10 mg TID", "5 mg twice daily", "20 mg every 6 hours" and friends parse exactly."""
    assert parse_regimen(text) == (dose, per_day)


def test_every_six_hours_means_four_doses_a_day() -> None:
    """24 / 6 = 4 doses a day."""
    assert parse_regimen("20 mg every 6 hours")[1] == 24 // 6


@pytest.mark.parametrize("text", ["20 mg every 5 hours", "20 mg every 7 hours", "20 mg every 0 hours"])
def test_intervals_that_do_not_divide_a_day_are_refused(text: str) -> None:
    """Every 5 hours does not divide 24 hours evenly: refused rather than rounded to 4 or 5 doses."""
    with pytest.raises(InvalidInput):
        parse_regimen(text)


@pytest.mark.parametrize("text", ["20 mg sometimes", "20 mg as needed", "20 mg when required", "20 mg"])
def test_vague_or_missing_frequencies_are_refused_with_a_hint(text: str) -> None:
    """ "20 mg sometimes" has no countable frequency: refused, with examples of what can be read."""
    with pytest.raises(InvalidInput) as caught:
        parse_regimen(text)
    if text != "20 mg":
        assert caught.value.hint is not None
        assert "times a day" in caught.value.hint


@pytest.mark.parametrize("text", ["20 4 times a day", "twenty mg 4 times a day", ""])
def test_a_dose_without_a_unit_or_number_is_refused(text: str) -> None:
    """A regimen needs a dose with its unit."""
    with pytest.raises(InvalidInput):
        parse_regimen(text)


@pytest.mark.parametrize("text", ["20 ug 4 times a day", "5 cc twice a day", "5 mL twice a day"])
def test_error_prone_or_non_mass_units_are_refused(text: str) -> None:
    """ "ug", "cc" and volumes are refused: a regimen's dose is a mass in mg or mcg."""
    with pytest.raises(InvalidInput):
        parse_regimen(text)


@pytest.mark.parametrize("text", ["20 mg 7 times a day", "20 mg every 3 hours", "20 mg every 2 hours"])
def test_more_than_six_doses_a_day_is_refused(text: str) -> None:
    """Seven or eight doses a day are outside what the planners support (1 to 6)."""
    with pytest.raises(InvalidInput):
        parse_regimen(text)
