"""A migrated throwaway database per test: SQLite by default, PostgreSQL with DOSEWISE_TEST_DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dosewise.adapters.db import SqlStore, make_engine, migrate
from dosewise.adapters.db.testing import TEST_DATABASE_ENV, scratch_database
from dosewise.domain.rules import KnowledgeBase


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database that is removed after the test."""
    with scratch_database(os.environ.get(TEST_DATABASE_ENV), tmp_path) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the scratch database, migrated to the newest revision."""
    created = make_engine(database_url)
    migrate(created)
    yield created
    created.dispose()


@pytest.fixture
def store(engine: Engine, kb: KnowledgeBase) -> SqlStore:
    """The SQL store over the scratch database, decoding plans against the default knowledge base."""
    return SqlStore(engine, kb)
