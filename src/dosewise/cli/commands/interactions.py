"""`dosewise interactions DRUG [DRUG ...]`: screen names, brands, misspellings or RxCUIs."""

from __future__ import annotations

import argparse
from typing import Any

from dosewise.cli.common import load_kb
from dosewise.cli.output import emit

__all__ = ["register"]


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
        if item.ingredient:
            how = "" if item.matched_by in ("name", "id") else f" (by {item.matched_by})"
            lines.append(f"  {item.query}: {item.ingredient.name}{how}")
        else:
            hint = f"; did you mean {', '.join(item.suggestions)}?" if item.suggestions else ""
            lines.append(f"  {item.query}: NOT SCREENED (unknown){hint}")
    if report.interactions:
        for found in report.interactions:
            lines.append(
                f"[{found.rule.severity.value.upper()}] {found.first.query} + {found.second.query}: "
                f"{found.rule.effect} {found.rule.action}"
            )
            lines.append(f"      source: {found.rule.provenance.cite()}")
    else:
        lines.append("No interactions found among the screened items.")
    for duplicate in report.duplicates:
        lines.append(f"[{duplicate.severity.value.upper()}] {duplicate.message}")
    if report.unscreened:
        lines.append("Not screened items were not checked: absence of a warning is not safety.")
    emit(args.json, report.to_json(), "\n".join(lines))
    return 0
