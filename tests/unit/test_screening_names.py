"""Names as people write them: doses, formulation words, quantities of drink, slang, combination products
and lists in one entry resolve; words that might be another ingredient do not; suggestions stay close,
measured on ordinary words and on misspellings the dictionary does not list."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from screening_corpus import MISSPELLINGS, NON_DRUG_WORDS

from dosewise.domain.rules import KnowledgeBase
from dosewise.domain.screening import resolve
from dosewise.knowledge import default_version, load_knowledge_base

KB = load_knowledge_base(default_version())


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [
        ("OxyContin ER 20mg", ["oxycodone"]),
        ("oxycodone 5 mg tablets twice a day", ["oxycodone"]),
        ("baclofen10mg", ["baclofen"]),
        ("Seroquel XR 50 mg at bedtime", ["quetiapine"]),
        ("fentanyl patch 25 mcg/h", ["fentanyl"]),
        ("Ambien CR", ["zolpidem"]),
        ("Toprol XL 50", ["metoprolol"]),
        ("Suboxone film 8mg/2mg", ["buprenorphine", "naloxone"]),
        ("Norco 5/325", ["hydrocodone", "acetaminophen"]),
        ("Vicodin", ["hydrocodone", "acetaminophen"]),
        ("Percocet 5mg/325mg", ["oxycodone", "acetaminophen"]),
        ("Tylenol #3", ["codeine", "acetaminophen"]),
        ("tylenol 3 30mg", ["codeine", "acetaminophen"]),
        ("Tylenol PM", ["diphenhydramine", "acetaminophen"]),
        ("NyQuil", ["doxylamine", "acetaminophen", "dextromethorphan"]),
        ("hydrocodone/acetaminophen 10/325", ["hydrocodone", "acetaminophen"]),
        ("oxycodone and paracetamol", ["oxycodone", "acetaminophen"]),
        ("Dilaudid 2 mg", ["hydromorphone"]),
        ("Nucynta ER", ["tapentadol"]),
        ("Remeron", ["mirtazapine"]),
        ("trazodone 50mg nightly", ["trazodone"]),
        ("beers", ["ethanol"]),
        ("2 glasses of red wine a night", ["ethanol"]),
        ("a few beers at the weekend", ["ethanol"]),
        ("vodka", ["ethanol"]),
        ("whiskey", ["ethanol"]),
        ("weed", ["cannabis"]),
        ("marijuana", ["cannabis"]),
        ("THC gummies", ["cannabis"]),
        ("CBD oil", ["cannabidiol"]),
        ("Sativex", ["dronabinol", "cannabidiol"]),
        ("rxcui 3322", ["diazepam"]),
        ("oxycodone 10mg and 3 beers", ["oxycodone", "ethanol"]),
        ("Xanax 1mg, 2 glasses of wine", ["alprazolam", "ethanol"]),
        ("oxycodone 5 mg with food", ["oxycodone"]),
        ("Tylenol with Codeine 30mg", ["acetaminophen", "codeine"]),
    ],
)
def test_everyday_writing_resolves_to_every_ingredient(
    kb: KnowledgeBase, written: str, ingredients: list[str]
) -> None:
    """Doses, XR/ER/patch, strengths, quantities of drink and slang are set aside; combinations list each part."""
    resolution = resolve(written, kb)
    assert resolution.screened, resolution
    assert [i.id for i in resolution.ingredients] == ingredients


@pytest.mark.parametrize(
    "written", ["Tylenol cold", "Advil sinus", "baclofen gel compound", "Xanax bars and zorbex"]
)
def test_a_word_that_could_be_another_ingredient_is_never_dropped(kb: KnowledgeBase, written: str) -> None:
    """ "Tylenol cold" is not plain Tylenol: an unknown word beside a known name leaves the entry not screened."""
    assert not resolve(written, kb).screened


def test_a_list_in_one_entry_screens_the_known_part_and_reports_the_rest(kb: KnowledgeBase) -> None:
    """ "Percocet and zorbex": oxycodone and acetaminophen are screened; zorbex is named as not screened."""
    resolution = resolve("Percocet and zorbex", kb)
    assert {i.id for i in resolution.ingredients} == {"oxycodone", "acetaminophen"}
    assert resolution.unknown_parts == ("zorbex",)
    assert not resolution.screened


def test_weed_is_cannabis_not_a_suggestion_of_a_benzodiazepine(kb: KnowledgeBase) -> None:
    """The issue's example: "weed" resolves to cannabis and never to midazolam."""
    resolution = resolve("weed", kb)
    assert resolution.ingredient is not None
    assert resolution.ingredient.id == "cannabis"


def test_ordinary_words_almost_never_get_a_drug_suggestion(kb: KnowledgeBase) -> None:
    """On the corpus of ordinary words, at most 2% get a suggestion, and every one shares the first letter."""
    suggested = {w: resolve(w, kb).suggestions for w in NON_DRUG_WORDS if not resolve(w, kb).screened}
    false = {w: s for w, s in suggested.items() if s}
    assert len(false) <= 0.02 * len(NON_DRUG_WORDS), false
    for word, suggestions in false.items():
        assert all(s[0].lower() == word[0] for s in suggestions)


def test_real_misspellings_get_the_intended_medicine_and_nothing_else(kb: KnowledgeBase) -> None:
    """Every misspelling the dictionary does not list is offered the medicine meant; no wrong suggestion."""
    right, wrong = 0, []
    for typo, meant in MISSPELLINGS:
        resolution = resolve(typo, kb)
        if resolution.screened:
            assert meant in {i.id for i in resolution.ingredients}, typo
            continue
        offered = {i.id for s in resolution.suggestions for i in resolve(s, kb).ingredients}
        if meant in offered:
            right += 1
        else:
            wrong.append((typo, resolution.suggestions))
    assert wrong == []
    assert right >= 30


def test_short_words_get_no_suggestion(kb: KnowledgeBase) -> None:
    """Under four letters a close spelling is noise: "pil", "mag" and "abc" get none."""
    for word in ("pil", "mag", "abc", "z"):
        assert resolve(word, kb).suggestions == ()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_resolves_without_error_and_never_half_matches(text: str) -> None:
    """Whatever is typed, resolving never raises; a screened entry has an ingredient, an unscreened one is
    either unknown or names the parts it could not match."""
    resolution = resolve(text, KB)
    if resolution.screened:
        assert resolution.ingredient is not None
    else:
        assert resolution.ingredient is None or resolution.unknown_parts


@pytest.mark.parametrize("written", ["oral contraceptive", "Yaz", "Loestrin 1/20", "contraceptive pill"])
def test_combined_pills_by_brand_or_everyday_name_are_the_cyp1a2_inhibitor_tizanidine_must_know(
    written: str,
) -> None:
    """The tizanidine label names oral contraceptives: the words and brands people write resolve to them."""
    resolution = resolve(written, KB)
    assert resolution.ingredient is not None
    assert "cyp1a2_inhibitor" in resolution.ingredient.classes


def test_birth_control_alone_is_not_screened_rather_than_guessed() -> None:
    """'Birth control' may be a progestin-only method: it stays unscreened instead of being guessed."""
    assert resolve("birth control", KB).ingredient is None
