"""The CDS Hooks FHIRPath invariants, run with fhirpathpy over responses and feedback.

Release 2.0.1 states these rules in prose; the HL7/cds-hooks repository states them as FHIRPath in
``input/fsh/invariants/*.fsh`` (commit fb10ca7, the logical models CDSHooksResponse and CDSHooksFeedback).
Copied unchanged, with the element each one is attached to. cds-resp-7 (actionSelectionBehavior) is a 3.0
element; it holds for 2.0.1 answers, which do not use it.
"""

from __future__ import annotations

from typing import Any

from fhirpathpy import evaluate

# (id, path of the element it is attached to, expression)
RESPONSE = (
    (
        "cds-resp-1",
        "cards",
        "(selectionBehavior = 'at-most-one') implies suggestions.where(isRecommended).count() <= 1",
    ),
    ("cds-resp-6", "cards", "suggestions.exists() implies selectionBehavior.exists()"),
    ("cds-resp-5", "cards.suggestions", "actions.all(description.exists())"),
    (
        "cds-resp-7",
        "cards.suggestions",
        "actionSelectionBehavior.empty() or actionSelectionBehavior = 'all' or actionSelectionBehavior = 'any' "
        "or actionSelectionBehavior = 'at-most-one'",
    ),
    (
        "cds-resp-2",
        "cards.suggestions.actions",
        "(type = 'delete') implies (resourceId.exists() and resource.empty())",
    ),
    ("cds-resp-3", "cards.links", "(type != 'smart') implies (appContext.empty())"),
    ("cds-resp-4", "cards.overrideReasons", "all(display.exists())"),
)
FEEDBACK = (
    ("cds-fb-1", "feedback", "outcome = 'accepted' or outcome = 'overridden'"),
    ("cds-fb-2", "feedback", "(outcome = 'accepted') implies acceptedSuggestions.exists()"),
    ("cds-fb-3", "feedback.overrideReason", "reason.exists() or userComment.exists()"),
)


def _elements(document: Any, path: str) -> list[Any]:
    found = [document]
    for part in path.split("."):
        nxt: list[Any] = []
        for item in found:
            value = item.get(part) if isinstance(item, dict) else None
            if isinstance(value, list):
                nxt.extend(value)
            elif value is not None:
                nxt.append(value)
        found = nxt
    return found


def violations(document: dict[str, Any], invariants: tuple[tuple[str, str, str], ...]) -> list[str]:
    """Every (invariant, element index) that does not evaluate to true."""
    out = []
    for ident, path, expression in invariants:
        elements = _elements(document, path)
        if ident == "cds-resp-4":
            # Attached to the overrideReasons list as a whole: all() runs over the collection.
            for card in _elements(document, "cards"):
                reasons = card.get("overrideReasons")
                if reasons and evaluate(reasons, expression) != [True]:
                    out.append(f"{ident} on card {card.get('uuid')}")
            continue
        for index, element in enumerate(elements):
            if evaluate(element, expression) != [True]:
                out.append(f"{ident} on {path}[{index}]")
    return out
