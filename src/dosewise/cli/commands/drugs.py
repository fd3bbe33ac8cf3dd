"""`dosewise drugs [QUERY]`: look up the screening dictionary (names, brands, classes, codes)."""

from __future__ import annotations

import argparse
from typing import Any

from dosewise.cli.common import load_kb
from dosewise.cli.output import emit

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("drugs", parents=parents, help="search the drug dictionary")
    parser.add_argument("query", nargs="?", default="", help="part of a name, brand, class or code")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from dosewise.services.screening import ingredient_to_json, lookup

    kb = load_kb(args)
    found = lookup(kb=kb, query=args.query)
    payload = {
        "kb_version": kb.version,
        "query": args.query,
        "drugs": [ingredient_to_json(i, kb) for i in found],
    }
    lines = [f"{len(found)} match(es) in knowledge base {kb.version}:"]
    for ingredient in found:
        codes = []
        if ingredient.rxcui:
            codes.append(
                f"RxCUI {ingredient.rxcui}"
                + ("" if ingredient.rxcui_status == "verified" else " (unverified)")
            )
        if ingredient.atc:
            codes.append(
                f"ATC {ingredient.atc}" + ("" if ingredient.atc_status == "verified" else " (unverified)")
            )
        brands = f"; brands: {', '.join(ingredient.brands)}" if ingredient.brands else ""
        rules = " [dosing rules]" if ingredient.id in kb.drugs else ""
        lines.append(
            f"  {ingredient.name}{rules}: {', '.join(ingredient.classes)}; {'; '.join(codes) or 'no codes'}{brands}"
        )
    emit(args.json, payload, "\n".join(lines))
    return 0
