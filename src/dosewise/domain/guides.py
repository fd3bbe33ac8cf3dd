"""Plain-language guides and the side-by-side comparison, as frozen data built from the knowledge base.

Each paragraph keeps the template it was written as ("up to {max_daily} a day") beside the text the
knowledge base filled in from the same rule values the planner reads, so a changed limit changes the
sentence; its provenance says where the words come from.
"""

from __future__ import annotations

from dataclasses import dataclass

from dosewise.domain.provenance import Provenance

__all__ = [
    "COMPARISON_COLUMNS",
    "NOT_RECORDED",
    "ComparisonCell",
    "ComparisonRow",
    "Guide",
    "GuideParagraph",
    "GuideQuestion",
    "GuideSection",
]

# What a cell says when the knowledge base holds no fact for it: never a guess.
NOT_RECORDED = "not recorded"

# (key, heading) of the comparison table, in the order people read them.
COMPARISON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("works", "How it works"),
    ("taken", "How it is taken"),
    ("speed", "How fast it acts"),
    ("common_effects", "Common side effects"),
    ("cautions", "Cautions and tests"),
    ("interactions", "Interactions of note"),
    ("stopping", "What stopping involves"),
)


@dataclass(frozen=True)
class GuideParagraph:
    text: str  # the template with the knowledge base's values filled in
    template: str
    provenance: Provenance
    # Figures quoted from a source (doses tried in studies, a label schedule) that are not rule values the
    # planner uses: the only paragraphs allowed to write a dose as a number.
    quoted_figures: bool = False


@dataclass(frozen=True)
class GuideSection:
    id: str  # the stable anchor: /guides/<guide>#<id>
    title: str
    paragraphs: tuple[GuideParagraph, ...]
    off_label: bool = False


@dataclass(frozen=True)
class GuideQuestion:
    text: str
    answer: str | None = None  # goal | review | no_benefit | plan: what the record fills in


@dataclass(frozen=True)
class Guide:
    id: str  # the stable URL: /guides/<id>
    drug: str  # the rules it explains: a kb.drugs key, "baclofen-intrathecal", or an alternative's id
    title: str
    summary: str
    sections: tuple[GuideSection, ...]
    questions: tuple[GuideQuestion, ...] = ()

    def section(self, section_id: str) -> GuideSection | None:
        return next((section for section in self.sections if section.id == section_id), None)


@dataclass(frozen=True)
class ComparisonCell:
    patient: str
    clinician: str
    provenance: Provenance | None  # None: the knowledge base records nothing here

    @property
    def recorded(self) -> bool:
        return self.provenance is not None


@dataclass(frozen=True)
class ComparisonRow:
    id: str
    name: str
    guide: str | None  # the guide that explains this treatment, if there is one
    cells: tuple[ComparisonCell, ...]  # one per COMPARISON_COLUMNS entry

    def cell(self, key: str) -> ComparisonCell:
        keys = [column for column, _ in COMPARISON_COLUMNS]
        return self.cells[keys.index(key)]
