"""Use cases: screen a list of medicines, and look drugs up in the dictionary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dosewise.domain.findings import Finding
from dosewise.domain.rules import Ingredient, KnowledgeBase
from dosewise.domain.screening import (
    Interaction,
    Resolution,
    duplicate_therapy,
    find_interactions,
    resolve_all,
    search_ingredients,
)

__all__ = ["ScreeningReport", "ingredient_to_json", "lookup", "screen"]


@dataclass(frozen=True)
class ScreeningReport:
    kb_version: str
    resolutions: tuple[Resolution, ...]
    interactions: tuple[Interaction, ...]
    duplicates: tuple[Finding, ...]

    @property
    def unscreened(self) -> tuple[Resolution, ...]:
        return tuple(r for r in self.resolutions if not r.screened)

    def to_json(self) -> dict[str, object]:
        return {
            "kb_version": self.kb_version,
            "items": [
                {
                    "query": r.query,
                    "screened": r.screened,
                    "ingredient": r.ingredient.id if r.ingredient else None,
                    "name": r.ingredient.name if r.ingredient else None,
                    "matched_by": r.matched_by,
                    "suggestions": list(r.suggestions),
                }
                for r in self.resolutions
            ],
            "interactions": [
                {
                    "rule": i.rule.id,
                    "severity": i.rule.severity.value,
                    "between": [i.first.query, i.second.query],
                    "ingredients": [
                        i.first.ingredient.id if i.first.ingredient else None,
                        i.second.ingredient.id if i.second.ingredient else None,
                    ],
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
            "not_screened": [r.query for r in self.unscreened],
        }


def screen(*, kb: KnowledgeBase, names: Iterable[str]) -> ScreeningReport:
    resolutions = resolve_all(names, kb)
    return ScreeningReport(
        kb_version=kb.version,
        resolutions=resolutions,
        interactions=find_interactions(resolutions, kb),
        duplicates=duplicate_therapy(resolutions, kb),
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
