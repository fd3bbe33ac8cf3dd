"""Triage of descriptions rather than names: colour, seizures, intent, child and liquid ingestions,
fever with confusion, sudden headache, confusion, heavy sedation, severe weakness, withdrawal context and
clear denials. Cases are built from parts (who, verb, word) so that a class holds, not a sentence.
"""

from __future__ import annotations

import itertools

import pytest

from dosewise.domain.quantity import parse_quantity
from dosewise.domain.triage import TriageResult, recognise, triage
from dosewise.knowledge import default_version, load_knowledge_base
from dosewise.services.advice import triage_context

KB = load_knowledge_base(default_version())


def run(
    *texts: str, flags: tuple[str, ...] = (), drug: str | None = None, tablet: str | None = None
) -> TriageResult:
    context = triage_context(kb=KB, drug=drug, tablet=parse_quantity(tablet) if tablet else None)
    for flag in flags:
        context = context.with_flag(flag, "test")
    return triage(list(texts), context, KB)


def rule_ids(result: TriageResult) -> set[str]:
    return {m.rule.id for m in result.rules}


WHO = ["he", "she", "my dad", "mum", "the baby", "my husband", "grandad"]
COLOUR_VERBS = ["is", "looks", "has gone", "turned", "went", "is going", "looks a bit"]
GREY = ["grey", "gray", "ashen", "dusky", "greyish"]


@pytest.mark.parametrize(
    ("who", "verb", "colour"), list(itertools.product(WHO, COLOUR_VERBS, [*GREY, "blue"]))
)
def test_a_grey_or_blue_person_is_an_emergency_in_any_construction(who: str, verb: str, colour: str) -> None:
    """'<who> <verb> <colour>' is the blue-or-grey emergency whoever speaks and however it is said."""
    result = run(f"{who} {verb} {colour}")
    assert result.level == "emergency"
    assert "blue-or-grey" in rule_ids(result)


@pytest.mark.parametrize(
    "text",
    ["his face has lost all its colour", "she's white as a sheet", "gone a funny colour", "mottled skin"],
)
def test_a_colour_described_without_naming_it_is_an_emergency(text: str) -> None:
    """Lost colour, white as a sheet, a funny colour or mottled skin is the colour emergency."""
    assert run(text).level == "emergency"


@pytest.mark.parametrize("text", ["he's got grey hair and is a bit dizzy", "the blue pill makes me sleepy"])
def test_a_colour_word_for_a_thing_is_not_the_colour_emergency(text: str) -> None:
    """'grey hair' and 'the blue pill' are not a grey or blue person (never expected either)."""
    result = run(text)
    assert "blue_or_grey" not in result.symptoms
    assert result.level == "soon"


def test_feeling_blue_is_low_mood_not_cyanosis() -> None:
    """'feeling blue' is low mood (soon, with the crisis line named), never the colour emergency."""
    result = run("I've been feeling blue lately")
    assert result.level == "soon"
    assert "blue_or_grey" not in result.symptoms
    assert "988" in result.patient_text


@pytest.mark.parametrize(
    "text",
    [
        "his eyes rolled back",
        "her eyes are rolling and she's shaking",
        "foaming at the mouth",
        "jerking all over",
        "whole body twitching",
        "shaking violently",
        "she bit her tongue and went stiff",
        "thrashing about uncontrollably",
        "a grand mal",
        "stiff as a board and jerking",
    ],
)
def test_a_described_seizure_is_an_emergency(text: str) -> None:
    """Descriptions of a seizure (eyes rolling, jerking all over, tongue bitten) are the seizure emergency."""
    result = run(text)
    assert result.level == "emergency"
    assert "seizure" in result.symptoms


def test_ordinary_shaking_is_not_a_seizure() -> None:
    """'shaky hands' and "can't stop shaking" stay muscle jerks (soon), not a seizure."""
    for text in ("shaky hands", "I can't stop shaking"):
        assert "seizure" not in run(text).symptoms


INTENT = [
    "thinking of",
    "thinking about",
    "I want to",
    "planning to",
    "tempted to",
    "I'm going to",
    "I feel like",
]
ACTS = [
    "taking all my pills",
    "take the whole packet",
    "swallowing the lot",
    "swallow them all",
    "take everything",
]


@pytest.mark.parametrize(("intent", "act"), list(itertools.product(INTENT, ACTS)))
def test_intent_around_pills_is_self_harm_with_crisis_help(intent: str, act: str) -> None:
    """'<intent> <taking all my pills>' is the self-harm emergency and names the crisis line."""
    result = run(f"{intent} {act}")
    assert result.level == "emergency"
    assert "self-harm" in rule_ids(result)
    assert "988" in result.patient_text


@pytest.mark.parametrize(
    "text",
    [
        "I don't see the point anymore",
        "I've written a note saying goodbye",
        "everyone would be better off without me",
        "I've been stockpiling my tablets",
        "going to sleep and never waking up",
    ],
)
def test_passive_or_indirect_suicidal_talk_is_self_harm(text: str) -> None:
    """No point any more, a goodbye note, better off without me, stockpiling pills: self-harm, crisis line."""
    result = run(text)
    assert result.level == "emergency"
    assert "self_harm" in result.symptoms


@pytest.mark.parametrize(
    "text", ["thinking about overdosing", "I want to OD", "planning to overdose tonight"]
)
def test_intent_to_overdose_is_self_harm_not_an_ingestion(text: str) -> None:
    """Intent to overdose is read as self-harm (crisis help), not as a swallowed amount."""
    result = run(text)
    assert "self_harm" in result.symptoms
    assert result.inputs[0].ingestion == ""


CHILDREN = [
    "my toddler",
    "the baby",
    "my 4 year old",
    "my 2yo",
    "my grandson",
    "our kid",
    "my little girl's brother, a child,",
]
CHILD_ACTS = [
    "ate one of my tablets",
    "swallowed a pill",
    "got into my baclofen",
    "found the bottle",
    "got hold of my pills",
    "was chewing my tizanidine",
]


@pytest.mark.parametrize(("child", "act"), list(itertools.product(CHILDREN, CHILD_ACTS)))
def test_a_child_who_swallowed_medicine_is_an_emergency_whatever_the_amount(child: str, act: str) -> None:
    """A child who swallowed, chewed or got into medicine is the large-ingestion emergency, even one tablet."""
    result = run(f"{child} {act}", tablet="5 mg")
    assert result.level == "emergency"
    assert "large-ingestion" in rule_ids(result)
    assert any("a child" in note for note in result.notes)


def test_a_son_or_daughter_counts_as_a_child_only_with_someone_elses_medicine() -> None:
    """'my daughter swallowed one of my pills' is a child ingestion; 'my son took his tablets' is not."""
    assert run("my daughter swallowed one of my pills").level == "emergency"
    assert "large_ingestion" not in run("my son took his tablets").symptoms


@pytest.mark.parametrize(
    "text",
    [
        "drank half the bottle of the liquid",
        "he drank the rest of the baclofen solution",
        "she drank 30ml of her medicine",
        "gulped down some of the syrup",
    ],
)
def test_a_drink_of_medicine_is_an_ingestion_of_unknown_size(text: str) -> None:
    """A drink of liquid medicine of no known concentration is never reassured."""
    result = run(text)
    assert result.level == "emergency"
    assert "large_ingestion" in result.symptoms


def test_the_usual_dose_of_a_liquid_is_not_an_overdose() -> None:
    """'drank my medicine' or 'took 10ml as prescribed' is the usual dose, not an ingestion of unknown size."""
    for text in ("drank my medicine and feel sick", "I took 10ml as prescribed and feel sleepy"):
        assert "large_ingestion" not in run(text).symptoms


def test_a_drink_of_alcohol_is_context_not_an_ingestion() -> None:
    """'drank 4 pints' sets the sedative context; it is not an overdose of medicine."""
    result = run("drank 4 pints and feel drowsy")
    assert "large_ingestion" not in result.symptoms
    assert "sedative_comedication" in result.context.flags


@pytest.mark.parametrize(
    "text", ["temp of 39.6 and confused", "burning up and talking gibberish", "feverish and seeing things"]
)
def test_fever_with_confusion_or_hallucinations_is_an_emergency(text: str) -> None:
    """Fever with confusion or hallucinations is an emergency without any context (sepsis, withdrawal)."""
    result = run(text)
    assert result.level == "emergency"
    assert "fever-with-confusion" in rule_ids(result)


@pytest.mark.parametrize(
    "text",
    [
        "worst headache of my life",
        "the worst headache I have ever had",
        "thunderclap headache",
        "sudden headache, it's agony",
        "blinding headache",
    ],
)
def test_a_sudden_worst_headache_is_an_emergency(text: str) -> None:
    """A sudden, very severe or 'worst ever' headache is an emergency."""
    assert run(text).level == "emergency"


def test_a_plain_or_merely_sudden_headache_is_not_an_emergency() -> None:
    """'a mild headache' is expected; 'sudden headache' without severity is soon, never expected."""
    assert run("a mild headache").level == "expected"
    assert run("sudden headache").level == "soon"


@pytest.mark.parametrize(
    "after",
    [
        "since stopping",
        "after stopping",
        "since coming off it",
        "since I ran out",
        "since the pharmacy had no stock",
    ],
)
@pytest.mark.parametrize("sign", ["really bad muscle spasms", "sweating a lot", "my heart is racing"])
def test_a_withdrawal_sign_since_stopping_is_urgent(sign: str, after: str) -> None:
    """'<withdrawal sign> since stopping' sets the stop context and is urgent withdrawal."""
    result = run(f"{sign} {after}")
    assert "dose_stopped" in result.context.flags
    assert result.level == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "she's talking nonsense",
        "he keeps asking the same question",
        "doesn't know what day it is",
        "acting really strange",
        "disorientated",
        "my wife is confused",
    ],
)
def test_confusion_in_any_words_is_urgent(text: str) -> None:
    """Confusion, however it is described, is at least urgent."""
    assert run(text).level == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "I keep falling asleep mid sentence",
        "he nods off while eating",
        "dozing off during conversations",
        "barely awake",
        "can hardly keep my eyes open",
        "extremely drowsy",
    ],
)
def test_heavy_sedation_is_urgent(text: str) -> None:
    """Falling asleep mid-activity, barely awake or extremely drowsy is urgent, not a common side effect."""
    result = run(text)
    assert result.level == "urgent"
    assert "heavy-sedation" in rule_ids(result)


def test_ordinary_sleepiness_stays_expected() -> None:
    """'a bit sleepy after my dose' is the common side effect; dozing during a film is not heavy sedation."""
    assert run("a bit sleepy after my dose").level == "expected"
    assert "heavy_sedation" not in run("I fell asleep during the film").symptoms


@pytest.mark.parametrize(
    "text",
    [
        "extremely weak, can barely move my legs",
        "too weak to stand",
        "so weak I can hardly walk",
        "my legs won't hold me up",
        "can't get out of bed, so weak",
    ],
)
def test_severe_weakness_is_urgent(text: str) -> None:
    """Weakness that makes standing or walking hard is urgent."""
    assert run(text).level == "urgent"


def test_cannot_move_the_legs_stays_the_loss_of_movement_emergency() -> None:
    """ "can't move my legs" is never taken by the severe-weakness patterns."""
    assert run("I can't move my legs").level == "emergency"
    assert run("so weak, and I can't move my legs").level == "emergency"


DENIED = [
    "chest pain",
    "seizures",
    "fits or seizures",
    "fits",
    "swelling of the lips",
    "blue lips",
    "trouble breathing",
    "shortness of breath",
]


@pytest.mark.parametrize("cue", ["no", "never had", "without any"])
@pytest.mark.parametrize("flag", DENIED)
def test_a_clear_denial_rules_out_a_deniable_red_flag(cue: str, flag: str) -> None:
    """'sleepy, no chest pain' is the side effect: a clear denial rules out a red flag the knowledge base allows."""
    result = run(f"sleepy, {cue} {flag}")
    assert result.level == "expected"
    assert result.inputs[0].negated


@pytest.mark.parametrize(
    "text",
    [
        "no breathing",
        "no response from him",
        "no feeling in my legs",
        "not sure if it's chest pain",
        "no suicidal thoughts",
        "no overdose",
        "not breathing",
        "can't breathe",
        "won't wake up",
        "can't feel my legs",
    ],
)
def test_a_vital_denial_a_hedge_or_a_problem_stating_negation_stays_an_emergency(text: str) -> None:
    """'no breathing', 'no response', a hedged denial, self-harm and overdose denials are never lowered."""
    assert run(text).level == "emergency"


def test_a_denial_inside_a_description_is_read() -> None:
    """'lips not blue' denies the colour; the words around it are still read."""
    reading = recognise("lips not blue", KB.symptoms, KB)
    assert reading.symptoms == ()
    assert reading.negated == ("blue_or_grey",)


CHEST_WORDS = ["hardly", "barely", "not", "no longer"]
CHEST_VERBS = ["moving", "rising", "going up"]


@pytest.mark.parametrize(
    ("who", "adverb", "verb"), list(itertools.product(WHO[:4], CHEST_WORDS, CHEST_VERBS))
)
def test_a_chest_that_hardly_moves_is_a_breathing_emergency(who: str, adverb: str, verb: str) -> None:
    """ "His chest is hardly moving" is breathing, never the weakness that "hardly moving" means for legs."""
    result = run(f"{who}'s chest is {adverb} {verb}")
    assert result.level == "emergency"
    assert "slow_breathing" in result.symptoms


@pytest.mark.parametrize(
    "text",
    [
        "she won't open her eyes",
        "he doesn't open his eyes even when i shake him",
        "her eyes won't open",
        "mum is not opening her eyes at all",
    ],
)
def test_eyes_that_will_not_open_are_unresponsive(text: str) -> None:
    assert run(text).level == "emergency"


@pytest.mark.parametrize(
    ("text", "not_level"),
    [
        ("i can't keep my eyes open", "emergency"),  # sleepy, and awake enough to say so
        ("i shook the bottle and nothing came out", "emergency"),
        ("i keep my tablets in the kitchen", "urgent"),
    ],
)
def test_everyday_uses_of_those_words_are_not_read_as_them(text: str, not_level: str) -> None:
    assert run(text).level != not_level


@pytest.mark.parametrize(
    "text",
    [
        "threw up my morning tablets",
        "i can't keep anything down",
        "brought my pills back up",
        "sick after my tablets this morning",
        "vomiting and my meds won't stay down",
    ],
)
def test_doses_that_do_not_stay_down_are_urgent_as_missed_doses(text: str) -> None:
    """Vomited doses are missed doses: urgent, for the withdrawal risk, with the drug named."""
    result = run(text, drug="baclofen")
    assert result.level == "urgent"
    assert rule_ids(result) & {"doses-not-kept-down", "vomiting-with-missed-doses"}
    assert "baclofen" in result.patient_text


def test_vomiting_after_missed_doses_is_urgent_but_vomiting_alone_is_not() -> None:
    assert run("i threw up last night").level == "soon"
    assert run("i threw up last night", flags=("missed_doses",)).level == "urgent"
