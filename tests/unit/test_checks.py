"""The plan checker on hand-written plans: each finding code fires on the plan that deserves it, and every
finding carries a severity from the one scale, a source and the knowledge-base version."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from dosewise.domain.checks import check_plan
from dosewise.domain.findings import Finding, highest
from dosewise.domain.patient import Medication, Patient
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase, Severity
from dosewise.services.documents import plan_from_document


def step(dose: str, days: int = 3, per_day: int = 3, start: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"dose": dose, "days": days, "times_per_day": per_day}
    if start is not None:
        entry["start"] = start
    return entry


def plan(kb: KnowledgeBase, *steps: dict[str, Any], **fields: Any) -> Plan:
    steps_list = [dict(s) for s in steps]
    steps_list[0].setdefault("start", "2026-11-23")
    return plan_from_document({"drug": "baclofen", "steps": steps_list, **fields}, kb)


def findings(kb: KnowledgeBase, the_plan: Plan, patient: Patient | None = None) -> dict[str, Finding]:
    return {f.code: f for f in check_plan(the_plan, kb, patient)}


def on_meds(*names: str) -> Patient:
    return Patient(crcl_ml_min=Fraction(100), medications=tuple(Medication(name) for name in names))


# ---------------------------------------------------------------- a clean plan


def test_a_usual_maintenance_plan_has_no_major_finding(kb: KnowledgeBase) -> None:
    """10 mg three times a day, continuing, for a patient with normal kidneys: nothing major."""
    found = check_plan(
        plan(kb, step("10 mg", days=30), kind="maintenance"), kb, Patient(crcl_ml_min=Fraction(100))
    )
    assert highest(found) in (None, Severity.INFO, Severity.MINOR)


# ---------------------------------------------------------------- limits


def test_a_daily_dose_above_80_mg_is_flagged_above_the_label_maximum(kb: KnowledgeBase) -> None:
    """20 mg five times a day is 100 mg a day: major limit.above_label_max (and more doses than the label)."""
    found = findings(kb, plan(kb, step("20 mg", per_day=5)))
    assert found["limit.above_label_max"].severity is Severity.MAJOR
    assert "limit.max_times_per_day" in found


def test_exactly_80_mg_a_day_is_within_the_label(kb: KnowledgeBase) -> None:
    """20 mg four times a day is the label maximum, not above it."""
    assert not [
        code for code in findings(kb, plan(kb, step("20 mg", per_day=4))) if code.startswith("limit.")
    ]


def test_a_single_dose_above_20_mg_is_flagged(kb: KnowledgeBase) -> None:
    """25 mg three times a day (75 mg a day) breaks only the single-dose limit."""
    found = findings(kb, plan(kb, step("25 mg")))
    assert found["limit.max_single_dose"].severity is Severity.MAJOR
    assert "limit.above_label_max" not in found


def test_a_dose_above_the_kidney_ceiling_is_flagged(kb: KnowledgeBase) -> None:
    """With CrCl 40 the ceiling is 40 mg a day: 20 mg three times a day (60 mg) is above it."""
    found = findings(kb, plan(kb, step("20 mg")), Patient(crcl_ml_min=Fraction(40)))
    assert found["limit.above_renal_ceiling"].severity is Severity.MAJOR
    assert "limit.above_label_max" not in found


def test_a_dose_within_the_kidney_ceiling_is_not_flagged(kb: KnowledgeBase) -> None:
    """With CrCl 40, 10 mg three times a day (30 mg) is within the 40 mg ceiling."""
    assert "limit.above_renal_ceiling" not in findings(
        kb, plan(kb, step("10 mg")), Patient(crcl_ml_min=Fraction(40))
    )


# ---------------------------------------------------------------- escalation


def test_a_rise_larger_than_the_label_step_is_too_fast(kb: KnowledgeBase) -> None:
    """5 mg to 15 mg three times a day rises 30 mg a day at once; the label allows 15."""
    found = findings(kb, plan(kb, step("5 mg"), step("15 mg"), kind="titration"))
    assert found["titration.too_fast_increment"].severity is Severity.MAJOR
    assert found["titration.too_fast_increment"].step_index == 1


def test_a_rise_after_fewer_than_three_days_is_too_fast(kb: KnowledgeBase) -> None:
    """Raising after 1 day breaks the label's 3-day interval."""
    found = findings(kb, plan(kb, step("5 mg", days=1), step("10 mg"), kind="titration"))
    assert found["titration.too_fast_interval"].severity is Severity.MAJOR


def test_the_label_ladder_written_by_hand_is_not_too_fast(kb: KnowledgeBase) -> None:
    """5, 10, 15, 20 mg three times a day for 3 days each raises no escalation finding."""
    ladder = plan(kb, step("5 mg"), step("10 mg"), step("15 mg"), step("20 mg"), kind="titration")
    assert not [code for code in findings(kb, ladder) if code.startswith("titration.")]


@pytest.mark.parametrize(
    ("doses", "expected"),
    [
        (("20 mg", "25 mg"), Severity.MAJOR),  # 60 mg a day, rising: four times the label start
        (("10 mg", "15 mg"), Severity.MODERATE),
        (("5 mg", "10 mg"), None),  # the label start
        (("20 mg",), None),  # one steady step: a maintenance dose, not a start
        (("20 mg", "15 mg"), None),  # falling: a taper shape
    ],
)
def test_a_hand_written_plan_that_rises_has_its_start_judged_like_a_titration(
    kb: KnowledgeBase, doses: tuple[str, ...], expected: Severity | None
) -> None:
    """A custom plan that goes up from a high first step, with no current regimen recorded, gets the
    titration's high-start finding; steady and falling custom plans do not."""
    found = findings(kb, plan(kb, *(step(d) for d in doses), kind="custom"))
    severity = found["titration.high_start"].severity if "titration.high_start" in found else None
    assert severity is expected


def test_a_titration_starting_above_the_label_start_is_flagged(kb: KnowledgeBase) -> None:
    """Starting at 10 mg three times a day (30 mg) is above the label's 15 mg a day start."""
    found = findings(kb, plan(kb, step("10 mg"), step("15 mg"), kind="titration"))
    assert found["titration.high_start"].severity is Severity.MODERATE


# ---------------------------------------------------------------- tapers and stops


def test_a_cut_of_more_than_half_the_daily_dose_is_flagged(kb: KnowledgeBase) -> None:
    """20 mg to 5 mg three times a day cuts 75% at once; at most half is allowed."""
    found = findings(kb, plan(kb, step("20 mg"), step("5 mg", days=14), then="stop", kind="taper"))
    assert found["taper.step_too_large"].severity is Severity.MAJOR


def test_a_taper_that_stops_within_two_weeks_is_too_fast(kb: KnowledgeBase) -> None:
    """15, 10, 5 mg three times a day for 3, 2, 2 days then stop: 4 days after the first fall, under 14."""
    the_plan = plan(kb, step("15 mg"), step("10 mg", days=2), step("5 mg", days=2), then="stop", kind="taper")
    found = findings(kb, the_plan)
    assert found["taper.too_fast"].severity is Severity.MAJOR
    assert found["taper.step_too_short"].severity is Severity.MODERATE


def test_stopping_from_60_mg_a_day_is_an_abrupt_stop(kb: KnowledgeBase) -> None:
    """20 mg three times a day then stop: major stop.abrupt, with the label's withdrawal warning."""
    found = findings(kb, plan(kb, step("20 mg"), then="stop"))
    abrupt = found["stop.abrupt"]
    assert abrupt.severity is Severity.MAJOR
    assert "hallucinations" in abrupt.message.lower()
    assert "do not stop it on your own" in abrupt.patient_message.lower()


def test_a_zero_dose_step_from_60_mg_is_an_abrupt_stop(kb: KnowledgeBase) -> None:
    """A written "0 mg" step straight after 60 mg a day is an abrupt stop too."""
    found = findings(kb, plan(kb, step("20 mg"), step("0 mg", per_day=0)))
    assert found["stop.abrupt"].step_index == 1


def test_stopping_from_15_mg_a_day_is_not_abrupt(kb: KnowledgeBase) -> None:
    """5 mg three times a day (15 mg) is the final step: stopping from it is allowed."""
    assert "stop.abrupt" not in findings(kb, plan(kb, step("5 mg", days=14), then="stop"))


def test_a_pause_then_restart_is_an_interruption(kb: KnowledgeBase) -> None:
    """Doses stop for a step and restart later: major schedule.interruption."""
    the_plan = plan(kb, step("5 mg"), step("0 mg", per_day=0), step("5 mg"))
    assert findings(kb, the_plan)["schedule.interruption"].severity is Severity.MAJOR


def test_days_without_doses_between_steps_are_a_gap(kb: KnowledgeBase) -> None:
    """Step 2 starting two days after step 1 ends leaves two days without doses: major schedule.gap."""
    the_plan = plan(kb, step("10 mg", start="2026-11-23"), step("10 mg", start="2026-11-28"))
    gap = findings(kb, the_plan)["schedule.gap"]
    assert gap.severity is Severity.MAJOR
    assert gap.message.startswith("2 day(s)")


def test_steps_that_overlap_are_flagged(kb: KnowledgeBase) -> None:
    """Step 2 starting before step 1 ends would count doses twice: major schedule.overlap."""
    the_plan = plan(kb, step("10 mg", start="2026-11-23"), step("10 mg", start="2026-11-24"))
    assert findings(kb, the_plan)["schedule.overlap"].severity is Severity.MAJOR


# ---------------------------------------------------------------- dispensing


def test_a_dose_no_chosen_product_makes_is_flagged_with_alternatives(kb: KnowledgeBase) -> None:
    """7.5 mg from whole 5, 10 and 20 mg tablets is unmakeable; the finding names the 5 mg/5 mL solution."""
    unmakeable = findings(kb, plan(kb, step("7.5 mg")))["dispensing.unmakeable"]
    assert unmakeable.severity is Severity.MAJOR
    assert "oral solution 5 mg/5 mL" in unmakeable.message


def test_halves_of_a_confirmed_scored_tablet_are_makeable(kb: KnowledgeBase) -> None:
    """5 mg from 10 mg tablets is makeable once the plan records the tablet as confirmed scored."""
    fields = {"products": ["baclofen-tab-10mg"]}
    assert "dispensing.unmakeable" in findings(kb, plan(kb, step("5 mg"), **fields))
    confirmed = plan(kb, step("5 mg"), confirmed_scored=["baclofen-tab-10mg"], **fields)
    assert "dispensing.unmakeable" not in findings(kb, confirmed)


# ---------------------------------------------------------------- interactions and screening


def test_an_opioid_on_the_medication_list_is_a_major_interaction(kb: KnowledgeBase) -> None:
    """Baclofen with oxycodone: major, breathing can slow (label warning; FDA 2016)."""
    found = findings(kb, plan(kb, step("10 mg")), on_meds("oxycodone"))
    interaction = found["interaction.baclofen-opioid"]
    assert interaction.severity is Severity.MAJOR
    assert "breath" in interaction.patient_message.lower()


def test_an_opioid_with_a_benzodiazepine_on_the_list_is_flagged_too(kb: KnowledgeBase) -> None:
    """Pairs that do not involve baclofen are still reported: oxycodone with Xanax is major."""
    found = findings(kb, plan(kb, step("10 mg")), on_meds("oxycodone", "Xanax"))
    assert found["interaction.opioid-benzodiazepine"].severity is Severity.MAJOR
    assert found["interaction.baclofen-benzodiazepine"].severity is Severity.MAJOR


def test_tizanidine_with_baclofen_is_duplicate_therapy(kb: KnowledgeBase) -> None:
    """Two centrally acting muscle relaxants: duplicate therapy (moderate) and the interaction rule."""
    found = findings(kb, plan(kb, step("10 mg")), on_meds("Zanaflex"))
    assert found["duplicate_therapy.muscle_relaxant_central"].severity is Severity.MODERATE
    assert "interaction.baclofen-other-muscle-relaxant" in found


def test_an_unknown_medicine_is_reported_as_not_screened(kb: KnowledgeBase) -> None:
    """A name the dictionary does not know is listed as not screened, never silently passed."""
    not_screened = findings(kb, plan(kb, step("10 mg")), on_meds("unobtanium"))["screening.not_screened"]
    assert "unobtanium" in not_screened.message
    assert "unobtanium" in not_screened.patient_message


def test_no_medication_list_means_no_interaction_findings(kb: KnowledgeBase) -> None:
    """Without a patient medication list nothing is claimed about interactions."""
    assert not [
        c for c in findings(kb, plan(kb, step("10 mg"))) if c.startswith(("interaction.", "screening."))
    ]


# ---------------------------------------------------------------- kidney and age


@pytest.mark.parametrize(
    ("patient", "code", "severity"),
    [
        (Patient(), "renal.unknown", Severity.INFO),
        (Patient(crcl_ml_min=Fraction(60)), "renal.reduce.mild", Severity.MODERATE),
        (Patient(crcl_ml_min=Fraction(40)), "renal.reduce.moderate", Severity.MODERATE),
        (Patient(crcl_ml_min=Fraction(20)), "renal.avoid.severe", Severity.MAJOR),
        (Patient(dialysis=True), "renal.dialysis", Severity.MAJOR),
        (Patient(age_years=70), "age.older_adult", Severity.MINOR),
        (Patient(age_years=70, egfr=Fraction(50)), "age.beers_avoid", Severity.MAJOR),
        (Patient(age_years=10), "age.below_label_age", Severity.MAJOR),
    ],
)
def test_kidney_and_age_findings_come_with_their_severity(
    kb: KnowledgeBase, patient: Patient, code: str, severity: Severity
) -> None:
    """Kidney bands, dialysis, older age, Beers and the minimum age each give their finding."""
    assert findings(kb, plan(kb, step("5 mg")), patient)[code].severity is severity


def test_starting_at_20_mg_a_day_with_low_egfr_warns_of_encephalopathy(kb: KnowledgeBase) -> None:
    """Age 70, eGFR 45, starting at 30 mg a day: major renal.encephalopathy_risk (Muanda 2019)."""
    found = findings(kb, plan(kb, step("10 mg")), Patient(age_years=70, egfr=Fraction(45)))
    assert found["renal.encephalopathy_risk"].severity is Severity.MAJOR


@pytest.mark.parametrize(
    ("fields", "warned"),
    [
        ({"kind": "titration"}, True),
        ({"kind": "custom"}, True),  # not known to be a continuation: warned (unknown is never reassuring)
        ({"kind": "taper"}, False),  # already on the dose: judged by the kidney ceiling, not as a start
        ({"kind": "titration", "prior": {"dose": {"value": "10", "unit": "mg"}, "times_per_day": 3}}, False),
    ],
)
def test_the_encephalopathy_warning_is_for_starts_not_for_tapers_or_continuations(
    kb: KnowledgeBase, fields: dict[str, Any], warned: bool
) -> None:
    """The risk (Muanda 2019) was measured in people starting baclofen at 20 mg a day or more."""
    the_plan = plan(kb, step("10 mg", days=14), step("5 mg", days=14), **fields)
    found = findings(kb, the_plan, Patient(age_years=70, egfr=Fraction(45)))
    assert ("renal.encephalopathy_risk" in found) is warned


def test_starting_below_20_mg_a_day_with_low_egfr_gives_no_encephalopathy_warning(kb: KnowledgeBase) -> None:
    """Starting at 15 mg a day stays under the 20 mg a day threshold."""
    found = findings(kb, plan(kb, step("5 mg")), Patient(age_years=70, egfr=Fraction(45)))
    assert "renal.encephalopathy_risk" not in found


# ---------------------------------------------------------------- overrides and provenance


def test_a_clinician_override_is_reported_loudly_and_the_limit_still_shows(kb: KnowledgeBase) -> None:
    """An above_label_max override adds a major "CLINICIAN OVERRIDE" finding; the limit finding says OVERRIDDEN."""
    the_plan = plan(
        kb,
        step("20 mg", per_day=5),
        overrides=[{"code": "above_label_max", "reason": "inpatient, monitored", "by": "Dr B"}],
    )
    found = findings(kb, the_plan)
    override = found["override.above_label_max"]
    assert override.severity is Severity.MAJOR
    assert "CLINICIAN OVERRIDE" in override.message
    assert "inpatient, monitored" in override.message
    assert "Dr B" in override.message
    assert "OVERRIDDEN by clinician" in found["limit.above_label_max"].message


def test_a_plan_from_another_knowledge_base_version_says_so(kb: KnowledgeBase) -> None:
    """A plan made with 2025.01.0 and checked against the current base gets knowledge.version_differs."""
    found = findings(kb, plan(kb, step("10 mg"), kb_version="2025.01.0"))
    assert found["knowledge.version_differs"].severity is Severity.INFO


def test_every_finding_has_a_scale_severity_a_source_and_the_kb_version(kb: KnowledgeBase) -> None:
    """Across a plan that trips many checks, each finding has a Severity, text, a cited source and the version."""
    the_plan = plan(
        kb,
        step("5 mg", days=1),
        step("25 mg", per_day=5, start="2026-11-26"),
        step("20 mg", start="2026-11-28"),
        then="stop",
        kind="titration",
        overrides=[{"code": "rapid_withdrawal", "reason": "adverse reaction"}],
    )
    patient = Patient(
        age_years=70, egfr=Fraction(25), medications=(Medication("oxycodone"), Medication("xyz"))
    )
    found = check_plan(the_plan, kb, patient)
    assert len(found) >= 8
    for item in found:
        assert isinstance(item.severity, Severity)
        assert item.code
        assert item.message
        assert item.patient_message
        assert item.source.strip()
        assert item.kb_version == kb.version
        assert item.source_ids
        assert all(source in kb.sources for source in item.source_ids)


def test_findings_are_sorted_most_severe_first(kb: KnowledgeBase) -> None:
    """The checker lists findings from the most to the least severe."""
    found = check_plan(plan(kb, step("20 mg"), then="stop"), kb, on_meds("Zanaflex", "unobtanium"))
    ranks = [f.severity.rank for f in found]
    assert ranks == sorted(ranks, reverse=True)


def _taper_document(prior_dose: str, first_dose: str, *, then: str = "stop") -> dict[str, object]:
    return {
        "format": "dosewise.plan/1",
        "drug": "baclofen",
        "kind": "taper",
        "then": then,
        "prior": {"dose": {"value": prior_dose, "unit": "mg"}, "times_per_day": 3},
        "steps": [
            {"start": "2026-11-23", "days": 7, "dose": f"{first_dose} mg", "times_per_day": 3},
            {"days": 7, "dose": "5 mg", "times_per_day": 3},
        ],
    }


def test_a_first_cut_of_more_than_half_from_the_prior_regimen_is_too_large(kb: KnowledgeBase) -> None:
    """20 mg three times a day before the plan, then 5 mg three times a day, is a 75% cut at once."""
    plan = plan_from_document(_taper_document("20", "5"), kb)
    codes = {f.code: f for f in check_plan(plan, kb, None)}
    assert "taper.step_too_large" in codes
    assert codes["taper.step_too_large"].step_index == 0


def test_a_taper_is_timed_from_its_first_day_when_the_prior_regimen_is_known(kb: KnowledgeBase) -> None:
    """45 -> 30 (7 days) -> 15 mg a day (7 days) -> stop is 14 days with the prior known, 7 days without it."""
    with_prior = plan_from_document(_taper_document("15", "10"), kb)
    assert "taper.too_fast" not in {f.code for f in check_plan(with_prior, kb, None)}
    document = _taper_document("15", "10")
    del document["prior"]
    without_prior = plan_from_document(document, kb)
    assert "taper.too_fast" in {f.code for f in check_plan(without_prior, kb, None)}


def test_a_plan_that_starts_at_zero_after_a_high_prior_dose_is_an_abrupt_stop(kb: KnowledgeBase) -> None:
    """A plan whose first step is no dose, after 20 mg three times a day, stops abruptly."""
    document = _taper_document("20", "0")
    document["steps"] = [{"start": "2026-11-23", "days": 7, "dose": "0 mg", "times_per_day": 3}]
    plan = plan_from_document(document, kb)
    assert "stop.abrupt" in {f.code for f in check_plan(plan, kb, None)}
