"""Engines for SQLite (a file in the data directory, WAL mode) and PostgreSQL, and programmatic migration.

SQLite: pysqlite's own transaction handling is switched off so that a write unit of work can start with
``BEGIN IMMEDIATE``: it takes the write lock before reading, so two concurrent writers queue (busy
timeout) instead of one failing half-way. Reads start a plain deferred transaction and never block.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from dosewise.domain.errors import InvalidInput

__all__ = ["MIGRATIONS", "database_url", "make_engine", "migrate", "write_engine"]

MIGRATIONS = Path(__file__).parent / "migrations"
_WRITE = "dosewise_write"
_BUSY_TIMEOUT_MS = 10_000
_MIGRATION_LOCK = 0x646F7365  # "dose": one PostgreSQL advisory lock id for concurrent first starts


def database_url(configured: str, data_dir: Path) -> str:
    """The configured URL, or a SQLite file in the data directory (created with its parents)."""
    if configured:
        return configured
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+pysqlite:///{data_dir / 'dosewise.sqlite3'}"


def make_engine(url: str, *, echo: bool = False, connect_args: dict[str, Any] | None = None) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, **(connect_args or {})},
            pool_size=10,
            max_overflow=20,
        )
        _configure_sqlite(engine)
    else:
        engine = create_engine(
            url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args=connect_args or {}
        )
    event.listen(engine, "before_cursor_execute", _refuse_nul_characters)
    return engine


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


def _refuse_nul_characters(
    _connection: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _executemany: bool
) -> None:
    """No text with a NUL character reaches the database, whichever field it came in.

    PostgreSQL cannot store one in a text column (the driver raised, a 500: schemathesis found it in a
    sign-in e-mail and an idempotency key); SQLite would store it and every reader would trip on it later.
    One check here covers every field of every route, the CLI and the services alike.
    """
    if _has_nul(parameters):
        raise InvalidInput("text cannot contain the NUL character (\\0)", hint="remove it and try again")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # INSERT OR REPLACE deletes the row it replaces; with recursive triggers that delete fires the
        # append-only DELETE trigger (migration 0003 also refuses a reused id before the insert).
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")  # a logged dose survives a power cut
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def write_engine(engine: Engine) -> Engine:
    """The same engine and pool, marked so SQLite transactions take the write lock at BEGIN."""
    return engine.execution_options(**{_WRITE: True})


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (run at start-up; a no-op when already there)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with write_engine(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
