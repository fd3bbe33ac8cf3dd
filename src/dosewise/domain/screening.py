"""Drug identity and interaction screening over the knowledge base's dictionary and class rules.

A name matches an ingredient by its id, its name, a brand, a listed misspelling or its RxCUI. Anything
else is never guessed: close spellings are only offered as suggestions, and the item is reported as
"not screened" so nobody mistakes silence for safety.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import get_close_matches

from dosewise.domain.findings import Finding, finding
from dosewise.domain.rules import Ingredient, InteractionRule, KnowledgeBase, Severity

__all__ = [
    "SEDATIVE_CLASSES",
    "Interaction",
    "Resolution",
    "duplicate_therapy",
    "find_interactions",
    "resolve",
    "resolve_all",
    "search_ingredients",
]

# Classes whose combination with baclofen the labels warn about for breathing and sedation (clinical-reference 5.1).
SEDATIVE_CLASSES = frozenset(
    {"opioid", "benzodiazepine", "alcohol", "gabapentinoid", "z_drug", "sedating_antihistamine"}
)


@dataclass(frozen=True)
class Resolution:
    """What a written name turned out to be: an ingredient (and how it matched) or unknown."""

    query: str
    ingredient: Ingredient | None
    matched_by: str  # id | name | brand | misspelling | rxcui | unknown
    suggestions: tuple[str, ...] = ()

    @property
    def screened(self) -> bool:
        return self.ingredient is not None


@dataclass(frozen=True)
class Interaction:
    rule: InteractionRule
    first: Resolution
    second: Resolution

    def to_finding(self, kb_version: str) -> Finding:
        assert self.first.ingredient is not None and self.second.ingredient is not None
        names = f"{self.first.ingredient.name} + {self.second.ingredient.name}"
        return finding(
            self.rule.severity,
            f"interaction.{self.rule.id}",
            f"{names}: {self.rule.effect} {self.rule.action}",
            self.rule.patient_text,
            self.rule.provenance,
            kb_version,
        )


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _strip_dose(text: str) -> str:
    """ "baclofen 10 mg tablets" -> "baclofen": a dose or form written after the name does not hide it."""
    return re.split(r"\s+\d", text, maxsplit=1)[0].strip()


# One index per loaded dictionary, keyed by the identity of its ingredient tuple (kept alive in the entry,
# so the id is never reused): building it is the whole cost of a lookup.
_INDEXES: dict[int, tuple[tuple[Ingredient, ...], dict[str, tuple[Ingredient, str]]]] = {}


def _index(ingredients: tuple[Ingredient, ...]) -> dict[str, tuple[Ingredient, str]]:
    cached = _INDEXES.get(id(ingredients))
    if cached is not None and cached[0] is ingredients:
        return cached[1]
    table = _build_index(ingredients)
    if len(_INDEXES) >= 8:
        _INDEXES.clear()
    _INDEXES[id(ingredients)] = (ingredients, table)
    return table


def _build_index(ingredients: Iterable[Ingredient]) -> dict[str, tuple[Ingredient, str]]:
    table: dict[str, tuple[Ingredient, str]] = {}
    for ingredient in ingredients:
        for kind, terms in (
            ("misspelling", ingredient.misspellings),
            ("brand", ingredient.brands),
            ("name", (ingredient.name,)),
            ("id", (ingredient.id,)),
        ):
            for term in terms:
                table[_normalise(term)] = (ingredient, kind)
        if ingredient.rxcui:
            table[ingredient.rxcui] = (ingredient, "rxcui")
    return table


def resolve(query: str, kb: KnowledgeBase) -> Resolution:
    table = _index(kb.ingredients)
    key = _normalise(query)
    for candidate in (key, _normalise(_strip_dose(query)), key.removeprefix("rxcui:").strip()):
        if candidate in table:
            ingredient, kind = table[candidate]
            return Resolution(query, ingredient, kind)
    suggestions = tuple(
        table[match][0].name for match in get_close_matches(_normalise(_strip_dose(query)), list(table), n=3)
    )
    return Resolution(query, None, "unknown", tuple(dict.fromkeys(suggestions)))


def resolve_all(queries: Iterable[str], kb: KnowledgeBase) -> tuple[Resolution, ...]:
    return tuple(resolve(query, kb) for query in queries)


def search_ingredients(query: str, kb: KnowledgeBase) -> tuple[Ingredient, ...]:
    """Ingredients whose id, name, brand, misspelling, class or codes contain the query."""
    key = _normalise(query)
    if not key:
        return kb.ingredients
    exact = resolve(query, kb)
    found = [exact.ingredient] if exact.ingredient else []
    for ingredient in kb.ingredients:
        haystack = [
            ingredient.id,
            ingredient.name,
            *ingredient.brands,
            *ingredient.misspellings,
            *ingredient.classes,
        ]
        haystack += [code for code in (ingredient.rxcui, ingredient.atc) if code]
        if any(key in _normalise(term) for term in haystack) and ingredient not in found:
            found.append(ingredient)
    return tuple(found)


def _side_matches(side: str, ingredient: Ingredient) -> bool:
    if side.startswith("class:"):
        return side.removeprefix("class:") in ingredient.classes
    return side == ingredient.id


def find_interactions(resolutions: Iterable[Resolution], kb: KnowledgeBase) -> tuple[Interaction, ...]:
    """Every rule that fires between two different screened items, most severe first."""
    known = [r for r in resolutions if r.ingredient is not None]
    unique: dict[str, Resolution] = {}
    for resolution in known:
        assert resolution.ingredient is not None
        unique.setdefault(resolution.ingredient.id, resolution)
    items = list(unique.values())
    found: list[Interaction] = []
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            assert first.ingredient is not None and second.ingredient is not None
            for rule in kb.interactions:
                if _side_matches(rule.a, first.ingredient) and _side_matches(rule.b, second.ingredient):
                    found.append(Interaction(rule, first, second))
                elif _side_matches(rule.a, second.ingredient) and _side_matches(rule.b, first.ingredient):
                    found.append(Interaction(rule, second, first))
    return tuple(sorted(found, key=lambda x: (-x.rule.severity.rank, x.rule.id)))


def duplicate_therapy(resolutions: Iterable[Resolution], kb: KnowledgeBase) -> tuple[Finding, ...]:
    """Two or more centrally acting muscle relaxants on one list."""
    relaxants: dict[str, Ingredient] = {}
    for resolution in resolutions:
        ingredient = resolution.ingredient
        if ingredient is not None and "muscle_relaxant_central" in ingredient.classes:
            relaxants[ingredient.id] = ingredient
    if len(relaxants) < 2:
        return ()
    names = ", ".join(sorted(i.name for i in relaxants.values()))
    rule = next((r for r in kb.interactions if r.id == "baclofen-other-muscle-relaxant"), None)
    provenance = rule.provenance if rule else next(iter(relaxants.values())).provenance
    return (
        finding(
            Severity.MODERATE,
            "duplicate_therapy.muscle_relaxant_central",
            f"Duplicate therapy: more than one centrally acting muscle relaxant ({names}). Review whether both are needed.",
            "You have more than one muscle relaxant on your list. Ask your clinician whether you need both.",
            provenance,
            kb.version,
        ),
    )
