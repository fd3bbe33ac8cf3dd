"""Plans refuse what they must and never change what was asked silently: label contraindications, the
label's co-medication titration, exact prescribed doses, short tapers, --weeks below the minimum,
continuing from a current regimen, and the checker's high-start and taper-rise findings."""

from __future__ import annotations

import itertools
from datetime import date
from fractions import Fraction

import pytest

from dosewise.domain.assessment import screen_co_medications
from dosewise.domain.checks import check_plan
from dosewise.domain.errors import InvalidInput, PlanRefused, UnmakeableDose
from dosewise.domain.patient import Medication, Patient
from dosewise.domain.planning import TaperOptions, TitrationOptions, plan_taper, plan_titration
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Override, Plan, PriorRegimen, Step, default_times
from dosewise.domain.rules import KnowledgeBase, Severity

START = date(2026, 11, 23)
# Tizanidine label 7.3-7.4 (zanaflex_label_7_cyp1a2): start with a single 2 mg dose, then 2-4 mg steps a day.
INHIBITOR_START_DAILY = Fraction(2)
INHIBITOR_MAX_DAILY_RISE = Fraction(4)


def on(*names: str) -> Patient:
    return Patient(medications=tuple(Medication(name) for name in names))


def titrate(kb: KnowledgeBase, drug: str, patient: Patient | None = None, **options: object) -> Plan:
    return plan_titration(
        kb.drug(drug),
        TitrationOptions(start=START, **options),  # type: ignore[arg-type]
        patient,
        kb.version,
        screen_co_medications(drug, patient, kb),
    )


def taper(kb: KnowledgeBase, drug: str, dose: str, per_day: int, **options: object) -> Plan:
    opts = TaperOptions(start=START, current_dose=mg(dose), current_times_per_day=per_day, **options)  # type: ignore[arg-type]
    return plan_taper(kb.drug(drug), opts, None, kb.version)


def codes(plan: Plan, kb: KnowledgeBase, patient: Patient | None = None) -> dict[str, Severity]:
    return {f.code: f.severity for f in check_plan(plan, kb, patient)}


# ---------------------------------------------------------------- label contraindications


@pytest.mark.parametrize("name", ["ciprofloxacin", "Cipro 500 mg", "fluvoxamine", "Luvox"])
def test_tizanidine_with_a_strong_cyp1a2_inhibitor_is_refused_naming_the_override(
    kb: KnowledgeBase, name: str
) -> None:
    """Ciprofloxacin or fluvoxamine on the list (by name or brand) refuses a tizanidine titration like a Beers avoid."""
    with pytest.raises(PlanRefused) as caught:
        titrate(kb, "tizanidine", on(name))
    assert "label_contraindication" in (caught.value.hint or "")
    assert name in caught.value.message


def test_a_recorded_contraindication_override_plans_and_is_reported_loudly(kb: KnowledgeBase) -> None:
    """With label_contraindication and a reason the plan is made, with the override and the interaction in the check."""
    patient = on("ciprofloxacin")
    plan = titrate(
        kb, "tizanidine", patient, overrides=(Override("label_contraindication", "ID consult: 3 days"),)
    )
    found = codes(plan, kb, patient)
    assert found["interaction.tizanidine-strong-cyp1a2-inhibitor"] is Severity.CONTRAINDICATED
    assert "override.label_contraindication" in found
    assert any("OVERRIDDEN" in note for note in plan.notes)


def test_a_contraindicated_co_medication_does_not_block_a_taper(kb: KnowledgeBase) -> None:
    """Stopping abruptly is the greater risk: a tizanidine taper with ciprofloxacin on the list is planned, with a note."""
    patient = on("ciprofloxacin")
    opts = TaperOptions(start=START, current_dose=mg(8), current_times_per_day=3)
    plan = plan_taper(
        kb.drug("tizanidine"), opts, patient, kb.version, screen_co_medications("tizanidine", patient, kb)
    )
    assert plan.then == "stop"
    assert any("ciprofloxacin" in note for note in plan.notes)


# ---------------------------------------------------------------- moderate CYP1A2 inhibitors


@pytest.mark.parametrize("name", ["the pill", "verapamil", "famotidine", "acyclovir", "levofloxacin"])
def test_a_cyp1a2_inhibitor_starts_tizanidine_at_a_single_2_mg_dose_and_rises_by_at_most_4_mg_a_day(
    kb: KnowledgeBase, name: str
) -> None:
    """The label's inhibitor plan: 2 mg once on day one, each rise 2-4 mg a day, and the check agrees."""
    patient = on(name)
    plan = titrate(kb, "tizanidine", patient, target_daily=mg(24))
    assert plan.steps[0].daily.amount == INHIBITOR_START_DAILY
    assert plan.steps[0].times_per_day == 1
    dailies = [s.daily.amount for s in plan.steps]
    assert all(0 < b - a <= INHIBITOR_MAX_DAILY_RISE for a, b in itertools.pairwise(dailies))
    assert dailies[-1] == 24
    found = codes(plan, kb, patient)
    assert found["co_medication.cyp1a2_inhibitor"] is Severity.MODERATE
    assert not [c for c, s in found.items() if c.startswith("titration.") and s is Severity.MAJOR]


def test_without_an_inhibitor_the_label_start_is_unchanged(kb: KnowledgeBase) -> None:
    """No inhibitor on the list: 2 mg three times a day from day one, as the label allows."""
    plan = titrate(kb, "tizanidine", on("lisinopril"))
    assert plan.steps[0].daily == mg(6)


def test_the_checker_calls_a_normal_start_with_an_inhibitor_major(kb: KnowledgeBase) -> None:
    """A tizanidine plan written without the list (6 mg on day one) is a major high start once the pill is known."""
    plan = titrate(kb, "tizanidine")
    assert codes(plan, kb, on("the pill"))["titration.high_start"] is Severity.MAJOR


def test_an_unscreened_medicine_is_never_reassuring_for_a_drug_with_co_medication_rules(
    kb: KnowledgeBase,
) -> None:
    """A name the dictionary does not know is a moderate finding and a plan note, not silence."""
    patient = on("zorblaxin")
    plan = titrate(kb, "tizanidine", patient)
    assert codes(plan, kb, patient)["co_medication.not_screened"] is Severity.MODERATE
    assert any("zorblaxin" in note for note in plan.notes)


# ---------------------------------------------------------------- exact prescribed doses


def test_a_start_dose_the_tablets_cannot_make_is_refused_with_a_liquid_that_can(kb: KnowledgeBase) -> None:
    """7.5 mg from whole 5 and 10 mg tablets is refused (never rounded to 5 mg), naming the solutions."""
    with pytest.raises(UnmakeableDose) as caught:
        titrate(kb, "baclofen", start_dose=mg("7.5"), products=("baclofen-tab-5mg", "baclofen-tab-10mg"))
    assert any("oral solution" in alternative for alternative in caught.value.alternatives)


def test_a_start_dose_is_honoured_with_halves_of_a_confirmed_scored_tablet(kb: KnowledgeBase) -> None:
    """7.5 mg is made exactly as half a 15 mg tablet whose score a pharmacist confirmed."""
    plan = titrate(
        kb,
        "baclofen",
        start_dose=mg("7.5"),
        products=("baclofen-tab-15mg",),
        confirmed_scored=("baclofen-tab-15mg",),
        target_daily=mg("22.5"),
    )
    assert plan.steps[0].dose == mg("7.5")


def test_a_step_the_products_cannot_make_is_refused(kb: KnowledgeBase) -> None:
    """A 2.5 mg step from whole tablets is refused with alternatives, never silently widened."""
    with pytest.raises(UnmakeableDose, match="step"):
        titrate(kb, "baclofen", start_dose=mg(5), increment=mg("2.5"))


def test_a_titration_target_no_frequency_can_make_is_refused(kb: KnowledgeBase) -> None:
    """A 37.5 mg a day target from whole tablets is refused, never planned as 35 mg."""
    with pytest.raises(UnmakeableDose, match="target"):
        titrate(kb, "baclofen", target_daily=mg("37.5"))


def test_a_taper_target_only_a_larger_single_dose_could_make_is_refused(kb: KnowledgeBase) -> None:
    """From 20 mg x3, 25 mg a day would need one 25 mg dose (above the current dose and the 20 mg limit): refused."""
    with pytest.raises(UnmakeableDose, match="25 mg"):
        taper(kb, "baclofen", "20", 3, target_daily=mg(25))


def test_a_taper_target_no_frequency_can_make_is_refused_with_alternatives(kb: KnowledgeBase) -> None:
    """A 12.5 mg a day maintenance target from whole tablets is refused naming products that make it."""
    with pytest.raises(UnmakeableDose) as caught:
        taper(kb, "baclofen", "20", 4, target_daily=mg("12.5"))
    assert caught.value.alternatives


@pytest.mark.parametrize(
    ("dose", "per_day", "target"), [("5", 3, 6), ("8", 3, 6), ("20", 3, 10), ("20", 4, 30)]
)
def test_a_taper_reaches_its_maintenance_target_when_a_product_can_make_it(
    kb: KnowledgeBase, dose: str, per_day: int, target: int
) -> None:
    """The last step is the target exactly, even when that needs more doses a day than the step before."""
    drug = "tizanidine" if int(dose) < 10 else "baclofen"
    plan = taper(kb, drug, dose, per_day, target_daily=mg(target), percent=Fraction(40))
    assert plan.steps[-1].daily == mg(target)
    assert plan.then == "continue"


# ---------------------------------------------------------------- short tapers and --weeks


def test_weeks_below_the_minimum_are_refused_and_the_override_allows_them(kb: KnowledgeBase) -> None:
    """One week for a baclofen stop is refused naming rapid_withdrawal; with it the taper lasts exactly one week."""
    with pytest.raises(PlanRefused) as caught:
        taper(kb, "baclofen", "20", 4, weeks=1)
    assert "rapid_withdrawal" in (caught.value.hint or "")
    plan = taper(
        kb, "baclofen", "20", 4, weeks=1, overrides=(Override("rapid_withdrawal", "serious reaction"),)
    )
    assert sum(s.days for s in plan.steps) == 7


def test_a_default_taper_that_is_lengthened_to_the_minimum_says_so(kb: KnowledgeBase) -> None:
    """A short default taper stretched to the 14-day minimum carries a note; it is not stretched silently."""
    plan = taper(kb, "baclofen", "10", 3)
    assert sum(s.days for s in plan.steps) >= 14
    assert any("at least the minimum" in note for note in plan.notes)


# ---------------------------------------------------------------- continuing from a current regimen


def test_a_titration_from_a_current_regimen_starts_one_label_step_above_it(kb: KnowledgeBase) -> None:
    """From 10 mg three times a day: 15 mg x3, then 20 mg x3; the prior is recorded and the check is clean."""
    plan = titrate(kb, "baclofen", current=PriorRegimen(mg(10), 3))
    assert [s.daily.amount for s in plan.steps] == [45, 60]
    assert plan.prior == PriorRegimen(mg(10), 3)
    assert not [c for c, s in codes(plan, kb).items() if s.rank >= Severity.MAJOR.rank]


def test_a_titration_from_a_dose_at_the_target_is_refused(kb: KnowledgeBase) -> None:
    """From 20 mg x3 to the default 60 mg a day there is nothing to titrate."""
    with pytest.raises(PlanRefused, match="nothing to titrate"):
        titrate(kb, "baclofen", current=PriorRegimen(mg(20), 3))


def test_a_start_far_above_the_label_is_refused_unless_continued_or_overridden(kb: KnowledgeBase) -> None:
    """20 mg x3 on day one is refused; with above_label_start recorded it is planned and flagged."""
    with pytest.raises(PlanRefused) as caught:
        titrate(kb, "baclofen", start_dose=mg(20))
    assert "--from" in (caught.value.hint or "")
    plan = titrate(
        kb,
        "baclofen",
        start_dose=mg(20),
        overrides=(Override("above_label_start", "restarting after 2 days"),),
    )
    found = codes(plan, kb)
    assert found["titration.high_start"] is Severity.MAJOR
    assert "override.above_label_start" in found


def test_a_start_one_step_above_the_label_is_only_moderate(kb: KnowledgeBase) -> None:
    """10 mg x3 on day one (one label step above 5 mg x3) is moderate, not major."""
    assert codes(titrate(kb, "baclofen", start_dose=mg(10)), kb)["titration.high_start"] is Severity.MODERATE


def test_the_checker_judges_the_first_step_of_a_continued_titration_as_a_rise(kb: KnowledgeBase) -> None:
    """A hand-written plan recording 5 mg x3 as its prior and starting at 20 mg x3 rises too fast."""
    step = Step(START, 3, mg(20), default_times(3))
    plan = Plan("baclofen", "oral", (step,), kb.version, kind="titration", prior=PriorRegimen(mg(5), 3))
    found = codes(plan, kb)
    assert found["titration.too_fast_increment"] is Severity.MAJOR
    assert "titration.high_start" not in found


def test_a_rise_inside_a_taper_is_major(kb: KnowledgeBase) -> None:
    """A taper whose second step is higher than its first is flagged taper.rise."""
    steps = (Step(START, 3, mg(10), default_times(3)), Step(date(2026, 11, 26), 3, mg(15), default_times(3)))
    plan = Plan("baclofen", "oral", steps, kb.version, kind="taper", prior=PriorRegimen(mg(20), 3))
    assert codes(plan, kb)["taper.rise"] is Severity.MAJOR


def test_a_taper_above_the_kidney_ceiling_reports_the_current_regimen_once(kb: KnowledgeBase) -> None:
    """On dialysis, a taper from 80 mg a day names the current regimen's excess once, not every step on the way down."""
    patient = Patient(dialysis=True)
    opts = TaperOptions(start=START, current_dose=mg(20), current_times_per_day=4)
    plan = plan_taper(kb.drug("baclofen"), opts, patient, kb.version)
    found = [f.code for f in check_plan(plan, kb, patient)]
    assert found.count("regimen.current_above_limit") == 1
    assert "limit.above_renal_ceiling" not in found


def test_a_dose_halves_would_make_names_the_score_confirmation(kb: KnowledgeBase) -> None:
    """Tizanidine 3 mg from whole tablets is refused, saying halves of the 2 mg tablet make it once the score is confirmed."""
    with pytest.raises(UnmakeableDose) as caught:
        titrate(kb, "tizanidine", start_dose=mg(3))
    assert "tizanidine-tab-2mg" in (caught.value.hint or "")
    assert "--scored-confirmed" in (caught.value.hint or "")
    plan = titrate(kb, "tizanidine", start_dose=mg(3), confirmed_scored=("tizanidine-tab-2mg",))
    assert plan.steps[0].dose == mg(3)


def test_a_start_above_the_target_is_refused_not_cut_down(kb: KnowledgeBase) -> None:
    """2 mg three times a day to a 2 mg a day target is contradictory: refused, never planned as 1 mg."""
    with pytest.raises(InvalidInput, match="above the target"):
        titrate(
            kb, "tizanidine", start_dose=mg(2), target_daily=mg(2), confirmed_scored=("tizanidine-tab-2mg",)
        )
