"""Typeset a ``Document`` as a tagged PDF (PDF/UA-1) with Typst, in fonts that cover every character.

Typst (the PyPI ``typst`` compiler) writes the structure tree: headings, tables whose header cells carry
their scope, and figures with their alternative text (it refuses a figure without one). The fonts are
Debian's DejaVu Sans (``fonts-dejavu-core``), and only they are used: system fonts are ignored, so the same
input gives the same bytes on every machine. A character the fonts lack never prints as an empty box: in
what people typed (a name, a symptom, a medicine) it is shown as "\ufffd" and the page says so under its
title; in the template it is refused. The creation date is the report's own time, never the clock.

typst and fontTools are imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from dosewise.domain.errors import DosewiseError
from dosewise.formats.report.layout import Document

__all__ = [
    "FONT_DIR",
    "FONT_FILES",
    "REPLACED_NOTICE",
    "REPLACEMENT",
    "ReportUnavailable",
    "missing_glyphs",
    "typeset",
]

TEMPLATE = Path(__file__).parent / "templates" / "document.typ"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
# Characters that are layout, not glyphs: line breaks in a cell are split before this point.
_NOT_DRAWN = frozenset("\n\t\r")
REPLACEMENT = "\ufffd"
REPLACED_NOTICE = (
    f"Some characters typed into the record cannot be printed in this font and are shown as {REPLACEMENT}: "
    "check the original record for those words."
)


class ReportUnavailable(DosewiseError):
    """The report cannot be typeset faithfully (fonts missing, or a character no font can draw)."""

    code = "report_unavailable"


def _fonts(font_dir: Path) -> tuple[Path, ...]:
    paths = tuple(font_dir / name for name in FONT_FILES)
    absent = [str(path) for path in paths if not path.is_file()]
    if absent:
        raise ReportUnavailable(
            f"the report fonts are not installed ({', '.join(absent)})",
            hint="install the Debian package fonts-dejavu-core",
        )
    return paths


@lru_cache(maxsize=4)
def _coverage(font_files: tuple[Path, ...]) -> frozenset[int]:
    """Code points every report font can draw (regular and bold alike)."""
    from fontTools.ttLib import TTFont

    sets = []
    for path in font_files:
        with TTFont(str(path), lazy=True) as font:
            sets.append(frozenset(font.getBestCmap()))
    return frozenset.intersection(*sets)


def missing_glyphs(texts: list[str], font_dir: Path = FONT_DIR) -> list[str]:
    """The characters of ``texts`` that the report fonts cannot draw, in order of first appearance."""
    covered = _coverage(_fonts(font_dir))
    seen: dict[str, None] = {}
    for text in texts:
        for char in text:
            if char not in _NOT_DRAWN and ord(char) not in covered:
                seen.setdefault(char, None)
    return list(seen)


def _drawable(char: str, covered: frozenset[int]) -> bool:
    return char in _NOT_DRAWN or (ord(char) in covered and unicodedata.category(char) != "Cc")


def _printable(value: Any, covered: frozenset[int], replaced: list[int]) -> Any:
    """``value`` (the document as JSON) with every character the fonts cannot draw replaced."""
    if isinstance(value, str):
        bad = {c for c in set(value) if not _drawable(c, covered)}  # each distinct character once
        if not bad:
            return value
        replaced[0] += sum(value.count(c) for c in bad)
        return "".join(REPLACEMENT if c in bad else c for c in value)
    if isinstance(value, dict):
        return {key: _printable(item, covered, replaced) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(item, covered, replaced) for item in value]
    return value


def typeset(document: Document, *, created: datetime, font_dir: Path = FONT_DIR) -> bytes:
    """The PDF bytes: identical for the same document and ``created`` time."""
    import typst

    fonts = _fonts(font_dir)
    missing = missing_glyphs([TEMPLATE.read_text(encoding="utf-8")], font_dir)
    if missing:
        raise ReportUnavailable(f"the report template uses characters the fonts cannot draw: {missing[:5]}")
    replaced = [0]
    payload = _printable(document.to_json(), _coverage(fonts), replaced)
    if replaced[0]:
        payload["lines"] = [*payload["lines"], REPLACED_NOTICE]
    if created.tzinfo is None:
        raise ValueError("the creation time needs its time zone")
    try:
        pdf, warnings = typst.compile_with_warnings(
            str(TEMPLATE),
            root=str(TEMPLATE.parent),
            font_paths=[str(path.parent) for path in fonts[:1]],
            ignore_system_fonts=True,
            sys_inputs={"document": json.dumps(payload, ensure_ascii=False)},
            pdf_standards=["ua-1"],
            timestamp=int(created.astimezone(UTC).timestamp()),
        )
    except typst.TypstError as error:
        raise ReportUnavailable(f"the report could not be typeset: {error.message}") from error
    if warnings:
        # A warning (an unknown font, a missing glyph) means the page is not what was asked for.
        raise ReportUnavailable(f"the report could not be typeset faithfully: {warnings[0].message}")
    assert isinstance(pdf, bytes)
    return pdf
