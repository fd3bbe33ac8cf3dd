"""Alembic environment: always run on the connection ``dosewise.adapters.db.engine.migrate`` hands in."""

from __future__ import annotations

from alembic import context

from dosewise.adapters.db.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic path is supported
    raise RuntimeError("run migrations through dosewise.adapters.db.engine.migrate(engine)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
context.run_migrations()
