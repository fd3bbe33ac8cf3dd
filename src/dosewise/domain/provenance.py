"""Where a rule comes from: a source, and the sources with their confidence grade. Below ``rules`` and
``guides``, which both carry provenance (a rule's, a guide paragraph's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Confidence", "Provenance", "SourceRef"]

# The grades of shared/clinical-reference.md: label text or primary study (H) down to a blog or AI page (L);
# "derived" is arithmetic on sourced numbers, "policy" a configurable software default.
Confidence = Literal["H", "M-H", "M", "L-M", "L", "derived", "policy"]


@dataclass(frozen=True)
class SourceRef:
    id: str
    citation: str
    url: str


@dataclass(frozen=True)
class Provenance:
    """Where a rule comes from: source ids resolved to citations, and the confidence grade."""

    sources: tuple[SourceRef, ...]
    confidence: Confidence

    def cite(self) -> str:
        names = "; ".join(source.citation for source in self.sources)
        return f"{names} [{self.confidence}]"

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(source.id for source in self.sources)
