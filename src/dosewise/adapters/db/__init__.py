"""SQLAlchemy 2 adapter: typed records, repositories mapping to and from service records, unit of work,
and Alembic migrations run programmatically at start-up."""

from dosewise.adapters.db.engine import database_url, make_engine, migrate
from dosewise.adapters.db.unit_of_work import SqlStore, SqlUnitOfWork

__all__ = ["SqlStore", "SqlUnitOfWork", "database_url", "make_engine", "migrate"]
