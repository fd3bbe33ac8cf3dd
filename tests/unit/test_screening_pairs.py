"""Screening across the whole list: every pair of classes with a rule is found wherever the two stand on a
random list and however they are written; broad class rules stand aside for specific ones; three or more
CNS depressants and the same ingredient twice are reported; an unknown name never reads as "nothing found"."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosewise.domain.rules import Ingredient, InteractionRule, KnowledgeBase, Severity
from dosewise.domain.screening import find_interactions, resolve, resolve_all
from dosewise.knowledge import default_version, load_knowledge_base
from dosewise.services.screening import screen

KB = load_knowledge_base(default_version())


def members(side: str) -> list[Ingredient]:
    if side.startswith("class:"):
        cls = side.removeprefix("class:")
        return [i for i in KB.ingredients if cls in i.classes]
    return [i for i in KB.ingredients if i.id == side]


def written(draw: st.DrawFn, ingredient: Ingredient) -> str:
    """One of the ways a person writes the ingredient: name, brand, listed misspelling, with a dose or form."""
    forms = [ingredient.name, *ingredient.brands, *ingredient.misspellings]
    base = draw(st.sampled_from(forms))
    suffix = draw(st.sampled_from(["", " 10 mg", " 5mg tablets", " XR", " ER 20 mg", " twice a day"]))
    case = draw(st.sampled_from([str, str.upper, str.title]))
    return case(base) + suffix


@st.composite
def list_with_pair(draw: st.DrawFn) -> tuple[InteractionRule, str, str, Ingredient, Ingredient, list[str]]:
    rule = draw(st.sampled_from(KB.interactions))
    # A member of side a that has a different member on side b (alcohol is itself a CNS depressant).
    firsts = [a for a in members(rule.a) if any(b.id != a.id for b in members(rule.b))]
    first = draw(st.sampled_from(firsts))
    seconds = [i for i in members(rule.b) if i.id != first.id]
    second = draw(st.sampled_from(seconds))
    a_text, b_text = written(draw, first), written(draw, second)
    others = draw(st.lists(st.sampled_from([i.name for i in KB.ingredients]), max_size=5))
    names = [*others, a_text, b_text, "zorblatex"]
    order = draw(st.permutations(names))
    return rule, a_text, b_text, first, second, list(order)


def pair_rules(found: tuple, a: Ingredient, b: Ingredient) -> set[str]:
    return {i.rule.id for i in found if {i.first_ingredient.id, i.second_ingredient.id} == {a.id, b.id}}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(list_with_pair())
def test_every_pair_of_classes_with_a_rule_is_found_anywhere_on_a_random_list(
    case: tuple[InteractionRule, str, str, Ingredient, Ingredient, list[str]],
) -> None:
    """For every rule, two members of its classes on a shuffled list with others and an unknown name are paired:
    a specific rule by its own id, a broad (fallback) rule by some rule at least as severe."""
    rule, _, _, first, second, names = case
    found = find_interactions(resolve_all(names, KB), KB)
    fired = pair_rules(found, first, second)
    if rule.fallback:
        assert fired, f"{first.id} + {second.id} were not paired ({names})"
        best = max(i.rule.severity.rank for i in found if i.rule.id in fired)
        specific = [i for i in found if i.rule.id in fired and not i.rule.fallback]
        assert specific or best >= rule.severity.rank
    else:
        assert rule.id in fired, f"{rule.id} missing for {names}"


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_pairs_found_do_not_depend_on_the_order_of_the_list(data: st.DataObject) -> None:
    """Any permutation of one list gives the same set of (rule, ingredients) findings."""
    names = data.draw(st.lists(st.sampled_from([i.name for i in KB.ingredients]), min_size=2, max_size=7))
    shuffled = data.draw(st.permutations(names))

    def key(items: list[str]) -> set[tuple[str, frozenset[str]]]:
        return {
            (i.rule.id, frozenset({i.first_ingredient.id, i.second_ingredient.id}))
            for i in find_interactions(resolve_all(items, KB), KB)
        }

    assert key(names) == key(list(shuffled))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([i.name for i in KB.ingredients]), max_size=4), st.text(min_size=1, max_size=20)
)
def test_an_unknown_name_never_yields_a_clean_report(names: list[str], junk: str) -> None:
    """A list with a name nobody knows lists it as not screened, whatever else is on it."""
    unknown = "qqx" + "".join(ch for ch in junk if ch.isalpha())[:10] + "zz"
    report = screen(kb=KB, names=[*names, unknown])
    assert unknown in report.to_json()["not_screened"]


def test_opioid_with_benzodiazepine_gives_the_boxed_warning_rule_not_also_the_broad_one(
    kb: KnowledgeBase,
) -> None:
    """Oxycodone + Xanax: the specific boxed-warning rule speaks; 'opioid + CNS depressant' stands aside."""
    found = find_interactions(resolve_all(["oxycodone", "Xanax"], kb), kb)
    assert [i.rule.id for i in found] == ["opioid-benzodiazepine"]


@pytest.mark.parametrize(
    ("first", "second", "rule", "severity"),
    [
        ("hydrocodone", "beer", "opioid-alcohol", Severity.MAJOR),
        ("Dilaudid", "vodka", "opioid-alcohol", Severity.MAJOR),
        ("buprenorphine", "Valium", "opioid-benzodiazepine", Severity.MAJOR),
        ("tapentadol", "quetiapine", "opioid-cns-depressant", Severity.MAJOR),
        ("Xanax", "wine", "benzodiazepine-alcohol", Severity.MAJOR),
        ("lorazepam", "Benadryl", "benzodiazepine-cns-depressant", Severity.MODERATE),
        ("gabapentin", "mirtazapine", "gabapentinoid-cns-depressant", Severity.MAJOR),
        ("Lyrica", "oxycodone", "opioid-gabapentinoid", Severity.MAJOR),
        ("Zanaflex", "whisky", "tizanidine-alcohol", Severity.MAJOR),
        ("tizanidine", "trazodone", "tizanidine-cns-depressant", Severity.MODERATE),
        ("tizanidine", "clonidine", "tizanidine-alpha2-agonist", Severity.MAJOR),
        ("tizanidine", "amlodipine", "tizanidine-antihypertensive", Severity.MODERATE),
        ("quetiapine", "cider", "cns-depressant-alcohol", Severity.MODERATE),
        ("trazodone", "weed", "cns-depressant-pair", Severity.MODERATE),
    ],
)
def test_each_pair_class_of_the_reference_fires_with_its_grade(
    kb: KnowledgeBase, first: str, second: str, rule: str, severity: Severity
) -> None:
    """Clinical-reference 12.1, row by row: the pair is found with the grade the knowledge base gives it."""
    found = {i.rule.id: i.rule.severity for i in find_interactions(resolve_all([first, second], kb), kb)}
    assert found.get(rule) is severity, found


def test_an_opioid_and_tizanidine_give_the_more_severe_broad_rule(kb: KnowledgeBase) -> None:
    """Two broad rules match (opioid + CNS depressant, tizanidine + CNS depressant): only the major one speaks."""
    found = find_interactions(resolve_all(["tramadol", "tizanidine"], kb), kb)
    assert [i.rule.id for i in found] == ["opioid-cns-depressant"]


def test_a_combination_product_is_screened_for_each_ingredient(kb: KnowledgeBase) -> None:
    """Percocet is oxycodone + acetaminophen: with Xanax, the opioid rule fires through the combination."""
    resolution = resolve("Percocet", kb)
    assert [i.id for i in resolution.ingredients] == ["oxycodone", "acetaminophen"]
    found = find_interactions(resolve_all(["Percocet", "Xanax"], kb), kb)
    assert "opioid-benzodiazepine" in {i.rule.id for i in found}


def test_three_cns_depressants_are_a_major_warning_naming_them(kb: KnowledgeBase) -> None:
    """Seroquel, trazodone and a glass of wine: three CNS depressants, one major class-count finding."""
    report = screen(kb=kb, names=["Seroquel", "trazodone 50 mg", "a glass of wine"])
    (warning,) = report.class_counts
    assert warning.severity is Severity.MAJOR
    assert warning.code == "class_count.three-cns-depressants"
    for name in ("quetiapine", "trazodone", "alcohol"):
        assert name in warning.message
    assert warning.kb_version == kb.version
    assert "beers_2023_table5" in warning.source_ids


def test_two_cns_depressants_are_not_counted_as_three(kb: KnowledgeBase) -> None:
    """Two sedatives, even written twice, do not reach the three-or-more warning."""
    assert screen(kb=kb, names=["Valium", "diazepam", "beer"]).class_counts == ()


@pytest.mark.parametrize(
    ("names", "ingredient"),
    [
        (["Lioresal", "baclofen 10 mg"], "baclofen"),
        (["Norco", "Tylenol"], "acetaminophen"),
        (["Percocet", "OxyContin ER"], "oxycodone"),
        (["Suboxone", "Subutex"], "buprenorphine"),
        (["Xanax", "alprazolam"], "alprazolam"),
    ],
)
def test_the_same_ingredient_twice_is_a_major_duplicate(
    kb: KnowledgeBase, names: list[str], ingredient: str
) -> None:
    """A brand and its generic, or a combination beside its part, is one major duplicate naming both entries."""
    report = screen(kb=kb, names=names)
    found = [f for f in report.duplicates if f.code == "duplicate.same_ingredient"]
    assert len(found) == 1
    assert found[0].severity is Severity.MAJOR
    assert ingredient in found[0].message
    for name in names:
        assert name in found[0].message
    assert report.duplicated == frozenset({0, 1})


def test_the_planned_medicine_on_the_list_is_a_planned_drug_duplicate(kb: KnowledgeBase) -> None:
    """With a baclofen plan, "Lioresal" on the list is the planned medicine and a duplicate."""
    report = screen(kb=kb, names=["Lioresal", "Xanax"], planned="baclofen")
    codes = [f.code for f in report.duplicates]
    assert codes == ["duplicate.planned_drug"]
    assert report.is_planned_medicine(0)
    assert not report.is_planned_medicine(1)
    assert "Lioresal (baclofen)" in report.duplicates[0].message
    assert "baclofen-benzodiazepine" in {i.rule.id for i in report.interactions}


@pytest.mark.parametrize(
    "name",
    ["Seroquel 25 mg", "trazodone", "weed", "Percocet", "Tylenol PM", "NyQuil", "a few beers", "Zanaflex"],
)
def test_every_sedative_the_dictionary_knows_is_triage_context(name: str) -> None:
    """Quetiapine, trazodone, cannabis, the opioid inside Percocet, the antihistamine inside Tylenol PM: each
    sets sedative_comedication for a baclofen patient, so drowsiness is never read as harmless."""
    from dosewise.domain.patient import Medication, Patient
    from dosewise.services.advice import triage_symptoms

    result = triage_symptoms(kb=KB, symptoms=["drowsy"], patient=Patient(medications=(Medication(name),)))
    assert "sedative_comedication" in result.context.flags


def test_a_partly_known_entry_is_both_a_sedative_and_not_screened_in_triage() -> None:
    """ "Percocet and zorbex": the opioid counts as a sedative and zorbex is still reported as not screened."""
    from dosewise.domain.patient import Medication, Patient
    from dosewise.services.advice import triage_symptoms

    patient = Patient(medications=(Medication("Percocet and zorbex"),))
    result = triage_symptoms(kb=KB, symptoms=["drowsy"], patient=patient)
    assert "sedative_comedication" in result.context.flags
    assert "unscreened_comedication" in result.context.flags
