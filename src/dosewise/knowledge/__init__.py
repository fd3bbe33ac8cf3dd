"""Knowledge base: versioned, sourced data files, their schema and the loader that builds domain rules."""

from dosewise.knowledge.loader import available_versions, default_version, load_knowledge_base

__all__ = ["available_versions", "default_version", "load_knowledge_base"]
