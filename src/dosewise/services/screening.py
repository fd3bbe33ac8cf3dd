"""Use cases: screen a list of medicines, and look drugs up in the dictionary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dosewise.domain.findings import Finding
from dosewise.domain.rules import Ingredient, KnowledgeBase, Severity
from dosewise.domain.screening import (
    Interaction,
    Resolution,
    class_count_findings,
    duplicate_findings,
    duplicate_therapy,
    find_interactions,
    resolve,
    resolve_all,
    same_ingredient,
    search_ingredients,
)

__all__ = ["ScreeningReport", "ingredient_to_json", "lookup", "screen"]


@dataclass(frozen=True)
class ScreeningReport:
    kb_version: str
    resolutions: tuple[Resolution, ...]
    interactions: tuple[Interaction, ...]
    duplicates: tuple[Finding, ...]
    class_counts: tuple[Finding, ...] = ()
    planned: Resolution | None = None
    duplicated: frozenset[int] = frozenset()  # indexes of list entries that repeat an ingredient

    def is_planned_medicine(self, index: int) -> bool:
        """Whether list entry ``index`` contains the planned medicine."""
        if self.planned is None or self.planned.ingredient is None:
            return False
        entry = self.resolutions[index]
        return any(i.id == self.planned.ingredient.id for i in entry.ingredients)

    @property
    def unscreened(self) -> tuple[Resolution, ...]:
        return tuple(r for r in self.resolutions if not r.screened)

    @property
    def needs_attention(self) -> bool:
        """A major or contraindicated finding, or anything that could not be screened: unknown is never
        reassuring, so a script reading the answer must not take "not checked" for "safe"."""
        severities = [i.rule.severity for i in self.interactions]
        severities += [f.severity for f in (*self.duplicates, *self.class_counts)]
        partly_unknown = any(r.unknown_parts for r in self.resolutions)
        return (
            bool(self.unscreened) or partly_unknown or any(s.rank >= Severity.MAJOR.rank for s in severities)
        )

    def to_json(self) -> dict[str, object]:
        return {
            "kb_version": self.kb_version,
            "items": [
                {
                    "query": r.query,
                    "screened": r.screened,
                    "ingredient": r.ingredient.id if r.ingredient else None,
                    "name": r.ingredient.name if r.ingredient else None,
                    "label": r.label,
                    "ingredients": [i.id for i in r.ingredients],
                    "product": r.product,
                    "unknown_parts": list(r.unknown_parts),
                    "matched_by": r.matched_by,
                    "suggestions": list(r.suggestions),
                    "planned_medicine": self.is_planned_medicine(index),
                    "duplicate": index in self.duplicated,
                }
                for index, r in enumerate(self.resolutions)
            ],
            "planned": self.planned.ingredient.id if self.planned and self.planned.ingredient else None,
            "interactions": [
                {
                    "rule": i.rule.id,
                    "severity": i.rule.severity.value,
                    "between": [i.first.query, i.second.query],
                    "ingredients": [i.first_ingredient.id, i.second_ingredient.id],
                    "effect": i.rule.effect,
                    "action": i.rule.action,
                    "patient_message": i.rule.patient_text,
                    "severity_basis": i.rule.severity_basis,
                    "source": i.rule.provenance.cite(),
                    "source_ids": list(i.rule.provenance.source_ids),
                    "kb_version": self.kb_version,
                }
                for i in self.interactions
            ],
            "duplicates": [f.to_json() for f in self.duplicates],
            "class_counts": [f.to_json() for f in self.class_counts],
            "not_screened": [r.query for r in self.unscreened],
            "needs_attention": self.needs_attention,
        }


def screen(*, kb: KnowledgeBase, names: Iterable[str], planned: str | None = None) -> ScreeningReport:
    """Screen every pair on the list (and with the planned medicine, when given), the same ingredient
    reached twice, and many CNS depressants together."""
    resolutions = resolve_all(names, kb)
    plan = resolve(planned, kb) if planned else None
    everything = ((plan,) if plan is not None and plan.screened else ()) + resolutions
    duplicates = same_ingredient(everything)
    duplicated = frozenset(
        index
        for index, r in enumerate(resolutions)
        for d in duplicates
        if any(r is entry for entry in d.entries)
    )
    return ScreeningReport(
        kb_version=kb.version,
        resolutions=resolutions,
        interactions=find_interactions(everything, kb),
        duplicates=duplicate_findings(duplicates, kb, plan) + duplicate_therapy(everything, kb),
        class_counts=class_count_findings(everything, kb),
        planned=plan,
        duplicated=duplicated,
    )


def lookup(*, kb: KnowledgeBase, query: str = "") -> tuple[Ingredient, ...]:
    return search_ingredients(query, kb)


def ingredient_to_json(ingredient: Ingredient, kb: KnowledgeBase) -> dict[str, object]:
    return {
        "id": ingredient.id,
        "name": ingredient.name,
        "classes": list(ingredient.classes),
        "rxcui": ingredient.rxcui,
        "rxcui_status": ingredient.rxcui_status,
        "atc": ingredient.atc,
        "atc_status": ingredient.atc_status,
        "brands": list(ingredient.brands),
        "misspellings": list(ingredient.misspellings),
        "substance": ingredient.substance,
        "has_dosing_rules": ingredient.id in kb.drugs,
        "source": ingredient.provenance.cite(),
        "kb_version": kb.version,
    }
