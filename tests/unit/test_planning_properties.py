"""Every generated plan passes its own check: random drugs (baclofen, tizanidine), targets, frequencies,
starting regimens, products, patients and medication lists, for titrations and tapers. A clear refusal is
an allowed outcome; a plan the checker calls major is not."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosewise.domain.assessment import assess, screen_co_medications
from dosewise.domain.checks import check_plan
from dosewise.domain.dispensing import can_make
from dosewise.domain.errors import InvalidInput, PlanRefused, UnmakeableDose
from dosewise.domain.patient import Medication, Patient
from dosewise.domain.planning import TaperOptions, TitrationOptions, plan_taper, plan_titration
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Override, Plan, PriorRegimen
from dosewise.domain.rules import Severity
from dosewise.knowledge import default_version, load_knowledge_base

KB = load_knowledge_base(default_version())
START = date(2026, 11, 23)
# The plan-shape findings a planner must never write at major or above (list and patient findings, such as
# an interaction or a kidney band, are reported whatever the plan looks like).
PLAN_SHAPE = ("limit.", "titration.", "taper.", "stop.", "schedule.", "dispensing.")
# "Avoid" decisions a clinician has recorded, so the planner is exercised on those patients too.
AVOID_OVERRIDES = (
    Override("renal_avoid", "nephrology agreed after review"),
    Override("beers_avoid", "geriatrician agreed after review"),
    Override("label_contraindication", "antibiotic stops tomorrow; monitored"),
)
PRODUCTS = {
    "baclofen": [p.id for p in KB.drug("baclofen").products],
    "tizanidine": [p.id for p in KB.drug("tizanidine").products],
}
SCORED_VARIES = {
    "baclofen": ["baclofen-tab-10mg", "baclofen-tab-15mg", "baclofen-tab-20mg"],
    "tizanidine": ["tizanidine-tab-2mg", "tizanidine-tab-4mg"],
}
CO_MEDICATIONS = [
    "the pill",
    "verapamil",
    "famotidine",
    "ciprofloxacin",
    "lisinopril",
    "unknownium",
    "diazepam",
]

patients = st.builds(
    Patient,
    age_years=st.none() | st.integers(18, 95),
    crcl_ml_min=st.none() | st.integers(5, 150).map(Fraction),
    egfr=st.none() | st.integers(5, 150).map(Fraction),
    dialysis=st.booleans(),
    medications=st.lists(st.sampled_from(CO_MEDICATIONS), max_size=2).map(
        lambda names: tuple(Medication(n) for n in names)
    ),
)


@st.composite
def products_for(draw: st.DrawFn, drug: str) -> dict[str, object]:
    chosen = draw(st.sets(st.sampled_from(PRODUCTS[drug]), min_size=1, max_size=3))
    confirmed = draw(st.sets(st.sampled_from(SCORED_VARIES[drug]), max_size=2))
    return {"products": tuple(sorted(chosen)), "confirmed_scored": tuple(sorted(confirmed))}


@st.composite
def titrations(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    drug = draw(st.sampled_from(["baclofen", "tizanidine"]))
    grain = Fraction(5, 2) if drug == "baclofen" else Fraction(1)
    options: dict[str, object] = {}
    if draw(st.booleans()):
        options.update(draw(products_for(drug)))
    per_day = draw(st.none() | st.integers(1, 4 if drug == "baclofen" else 3))
    if per_day is not None:
        options["times_per_day"] = per_day
    if draw(st.booleans()):
        options["target_daily"] = mg(grain * draw(st.integers(2, 36)))
    mode = draw(st.sampled_from(["label", "custom", "from"]))
    if mode == "custom":
        options["start_dose"] = mg(grain * draw(st.integers(1, 4)))
        if draw(st.booleans()):
            options["increment"] = mg(grain * draw(st.integers(1, 2)))
        if draw(st.booleans()):
            options["interval_days"] = draw(st.integers(3, 7))
    elif mode == "from":
        options["current"] = PriorRegimen(mg(grain * draw(st.integers(1, 8))), draw(st.integers(1, 3)))
    return drug, options


@st.composite
def tapers(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    drug = draw(st.sampled_from(["baclofen", "tizanidine"]))
    grain = Fraction(5, 2) if drug == "baclofen" else Fraction(1)
    per_day = draw(st.integers(1, 4 if drug == "baclofen" else 3))
    dose = grain * draw(st.integers(1, 8))
    options: dict[str, object] = {"current_dose": mg(dose), "current_times_per_day": per_day}
    if draw(st.booleans()):
        options.update(draw(products_for(drug)))
    if draw(st.booleans()):
        options["target_daily"] = mg(grain * draw(st.integers(1, 16)))
    step = draw(st.sampled_from(["default", "percent", "step_daily"]))
    if step == "percent":
        options["percent"] = Fraction(draw(st.integers(5, 50)))
    elif step == "step_daily":
        options["step_daily"] = mg(grain * draw(st.integers(1, 4)))
    timing = draw(st.sampled_from(["default", "weeks", "step_days"]))
    if timing == "weeks":
        options["weeks"] = draw(st.integers(1, 8))
    elif timing == "step_days":
        options["step_days"] = draw(st.integers(1, 7))
    return drug, options


REFUSALS = (PlanRefused, UnmakeableDose, InvalidInput)
TALLY = {"titration": [0, 0], "taper": [0, 0]}  # examples run, plans made


def _major_plan_findings(plan: Plan, patient: Patient | None) -> list[str]:
    return [
        f"{f.code}@{f.step_index}: {f.message}"
        for f in check_plan(plan, KB, patient)
        if f.severity.rank >= Severity.MAJOR.rank and f.code.startswith(PLAN_SHAPE)
    ]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=titrations(), patient=patients)
def test_every_generated_titration_of_either_drug_passes_its_own_check(
    case: tuple[str, dict[str, object]], patient: Patient
) -> None:
    """No titration (label, clinician's or continued from a regimen) draws a major plan-shape finding."""
    drug, options = case
    rules = KB.drug(drug)
    TALLY["titration"][0] += 1
    try:
        plan = plan_titration(
            rules,
            TitrationOptions(start=START, overrides=AVOID_OVERRIDES, **options),  # type: ignore[arg-type]
            patient,
            KB.version,
            screen_co_medications(drug, patient, KB),
        )
    except REFUSALS:
        return
    TALLY["titration"][1] += 1
    assert _major_plan_findings(plan, patient) == []
    assert all(can_make(s.dose, rules, plan.products, plan.confirmed_scored) for s in plan.steps)
    # What the clinician wrote is what the plan says, unless the planner's own kidney scaling applies.
    start_dose = options.get("start_dose")
    if start_dose is not None and assess(rules, patient, KB.version).multiplier == 1:
        assert plan.steps[0].dose == start_dose
    target = options.get("target_daily")
    if target is not None:
        assert plan.steps[-1].daily == target or any("stops at" in note for note in plan.notes)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=tapers(), patient=patients)
def test_every_generated_taper_of_either_drug_passes_its_own_check(
    case: tuple[str, dict[str, object]], patient: Patient
) -> None:
    """No taper draws a major plan-shape finding; it never rises; a target it plans is the dose it ends at."""
    drug, options = case
    rules = KB.drug(drug)
    TALLY["taper"][0] += 1
    try:
        plan = plan_taper(
            rules,
            TaperOptions(start=START, **options),  # type: ignore[arg-type]
            patient,
            KB.version,
            screen_co_medications(drug, patient, KB),
        )
    except REFUSALS:
        return
    TALLY["taper"][1] += 1
    assert _major_plan_findings(plan, patient) == []
    before = plan.prior.daily if plan.prior else None
    for step in plan.steps:
        assert before is None or step.daily < before
        before = step.daily
    target = options.get("target_daily")
    if target is not None:
        assert plan.then == "continue"
        assert plan.steps[-1].daily == target
