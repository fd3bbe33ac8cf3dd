"""Screening: names, brands, listed misspellings and RxCUIs resolve; anything else is "not screened", never
guessed; class rules give the interactions, most severe first."""

from __future__ import annotations

import pytest

from dosewise.domain.rules import KnowledgeBase, Severity
from dosewise.domain.screening import find_interactions, resolve, resolve_all, search_ingredients
from dosewise.services.screening import screen


@pytest.mark.parametrize(
    ("query", "ingredient", "matched_by"),
    [
        ("baclofen", "baclofen", "name"),
        ("BACLOFEN", "baclofen", "name"),
        ("  baclofen  ", "baclofen", "name"),
        ("Xanax", "alprazolam", "brand"),
        ("Neurontin", "gabapentin", "brand"),
        ("Lioresal", "baclofen", "brand"),
        ("Zanaflex", "tizanidine", "brand"),
        ("alchohol", "ethanol", "misspelling"),
        ("baclophen", "baclofen", "misspelling"),
        ("1292", "baclofen", "rxcui"),
        ("rxcui:3322", "diazepam", "rxcui"),
        ("RxCUI:3322", "diazepam", "rxcui"),
        ("baclofen 10 mg", "baclofen", "name"),
        ("oxycodone 5 mg tablets", "oxycodone", "name"),
        ("alcohol", "ethanol", "name"),
    ],
)
def test_names_brands_misspellings_and_codes_resolve(
    kb: KnowledgeBase, query: str, ingredient: str, matched_by: str
) -> None:
    """Every listed way of naming a medicine resolves to its ingredient, and says how it matched."""
    resolution = resolve(query, kb)
    assert resolution.screened
    assert resolution.ingredient is not None
    assert resolution.ingredient.id == ingredient
    # an ingredient's id and name are often the same word; either is an exact match by name
    assert resolution.matched_by in ({"name", "id"} if matched_by == "name" else {matched_by})


@pytest.mark.parametrize("query", ["baclofem", "oxycodine", "xanaxx", "unobtanium", "12345678", ""])
def test_unknown_names_are_never_silently_matched(kb: KnowledgeBase, query: str) -> None:
    """A near miss or an unknown code is "not screened", with no ingredient attached."""
    resolution = resolve(query, kb)
    assert not resolution.screened
    assert resolution.ingredient is None
    assert resolution.matched_by == "unknown"


def test_a_near_miss_offers_suggestions_without_matching(kb: KnowledgeBase) -> None:
    """ "baclofem" is not matched but "baclofen" is offered as a suggestion."""
    resolution = resolve("baclofem", kb)
    assert "baclofen" in resolution.suggestions
    assert resolution.ingredient is None


def test_a_near_miss_is_reported_as_not_screened_in_the_report(kb: KnowledgeBase) -> None:
    """The screening report lists the unknown name under not_screened, so silence is not read as safety."""
    report = screen(kb=kb, names=["baclofen", "oxycodine"])
    assert report.to_json()["not_screened"] == ["oxycodine"]
    assert [r.query for r in report.unscreened] == ["oxycodine"]


def test_a_dose_written_after_a_misspelling_still_resolves(kb: KnowledgeBase) -> None:
    """ "baclophen 10 mg" resolves through the listed misspelling after the dose is set aside."""
    resolution = resolve("baclophen 10 mg", kb)
    assert resolution.ingredient is not None
    assert resolution.ingredient.id == "baclofen"


# ---------------------------------------------------------------- interactions


def pairs(kb: KnowledgeBase, *names: str) -> dict[str, Severity]:
    return {i.rule.id: i.rule.severity for i in find_interactions(resolve_all(names, kb), kb)}


def test_baclofen_with_an_opioid_is_major(kb: KnowledgeBase) -> None:
    """Baclofen + oxycodone: major (respiratory depression; label warning, FDA 2016)."""
    assert pairs(kb, "baclofen", "oxycodone")["baclofen-opioid"] is Severity.MAJOR


@pytest.mark.parametrize("opioid", ["morphine", "fentanyl", "methadone", "tramadol", "codeine", "OxyContin"])
def test_every_opioid_interacts_with_baclofen_through_its_class(kb: KnowledgeBase, opioid: str) -> None:
    """The rule is class-based: any opioid on the list triggers it."""
    assert pairs(kb, "baclofen", opioid).get("baclofen-opioid") is Severity.MAJOR


def test_tizanidine_with_ciprofloxacin_is_contraindicated(kb: KnowledgeBase) -> None:
    """Tizanidine + ciprofloxacin (strong CYP1A2 inhibitor): contraindicated (label section 4; AUC x10)."""
    assert pairs(kb, "tizanidine", "Cipro")["tizanidine-strong-cyp1a2-inhibitor"] is Severity.CONTRAINDICATED


def test_tizanidine_with_fluvoxamine_is_contraindicated(kb: KnowledgeBase) -> None:
    """Tizanidine + fluvoxamine: contraindicated (AUC x33)."""
    assert (
        pairs(kb, "Zanaflex", "fluvoxamine")["tizanidine-strong-cyp1a2-inhibitor"] is Severity.CONTRAINDICATED
    )


def test_an_opioid_with_a_benzodiazepine_is_major(kb: KnowledgeBase) -> None:
    """Oxycodone + Xanax: major (FDA 2016 boxed warning), even without baclofen."""
    assert pairs(kb, "oxycodone", "Xanax")["opioid-benzodiazepine"] is Severity.MAJOR


def test_baclofen_with_alcohol_is_major(kb: KnowledgeBase) -> None:
    """Baclofen + alcohol (even misspelled): major additive CNS depression."""
    assert pairs(kb, "baclofen", "alchohol")["baclofen-alcohol"] is Severity.MAJOR


def test_the_same_ingredient_twice_does_not_interact_with_itself(kb: KnowledgeBase) -> None:
    """ "baclofen" and "Lioresal" are one ingredient: no baclofen-baclofen interaction."""
    assert pairs(kb, "baclofen", "Lioresal") == {}


def test_unscreened_items_give_no_interactions(kb: KnowledgeBase) -> None:
    """An unknown name contributes no interactions (and is reported as not screened instead)."""
    assert pairs(kb, "baclofen", "unobtanium") == {}


def test_interactions_are_sorted_most_severe_first(kb: KnowledgeBase) -> None:
    """With major, moderate and minor rules firing, the list runs from most to least severe."""
    found = find_interactions(resolve_all(["baclofen", "amitriptyline", "metformin", "oxycodone"], kb), kb)
    ranks = [i.rule.severity.rank for i in found]
    assert ranks == sorted(ranks, reverse=True)
    assert {Severity.MAJOR, Severity.MODERATE, Severity.MINOR} <= {i.rule.severity for i in found}


def test_duplicate_central_muscle_relaxants_are_reported(kb: KnowledgeBase) -> None:
    """Baclofen with tizanidine is duplicate therapy (moderate), named in the report."""
    report = screen(kb=kb, names=["baclofen", "Zanaflex"])
    (duplicate,) = report.duplicates
    assert duplicate.severity is Severity.MODERATE
    assert "tizanidine" in duplicate.message
    assert "baclofen" in duplicate.message


def test_the_screening_report_json_names_rule_severity_source_and_version(kb: KnowledgeBase) -> None:
    """Each interaction in the JSON report has its rule, severity, the queries as written, a source and the kb version."""
    data = screen(kb=kb, names=["baclofen", "oxycodone", "Xanax", "alchohol"]).to_json()
    assert data["kb_version"] == kb.version
    # baclofen with each of the three, opioid + benzodiazepine, and alcohol with the opioid and the benzodiazepine
    assert len(data["interactions"]) == 6
    for interaction in data["interactions"]:
        assert interaction["severity"] in {"minor", "moderate", "major", "contraindicated"}
        assert interaction["source"]
        assert interaction["source_ids"]
        assert interaction["kb_version"] == kb.version
    assert {tuple(i["between"]) for i in data["interactions"]} >= {
        ("baclofen", "oxycodone"),
        ("oxycodone", "Xanax"),
    }


# ---------------------------------------------------------------- lookup


def test_searching_by_class_finds_every_member(kb: KnowledgeBase) -> None:
    """ "benzo" finds diazepam, lorazepam, alprazolam and the other benzodiazepines."""
    found = {i.id for i in search_ingredients("benzo", kb)}
    assert {"diazepam", "lorazepam", "temazepam", "alprazolam", "clonazepam", "midazolam"} <= found


def test_an_exact_match_is_listed_first(kb: KnowledgeBase) -> None:
    """Searching a brand lists its ingredient first."""
    assert search_ingredients("Xanax", kb)[0].id == "alprazolam"


def test_an_empty_search_lists_the_whole_dictionary(kb: KnowledgeBase) -> None:
    """No query returns every ingredient."""
    assert search_ingredients("", kb) == kb.ingredients
