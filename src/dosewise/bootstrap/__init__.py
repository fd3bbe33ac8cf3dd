"""The one composition root: settings -> knowledge base (and, for the web app, engine and unit of work)."""

from __future__ import annotations

from dosewise.bootstrap.settings import Settings, load_settings
from dosewise.domain.rules import KnowledgeBase

__all__ = ["Settings", "knowledge_base", "load_settings"]


def knowledge_base(settings: Settings | None = None, version: str | None = None) -> KnowledgeBase:
    """Load the configured knowledge-base version, or the one ``knowledge/data/current.toml`` names."""
    from dosewise.knowledge import load_knowledge_base

    chosen = version or (settings.kb_version if settings else "") or None
    cache_dir = settings.data_dir / "cache" if settings else None
    return load_knowledge_base(chosen, cache_dir=cache_dir)
