"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL schema that is dropped afterwards.

``DOSEWISE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test`` selects PostgreSQL; the
returned URL pins ``search_path`` to the new schema, so everything (tables, triggers, Alembic's version
table) lives there and disappears with it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

__all__ = ["TEST_DATABASE_ENV", "scratch_database"]

TEST_DATABASE_ENV = "DOSEWISE_TEST_DATABASE_URL"


@contextmanager
def scratch_database(base_url: str | None, directory: Path) -> Iterator[str]:
    if not base_url:
        yield f"sqlite+pysqlite:///{directory / 'dosewise-test.sqlite3'}"
        return
    url = make_url(base_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"{TEST_DATABASE_ENV} must be a postgresql+psycopg:// URL")
    schema = "dw_test_" + secrets.token_hex(6)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
