"""A printed document as plain values: headings, paragraphs, real tables and figures with a text alternative.

The reports are built as a ``Document`` and typeset by one template (``typeset.py``), so every report gets
the same tagging (headings, table headers with their scope, figure alt text), fonts and page furniture.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Block", "Cell", "Document", "Figure", "Items", "Paragraph", "Section", "Table"]

Tone = Literal["normal", "warning", "note", "strong"]
# A table cell: its lines (a line break between them); the first line may be set in bold.
Cell = tuple[str, ...]


@dataclass(frozen=True)
class Paragraph:
    text: str
    tone: Tone = "normal"
    kind: Literal["paragraph"] = "paragraph"


@dataclass(frozen=True)
class Items:
    """A bulleted list."""

    items: tuple[str, ...]
    tone: Tone = "normal"
    kind: Literal["items"] = "items"


@dataclass(frozen=True)
class Table:
    """A data table: one header row (tagged TH, column scope), rows of cells; ``widths`` in fractions."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[int, ...] = ()
    bold_first_line: bool = False
    kind: Literal["table"] = "table"

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"a row has {len(row)} cells for {len(self.headers)} headers")
        if self.widths and len(self.widths) != len(self.headers):
            raise ValueError("one width per column")


@dataclass(frozen=True)
class Figure:
    """An SVG picture with its alternative text (read by screen readers) and a visible caption."""

    svg: str
    alt: str
    caption: str
    width_percent: int = 100
    kind: Literal["figure"] = "figure"

    def __post_init__(self) -> None:
        if not self.alt.strip():
            raise ValueError("a figure needs its alternative text")


Block = Paragraph | Items | Table | Figure


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    level: int = 2


@dataclass(frozen=True)
class Document:
    title: str
    lines: tuple[str, ...]  # under the title: who, when, which knowledge base
    sections: tuple[Section, ...]
    footer: str
    landscape: bool = False
    font_size_pt: int = 10
    lang: str = "en"
    keywords: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def texts(self) -> list[str]:
        """Every string the page will show (for the glyph check)."""
        out = [self.title, self.footer, *self.lines]
        for section in self.sections:
            out.append(section.title)
            for block in section.blocks:
                if isinstance(block, Paragraph):
                    out.append(block.text)
                elif isinstance(block, Items):
                    out.extend(block.items)
                elif isinstance(block, Table):
                    out.extend(block.headers)
                    out.extend(line for row in block.rows for cell in row for line in cell)
                else:
                    out.extend((block.alt, block.caption, block.svg))
        return out
