"""Knowledge base: versioned, sourced data files, their schema and the loader that builds domain rules."""

from dosewise.knowledge.loader import DEFAULT_VERSION, available_versions, load_knowledge_base

__all__ = ["DEFAULT_VERSION", "available_versions", "load_knowledge_base"]
