"""Shared fixtures: the released knowledge base, loaded once per test session."""

from __future__ import annotations

import pytest

from dosewise.domain.rules import DrugRules, KnowledgeBase
from dosewise.knowledge import default_version, load_knowledge_base


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The default released knowledge base."""
    return load_knowledge_base(default_version())


@pytest.fixture(scope="session")
def baclofen(kb: KnowledgeBase) -> DrugRules:
    """Oral baclofen's rules from the released knowledge base."""
    return kb.drug("baclofen")
