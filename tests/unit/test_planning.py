"""Titration and taper planners: the label schedule, kidney and age adjustments, refusals and overrides,
and the invariants every generated plan keeps (caps, makeable doses, tapers that never rise)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosewise.domain.assessment import assess
from dosewise.domain.checks import check_plan
from dosewise.domain.dispensing import can_make
from dosewise.domain.errors import InvalidInput, PlanRefused, UnmakeableDose
from dosewise.domain.patient import Patient
from dosewise.domain.planning import TaperOptions, TitrationOptions, plan_taper, plan_titration
from dosewise.domain.quantity import Quantity, Unit, mg
from dosewise.domain.regimen import Override, Plan
from dosewise.domain.rules import DrugRules, KnowledgeBase
from dosewise.knowledge import default_version, load_knowledge_base

START = date(2026, 11, 23)
LABEL_MAX = Fraction(80)  # mg a day, 20 mg four times a day (clinical-reference 1.1)
LABEL_LADDER = [(Fraction(5), 3), (Fraction(10), 3), (Fraction(15), 3), (Fraction(20), 3)]  # mg TID, days
FINAL_STEP_MAX = Fraction(15)  # mg a day: the taper stops only from here (knowledge base taper rule)
RENAL_AVOID = Override("renal_avoid", "nephrology agreed after review")
BEERS_AVOID = Override("beers_avoid", "geriatrician agreed after review")
BELOW_AGE = Override("below_label_age", "paediatric neurology plan")
# Property tests read the knowledge base directly: hypothesis would print a fixture's whole value on failure.
KB = load_knowledge_base(default_version())
FORBIDDEN = ("stop.abrupt", "taper.too_fast", "titration.too_fast_", "limit.")


def titrate(kb: KnowledgeBase, patient: Patient | None = None, **options: object) -> Plan:
    return plan_titration(kb.drug("baclofen"), TitrationOptions(start=START, **options), patient, kb.version)  # type: ignore[arg-type]


def taper(kb: KnowledgeBase, dose: str, per_day: int, **options: object) -> Plan:
    opts = TaperOptions(start=START, current_dose=mg(dose), current_times_per_day=per_day, **options)  # type: ignore[arg-type]
    return plan_taper(kb.drug("baclofen"), opts, None, kb.version)


def dailies(plan: Plan) -> list[Fraction]:
    return [step.daily.amount for step in plan.steps]


def crcl(value: int | str) -> Patient:
    return Patient(crcl_ml_min=Fraction(value))


def forbidden_codes(plan: Plan, kb: KnowledgeBase, patient: Patient | None = None) -> list[str]:
    return [f.code for f in check_plan(plan, kb, patient) if f.code.startswith(FORBIDDEN)]


# ---------------------------------------------------------------- the label titration


def test_the_default_titration_is_the_label_ladder(kb: KnowledgeBase) -> None:
    """5, 10, 15, 20 mg three times a day, three days each, from the start date (label section 2)."""
    plan = titrate(kb)
    assert [(step.dose.amount, step.times_per_day, step.days) for step in plan.steps] == [
        (dose, 3, days) for dose, days in LABEL_LADDER
    ]
    assert plan.steps[0].start == START
    assert all(later.start == earlier.end for earlier, later in zip(plan.steps, plan.steps[1:], strict=False))


def test_a_titration_continues_at_its_last_dose(kb: KnowledgeBase) -> None:
    """A titration never ends in a stop: after the ladder the last dose goes on until review."""
    plan = titrate(kb)
    assert plan.then == "continue"
    assert plan.kind == "titration"


def test_the_default_titration_uses_whole_default_tablets(kb: KnowledgeBase) -> None:
    """Default products are the 5, 10 and 20 mg tablets, and each step is makeable from them."""
    plan = titrate(kb)
    assert set(plan.products) == {"baclofen-tab-5mg", "baclofen-tab-10mg", "baclofen-tab-20mg"}
    assert all(can_make(step.dose, kb.drug("baclofen"), plan.products) for step in plan.steps)


def test_the_default_titration_passes_its_own_check(kb: KnowledgeBase) -> None:
    """The label ladder raises no limit, escalation, stop or makeability finding."""
    codes = [f.code for f in check_plan(titrate(kb), kb)]
    assert not [code for code in codes if code.startswith((*FORBIDDEN, "dispensing."))]


# ---------------------------------------------------------------- kidney function


@pytest.mark.parametrize(
    ("clearance", "multiplier", "code"),
    [(60, Fraction(2, 3), "renal.reduce.mild"), (40, Fraction(1, 2), "renal.reduce.moderate")],
)
def test_reduced_kidney_function_scales_every_step_down(
    kb: KnowledgeBase, clearance: int, multiplier: Fraction, code: str
) -> None:
    """CrCl 60 scales the ladder by 2/3 and CrCl 40 by 1/2 (Vlavonou 2014); no step is above the scaled label step."""
    patient = crcl(clearance)
    assessment = assess(kb.drug("baclofen"), patient, kb.version)
    assert assessment.multiplier == multiplier
    assert assessment.ceiling == mg(LABEL_MAX * multiplier)
    plan = titrate(kb, patient)
    label_dailies = [dose * 3 for dose, _ in LABEL_LADDER]
    day = 0
    for step in plan.steps:
        # the label step in force on the first day of this plan step
        label_index = min(day // 3, len(label_dailies) - 1)
        assert step.daily.amount <= label_dailies[label_index] * multiplier
        day += step.days
    assert max(dailies(plan)) <= LABEL_MAX * multiplier
    assert code in [f.code for f in check_plan(plan, kb, patient)]


@pytest.mark.parametrize(("clearance", "band"), [(80, "mild"), (50, "moderate"), (30, "severe")])
def test_a_clearance_on_a_band_edge_falls_in_the_worse_band(
    kb: KnowledgeBase, clearance: int, band: str
) -> None:
    """CrCl exactly 80, 50 or 30 mL/min gets the stricter band (the knowledge base's boundary rule)."""
    assessment = assess(kb.drug("baclofen"), crcl(clearance), kb.version)
    assert assessment.band is not None
    assert assessment.band.id == band


def test_a_clearance_just_above_80_needs_no_adjustment(kb: KnowledgeBase) -> None:
    """CrCl 80.5 mL/min is normal: multiplier 1, label ceiling."""
    assessment = assess(kb.drug("baclofen"), crcl("80.5"), kb.version)
    assert assessment.multiplier == 1
    assert assessment.ceiling == mg(LABEL_MAX)


@pytest.mark.parametrize("clearance", [29, 10, 30])
def test_severe_kidney_impairment_is_refused_without_an_override(kb: KnowledgeBase, clearance: int) -> None:
    """CrCl at or below 30 mL/min: avoid (Wolf 2018); refused with a hint naming the renal_avoid override."""
    with pytest.raises(PlanRefused) as caught:
        titrate(kb, crcl(clearance))
    assert caught.value.hint is not None
    assert "renal_avoid" in caught.value.hint


def test_severe_kidney_impairment_with_an_override_is_planned_at_a_third(kb: KnowledgeBase) -> None:
    """With a recorded renal_avoid override, CrCl 20 is planned with every step at most a third of the label."""
    plan = titrate(kb, crcl(20), overrides=(RENAL_AVOID,))
    assert max(dailies(plan)) <= LABEL_MAX / 3
    assert all(daily <= 20 for daily in dailies(plan))  # a third of 60 mg, the label ladder's top
    assert any("OVERRIDDEN" in note for note in plan.notes)
    assert "override.renal_avoid" in [f.code for f in check_plan(plan, kb, crcl(20))]


def test_dialysis_is_refused_without_an_override(kb: KnowledgeBase) -> None:
    """Dialysis: avoid (Wolf 2018) unless a clinician overrides."""
    with pytest.raises(PlanRefused):
        titrate(kb, Patient(dialysis=True))


def test_dialysis_with_an_override_never_exceeds_five_mg_a_day(kb: KnowledgeBase) -> None:
    """Under an override, dialysis plans stay at about 5 mg a day at most (pms-Baclofen)."""
    plan = titrate(kb, Patient(dialysis=True), overrides=(RENAL_AVOID,))
    assert max(dailies(plan)) <= 5


def test_an_egfr_below_30_is_refused_like_a_low_crcl(kb: KnowledgeBase) -> None:
    """eGFR 25 without a CrCl is avoided too (Wolf 2018)."""
    with pytest.raises(PlanRefused):
        titrate(kb, Patient(egfr=Fraction(25)))


def test_a_target_above_the_kidney_ceiling_is_refused_without_an_override(kb: KnowledgeBase) -> None:
    """With CrCl 40 (ceiling 40 mg a day), a 60 mg target is refused, naming above_renal_ceiling."""
    with pytest.raises(PlanRefused) as caught:
        titrate(kb, crcl(40), target_daily=mg(60))
    assert caught.value.hint is not None
    assert "above_renal_ceiling" in caught.value.hint


# ---------------------------------------------------------------- age


def test_an_older_adult_with_low_egfr_is_refused_under_beers(kb: KnowledgeBase) -> None:
    """Age 70 with eGFR 55: AGS Beers 2023 says avoid; refused without beers_avoid."""
    with pytest.raises(PlanRefused) as caught:
        titrate(kb, Patient(age_years=70, egfr=Fraction(55)))
    assert caught.value.hint is not None
    assert "beers_avoid" in caught.value.hint


def test_beers_applies_from_65_and_below_an_egfr_of_60(kb: KnowledgeBase) -> None:
    """Age 64 with eGFR 55, or age 65 with eGFR exactly 60, is not a Beers refusal."""
    for patient in (Patient(age_years=64, egfr=Fraction(55)), Patient(age_years=65, egfr=Fraction(60))):
        plan = titrate(kb, patient)
        assert "age.beers_avoid" not in {f.code for f in check_plan(plan, kb, patient)}


def test_an_older_adult_with_low_egfr_is_planned_with_an_override_and_a_reduced_ceiling(
    kb: KnowledgeBase,
) -> None:
    """With beers_avoid recorded, age 70 and eGFR 55 is planned, scaled by 2/3 (eGFR used as the CrCl proxy)."""
    patient = Patient(age_years=70, egfr=Fraction(55))
    plan = titrate(kb, patient, overrides=(BEERS_AVOID,))
    assert max(dailies(plan)) <= LABEL_MAX * Fraction(2, 3)
    codes = [f.code for f in check_plan(plan, kb, patient)]
    assert "age.beers_avoid" in codes
    assert "override.beers_avoid" in codes


def test_a_child_below_12_is_refused(kb: KnowledgeBase) -> None:
    """Safety and effectiveness below 12 years are not established in US labels: refused."""
    with pytest.raises(PlanRefused) as caught:
        titrate(kb, Patient(age_years=11))
    assert caught.value.hint is not None
    assert "below_label_age" in caught.value.hint


def test_a_twelve_year_old_is_planned(kb: KnowledgeBase) -> None:
    """Age 12 is within the label."""
    assert titrate(kb, Patient(age_years=12)).steps


# ---------------------------------------------------------------- limits and custom schedules


def test_a_target_above_80_mg_a_day_is_refused(kb: KnowledgeBase) -> None:
    """90 mg a day is above the labelled maximum: refused, naming the above_label_max override."""
    with pytest.raises(PlanRefused) as caught:
        titrate(kb, target_daily=mg(90))
    assert caught.value.hint is not None
    assert "above_label_max" in caught.value.hint


def test_a_target_above_80_with_an_override_is_planned_and_flagged_loudly(kb: KnowledgeBase) -> None:
    """With above_label_max recorded, 90 mg a day is planned, within the 20 mg single-dose limit, and the check says so."""
    plan = titrate(
        kb, target_daily=mg(90), overrides=(Override("above_label_max", "specialist AUD protocol"),)
    )
    assert all(step.dose.amount <= 20 for step in plan.steps)
    assert "override.above_label_max" in [f.code for f in check_plan(plan, kb)]


def test_a_target_of_exactly_80_is_allowed_and_reached_at_four_doses_a_day(kb: KnowledgeBase) -> None:
    """80 mg a day is the label maximum: reached as 20 mg four times a day, never above."""
    plan = titrate(kb, target_daily=mg(80))
    assert dailies(plan)[-1] == 80
    assert plan.steps[-1].dose == mg(20)
    assert plan.steps[-1].times_per_day == 4


def test_a_lower_target_stops_the_ladder_there(kb: KnowledgeBase) -> None:
    """A 30 mg target ends at 10 mg three times a day."""
    plan = titrate(kb, target_daily=mg(30))
    assert dailies(plan) == [15, 30]


def test_a_custom_start_step_interval_and_target_are_followed(kb: KnowledgeBase) -> None:
    """Start 10 mg, +5 mg a dose every 7 days, to 45 mg a day: 10 mg then 15 mg three times a day, 7 days each."""
    plan = titrate(kb, start_dose=mg(10), increment=mg(5), interval_days=7, target_daily=mg(45))
    assert [(step.dose.amount, step.times_per_day, step.days) for step in plan.steps] == [
        (10, 3, 7),
        (15, 3, 7),
    ]


def test_a_start_dose_above_the_single_dose_limit_is_refused(kb: KnowledgeBase) -> None:
    """A 25 mg start dose is above the 20 mg single-dose limit."""
    with pytest.raises(PlanRefused):
        titrate(kb, start_dose=mg(25))


def test_five_doses_a_day_is_outside_the_label(kb: KnowledgeBase) -> None:
    """The label goes up to four doses a day."""
    with pytest.raises(PlanRefused):
        titrate(kb, times_per_day=5)


def test_a_mcg_start_dose_for_oral_baclofen_is_refused(kb: KnowledgeBase) -> None:
    """Oral baclofen is dosed in mg; a start dose in mcg is refused with a hint to write mg."""
    with pytest.raises(InvalidInput) as caught:
        titrate(kb, start_dose=Quantity(Fraction(5000), Unit.MCG))
    assert caught.value.hint is not None
    assert "mg" in caught.value.hint


def test_a_refusal_at_a_third_of_a_dose_reads_clearly(kb: KnowledgeBase) -> None:
    """Dialysis (x1/3) from 2.5 mg once a day of the 5 mg/mL suspension leaves 5/6 mg, which its 0.5 mL steps
    cannot measure: a refusal, not a format error."""
    with pytest.raises(UnmakeableDose) as caught:
        titrate(
            kb,
            Patient(dialysis=True),
            start_dose=mg("2.5"),
            times_per_day=1,
            products=("baclofen-oral-suspension-25mg-5ml",),
            overrides=(RENAL_AVOID,),
        )
    assert "0.8 mg a day" in caught.value.message


def test_an_unknown_override_code_is_refused(kb: KnowledgeBase) -> None:
    """A typo in an override code is refused, never silently ignored."""
    with pytest.raises(InvalidInput):
        titrate(kb, crcl(20), overrides=(Override("renal_avoyd", "typo"),))


def test_an_override_needs_a_reason(kb: KnowledgeBase) -> None:
    """An override with a blank reason is refused."""
    with pytest.raises(InvalidInput):
        titrate(kb, crcl(20), overrides=(Override("renal_avoid", "  "),))


# ---------------------------------------------------------------- tapers


def test_the_default_taper_from_80_mg_lasts_at_least_two_weeks_and_stops(kb: KnowledgeBase) -> None:
    """From 20 mg four times a day: at least 14 days (PDR), then a stop."""
    plan = taper(kb, "20", 4)
    assert plan.kind == "taper"
    assert plan.then == "stop"
    assert sum(step.days for step in plan.steps) >= 14


def test_a_taper_never_cuts_more_than_half_the_daily_dose_at_once(kb: KnowledgeBase) -> None:
    """From 80 mg a day, the first step keeps at least 40 mg, and every later step at least half the one before."""
    plan = taper(kb, "20", 4)
    previous = Fraction(80)
    for daily in dailies(plan):
        assert daily < previous
        assert daily * 2 >= previous
        previous = daily


def test_a_taper_stops_only_from_15_mg_a_day_or_less(kb: KnowledgeBase) -> None:
    """The last step before the stop is at most 15 mg a day."""
    assert dailies(taper(kb, "20", 4))[-1] <= FINAL_STEP_MAX


@pytest.mark.parametrize(
    ("dose", "per_day"), [("20", 4), ("20", 3), ("25", 3), ("15", 4), ("20", 2), ("10", 3)]
)
def test_default_tapers_pass_their_own_check(kb: KnowledgeBase, dose: str, per_day: int) -> None:
    """A taper the planner makes raises no abrupt-stop, too-fast or limit finding when checked."""
    assert forbidden_codes(taper(kb, dose, per_day), kb) == []


def test_a_percent_taper_cuts_by_the_percentage_where_a_dose_allows(kb: KnowledgeBase) -> None:
    """At 25% a step from 80 mg a day the first step is 60 mg a day; no later cut is more than half."""
    plan = taper(kb, "20", 4, percent=Fraction(25))
    assert dailies(plan)[0] == 60
    previous = Fraction(80)
    for daily in dailies(plan):
        assert previous / 2 <= daily < previous
        previous = daily
    assert plan.then == "stop"


def test_a_taper_over_four_weeks_lasts_exactly_four_weeks(kb: KnowledgeBase) -> None:
    """--weeks 4 spreads the steps over 28 days."""
    assert sum(step.days for step in taper(kb, "20", 4, weeks=4).steps) == 28


def test_a_taper_to_a_lower_dose_ends_there_and_continues(kb: KnowledgeBase) -> None:
    """Tapering 80 mg a day to 30 mg a day ends at 30 mg a day and goes on (no stop)."""
    plan = taper(kb, "20", 4, target_daily=mg(30))
    assert plan.then == "continue"
    assert dailies(plan)[-1] == 30
    assert min(dailies(plan)) >= 30


def test_a_taper_from_the_final_step_is_a_short_taper_not_a_refusal(kb: KnowledgeBase) -> None:
    """5 mg three times a day (15 mg) steps down once (10 mg a day, for at least the two-week minimum), then stops."""
    plan = taper(kb, "5", 3)
    assert plan.then == "stop"
    assert dailies(plan) == [Fraction(10)]
    assert plan.steps[0].days >= 14
    assert forbidden_codes(plan, kb) == []


def test_a_dose_at_the_final_step_that_no_product_can_lower_has_nothing_to_taper(kb: KnowledgeBase) -> None:
    """5 mg once a day from whole 5 mg tablets cannot be lowered: the planner says so instead of inventing a step."""
    with pytest.raises(PlanRefused, match="nothing to taper"):
        taper(kb, "5", 1, products=("baclofen-tab-5mg",))


def test_a_taper_target_at_or_above_the_current_dose_is_refused(kb: KnowledgeBase) -> None:
    """A "taper" to 60 mg a day from 60 mg a day is not a taper."""
    with pytest.raises(InvalidInput):
        taper(kb, "20", 3, target_daily=mg(60))


def test_a_rapid_withdrawal_is_shorter_only_with_an_override(kb: KnowledgeBase) -> None:
    """With rapid_withdrawal recorded and 1-day steps, the taper may be shorter than 14 days, and the check says so."""
    plan = taper(
        kb, "20", 3, step_days=1, overrides=(Override("rapid_withdrawal", "serious adverse reaction"),)
    )
    assert sum(step.days for step in plan.steps) < 14
    codes = [f.code for f in check_plan(plan, kb)]
    assert "override.rapid_withdrawal" in codes
    assert "taper.too_fast" in codes  # still reported, marked as overridden


# ---------------------------------------------------------------- properties


PRODUCTS = [
    "baclofen-tab-5mg",
    "baclofen-tab-10mg",
    "baclofen-tab-15mg",
    "baclofen-tab-20mg",
    "baclofen-oral-solution-5mg-5ml",
    "baclofen-oral-solution-10mg-5ml",
    "baclofen-oral-suspension-25mg-5ml",
]
TABLETS = ["baclofen-tab-10mg", "baclofen-tab-15mg", "baclofen-tab-20mg"]

patients = st.builds(
    Patient,
    age_years=st.none() | st.integers(12, 95),
    crcl_ml_min=st.none() | st.integers(5, 150).map(Fraction),
    egfr=st.none() | st.integers(5, 150).map(Fraction),
    dialysis=st.booleans(),
)
titration_options = st.fixed_dictionaries(
    {},
    optional={
        # A clinician's own schedule, no faster than the label (faster ones are judged by the checker).
        "start_dose": st.integers(1, 8).map(lambda halves: mg(Fraction(5 * halves, 2))),
        "increment": st.sampled_from([mg("2.5"), mg(5)]),
        "interval_days": st.integers(3, 7),
        "target_daily": st.integers(1, 16).map(lambda k: mg(5 * k)),
        "times_per_day": st.integers(1, 4),
        "products": st.sets(st.sampled_from(PRODUCTS), min_size=1, max_size=3).map(
            lambda s: tuple(sorted(s))
        ),
        "confirmed_scored": st.sets(st.sampled_from(TABLETS), max_size=2).map(lambda s: tuple(sorted(s))),
    },
)


def _titrate_or_refuse(kb: KnowledgeBase, patient: Patient, options: dict[str, object]) -> Plan | None:
    try:
        return titrate(kb, patient, overrides=(RENAL_AVOID, BEERS_AVOID), **options)
    except (
        PlanRefused,
        UnmakeableDose,
        InvalidInput,
    ):  # a clear refusal is an allowed outcome; a wrong plan is not
        return None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patient=patients, options=titration_options)
def test_a_titration_never_exceeds_its_cap(patient: Patient, options: dict[str, object]) -> None:
    """No step is above the label maximum, the kidney-adjusted ceiling, the target, 20 mg a dose or 4 doses a day."""
    plan = _titrate_or_refuse(KB, patient, options)
    if plan is None:
        return
    cap = min(LABEL_MAX, assess(KB.drug("baclofen"), patient, KB.version).ceiling.amount)
    target = options.get("target_daily")
    for step in plan.steps:
        assert step.daily.amount <= cap
        if isinstance(target, Quantity):
            assert step.daily <= target
        assert step.dose.amount <= 20
        assert step.times_per_day <= 4


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patient=patients, options=titration_options)
def test_every_titration_step_is_makeable_from_the_plans_products(
    patient: Patient, options: dict[str, object]
) -> None:
    """Every step's dose can be made from the products the plan names, and the check agrees."""
    plan = _titrate_or_refuse(KB, patient, options)
    if plan is None:
        return
    rules: DrugRules = KB.drug("baclofen")
    confirmed = options.get("confirmed_scored", ())
    assert all(can_make(step.dose, rules, plan.products, confirmed) for step in plan.steps)  # type: ignore[arg-type]
    assert "dispensing.unmakeable" not in [f.code for f in check_plan(plan, KB, patient)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patient=patients, options=titration_options)
def test_every_generated_titration_passes_its_own_check(patient: Patient, options: dict[str, object]) -> None:
    """No generated titration draws an abrupt-stop, too-fast or limit finding from check_plan."""
    plan = _titrate_or_refuse(KB, patient, options)
    if plan is None:
        return
    assert forbidden_codes(plan, KB, patient) == []


taper_options = st.fixed_dictionaries(
    {
        "dose": st.integers(2, 40).map(lambda halves: Fraction(halves, 2)),
        "per_day": st.integers(1, 4),
    },
    optional={
        "percent": st.integers(5, 50).map(Fraction),
        "step_days": st.integers(3, 7),
        "weeks": st.integers(1, 8),
        "target": st.sampled_from([5, 10, 15, 20, 30, 40]),
        "products": st.sets(st.sampled_from(PRODUCTS), min_size=1, max_size=3).map(
            lambda s: tuple(sorted(s))
        ),
    },
)


def _taper_or_refuse(kb: KnowledgeBase, options: dict[str, object]) -> Plan | None:
    extra = {key: options[key] for key in ("percent", "step_days", "weeks", "products") if key in options}
    if "weeks" in extra:
        extra.pop("step_days", None)
    if "target" in options:
        extra["target_daily"] = mg(options["target"])  # type: ignore[arg-type]
    dose = options["dose"]
    assert isinstance(dose, Fraction)
    try:
        return taper(kb, str(dose.numerator / dose.denominator), options["per_day"], **extra)  # type: ignore[arg-type]
    except (PlanRefused, UnmakeableDose, InvalidInput):
        return None


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=taper_options)
def test_a_taper_never_rises_and_never_ends_with_a_big_drop(options: dict[str, object]) -> None:
    """Each daily dose is below the one before (starting from the current one), no cut exceeds half, and a stop
    comes only from 15 mg a day or less."""
    plan = _taper_or_refuse(KB, options)
    if plan is None:
        return
    previous = Fraction(str(options["dose"])) * options["per_day"]  # type: ignore[operator]
    for daily in dailies(plan):
        assert daily < previous
        assert daily * 2 >= previous
        previous = daily
    if plan.then == "stop":
        assert dailies(plan)[-1] <= FINAL_STEP_MAX
    rules = KB.drug("baclofen")
    assert all(can_make(step.dose, rules, plan.products) for step in plan.steps)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=taper_options)
def test_every_generated_taper_passes_its_own_check(options: dict[str, object]) -> None:
    """No generated taper draws an abrupt-stop, too-fast or limit finding from check_plan."""
    plan = _taper_or_refuse(KB, options)
    if plan is None:
        return
    assert forbidden_codes(plan, KB) == []


def test_a_start_dose_the_products_cannot_make_is_refused_not_replaced(kb: KnowledgeBase) -> None:
    """5 mg four times a day from 20 mg tablets is refused with alternatives, never turned into 20 mg once a day."""
    with pytest.raises(UnmakeableDose) as caught:
        titrate(kb, None, start_dose=mg(5), times_per_day=4, products=("baclofen-tab-20mg",))
    assert "baclofen 5 mg tablet" in caught.value.alternatives


def test_a_faster_pace_than_the_label_needs_a_recorded_override(kb: KnowledgeBase) -> None:
    """Increases every day, or by 10 mg a dose, are refused unless a clinician records faster_escalation."""
    with pytest.raises(PlanRefused, match="faster than the label"):
        titrate(kb, None, interval_days=1)
    with pytest.raises(PlanRefused, match="faster than the label"):
        titrate(kb, None, increment=mg(10))
    plan = titrate(
        kb, None, interval_days=1, overrides=(Override("faster_escalation", "inpatient, monitored"),)
    )
    codes = {f.code for f in check_plan(plan, kb, None)}
    assert {"titration.too_fast_interval", "override.faster_escalation"} <= codes


def test_a_cut_larger_than_asked_is_held_longer_so_the_taper_rate_is_kept(kb: KnowledgeBase) -> None:
    """Tizanidine 8 mg x3 falls 6 mg a day per step at three doses a day, so each such step lasts 3 days."""
    plan = plan_taper(
        kb.drug("tizanidine"),
        TaperOptions(start=date(2026, 11, 23), current_dose=mg(8), current_times_per_day=3),
        None,
        kb.version,
    )
    before = mg(24)
    for step in plan.steps:
        cut = before - step.daily
        # the knowledge base asks for at most 2 mg a day less per day
        assert cut.amount <= 2 * step.days
        before = step.daily
