"""Drug identity and interaction screening over the knowledge base's dictionary and class rules.

A name matches an ingredient (or a combination product) by its id, its name, a brand, a listed
misspelling or its RxCUI, once doses, formulation words ("XR", "patch", "10 mg") and quantity words
("2 glasses of") are set aside. Anything else is never guessed: close spellings are only offered as
suggestions, and the item is reported as "not screened" so nobody mistakes silence for safety.
Every pair on a list is screened, not only pairs with the planned drug.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dosewise.domain.findings import Finding, finding
from dosewise.domain.rules import Ingredient, InteractionRule, KnowledgeBase, Severity
from dosewise.domain.screening_names import Hit, index_for, lookup, split_parts, suggest

__all__ = [
    "SEDATIVE_CLASSES",
    "Duplicate",
    "Interaction",
    "Resolution",
    "class_count_findings",
    "duplicate_findings",
    "duplicate_therapy",
    "find_interactions",
    "resolve",
    "resolve_all",
    "same_ingredient",
    "search_ingredients",
]

# Classes whose combination with baclofen the labels warn about for breathing and sedation (clinical-reference
# 5.1), and every other CNS depressant the dictionary knows (quetiapine, trazodone, cannabis...: 12.1).
SEDATIVE_CLASSES = frozenset(
    {
        "opioid",
        "benzodiazepine",
        "alcohol",
        "gabapentinoid",
        "z_drug",
        "sedating_antihistamine",
        "cns_depressant",
    }
)


@dataclass(frozen=True)
class Resolution:
    """What a written name turned out to be: its ingredients (and how it matched) or unknown.

    ``ingredient`` is the entry's main ingredient (the first of a combination product); ``components``
    lists every ingredient of a combination; ``unknown_parts`` names the parts of an entry that could not
    be matched ("Percocet and zorbex"): the known parts are screened, and the entry is still "not screened".
    """

    query: str
    ingredient: Ingredient | None
    matched_by: str  # id | name | brand | misspelling | rxcui | combination | unknown
    suggestions: tuple[str, ...] = ()
    components: tuple[Ingredient, ...] = ()
    product: str | None = None
    unknown_parts: tuple[str, ...] = ()

    @property
    def ingredients(self) -> tuple[Ingredient, ...]:
        if self.components:
            return self.components
        return (self.ingredient,) if self.ingredient is not None else ()

    @property
    def screened(self) -> bool:
        return self.ingredient is not None and not self.unknown_parts

    @property
    def what(self) -> str | None:
        """What the entry is, when that is not what was written: "baclofen" for "Lioresal"."""
        what = self.product or (self.ingredient.name if self.ingredient else None)
        if what is None or what.lower() == self.query.strip().lower():
            return None
        return what

    @property
    def label(self) -> str:
        """How the entry reads with what it is: "Lioresal (baclofen)", "Norco (hydrocodone + acetaminophen)"."""
        return f"{self.query} ({self.what})" if self.what else self.query


@dataclass(frozen=True)
class Interaction:
    rule: InteractionRule
    first: Resolution
    second: Resolution
    first_ingredient: Ingredient
    second_ingredient: Ingredient

    def to_finding(self, kb_version: str) -> Finding:
        names = f"{self.first_ingredient.name} + {self.second_ingredient.name}"
        return finding(
            self.rule.severity,
            f"interaction.{self.rule.id}",
            f"{names}: {self.rule.effect} {self.rule.action}",
            self.rule.patient_text,
            self.rule.provenance,
            kb_version,
        )


def _from_hits(query: str, hits: Sequence[Hit], kind: str, product: str | None) -> Resolution:
    ingredients = tuple({i.id: i for hit in hits for i in hit.ingredients}.values())
    return Resolution(
        query, ingredients[0], kind, components=ingredients if len(ingredients) > 1 else (), product=product
    )


def resolve(query: str, kb: KnowledgeBase) -> Resolution:
    table = index_for(kb)
    parts = split_parts(query)
    whole = table.get(" ".join(query.strip().lower().split()))
    if whole is not None:  # a brand spelt with "and" or "with" ("Tylenol with Codeine")
        return _from_hits(query, [whole], whole.kind, whole.product)
    found = [(part, lookup(part, table)) for part in parts] if len(parts) > 1 else []
    if found and all(h is not None for _, h in found):
        resolution = _from_hits(query, [h for _, h in found if h is not None], "combination", None)
        names = " + ".join(i.name for i in resolution.ingredients)
        return Resolution(query, resolution.ingredient, "combination", (), resolution.components, names)
    hit = lookup(query, table)
    if hit is not None:
        return _from_hits(query, [hit], hit.kind, hit.product)
    if found:
        hits = [h for _, h in found if h is not None]
        unknown = tuple(part for part, h in found if h is None)
        if hits:
            resolution = _from_hits(query, hits, "combination", None)
            names = " + ".join(i.name for i in resolution.ingredients)
            suggestions = tuple(s for part in unknown for s in suggest(part, table))
            return Resolution(
                query,
                resolution.ingredient,
                "combination",
                tuple(dict.fromkeys(suggestions)),
                resolution.components,
                names,
                unknown,
            )
    return Resolution(query, None, "unknown", suggest(query, table))


def resolve_all(queries: Iterable[str], kb: KnowledgeBase) -> tuple[Resolution, ...]:
    return tuple(resolve(query, kb) for query in queries)


def search_ingredients(query: str, kb: KnowledgeBase) -> tuple[Ingredient, ...]:
    """Ingredients whose id, name, brand, misspelling, class or codes contain the query."""
    key = " ".join(query.strip().lower().split())
    if not key:
        return kb.ingredients
    exact = resolve(query, kb)
    found = list(exact.ingredients)
    for ingredient in kb.ingredients:
        haystack = [
            ingredient.id,
            ingredient.name,
            *ingredient.brands,
            *ingredient.misspellings,
            *ingredient.classes,
        ]
        haystack += [code for code in (ingredient.rxcui, ingredient.atc) if code]
        if any(key in term.lower() for term in haystack) and ingredient not in found:
            found.append(ingredient)
    return tuple(found)


def _side_matches(side: str, ingredient: Ingredient) -> bool:
    if side.startswith("class:"):
        return side.removeprefix("class:") in ingredient.classes
    return side == ingredient.id


def _units(resolutions: Iterable[Resolution]) -> list[tuple[Ingredient, Resolution]]:
    """Each different ingredient once, with the first entry that brings it."""
    units: dict[str, tuple[Ingredient, Resolution]] = {}
    for resolution in resolutions:
        for ingredient in resolution.ingredients:
            units.setdefault(ingredient.id, (ingredient, resolution))
    return list(units.values())


def _pair_rules(
    kb: KnowledgeBase, a: tuple[Ingredient, Resolution], b: tuple[Ingredient, Resolution]
) -> list[Interaction]:
    specific: list[Interaction] = []
    fallback: list[tuple[int, Interaction]] = []
    for order, rule in enumerate(kb.interactions):
        if _side_matches(rule.a, a[0]) and _side_matches(rule.b, b[0]):
            found = Interaction(rule, a[1], b[1], a[0], b[0])
        elif _side_matches(rule.a, b[0]) and _side_matches(rule.b, a[0]):
            found = Interaction(rule, b[1], a[1], b[0], a[0])
        else:
            continue
        if rule.fallback:
            fallback.append((order, found))
        else:
            specific.append(found)
    if specific or not fallback:
        return specific
    # Broad class rules: only the most severe one speaks for the pair (the earlier one on a tie).
    return [min(fallback, key=lambda item: (-item[1].rule.severity.rank, item[0]))[1]]


def find_interactions(resolutions: Iterable[Resolution], kb: KnowledgeBase) -> tuple[Interaction, ...]:
    """Every rule that fires between two different ingredients on the list, most severe first.

    Ingredients of one combination product are not paired with each other (they are one medicine)."""
    units = _units(resolutions)
    found: list[Interaction] = []
    for i, first in enumerate(units):
        for second in units[i + 1 :]:
            if first[1] is second[1]:
                continue
            found.extend(_pair_rules(kb, first, second))
    return tuple(sorted(found, key=lambda x: (-x.rule.severity.rank, x.rule.id)))


@dataclass(frozen=True)
class Duplicate:
    """One ingredient reached by two or more entries (the planned medicine counts as an entry)."""

    ingredient: Ingredient
    entries: tuple[Resolution, ...]


def same_ingredient(resolutions: Iterable[Resolution]) -> tuple[Duplicate, ...]:
    """Ingredients that two or more different entries contain, in list order."""
    seen: dict[str, tuple[Ingredient, list[Resolution]]] = {}
    for resolution in resolutions:
        for ingredient in resolution.ingredients:
            entry = seen.setdefault(ingredient.id, (ingredient, []))
            if all(resolution is not other for other in entry[1]):
                entry[1].append(resolution)
    return tuple(Duplicate(ing, tuple(entries)) for ing, entries in seen.values() if len(entries) > 1)


def duplicate_findings(
    duplicates: Iterable[Duplicate], kb: KnowledgeBase, planned: Resolution | None = None
) -> tuple[Finding, ...]:
    """One finding per duplicated ingredient, from the knowledge base's duplicate rule."""
    rule = kb.duplicate_rule
    if rule is None:
        return ()
    out = []
    for duplicate in duplicates:
        listed = [e for e in duplicate.entries if e is not planned]
        names = ", ".join(e.label for e in listed)
        if planned is not None and any(e is planned for e in duplicate.entries):
            code = "duplicate.planned_drug"
            message = (
                f"{names} on the medication list is the planned medicine ({duplicate.ingredient.name}). "
                f"{rule.effect} {rule.action}"
            )
            patient = (
                f"{names} on your list is the same medicine as your plan ({duplicate.ingredient.name}). "
                "Your plan's doses already include it: taking both could mean a double dose. "
                "Ask your clinician or pharmacist which to follow; do not stop it suddenly."
            )
        else:
            code = "duplicate.same_ingredient"
            message = (
                f"{duplicate.ingredient.name} is on the list {len(listed)} times: {names}. "
                f"{rule.effect} {rule.action}"
            )
            patient = f"{duplicate.ingredient.name} is on your list {len(listed)} times ({names}). {rule.patient_text}"
        out.append(finding(rule.severity, code, message, patient, rule.provenance, kb.version))
    return tuple(out)


def class_count_findings(resolutions: Iterable[Resolution], kb: KnowledgeBase) -> tuple[Finding, ...]:
    """Warnings for lists with many ingredients of one class (three or more CNS depressants)."""
    items = list(resolutions)
    out = []
    for rule in kb.class_counts:
        members = {i.id: i for r in items for i in r.ingredients if rule.cls in i.classes}
        if len(members) < rule.min_count:
            continue
        names = ", ".join(i.name for i in members.values())
        out.append(
            finding(
                rule.severity,
                f"class_count.{rule.id}",
                f"{len(members)} together ({names}): {rule.effect} {rule.action}",
                rule.patient_text,
                rule.provenance,
                kb.version,
            )
        )
    return tuple(out)


def duplicate_therapy(resolutions: Iterable[Resolution], kb: KnowledgeBase) -> tuple[Finding, ...]:
    """Two or more different centrally acting muscle relaxants on one list."""
    relaxants: dict[str, Ingredient] = {}
    for resolution in resolutions:
        for ingredient in resolution.ingredients:
            if "muscle_relaxant_central" in ingredient.classes:
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
