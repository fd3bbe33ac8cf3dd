"""How triage reads everyday words: order, inflection, slips, numbers, negation, red flags, context, drug."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.patient import Medication, Patient
from dosewise.domain.quantity import parse_quantity
from dosewise.domain.triage import TriageResult, recognise, triage
from dosewise.knowledge import default_version, load_knowledge_base
from dosewise.services.advice import triage_context, triage_symptoms

KB = load_knowledge_base(default_version())
RED_FLAGS = [s for s in KB.symptoms if s.red_flag]


def run(
    *texts: str, flags: tuple[str, ...] = (), drug: str | None = None, tablet: str | None = None
) -> TriageResult:
    context = triage_context(kb=KB, drug=drug, tablet=parse_quantity(tablet) if tablet else None)
    for flag in flags:
        context = context.with_flag(flag, "test")
    return triage(list(texts), context, KB)


def read(text: str) -> tuple[str, ...]:
    return recognise(text, KB.symptoms, KB).symptoms


# ------------------------------------------------------------------ negation


def test_a_denied_symptom_is_not_read_as_present() -> None:
    """'no fever' is reported as denied, not as fever, and leaves a side effect expected."""
    result = run("a bit sleepy, no fever")
    assert "fever" not in result.symptoms
    assert result.inputs[0].negated == ("fever",)
    assert result.level == "expected"


def test_a_negation_stops_at_but() -> None:
    """'no fever but confused' denies the fever only."""
    assert read("no fever but confused") == ("confusion",)


@pytest.mark.parametrize(
    "text",
    ["he is not breathing", "I can't breathe", "she won't wake up", "I can't feel my legs", "cannot swallow"],
)
def test_a_negated_verb_that_states_the_problem_is_the_emergency(text: str) -> None:
    """'not breathing', "can't breathe", "won't wake up", "can't feel my legs" are emergencies, not denials."""
    result = run(text)
    assert result.level == "emergency"
    assert result.inputs[0].negated == ()


@pytest.mark.parametrize("symptom", [s for s in RED_FLAGS if not s.denial_rules_out], ids=lambda s: s.id)
def test_a_denied_red_flag_is_kept_and_said_so(symptom: object) -> None:
    """'no <red flag>' stays an emergency with a note unless the knowledge base lets a clear denial rule it out."""
    words = symptom.words[0]  # type: ignore[attr-defined]
    result = run(f"no {words}")
    assert result.level == "emergency"
    assert any("never ruled out" in note for note in result.notes)


# ------------------------------------------------------------------ order, inflection, slips


@given(st.randoms(use_true_random=False))
@settings(max_examples=40, deadline=None)
def test_word_order_does_not_hide_a_red_flag(rng: random.Random) -> None:
    """The words of a red-flag sentence in any order inside one clause still read as that red flag."""
    for text, symptom in [
        ("his breathing has gone really slow", "slow_breathing"),
        ("she will not wake up properly", "unresponsive"),
        ("my lips have gone blue", "blue_or_grey"),
        ("a crushing pain in my chest", "chest_pain"),
    ]:
        words = text.split()
        rng.shuffle(words)
        assert symptom in read(" ".join(words)), " ".join(words)


def _swap(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


@given(st.randoms(use_true_random=False))
@settings(max_examples=40, deadline=None)
def test_one_swapped_letter_in_a_symptom_word_is_mended(rng: random.Random) -> None:
    """Two neighbouring letters swapped (not the first) in a one-word symptom of six letters or more still read."""
    words = [
        (w, s.id)
        for s in KB.symptoms
        if s.id not in ("large_ingestion", "extra_dose")  # read as numbers, not as symptom words
        for w in s.words
        if " " not in w and "-" not in w and len(w) >= 6 and w.isalpha()
    ]
    word, symptom = rng.choice(words)
    slipped = _swap(word, rng)
    assert symptom in read(slipped), (word, slipped)


def test_inflections_meet_the_lexicon() -> None:
    """'fainted', 'faints' and 'fainting' are all fainting; 'vomited' and 'vomiting' are vomiting."""
    for text in ("she fainted", "he faints", "keeps fainting"):
        assert read(text) == ("fainting",), text
    assert read("vomited") == read("vomiting") == ("vomiting",)


def test_a_real_word_is_not_corrected_into_another_symptom() -> None:
    """'blurred vision' is not read as slurred speech: a different first letter is not a slip."""
    result = run("blurred vision")
    assert result.symptoms == ()
    assert result.level == "soon"


# ------------------------------------------------------------------ intensity and numbers


@pytest.mark.parametrize("text", ["severe headache", "terrible headache", "very dizzy", "really bad nausea"])
def test_intensity_words_never_leave_a_side_effect_expected(text: str) -> None:
    """'severe', 'worst ever', 'very', 'really bad' make a common side effect at least soon."""
    result = run(text)
    assert result.level == "soon"
    assert result.raised_for_severity


@pytest.mark.parametrize(
    ("text", "fever"),
    [
        ("temp 37.9", False),
        ("temp 38", True),
        ("38.0C", True),
        ("100.4F", True),
        ("100.2 F", False),
        ("39,2", True),
    ],
)
def test_a_temperature_is_judged_against_the_knowledge_base_threshold(text: str, fever: bool) -> None:
    """Celsius or Fahrenheit (converted exactly) against the 38 C fever threshold of triage.toml."""
    assert KB.temperature is not None
    assert ("fever" in read(text)) is fever, text


def test_a_low_temperature_is_urgent() -> None:
    """A reading below 35 C (94F) is a low body temperature, urgent."""
    assert run("body temp 94F").level == "urgent"


@pytest.mark.parametrize(("count", "level"), [(19, "urgent"), (20, "emergency")])
def test_a_count_of_tablets_is_judged_with_the_known_strength(count: int, level: str) -> None:
    """With 10 mg tablets, 20 swallowed reach the 200 mg red flag of baclofen.toml and 19 do not."""
    assert run(f"took {count} of them", tablet="10 mg").level == level


@pytest.mark.parametrize(("count", "level"), [(7, "urgent"), (8, "emergency")])
def test_an_unknown_strength_assumes_the_largest_tablet(count: int, level: str) -> None:
    """Without a strength, the largest baclofen tablet (25 mg) is assumed: 8 tablets could be 200 mg."""
    result = run(f"took {count} tablets")
    assert result.level == level
    assert any("largest tablet" in note for note in result.notes)


def test_an_amount_in_mg_is_compared_with_the_red_flag() -> None:
    """'swallowed 250mg' is an emergency; the note shows the arithmetic against 200 mg."""
    result = run("swallowed 250mg")
    assert result.level == "emergency"
    assert any("200 mg" in note for note in result.notes)


def test_a_bottle_or_handful_is_an_ingestion_of_unknown_size() -> None:
    """'swallowed the bottle' and 'a handful of pills' are emergencies (the amount is not known)."""
    assert run("swallowed the bottle").level == "emergency"
    assert run("took a handful of pills").level == "emergency"


def test_a_drug_without_a_large_ingestion_threshold_treats_a_count_as_large() -> None:
    """Tizanidine has no threshold in the knowledge base, so six tablets are never reassured."""
    assert run("took 6 tablets", drug="tizanidine").level == "emergency"


def test_a_missed_dose_or_a_regimen_is_not_an_ingestion() -> None:
    """ "haven't taken it for 2 days" and "I take 3 tablets a day" are not overdoses."""
    assert recognise("haven't taken it for 2 days", KB.symptoms, KB).ingestion == ""
    assert recognise("I take 3 tablets a day", KB.symptoms, KB).ingestion == ""


# ------------------------------------------------------------------ red flags without a plan


def test_the_withdrawal_picture_is_an_emergency_without_a_plan() -> None:
    """Fever with confusion and rigidity is an emergency with no context at all."""
    result = run("temp 39.2, confused and very stiff")
    assert result.level == "emergency"
    assert "withdrawal-picture" in [m.rule.id for m in result.rules]


def test_self_harm_routes_to_crisis_help_and_emergency_care() -> None:
    """Thoughts of suicide give emergency care and a crisis line, even beside an overdose."""
    result = run("I want to end it all", "took the whole bottle")
    assert result.level == "emergency"
    assert "crisis line" in result.patient_text
    assert "emergency number" in result.patient_text


def test_unrecognised_words_beside_an_emergency_never_say_tell_your_clinician_soon() -> None:
    """An emergency with unknown words beside it does not add 'tell your clinician soon'."""
    result = run("purple spots", "he is not breathing")
    assert result.level == "emergency"
    assert "soon" not in result.patient_text
    assert "purple spots" in result.patient_text


def test_every_red_flag_has_an_emergency_rule_without_context() -> None:
    """Each red-flag symptom alone is an emergency: none depends on a plan file."""
    for symptom in RED_FLAGS:
        assert run(symptom.words[0]).level == "emergency", symptom.id


# ------------------------------------------------------------------ context without a plan, drug named


def test_words_that_say_the_medicine_ran_out_set_the_context() -> None:
    """'ran out of my tablets' sets dose_stopped (said in the words), so fever and confusion are an emergency."""
    result = run("ran out of my tablets on monday, now feverish and confused")
    assert "dose_stopped" in result.context.flags
    assert result.level == "emergency"


def test_stated_flags_give_the_context_without_a_plan() -> None:
    """stopped_recently and missed_days set dose_stopped and missed_doses; zero missed days sets nothing."""
    stopped = triage_symptoms(kb=KB, symptoms=["seeing things", "stiff"], stopped_recently=True)
    assert stopped.level == "emergency"
    missed = triage_context(kb=KB, missed_days=2)
    assert "missed_doses" in missed.flags
    assert "missed_doses" not in triage_context(kb=KB, missed_days=0).flags


def test_texts_name_the_drug_in_question() -> None:
    """With tizanidine the withdrawal text names tizanidine and never baclofen."""
    result = triage_symptoms(kb=KB, symptoms=["heart racing"], drug="tizanidine", stopped_recently=True)
    assert "tizanidine withdrawal" in result.patient_text
    assert "baclofen" not in result.patient_text
    assert all("baclofen" not in m.patient_text for m in result.rules if "{drug}" in m.rule.patient_text)


def test_without_a_drug_the_texts_say_baclofen_is_assumed() -> None:
    """No plan and no drug: baclofen is assumed and a note says so."""
    result = triage_symptoms(kb=KB, symptoms=["drowsy"])
    assert "baclofen" in result.patient_text
    assert any("assume baclofen" in note for note in result.notes)


def test_an_unscreened_medication_is_never_read_as_no_sedative() -> None:
    """A medicine the dictionary does not know makes sleepiness urgent and is named as not screened."""
    patient = Patient(medications=(Medication("zzqxal"),))
    result = triage_symptoms(kb=KB, symptoms=["sleepy"], patient=patient)
    assert result.level == "urgent"
    assert "unscreened_comedication" in result.context.flags
    assert any("could be a sedative" in note for note in result.notes)


def test_every_emergency_gives_its_own_advice() -> None:
    """Slow breathing after a large ingestion also names the poison centre, not only the first emergency."""
    result = run("took 8 of them and now his breathing has gone slow")
    assert result.level == "emergency"
    assert "poison centre" in result.patient_text
    assert "Slow or shallow breathing" in result.patient_text


@pytest.mark.parametrize(
    "text", ["his breathing, it's really slow", "her lips, they look blue", "he's breathing... but slowly"]
)
def test_a_comma_or_an_ellipsis_inside_a_sentence_does_not_hide_a_red_flag(text: str) -> None:
    """A pattern's words may cross a comma, a colon, 'but' or an ellipsis, never the end of a sentence."""
    assert run(text).level == "emergency"
