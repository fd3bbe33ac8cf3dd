"""Symptom triage: lexicon matching, every rule, unknown symptoms never expected, and context from the service."""

from __future__ import annotations

import re
from datetime import datetime
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.errors import InvalidInput
from dosewise.domain.patient import Medication, Patient
from dosewise.domain.triage import LEVELS, TriageContext, TriageResult, recognise, triage
from dosewise.formats.plan_document import plan_from_document
from dosewise.knowledge import default_version, load_knowledge_base
from dosewise.services.advice import triage_context, triage_symptoms

KB = load_knowledge_base(default_version())
PARIS = ZoneInfo("Europe/Paris")
REASONS = {
    "withdrawal",
    "overdose",
    "encephalopathy",
    "breathing_depression",
    "low_blood_pressure",
    "side_effect",
    "low_oxygen",
    "chest_pain",
    "allergic_reaction",
    "self_harm",
    "neurological",
}


def run(*symptoms: str, flags: tuple[str, ...] = ()) -> TriageResult:
    return triage(list(symptoms), TriageContext(frozenset(flags)), KB)


def rule_ids(result: TriageResult) -> list[str]:
    return [m.rule.id for m in result.rules]


def plan(
    steps: list[dict[str, Any]], then: str = "continue", kind: str = "custom", drug: str = "baclofen"
) -> Any:
    document = {
        "format": "dosewise.plan/1",
        "drug": drug,
        "kind": kind,
        "kb_version": default_version(),
        "timezone": "Europe/Paris",
        "then": then,
        "steps": steps,
    }
    return plan_from_document(document, KB)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


TID = {"times": ["08:00", "14:00", "20:00"]}

# ------------------------------------------------------------------ the lexicon


def test_plain_words_are_matched_to_symptoms() -> None:
    """'seeing things' is read as hallucinations and 'slow breathing' as slow_breathing."""
    assert recognise("seeing things", KB.symptoms).symptoms == ("hallucinations",)
    assert recognise("slow breathing", KB.symptoms).symptoms == ("slow_breathing",)


def test_clinical_terms_are_matched_to_symptoms() -> None:
    """'somnolence' and 'respiratory depression' are recognised as the same symptoms as plain words."""
    assert recognise("somnolence", KB.symptoms).symptoms == ("drowsiness",)
    assert recognise("Respiratory depression", KB.symptoms).symptoms == ("slow_breathing",)


def test_apostrophes_and_case_do_not_hide_a_symptom() -> None:
    """Curly apostrophes and capitals still match ("CAN’T WAKE" is unresponsive)."""
    assert recognise("CAN’T WAKE him", KB.symptoms).symptoms == ("unresponsive",)


def test_the_longest_phrase_wins() -> None:
    """'tired all the time' is drowsiness only, not also fatigue from the word 'tired'."""
    assert recognise("tired all the time", KB.symptoms).symptoms == ("drowsiness",)


def test_filler_words_are_not_reported_as_unrecognised() -> None:
    """'very drowsy all day' is fully recognised."""
    match = recognise("very drowsy all day", KB.symptoms)
    assert match.symptoms == ("drowsiness",)
    assert match.unrecognised == ""


def test_meaningful_words_left_over_are_reported() -> None:
    """In 'drowsy with purple spots' the words 'purple spots' are reported as not recognised."""
    assert recognise("drowsy with purple spots", KB.symptoms).unrecognised == "purple spots"


def test_several_symptoms_in_one_text_are_all_read() -> None:
    """'confused and feverish' gives both confusion and fever."""
    assert set(recognise("confused and feverish", KB.symptoms).symptoms) == {"confusion", "fever"}


# ------------------------------------------------------------------ levels and rules


def test_a_common_side_effect_is_expected() -> None:
    """Drowsiness on its own is expected and usually passes."""
    result = run("drowsy")
    assert result.level == "expected"
    assert result.reason == "side_effect"
    assert rule_ids(result) == ["common-side-effects"]


def test_slow_breathing_is_an_emergency() -> None:
    """Slow breathing is an emergency for breathing depression."""
    result = run("slow breathing", "sleepy")
    assert result.level == "emergency"
    assert result.reason == "breathing_depression"
    assert "emergency number" in result.patient_text


def test_a_person_who_cannot_be_woken_is_an_overdose_emergency() -> None:
    """Reduced consciousness is an emergency with reason overdose."""
    result = run("hard to wake")
    assert (result.level, result.reason) == ("emergency", "overdose")


def test_a_seizure_is_an_emergency() -> None:
    """A seizure is an emergency."""
    assert run("had a fit").level == "emergency"


def test_hallucinations_alone_are_urgent() -> None:
    """Seeing things is urgent even without context."""
    result = run("seeing things")
    assert (result.level, result.reason) == ("urgent", "withdrawal")


def test_withdrawal_signs_after_missed_doses_are_urgent() -> None:
    """Agitation after missed doses is urgent withdrawal."""
    result = run("agitated", flags=("missed_doses",))
    assert (result.level, result.reason) == ("urgent", "withdrawal")
    assert "withdrawal-hallucinations" in rule_ids(result)


def test_two_severe_withdrawal_signs_after_a_stop_are_an_emergency() -> None:
    """Fever and confusion after stopping baclofen are an emergency; one sign alone is not."""
    assert run("fever", "confused", flags=("dose_stopped",)).level == "emergency"
    assert run("fever", flags=("dose_stopped",)).level == "urgent"


def test_fever_with_confusion_is_an_emergency_even_without_context() -> None:
    """Fever with confusion is an emergency with no context (NHS sepsis sign); fever alone stays soon."""
    result = run("fever", "confused")
    assert result.level == "emergency"
    assert "fever-with-confusion" in {m.rule.id for m in result.rules}
    assert run("fever").level == "soon"


def test_confusion_with_poor_kidneys_is_urgent_encephalopathy() -> None:
    """Confusion with impaired kidney function is urgent, reason encephalopathy."""
    result = run("confused", flags=("kidney_impaired",))
    assert (result.level, result.reason) == ("urgent", "encephalopathy")


def test_sleepiness_in_an_older_person_with_low_egfr_is_urgent_encephalopathy() -> None:
    """Drowsiness at 65 or older with eGFR below 60 is urgent encephalopathy, not expected."""
    result = run("drowsy", flags=("older_low_egfr",))
    assert (result.level, result.reason) == ("urgent", "encephalopathy")


def test_sleepiness_with_sedatives_is_urgent_breathing_risk() -> None:
    """Drowsiness with opioid or other sedative co-medication is urgent for breathing depression."""
    result = run("drowsy", flags=("sedative_comedication",))
    assert (result.level, result.reason) == ("urgent", "breathing_depression")


def test_dizziness_after_an_increase_is_soon() -> None:
    """Dizziness after a dose increase asks for a call soon and says not to change the dose alone."""
    result = run("dizzy", flags=("recent_increase",))
    assert result.level == "soon"
    assert "Do not change the dose on your own" in result.patient_text


def test_fainting_is_urgent_low_blood_pressure() -> None:
    """Fainting is urgent with reason low_blood_pressure."""
    assert (run("fainted").level, run("fainted").reason) == ("urgent", "low_blood_pressure")


def test_floppy_muscles_are_urgent_overdose_signs() -> None:
    """Very floppy muscles are urgent, reason overdose."""
    assert (run("very floppy").level, run("very floppy").reason) == ("urgent", "overdose")


def test_vomiting_is_soon() -> None:
    """Vomiting is reported to the clinician soon."""
    assert run("vomiting").level == "soon"


def test_a_pump_alarm_implies_a_pump_and_is_an_emergency() -> None:
    """Hearing a pump alarm sets the pump context (with why) and is an emergency withdrawal risk."""
    result = run("pump is beeping")
    assert "pump" in result.context.flags
    assert (result.level, result.reason) == ("emergency", "withdrawal")
    assert dict(result.context.why)["pump"].startswith("reported symptom")


def test_itching_with_a_pump_is_an_emergency() -> None:
    """Itching without a rash in a pump patient is an emergency (intrathecal withdrawal)."""
    assert run("itching", flags=("pump",)).level == "emergency"


def test_itching_or_fever_alone_is_soon_withdrawal() -> None:
    """Itching or fever without context is never silent: soon, reason withdrawal."""
    for word in ("itchy", "fever"):
        result = run(word)
        assert (result.level, result.reason) == ("soon", "withdrawal")


def test_sleepiness_with_a_pump_is_urgent_overdose() -> None:
    """Drowsiness in a pump patient is urgent, reason overdose (refill or programming error)."""
    result = run("drowsy", flags=("pump",))
    assert (result.level, result.reason) == ("urgent", "overdose")


def test_every_matching_rule_is_reported_highest_first() -> None:
    """All rules that match are listed, from the highest level down."""
    result = run("confused", "fever", flags=("missed_doses",))
    levels = [m.rule.level for m in result.rules]
    assert levels == sorted(levels, key=LEVELS.index, reverse=True)
    assert {"withdrawal-severe", "withdrawal-hallucinations", "confusion"} <= set(rule_ids(result))


def test_the_result_names_its_sources_and_knowledge_base_version() -> None:
    """Triage carries every matched rule's sources and the kb version."""
    result = run("seeing things")
    assert result.kb_version == KB.version
    assert "us_baclofen_plr_labels" in result.source_ids
    assert result.sources


# ------------------------------------------------------------------ unknown is never expected


def test_an_unrecognised_symptom_is_soon_and_reported() -> None:
    """A symptom the lexicon does not know gets 'soon' and is reported back."""
    result = run("purple spots")
    assert result.level == "soon"
    assert result.unrecognised == ("purple spots",)
    assert "could not assess 'purple spots'" in result.patient_text


def test_an_emergency_carries_no_could_not_assess_beside_it() -> None:
    """Beside an emergency the unassessed symptom is named to the clinician only, never as 'tell them soon'."""
    result = run("slow breathing", "purple spots")
    assert result.level == "emergency"
    assert "could not assess" not in result.patient_text.lower()
    assert "soon" not in result.patient_text.lower()
    assert "purple spots" in result.clinician_text


def test_an_unrecognised_symptom_lifts_an_expected_one_to_soon() -> None:
    """Drowsiness plus an unknown symptom is soon, not expected."""
    result = run("drowsy", "purple spots")
    assert result.level == "soon"
    assert result.reason == "unrecognised"


def test_an_unrecognised_symptom_does_not_lower_an_emergency() -> None:
    """An unknown symptom next to slow breathing leaves the level at emergency."""
    assert run("slow breathing", "purple spots").level == "emergency"


def test_no_symptom_is_refused() -> None:
    """Triage without a symptom is refused with a hint."""
    with pytest.raises(InvalidInput, match="at least one symptom"):
        run("  ")


def test_an_unknown_context_flag_is_refused() -> None:
    """A context flag outside the documented set is refused."""
    with pytest.raises(InvalidInput, match="unknown triage context"):
        TriageContext(frozenset({"moon_phase"}))


@given(
    st.lists(
        st.sampled_from(["zorp", "blue", "elbow", "glitter", "sparkle", "crunchy"]), min_size=1, max_size=3
    )
)
@settings(max_examples=60, deadline=None)
def test_unknown_symptoms_are_never_expected(words: list[str]) -> None:
    """Any text the lexicon does not know is at least 'soon', never 'expected'."""
    result = run(" ".join(words), "drowsy")
    assert result.level != "expected"
    assert result.unrecognised


# ------------------------------------------------------------------ the rules themselves


def test_every_lexicon_symptom_is_covered_without_context() -> None:
    """Each symptom on its own matches at least one rule, so nothing recognised is silently dropped."""
    for symptom in KB.symptoms:
        result = triage([symptom.words[0]], TriageContext(), KB)
        assert result.rules, symptom.id
        assert not result.uncovered, symptom.id


def test_every_rule_has_a_known_reason_and_sources() -> None:
    """Each triage rule has a documented reason and at least one source."""
    for rule in KB.triage_rules:
        assert rule.reason in REASONS, rule.id
        assert rule.provenance.sources, rule.id


def test_patient_texts_never_prescribe_a_dose() -> None:
    """No triage patient text contains a dose amount: it sends people to care, it does not prescribe."""
    for rule in KB.triage_rules:
        assert not re.search(r"\d+\s*(mg|mcg|ml)\b", rule.patient_text, re.IGNORECASE), rule.id


def test_patient_texts_send_people_to_a_clinician_or_emergency_care() -> None:
    """Every non-expected rule's patient text names the clinician, pump team, medical help or emergency."""
    for rule in KB.triage_rules:
        if rule.level != "expected":
            assert re.search(r"clinician|pump team|medical|emergency|urgent", rule.patient_text), rule.id


# ------------------------------------------------------------------ context from the service


def test_sedative_co_medication_comes_from_the_patient_list() -> None:
    """An opioid on the medication list sets sedative_comedication and makes drowsiness urgent."""
    patient = Patient(medications=(Medication("oxycodone"),))
    result = triage_symptoms(kb=KB, symptoms=["drowsy"], patient=patient)
    assert "sedative_comedication" in result.context.flags
    assert result.level == "urgent"


def test_an_unknown_medication_is_noted_as_not_screened() -> None:
    """A medication the dictionary does not know is reported, never silently passed."""
    patient = Patient(medications=(Medication("zzqx"),))
    result = triage_symptoms(kb=KB, symptoms=["drowsy"], patient=patient)
    assert any("not screened" in note for note in result.notes)


def test_kidney_impairment_comes_from_crcl_or_dialysis() -> None:
    """CrCl below 60 or dialysis sets kidney_impaired; CrCl 90 does not."""
    assert "kidney_impaired" in triage_context(kb=KB, patient=Patient(crcl_ml_min=Fraction(40))).flags
    assert "kidney_impaired" in triage_context(kb=KB, patient=Patient(dialysis=True)).flags
    assert "kidney_impaired" not in triage_context(kb=KB, patient=Patient(crcl_ml_min=Fraction(90))).flags


def test_older_low_egfr_needs_both_age_and_low_egfr() -> None:
    """Age 70 with eGFR 50 sets older_low_egfr; age 50 with eGFR 50 does not."""
    assert "older_low_egfr" in triage_context(kb=KB, patient=Patient(age_years=70, egfr=Fraction(50))).flags
    assert (
        "older_low_egfr" not in triage_context(kb=KB, patient=Patient(age_years=50, egfr=Fraction(50))).flags
    )


def test_an_intrathecal_entry_on_the_medication_list_sets_pump() -> None:
    """'intrathecal baclofen' on the list means the person has a pump."""
    patient = Patient(medications=(Medication("intrathecal baclofen"),))
    assert "pump" in triage_context(kb=KB, patient=patient).flags


def test_a_step_up_in_the_last_three_days_sets_recent_increase() -> None:
    """A step raising the daily dose yesterday sets recent_increase; a week later it does not."""
    p = plan(
        [
            {"start": "2026-03-01", "days": 9, "dose": "5 mg", **TID},
            {"start": "2026-03-10", "days": 20, "dose": "10 mg", **TID},
        ]
    )
    assert "recent_increase" in triage_context(kb=KB, plan=p, now=at("2026-03-11T12:00")).flags
    assert "recent_increase" not in triage_context(kb=KB, plan=p, now=at("2026-03-18T12:00")).flags


def test_a_plan_that_stopped_yesterday_sets_dose_stopped() -> None:
    """A plan with then=stop that ended yesterday sets dose_stopped."""
    p = plan([{"start": "2026-03-01", "days": 9, "dose": "5 mg", **TID}], then="stop")
    assert "dose_stopped" in triage_context(kb=KB, plan=p, now=at("2026-03-11T12:00")).flags


def test_a_fall_of_half_or_more_sets_dose_stopped() -> None:
    """A step from 20 mg to 10 mg three times a day (a half) counts as a steep fall."""
    p = plan(
        [
            {"start": "2026-03-01", "days": 9, "dose": "20 mg", **TID},
            {"start": "2026-03-10", "days": 9, "dose": "10 mg", **TID},
        ]
    )
    assert "dose_stopped" in triage_context(kb=KB, plan=p, now=at("2026-03-10T12:00")).flags


def test_a_fall_of_less_than_half_is_not_a_stop() -> None:
    """A step from 20 mg to 15 mg three times a day (a quarter) does not set dose_stopped."""
    p = plan(
        [
            {"start": "2026-03-01", "days": 9, "dose": "20 mg", **TID},
            {"start": "2026-03-10", "days": 9, "dose": "15 mg", **TID},
        ]
    )
    assert "dose_stopped" not in triage_context(kb=KB, plan=p, now=at("2026-03-10T12:00")).flags


def test_a_step_to_zero_sets_dose_stopped() -> None:
    """A zero-dose step that began yesterday sets dose_stopped."""
    p = plan(
        [
            {"start": "2026-03-01", "days": 9, "dose": "5 mg", **TID},
            {"start": "2026-03-10", "days": 9, "dose": "0 mg", "times_per_day": 3},
        ]
    )
    context = triage_context(kb=KB, plan=p, now=at("2026-03-11T12:00"))
    assert "dose_stopped" in context.flags
    assert "recent_increase" not in context.flags


def test_the_first_step_of_a_taper_is_not_an_increase() -> None:
    """A taper starting yesterday does not set recent_increase; a titration starting yesterday does."""
    steps = [{"start": "2026-03-10", "days": 9, "dose": "10 mg", **TID}]
    now = at("2026-03-11T12:00")
    assert "recent_increase" not in triage_context(kb=KB, plan=plan(steps, kind="taper"), now=now).flags
    assert "recent_increase" in triage_context(kb=KB, plan=plan(steps, kind="titration"), now=now).flags


def test_a_drug_without_a_missed_dose_rule_is_triaged_with_a_note() -> None:
    """A tizanidine plan has no missed-dose rule: triage still answers and notes missed doses were not assessed."""
    p = plan([{"start": "2026-03-01", "days": 30, "dose": "2 mg", **TID}], drug="tizanidine")
    result = triage_symptoms(
        kb=KB, symptoms=["drowsy"], plan=p, now=at("2026-03-10T21:00"), taken=[at("2026-03-10T08:00")]
    )
    assert "missed_doses" not in result.context.flags
    assert any("No missed-dose rule" in note for note in result.notes)


def test_missed_doses_come_from_the_plan_and_recorded_doses() -> None:
    """Two untaken doses in the last 48 h set missed_doses and make confusion urgent."""
    p = plan([{"start": "2026-03-01", "days": 30, "dose": "10 mg", **TID}])
    result = triage_symptoms(
        kb=KB, symptoms=["confused"], plan=p, now=at("2026-03-10T21:00"), taken=[at("2026-03-10T08:00")]
    )
    assert "missed_doses" in result.context.flags
    assert result.level == "urgent"


def test_a_dose_still_in_its_window_is_not_a_missed_dose() -> None:
    """At 14:30 the 14:00 dose is not yet missed, so missed_doses is not set."""
    p = plan([{"start": "2026-03-01", "days": 30, "dose": "10 mg", **TID}])
    context = triage_context(kb=KB, plan=p, now=at("2026-03-10T14:30"), taken=[at("2026-03-10T08:00")])
    assert "missed_doses" not in context.flags


def test_without_recorded_doses_missed_doses_are_not_assessed_and_say_so() -> None:
    """A plan with no recorded doses leaves missed_doses unset and notes that it was not assessed."""
    p = plan([{"start": "2026-03-01", "days": 30, "dose": "10 mg", **TID}])
    result = triage_symptoms(kb=KB, symptoms=["drowsy"], plan=p, now=at("2026-03-10T21:00"))
    assert "missed_doses" not in result.context.flags
    assert any("not assessed" in note for note in result.notes)


def test_a_plan_without_now_is_refused() -> None:
    """Context from a plan needs 'now'."""
    p = plan([{"start": "2026-03-01", "days": 30, "dose": "10 mg", **TID}])
    with pytest.raises(InvalidInput, match="needs 'now'"):
        triage_context(kb=KB, plan=p)


def test_a_side_effect_the_person_calls_severe_is_never_expected() -> None:
    """Severe drowsiness is raised from expected to soon by the knowledge base's reported-severity rule."""
    kb = load_knowledge_base(default_version())
    mild = triage(["drowsy"], TriageContext(), kb, reported_severity="mild")
    severe = triage(["drowsy"], TriageContext(), kb, reported_severity="severe")
    assert (mild.level, mild.raised_for_severity) == ("expected", False)
    assert (severe.level, severe.raised_for_severity) == ("soon", True)
    assert "dosewise_policy" in severe.source_ids


def test_reported_severity_never_lowers_a_level() -> None:
    """Calling slow breathing 'mild' leaves it an emergency."""
    kb = load_knowledge_base(default_version())
    assert triage(["slow breathing"], TriageContext(), kb, reported_severity="mild").level == "emergency"
