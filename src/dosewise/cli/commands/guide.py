"""`dosewise guide [GUIDE] [--section ID] [--sources] [--json]`: the plain-language guides.

`dosewise guide` lists the guides; `dosewise guide compare` prints the treatments side by side.
"""

from __future__ import annotations

import argparse
from typing import Any

from dosewise.cli.common import load_kb
from dosewise.cli.output import emit

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "guide",
        parents=parents,
        help="read a plain-language guide (baclofen, baclofen-intrathecal, tizanidine, ...)",
        description="Print a guide from the knowledge base; with no GUIDE, list them; 'compare' prints "
        "the treatments side by side.",
    )
    parser.add_argument("guide", nargs="?", default="", help="guide id, or 'compare'")
    parser.add_argument("--section", metavar="ID", help="print one section only (e.g. withdrawal)")
    parser.add_argument("--sources", action="store_true", help="show each paragraph's sources and grade")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from dosewise.formats.guide import comparison_to_json, guide_to_json, guide_to_text
    from dosewise.services.guides import comparison, find_guide, find_section

    kb = load_kb(args)
    if not args.guide:
        payload = {
            "kb_version": kb.version,
            "guides": [
                {"id": g.id, "title": g.title, "sections": [s.id for s in g.sections]}
                for g in kb.guides.values()
            ],
        }
        lines = [f"Guides in knowledge base {kb.version}:"]
        lines += [
            f"  {g.id}: {g.title} (sections: {', '.join(s.id for s in g.sections)})"
            for g in kb.guides.values()
        ]
        lines.append("Also: 'dosewise guide compare' for the treatments side by side.")
        emit(args.json, payload, "\n".join(lines))
        return 0
    if args.guide == "compare":
        rows = comparison(kb=kb)
        emit(args.json, comparison_to_json(rows, kb.version), _comparison_text(rows, args.sources))
        return 0
    guide = find_guide(kb=kb, guide_id=args.guide)
    sections = (find_section(guide, args.section),) if args.section else None
    emit(
        args.json,
        guide_to_json(guide, kb.version, sections),
        guide_to_text(guide, kb.version, sections, sources=args.sources),
    )
    return 0


def _comparison_text(rows: Any, sources: bool) -> str:
    from dosewise.domain.guides import COMPARISON_COLUMNS

    lines = []
    for row in rows:
        lines += [row.name, "-" * len(row.name)]
        for (_key, heading), cell in zip(COMPARISON_COLUMNS, row.cells, strict=True):
            text = cell.clinician if sources else cell.patient
            grade = f" [{cell.provenance.cite()}]" if sources and cell.provenance else ""
            lines.append(f"  {heading}: {text}{grade}")
        lines.append("")
    return "\n".join(lines)
