"""The guide as JSON (``dosewise.guide/1``) and as plain text, and the comparison table as JSON.

Every paragraph carries its sources and grade, and the knowledge-base version it was filled from.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from dosewise.domain.guides import COMPARISON_COLUMNS, ComparisonRow, Guide, GuideSection
from dosewise.domain.rules import Provenance

__all__ = ["FORMAT", "comparison_to_json", "guide_to_json", "guide_to_text"]

FORMAT = "dosewise.guide/1"
_WIDTH = 88
# A dose never breaks across lines ("15" at the end of one, "mg" on the next): the space between the
# number and its unit is held as a no-break space while wrapping (textwrap splits on ASCII spaces only).
_NUMBER_UNIT = re.compile(r"(\d) (mg|mcg|mL|U|units|days|weeks|hours|in 100)\b")
_NBSP = "\u00a0"


def _wrap(text: str, **options: str) -> list[str]:
    held = _NUMBER_UNIT.sub(lambda m: m.group(1) + _NBSP + m.group(2), text)
    return [line.replace(_NBSP, " ") for line in textwrap.wrap(held, _WIDTH, **options)]  # type: ignore[arg-type]


def _provenance(provenance: Provenance) -> dict[str, Any]:
    return {
        "confidence": provenance.confidence,
        "sources": [{"id": s.id, "citation": s.citation, "url": s.url} for s in provenance.sources],
    }


def _section(section: GuideSection) -> dict[str, Any]:
    return {
        "id": section.id,
        "title": section.title,
        "off_label": section.off_label,
        "paragraphs": [
            {"text": p.text, "quoted_figures": p.quoted_figures, **_provenance(p.provenance)}
            for p in section.paragraphs
        ],
    }


def guide_to_json(
    guide: Guide, kb_version: str, sections: tuple[GuideSection, ...] | None = None
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "kb_version": kb_version,
        "guide": guide.id,
        "drug": guide.drug,
        "title": guide.title,
        "summary": guide.summary,
        "url": f"/guides/{guide.id}",
        "sections": [_section(s) for s in (sections if sections is not None else guide.sections)],
        "questions": [{"text": q.text, "answer": q.answer} for q in guide.questions],
    }


def guide_to_text(
    guide: Guide, kb_version: str, sections: tuple[GuideSection, ...] | None = None, *, sources: bool = False
) -> str:
    lines = [guide.title, "=" * len(guide.title), *_wrap(guide.summary), ""]
    for section in sections if sections is not None else guide.sections:
        lines += [section.title, "-" * len(section.title)]
        if section.off_label:
            lines.append("(Not an approved use: this says what the evidence is, and no more.)")
        for paragraph in section.paragraphs:
            lines += _wrap(paragraph.text)
            if sources:
                lines += _wrap(
                    f"Sources: {paragraph.provenance.cite()}", initial_indent="  ", subsequent_indent="  "
                )
            lines.append("")
    lines.append(
        f"From dosewise knowledge base {kb_version}. This guide does not replace your clinician's advice; "
        "in an emergency call your local emergency number."
    )
    return "\n".join(lines)


def comparison_to_json(rows: tuple[ComparisonRow, ...], kb_version: str) -> dict[str, Any]:
    return {
        "format": "dosewise.comparison/1",
        "kb_version": kb_version,
        "columns": [{"key": key, "heading": heading} for key, heading in COMPARISON_COLUMNS],
        "rows": [
            {
                "id": row.id,
                "name": row.name,
                "guide": row.guide,
                "cells": {
                    key: {
                        "patient": cell.patient,
                        "clinician": cell.clinician,
                        "recorded": cell.recorded,
                        **(_provenance(cell.provenance) if cell.provenance else {}),
                    }
                    for (key, _), cell in zip(COMPARISON_COLUMNS, row.cells, strict=True)
                },
            }
            for row in rows
        ],
    }
