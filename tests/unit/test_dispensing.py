"""Dispensing: what to take for a dose (whole tablets, halves of scored ones, measured liquid) and what to
dispense for a whole plan; a dose nothing can make is refused with the products that could."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.dispensing import (
    can_make,
    dispense_totals,
    makeable_grid,
    pieces_words,
    take_for_dose,
)
from dosewise.domain.errors import UnmakeableDose
from dosewise.domain.quantity import Quantity, Unit, mg, ml
from dosewise.domain.regimen import Plan, Step, administrations, default_times
from dosewise.domain.rules import DrugRules, Product, Provenance, Scored

TAB5, TAB10, TAB15, TAB20 = "baclofen-tab-5mg", "baclofen-tab-10mg", "baclofen-tab-15mg", "baclofen-tab-20mg"
SOLUTION_1MG_ML = "baclofen-oral-solution-5mg-5ml"
SOLUTION_2MG_ML = "baclofen-oral-solution-10mg-5ml"
SUSPENSION_5MG_ML = "baclofen-oral-suspension-25mg-5ml"


def total(take_parts: tuple[object, ...]) -> Quantity:
    amounts = [part.amount for part in take_parts]  # type: ignore[attr-defined]
    result = amounts[0]
    for amount in amounts[1:]:
        result = result + amount
    return result


def with_scored_tablet(rules: DrugRules) -> DrugRules:
    """A fake drug whose only tablet is a 10 mg tablet scored "yes" by every maker."""
    scored = Product(
        id="fake-tab-10mg-scored",
        form="tablet",
        label="fake 10 mg scored tablet",
        provenance=Provenance((), "policy"),
        strength=mg(10),
        scored=Scored.YES,
        default=True,
    )
    return replace(rules, products=(scored,))


def tid_plan(dose: str, days: int) -> Plan:
    return Plan("baclofen", "oral", (Step(date(2026, 11, 23), days, mg(dose), default_times(3)),), "test")


# ---------------------------------------------------------------- whole tablets and halves


def test_the_default_products_are_the_common_whole_tablets(baclofen: DrugRules) -> None:
    """Without a choice, 5, 10 and 20 mg tablets are used (no liquids, no 15 mg)."""
    take = take_for_dose(mg(35), baclofen)
    assert {part.product.id for part in take.parts} <= {TAB5, TAB10, TAB20}


def test_a_dose_uses_the_fewest_whole_tablets(baclofen: DrugRules) -> None:
    """20 mg is one 20 mg tablet, not two 10 mg or four 5 mg tablets."""
    take = take_for_dose(mg(20), baclofen)
    assert [(part.product.id, part.count) for part in take.parts] == [(TAB20, Fraction(1))]


def test_fifteen_mg_is_a_five_and_a_ten(baclofen: DrugRules) -> None:
    """15 mg from the defaults is one 5 mg and one 10 mg tablet, adding up exactly."""
    take = take_for_dose(mg(15), baclofen)
    assert sorted((part.product.id, part.count) for part in take.parts) == [(TAB10, 1), (TAB5, 1)]
    assert total(take.parts) == mg(15)


def test_a_tablet_scored_only_by_some_makers_is_not_halved_unless_confirmed(baclofen: DrugRules) -> None:
    """5 mg from 10 mg tablets whose scoring varies by maker is refused until a pharmacist confirms it."""
    with pytest.raises(UnmakeableDose):
        take_for_dose(mg(5), baclofen, (TAB10,))


def test_a_confirmed_scored_tablet_may_be_halved(baclofen: DrugRules) -> None:
    """Once the 10 mg tablet in hand is confirmed scored, 5 mg is half a 10 mg tablet."""
    take = take_for_dose(mg(5), baclofen, (TAB10,), confirmed_scored=(TAB10,))
    assert [(part.product.id, part.count) for part in take.parts] == [(TAB10, Fraction(1, 2))]
    assert take.describe(3) == "half a tablet of 10 mg three times a day"


def test_a_tablet_scored_by_every_maker_is_halved_without_confirmation(baclofen: DrugRules) -> None:
    """A product scored "yes" may be halved with no confirmation: 15 mg is one and a half 10 mg tablets."""
    rules = with_scored_tablet(baclofen)
    take = take_for_dose(mg(15), rules)
    assert [part.count for part in take.parts] == [Fraction(3, 2)]
    assert take.describe() == "1 and a half tablets of 10 mg"


def test_a_scored_tablet_is_never_cut_into_quarters(baclofen: DrugRules) -> None:
    """2.5 mg would need a quarter of a 10 mg tablet: refused even when the tablet is scored."""
    with pytest.raises(UnmakeableDose):
        take_for_dose(mg("2.5"), with_scored_tablet(baclofen))


def test_five_mg_baclofen_tablets_are_never_halved_even_if_claimed_confirmed(baclofen: DrugRules) -> None:
    """The 5 mg tablet has no score line: 2.5 mg is refused even if someone lists it as confirmed."""
    assert baclofen.product(TAB5).scored is Scored.NO
    with pytest.raises(UnmakeableDose):
        take_for_dose(mg("2.5"), baclofen, (TAB5,), confirmed_scored=(TAB5,))


def test_granule_packets_are_whole_packets_only(baclofen: DrugRules) -> None:
    """Lyvispah packets are single doses: 2.5 mg from 5 mg packets is refused; 15 mg is 5 + 10 mg packets."""
    packets = ("baclofen-granules-5mg", "baclofen-granules-10mg")
    with pytest.raises(UnmakeableDose):
        take_for_dose(mg("2.5"), baclofen, packets, confirmed_scored=packets)
    assert "packet" in take_for_dose(mg(15), baclofen, packets).describe()


# ---------------------------------------------------------------- liquids


def test_a_liquid_dose_is_an_exact_volume(baclofen: DrugRules) -> None:
    """7.5 mg of the 5 mg/5 mL solution is exactly 7.5 mL."""
    take = take_for_dose(mg("7.5"), baclofen, (SOLUTION_1MG_ML,))
    (part,) = take.parts
    assert part.volume == ml("7.5")
    assert part.amount == mg("7.5")


def test_the_concentrated_suspension_gives_a_small_exact_volume(baclofen: DrugRules) -> None:
    """7.5 mg of the 25 mg/5 mL suspension is 1.5 mL (7.5 / 5 mg per mL)."""
    (part,) = take_for_dose(mg("7.5"), baclofen, (SUSPENSION_5MG_ML,)).parts
    assert part.volume == ml("1.5")


def test_a_volume_off_the_measuring_increment_is_refused(baclofen: DrugRules) -> None:
    """7.5 mg of 10 mg/5 mL would be 3.75 mL, not measurable in 0.5 mL steps: refused."""
    assert baclofen.product(SOLUTION_2MG_ML).measure_increment == ml("0.5")
    with pytest.raises(UnmakeableDose):
        take_for_dose(mg("7.5"), baclofen, (SOLUTION_2MG_ML,))


def test_a_liquid_in_its_increment_is_accepted(baclofen: DrugRules) -> None:
    """5 mg of 10 mg/5 mL is 2.5 mL, a multiple of 0.5 mL."""
    (part,) = take_for_dose(mg(5), baclofen, (SOLUTION_2MG_ML,)).parts
    assert part.volume == ml("2.5")


def test_a_liquid_instruction_names_the_volume_and_concentration(baclofen: DrugRules) -> None:
    """Patients read "7.5 mL of the 5 mg/5 mL oral solution"."""
    take = take_for_dose(mg("7.5"), baclofen, (SOLUTION_1MG_ML,))
    assert take.describe() == "7.5 mL of the 5 mg/5 mL oral solution"


# ---------------------------------------------------------------- refusals with alternatives


def test_an_unmakeable_dose_is_refused_with_the_products_that_can_make_it(baclofen: DrugRules) -> None:
    """7.5 mg from the default tablets is refused, naming the 5 mg/5 mL solution and the suspension."""
    with pytest.raises(UnmakeableDose) as caught:
        take_for_dose(mg("7.5"), baclofen)
    alternatives = caught.value.alternatives
    assert baclofen.product(SOLUTION_1MG_ML).label in alternatives
    assert baclofen.product(SUSPENSION_5MG_ML).label in alternatives
    assert caught.value.hint is not None
    assert baclofen.product(SOLUTION_1MG_ML).label in caught.value.hint


def test_alternatives_only_list_products_that_really_make_the_dose(baclofen: DrugRules) -> None:
    """Every alternative offered for 7.5 mg makes 7.5 mg on its own; the 10 mg/5 mL solution (3.75 mL) is not offered."""
    with pytest.raises(UnmakeableDose) as caught:
        take_for_dose(mg("7.5"), baclofen)
    labels = {p.label: p.id for p in baclofen.products}
    for label in caught.value.alternatives:
        assert can_make(mg("7.5"), baclofen, (labels[label],))
    assert baclofen.product(SOLUTION_2MG_ML).label not in caught.value.alternatives


def test_a_dose_no_product_can_make_is_refused_with_no_alternatives(baclofen: DrugRules) -> None:
    """0.3 mg cannot be measured from anything: refused, with nothing to suggest."""
    with pytest.raises(UnmakeableDose) as caught:
        take_for_dose(mg("0.3"), baclofen)
    assert caught.value.alternatives == ()


def test_a_zero_dose_is_not_a_dose(baclofen: DrugRules) -> None:
    """Zero mg is refused; it is not something to take."""
    with pytest.raises(UnmakeableDose):
        take_for_dose(mg(0), baclofen)
    assert not can_make(mg(0), baclofen)


# ---------------------------------------------------------------- grids and words


def test_the_smallest_step_of_the_default_tablets_is_five_mg(baclofen: DrugRules) -> None:
    """Whole 5, 10 and 20 mg tablets step in 5 mg."""
    assert makeable_grid(baclofen) == mg(5)


def test_the_smallest_step_of_the_one_mg_per_ml_solution_is_half_a_mg(baclofen: DrugRules) -> None:
    """0.5 mL of 1 mg/mL holds 0.5 mg."""
    assert makeable_grid(baclofen, (SOLUTION_1MG_ML,)) == mg("0.5")


def test_a_halvable_tablet_halves_the_grid(baclofen: DrugRules) -> None:
    """10 mg tablets confirmed scored step in 5 mg; unconfirmed, in 10 mg."""
    assert makeable_grid(baclofen, (TAB10,)) == mg(10)
    assert makeable_grid(baclofen, (TAB10,), (TAB10,)) == mg(5)


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (Fraction(1, 2), "half a tablet"),
        (Fraction(1), "1 tablet"),
        (Fraction(3, 2), "1 and a half tablets"),
        (Fraction(2), "2 tablets"),
    ],
)
def test_tablet_counts_are_plain_words(count: Fraction, words: str) -> None:
    """Counts read as words a patient uses, never "0.5 tablet"."""
    assert pieces_words(count, "tablet") == words


# ---------------------------------------------------------------- totals over a plan


def test_the_label_titration_needs_eighteen_fives_eighteen_tens_and_nine_twenties(
    baclofen: DrugRules,
) -> None:
    """5, 10, 15, 20 mg three times a day for 3 days each: 5 mg tabs 9 + 9, 10 mg tabs 9 + 9, 20 mg tabs 9."""
    steps = tuple(
        Step(date(2026, 11, 1) + timedelta(days=3 * i), 3, mg(dose), default_times(3))
        for i, dose in enumerate((5, 10, 15, 20))
    )
    plan = Plan("baclofen", "oral", steps, "test")
    lines = {line.product.id: line.count for line in dispense_totals(administrations(plan, UTC), baclofen)}
    assert lines == {TAB5: 18, TAB10: 18, TAB20: 9}


def test_halves_pair_up_and_a_leftover_half_rounds_up(baclofen: DrugRules) -> None:
    """Nine half tablets need 5 whole tablets (4.5 rounded up); six halves need exactly 3."""
    for days, expected in ((3, 5), (2, 3)):
        lines = dispense_totals(
            administrations(tid_plan("5", days), UTC), baclofen, (TAB10,), confirmed_scored=(TAB10,)
        )
        assert [(line.product.id, line.count) for line in lines] == [(TAB10, expected)]


def test_liquid_totals_are_volumes_with_whole_packs(baclofen: DrugRules) -> None:
    """7.5 mL three times a day for 3 days is 67.5 mL: one 473 mL bottle."""
    (line,) = dispense_totals(administrations(tid_plan("7.5", 3), UTC), baclofen, (SOLUTION_1MG_ML,))
    assert line.volume == ml("67.5")
    assert line.packs == 1


def test_dispensing_a_plan_with_an_unmakeable_dose_is_refused(baclofen: DrugRules) -> None:
    """A plan step of 7.5 mg cannot be dispensed from the default tablets."""
    with pytest.raises(UnmakeableDose):
        dispense_totals(administrations(tid_plan("7.5", 1), UTC), baclofen)


# ---------------------------------------------------------------- property


PRODUCT_CHOICES = st.sets(
    st.sampled_from([TAB5, TAB10, TAB15, TAB20, SOLUTION_1MG_ML, SOLUTION_2MG_ML, SUSPENSION_5MG_ML]),
    min_size=1,
    max_size=4,
)


@settings(max_examples=100, deadline=None)
@given(
    halves_of_mg=st.integers(min_value=1, max_value=160),
    products=PRODUCT_CHOICES,
    confirmed=st.sets(st.sampled_from([TAB5, TAB10, TAB15, TAB20]), max_size=4),
)
def test_every_take_instruction_adds_up_exactly_to_the_dose(
    baclofen: DrugRules, halves_of_mg: int, products: set[str], confirmed: set[str]
) -> None:
    """For any dose and products, the parts returned add up exactly to the dose, or the dose is refused."""
    dose = Quantity(Fraction(halves_of_mg, 2), Unit.MG)
    chosen = tuple(sorted(products))
    if not can_make(dose, baclofen, chosen, tuple(confirmed)):
        with pytest.raises(UnmakeableDose):
            take_for_dose(dose, baclofen, chosen, confirmed_scored=tuple(confirmed))
        return
    take = take_for_dose(dose, baclofen, chosen, confirmed_scored=tuple(confirmed))
    assert total(take.parts) == dose
    for part in take.parts:
        assert part.product.id in chosen
        if part.count is not None and part.count.denominator != 1:
            assert part.count.denominator == 2
            assert part.product.scored is Scored.YES or part.product.id in confirmed
        if part.volume is not None:
            increment = part.product.measure_increment or ml("0.1")
            assert part.volume.ratio(increment).denominator == 1
