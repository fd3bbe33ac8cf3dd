"""The SQLAlchemy unit of work and the store that opens read or write units on one engine."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dosewise.adapters.db.accounts import SqlResets, SqlSessions, SqlThrottle, SqlUsers
from dosewise.adapters.db.audit import SqlAudit
from dosewise.adapters.db.calendar_feeds import SqlCalendarFeeds
from dosewise.adapters.db.cds import SqlCds
from dosewise.adapters.db.diary import SqlDiary
from dosewise.adapters.db.doses import SqlDoses, SqlStock
from dosewise.adapters.db.engine import write_engine
from dosewise.adapters.db.plans import PlanCodec, SqlPlans
from dosewise.adapters.db.pump import SqlPump
from dosewise.adapters.db.records import SqlGrants, SqlMedications, SqlPatients
from dosewise.adapters.db.reminders import SqlReminders
from dosewise.adapters.db.trials import SqlTrials
from dosewise.domain.rules import KnowledgeBase
from dosewise.services import ports, reminders_ports

__all__ = ["SqlStore", "SqlUnitOfWork"]


class _Lock(Protocol):
    def acquire(self) -> object: ...
    def release(self) -> None: ...


class WriterQueue:
    """SQLite's one writer at a time, as a queue that wakes the next writer the moment the last commits.

    Threads of one process queue on a lock; processes (``serve --workers 2``) queue on an exclusive
    ``flock`` of a file beside the database, which the kernel hands on as soon as it is released. Without
    it, a second process waits in SQLite's busy handler, which sleeps and polls: under write load that
    turned queueing into tails of hundreds of milliseconds.
    """

    def __init__(self, database: Path | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0
        self._path = None if database is None else database.with_name(database.name + ".write-lock")
        self._file: int | None = None

    def acquire(self) -> bool:
        self._threads.acquire()
        try:
            if self._depth == 0 and self._path is not None:
                if self._file is None:
                    self._file = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._file, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._threads.release()


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
    calendar_feeds: ports.CalendarFeedRepository
    doses: ports.DoseRepository
    stock: ports.StockRepository
    diary: ports.DiaryRepository
    pump: ports.PumpRepository
    audit: ports.AuditRepository
    trials: ports.TrialRepository
    cds: ports.CdsRepository
    reminders: reminders_ports.ReminderRepository

    def __init__(
        self, factory: sessionmaker[Session], codec: PlanCodec, *, lock: _Lock | None = None
    ) -> None:
        self._factory = factory
        self._codec = codec
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
        self.plans = SqlPlans(session, self._codec)
        self.calendar_feeds = SqlCalendarFeeds(session)
        self.doses = SqlDoses(session)
        self.stock = SqlStock(session)
        self.diary = SqlDiary(session)
        self.pump = SqlPump(session)
        self.audit = SqlAudit(session)
        self.trials = SqlTrials(session)
        self.cds = SqlCds(session)
        self.reminders = SqlReminders(session)
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

    SQLite has one writer at a time: writers queue in a ``WriterQueue`` (threads and processes alike),
    which wakes the next one the moment the last commits; SQLite's own busy handler (still there, for
    other programs) sleeps and polls, which turned queueing into 800 ms tails under load.
    """

    def __init__(self, engine: Engine, kb: KnowledgeBase) -> None:
        self.engine = engine
        # Stored plans are decoded against the loaded knowledge base, once per version (see plans.py).
        self.plans = PlanCodec(kb)
        self._read = sessionmaker(bind=engine, expire_on_commit=False)
        self._write = sessionmaker(bind=write_engine(engine), expire_on_commit=False)
        self._write_lock = _writer_queue(engine)

    def read(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._read, self.plans)

    def write(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._write, self.plans, lock=self._write_lock)


def _writer_queue(engine: Engine) -> WriterQueue | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    on_disk = bool(database) and database != ":memory:" and not str(database).startswith("file:")
    return WriterQueue(Path(str(database)).resolve() if on_disk else None)
