"""Where a rule comes from: a source, and the sources with their confidence grade. Below ``rules`` and
``guides``, which both carry provenance (a rule's, a guide paragraph's)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Provenance", "SourceRef"]


@dataclass(frozen=True)
class SourceRef:
    id: str
    citation: str
    url: str


@dataclass(frozen=True)
class Provenance:
    """Where a rule comes from: source ids resolved to citations, and the confidence grade."""

    sources: tuple[SourceRef, ...]
    confidence: str

    def cite(self) -> str:
        names = "; ".join(source.citation for source in self.sources)
        return f"{names} [{self.confidence}]"

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(source.id for source in self.sources)
