"""Reading a medicine's name as people write it: "OxyContin ER 20mg", "Norco 5/325", "2 glasses of wine a
night", "oxycodone and acetaminophen". Pure text rules over the dictionary; nothing here guesses.

A name matches when, after leading quantity words are dropped, some leading run of words is a known term
and every word after it is a dose, a formulation word or a frequency word (anything after the first dose
is ignored, as on a label). "Tylenol cold" does not match "Tylenol": "cold" could be another ingredient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from dosewise.domain.rules import Combination, Ingredient, KnowledgeBase

__all__ = [
    "SUGGESTION_MIN_LENGTH",
    "SUGGESTION_MIN_RATIO",
    "Hit",
    "index_for",
    "lookup",
    "name_words",
    "split_parts",
    "suggest",
]


@dataclass(frozen=True)
class Hit:
    ingredients: tuple[Ingredient, ...]
    kind: str  # id | name | brand | misspelling | rxcui
    product: str | None = None  # the combination's name when the term names a combination product
    canonical: str = ""  # the name a suggestion offers: the term as the dictionary spells it


# Formulation and release words, routes and salts: they never change which ingredient it is.
FORM_WORDS = frozenset(
    """
    xr er sr cr ir la xl dr ec cd mr xt ds hcl hydrochloride tartrate succinate maleate besylate
    tablet tablets tab tabs capsule capsules cap caps pill pills patch patches transdermal solution oral liquid
    syrup suspension elixir injection injectable inj iv im sc subcut spray nasal drops film films sublingual
    buccal lozenge chewable dispersible soluble effervescent extended extended-release release immediate
    immediate-release controlled sustained delayed modified slow retard depot pen intrathecal pump generic
    """.split()
)
# How often and when: also never part of the name.
FREQUENCY_WORDS = frozenset(
    """
    daily nightly weekly a an day days night nights week per each every at bedtime morning mornings evening
    evenings twice once thrice times x bid tid qid qhs qd od prn hs as needed required when if food meals after
    before with for pain one two three four half the weekend weekends month monthly occasionally sometimes
    socially usually most about around approx approximately so
    """.split()
)
# Words before a substance that say how much ("2 glasses of wine", "a few beers").
LEADING_WORDS = frozenset(
    """
    a an few some couple of glass glasses pint pints can cans bottle bottles shot shots unit units cup cups
    occasional social heavy light i take takes taking use uses using smoke smokes smoking one two three four
    """.split()
)
_UNITS = frozenset({"mg", "mcg", "ug", "µg", "g", "ml", "l", "units", "iu", "%", "mg/ml", "mcg/h", "mcg/hr"})
_DOSE = re.compile(r"^[#(]?[\d.,/½¼¾]+")
_SEPARATORS = re.compile(r"\s*(?:\+|&|,|;|\band\b|\bor\b|\bwith\b|\bplus\b|(?<=[a-z])/(?=[a-z]))\s*")

# Suggestions (measured in tests/unit/test_screening_names.py on misspellings and ordinary words).
SUGGESTION_MIN_RATIO = 0.85
SUGGESTION_MIN_LENGTH = 4


def _normalise(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _is_dose(token: str) -> bool:
    return bool(_DOSE.match(token)) or token in _UNITS


def _tokens(key: str) -> list[str]:
    # "baclofen10mg" reads as "baclofen 10mg"; punctuation that only wraps a word goes.
    spaced = re.sub(r"(?<=[a-z])(?=\d)", " ", key)
    return [t.strip(",;:()") for t in spaced.split() if t.strip(",;:()")]


_JOINERS = frozenset({"and", "or", "plus", "+", "&", "with"})


def _trailer_ok(rest: list[str]) -> bool:
    """Words after a name: forms and frequencies, then anything after a dose, unless that joins another
    medicine ("10mg and 3 beers"; "with food" is fine)."""
    for index, token in enumerate(rest):
        if _is_dose(token):
            after = rest[index + 1 :]
            return not any(
                word in _JOINERS
                and any(
                    w not in FREQUENCY_WORDS and w not in FORM_WORDS and not _is_dose(w)
                    for w in after[i + 1 :]
                )
                for i, word in enumerate(after)
            )
        if token not in FORM_WORDS and token not in FREQUENCY_WORDS:
            return False
    return True


def _singular(term: str) -> str | None:
    if len(term) > 4 and term.endswith("s") and not term.endswith("ss"):
        return term[:-1]
    return None


def name_words(text: str) -> str:
    """The words that name the medicine, without leading quantities, doses, forms or frequencies."""
    tokens = _tokens(_normalise(text))
    while len(tokens) > 1 and (_is_dose(tokens[0]) or tokens[0] in LEADING_WORDS):
        tokens.pop(0)
    words: list[str] = []
    for token in tokens:
        if _is_dose(token) or (words and (token in FORM_WORDS or token in FREQUENCY_WORDS)):
            break
        words.append(token)
    return " ".join(words)


# One index per loaded knowledge base, keyed by its identity (kept alive in the entry, so never reused).
_INDEXES: dict[int, tuple[KnowledgeBase, dict[str, Hit]]] = {}


def index_for(kb: KnowledgeBase) -> dict[str, Hit]:
    cached = _INDEXES.get(id(kb))
    if cached is not None and cached[0] is kb:
        return cached[1]
    table = _build(kb)
    if len(_INDEXES) >= 8:
        _INDEXES.clear()
    _INDEXES[id(kb)] = (kb, table)
    return table


def _keys(term: str) -> set[str]:
    """A term as written and as its words ("ethinyl estradiol (combined pill)" -> "... combined pill")."""
    key = _normalise(term)
    return {key, " ".join(_tokens(key))}


def _build(kb: KnowledgeBase) -> dict[str, Hit]:
    table: dict[str, Hit] = {}
    by_id = {ingredient.id: ingredient for ingredient in kb.ingredients}
    for ingredient in kb.ingredients:
        _enter(table, ingredient, (ingredient,), None, ingredient.name)
        if ingredient.rxcui:
            table[ingredient.rxcui] = Hit((ingredient,), "rxcui", None, ingredient.name)
    for combination in kb.combinations:
        ingredients = tuple(by_id[i] for i in combination.ingredients)
        _enter(table, combination, ingredients, combination.name, combination.brands[0])
    return table


def _enter(
    table: dict[str, Hit],
    entry: Ingredient | Combination,
    ingredients: tuple[Ingredient, ...],
    product: str | None,
    spelled: str,
) -> None:
    """Every term of one dictionary entry; a misspelling or an id offers ``spelled``, the rest offer themselves."""
    for kind, terms in (
        ("misspelling", entry.misspellings),
        ("brand", entry.brands),
        ("name", (entry.name,)),
        ("id", (entry.id,)),
    ):
        for term in terms:
            offered = spelled if kind in ("misspelling", "id") else term
            for key in _keys(term):
                table[key] = Hit(ingredients, kind, product, offered)


def lookup(text: str, table: dict[str, Hit]) -> Hit | None:
    key = _normalise(text)
    for candidate in (key, key.removeprefix("rxcui:").strip(), key.removeprefix("rxcui").strip()):
        if candidate and candidate in table:
            return table[candidate]
    tokens = _tokens(key)
    while len(tokens) > 1 and (_is_dose(tokens[0]) or tokens[0] in LEADING_WORDS):
        tokens.pop(0)
    for end in range(len(tokens), 0, -1):
        if not _trailer_ok(tokens[end:]):
            continue
        head = " ".join(tokens[:end])
        for term in (head, _singular(head)):
            if term and term in table:
                return table[term]
    return None


def split_parts(text: str) -> list[str]:
    """ "oxycodone and acetaminophen 5/325" -> ["oxycodone", "acetaminophen 5/325"]; one part if no separator."""
    return [part for part in _SEPARATORS.split(_normalise(text)) if part.strip()]


def suggest(text: str, table: dict[str, Hit], limit: int = 3) -> tuple[str, ...]:
    """Close spellings of a known term: same first letter, similar length, ratio at least the threshold.

    Only offered, never matched; short words (fewer than four letters) get no suggestion at all."""
    words = name_words(text)
    if len(words) < SUGGESTION_MIN_LENGTH or not words[0].isalpha():
        return ()
    scored: list[tuple[float, str]] = []
    for term, hit in table.items():
        if term[0] != words[0] or abs(len(term) - len(words)) > max(2, len(words) // 4):
            continue
        ratio = SequenceMatcher(None, words, term).ratio()
        if ratio >= SUGGESTION_MIN_RATIO:
            scored.append((ratio, hit.canonical))
    scored.sort(key=lambda item: -item[0])
    return tuple(dict.fromkeys(name for _, name in scored))[:limit]
