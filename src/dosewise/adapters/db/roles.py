"""The least-privilege PostgreSQL role the app should connect as (documented in docs/configuration.md).

The owner of the tables can always drop or disable a trigger, so the append-only triggers protect history
from the app's own mistakes, not from its owner. Connecting as a role that holds only SELECT and INSERT on
the history tables makes UPDATE, DELETE and TRUNCATE fail on privileges before any trigger is reached, and
a role that is neither owner nor superuser cannot disable triggers or set ``session_replication_role``.
Migrations run as the owner (``dosewise migrate`` with the owner's URL); the app's own start-up migration
is then a no-op that only reads ``alembic_version``.
"""

from __future__ import annotations

import re

from dosewise.adapters.db.models import APPEND_ONLY_TABLES, metadata

__all__ = ["app_role_grants"]

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def app_role_grants(role: str, schema: str = "public") -> list[str]:
    """The GRANT statements for ``role`` on ``schema``: history tables SELECT and INSERT only."""
    for name in (role, schema):
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"'{name}' is not a plain lower-case SQL identifier")
    history = sorted(APPEND_ONLY_TABLES)
    others = sorted(set(metadata.tables) - set(history))
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT ON {schema}.alembic_version TO {role}",
        f"GRANT SELECT, INSERT ON {', '.join(f'{schema}.{t}' for t in history)} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(f'{schema}.{t}' for t in others)} TO {role}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    ]
