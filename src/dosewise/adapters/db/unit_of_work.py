"""The SQLAlchemy unit of work and the store that opens read or write units on one engine."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dosewise.adapters.db.accounts import SqlResets, SqlSessions, SqlThrottle, SqlUsers
from dosewise.adapters.db.audit import SqlAudit
from dosewise.adapters.db.diary import SqlDiary
from dosewise.adapters.db.doses import SqlDoses, SqlStock
from dosewise.adapters.db.engine import write_engine
from dosewise.adapters.db.plans import SqlPlans
from dosewise.adapters.db.records import SqlGrants, SqlMedications, SqlPatients
from dosewise.services import ports

__all__ = ["SqlStore", "SqlUnitOfWork"]


class SqlUnitOfWork:
    """One session, one transaction; leaving without ``commit`` rolls everything back."""

    # Declared as the ports' types: a Protocol's attributes are invariant.
    users: ports.UserRepository
    sessions: ports.SessionRepository
    resets: ports.ResetRepository
    throttle: ports.ThrottleRepository
    patients: ports.PatientRepository
    grants: ports.GrantRepository
    medications: ports.MedicationRepository
    plans: ports.PlanRepository
    doses: ports.DoseRepository
    stock: ports.StockRepository
    diary: ports.DiaryRepository
    audit: ports.AuditRepository

    def __init__(self, factory: sessionmaker[Session], lock: threading.RLock | None = None) -> None:
        self._factory = factory
        self._lock = lock
        self._session: Session | None = None

    def __enter__(self) -> Self:
        if self._lock is not None:
            self._lock.acquire()
        try:
            session = self._factory()
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        self._session = session
        self.users = SqlUsers(session)
        self.sessions = SqlSessions(session)
        self.resets = SqlResets(session)
        self.throttle = SqlThrottle(session)
        self.patients = SqlPatients(session)
        self.grants = SqlGrants(session)
        self.medications = SqlMedications(session)
        self.plans = SqlPlans(session)
        self.doses = SqlDoses(session)
        self.stock = SqlStock(session)
        self.diary = SqlDiary(session)
        self.audit = SqlAudit(session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None
            if self._lock is not None:
                self._lock.release()

    def commit(self) -> None:
        assert self._session is not None, "commit outside a unit of work"
        self._session.commit()


class SqlStore:
    """``read()`` opens a plain transaction; ``write()`` one that takes the write lock up front (SQLite).

    SQLite has one writer at a time. Within a process, writers queue on a Python lock, which wakes the next
    one the moment the last commits; SQLite's own busy handler (still there, for other processes) sleeps
    and polls, which turned queueing into 800 ms tails under load.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(bind=engine, expire_on_commit=False)
        self._write = sessionmaker(bind=write_engine(engine), expire_on_commit=False)
        self._write_lock = threading.RLock() if engine.dialect.name == "sqlite" else None

    def read(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._read)

    def write(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._write, self._write_lock)
