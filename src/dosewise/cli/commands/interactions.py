"""`dosewise interactions DRUG [DRUG ...]`: screen names, brands, misspellings or RxCUIs."""

from __future__ import annotations

import argparse
from typing import Any

from dosewise.cli.common import load_kb
from dosewise.cli.output import emit

__all__ = ["register"]

EXIT_NEEDS_ATTENTION = 1  # as `check`: a major finding, or something not screened


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("interactions", parents=parents, help="screen medicines for interactions")
    parser.add_argument("drugs", nargs="+", metavar="DRUG", help="name, brand, common misspelling or RxCUI")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from dosewise.services.screening import screen

    kb = load_kb(args)
    report = screen(kb=kb, names=args.drugs)
    lines = [f"Interaction screen (knowledge base {kb.version}):"]
    for item in report.resolutions:
        hint = f"; did you mean {', '.join(item.suggestions)}?" if item.suggestions else ""
        if item.ingredient:
            how = "" if item.matched_by in ("name", "id") else f" (by {item.matched_by})"
            names = " + ".join(i.name for i in item.ingredients)
            lines.append(f"  {item.query}: {names}{how}")
            if item.unknown_parts:
                lines.append(f"    NOT SCREENED: {', '.join(item.unknown_parts)} (unknown){hint}")
        else:
            lines.append(f"  {item.query}: NOT SCREENED (unknown){hint}")
    for found in report.interactions:
        lines.append(
            f"[{found.rule.severity.value.upper()}] {found.first_ingredient.name} ({found.first.query}) + "
            f"{found.second_ingredient.name} ({found.second.query}): {found.rule.effect} {found.rule.action}"
        )
        lines.append(f"      source: {found.rule.provenance.cite()} · knowledge base {kb.version}")
    for extra in (*report.duplicates, *report.class_counts):
        lines.append(f"[{extra.severity.value.upper()}] {extra.message}")
        lines.append(f"      source: {extra.source} · knowledge base {kb.version}")
    nothing = not (report.interactions or report.duplicates or report.class_counts)
    if report.unscreened:
        names = ", ".join(r.query for r in report.unscreened)
        lines.append(
            f"NOT SCREENED: {names}. These were not checked at all: the absence of a warning is not safety. "
            "Ask a pharmacist about them."
        )
    elif nothing:
        lines.append("No interactions found among the screened items.")
    emit(args.json, report.to_json(), "\n".join(lines))
    return EXIT_NEEDS_ATTENTION if report.needs_attention else 0
