"""Composition root of the web app: settings -> engine (migrated) -> store, knowledge base, password hasher.

``dosewise.web`` receives a ``WebContext`` and never sees the adapters; the CLI's ``serve`` and ``demo``
commands and the tests build the context here.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from dosewise.bootstrap.settings import Settings
from dosewise.domain.rules import KnowledgeBase
from dosewise.services.cds_auth import CdsClients, parse_clients
from dosewise.services.ports import Clock, Mailer, PasswordHasher, ServiceBusy, Store
from dosewise.services.reminders_ports import PushSender

T = TypeVar("T")

__all__ = [
    "Argon2Hasher",
    "BoundedExecutor",
    "WebContext",
    "build_web_context",
    "cds_clients_for",
    "mailer_for",
    "push_sender_for",
    "secret_key",
    "system_clock",
]


def system_clock() -> datetime:
    return datetime.now(UTC)


class Argon2Hasher:
    """argon2id through argon2-cffi (its recommended parameters unless told otherwise)."""

    def __init__(self, **parameters: Any) -> None:
        from argon2 import PasswordHasher as _Argon2

        self._hasher = _Argon2(**parameters)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return bool(self._hasher.check_needs_rehash(password_hash))
        except Exception:
            return True


class BoundedExecutor:
    """Where the requests that hash passwords run: its own threads, with a bounded queue.

    argon2 is deliberately expensive. Run on the small thread pool that serves pages (two threads, see
    ``web.app.THREADS``), eight attackers signing up pushed Today's p99 from 18 ms to 1.6 s. Sign-up,
    sign-in, password change and reset therefore run here instead, awaited by the event loop, so they
    never hold a page thread: at most ``workers`` run at once, at most ``queue`` wait, and beyond that
    the request is refused at once (503 with Retry-After) instead of queueing without end.
    """

    def __init__(self, *, workers: int = 1, queue: int = 8) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dosewise-auth")
        self._slots = threading.BoundedSemaphore(workers + queue)

    async def run(self, function: Callable[[], T]) -> T:
        import asyncio

        if not self._slots.acquire(blocking=False):
            raise ServiceBusy("dosewise is busy signing people in", hint="try again in a few seconds")
        try:
            return await asyncio.wrap_future(self._executor.submit(function))
        finally:
            self._slots.release()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def mailer_for(settings: Settings) -> Mailer | None:
    """An SMTP mailer when DOSEWISE_SMTP_HOST is set; otherwise None (links are shown, not sent)."""
    if not settings.smtp_host:
        return None
    from dosewise.adapters.mail import SmtpMailer

    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )


def push_sender_for(settings: Settings) -> PushSender:
    """Web Push signed with the VAPID key in the data directory (made on first start)."""
    from dosewise.adapters.push import WebPushSender

    key = (
        Path(settings.vapid_key_file)
        if settings.vapid_key_file
        else Path(settings.data_dir) / "vapid_private.pem"
    )
    return WebPushSender(key_path=key, subject=settings.vapid_subject)


@dataclass
class WebContext:
    """Everything the web app needs, built once at start-up."""

    settings: Settings
    store: Store
    kb: KnowledgeBase
    hasher: PasswordHasher
    secret_key: str
    clock: Clock = system_clock
    mailer: Mailer | None = None
    auth: BoundedExecutor = field(default_factory=BoundedExecutor)
    database_backend: str = "sqlite"
    close: Callable[[], None] = field(default=lambda: None)
    cds_clients: CdsClients = field(default_factory=lambda: CdsClients({}))
    push: PushSender | None = None

    def start_scheduler(self) -> Callable[[], None]:
        """Start this process's reminder scheduler (``dosewise serve``); returns the function that stops it."""
        from dosewise.services.scheduler_loop import SchedulerLoop

        loop = SchedulerLoop(
            store=self.store,
            kb=self.kb,
            clock=self.clock,
            sender=self.push,
            mailer=self.mailer,
            secret=self.secret_key,
            base_url=self.settings.base_url,
            tick_seconds=self.settings.reminder_tick_seconds,
        )
        return loop.start()

    @property
    def reads_inline(self) -> bool:
        """Whether a read may run on the event loop instead of a worker thread.

        An embedded SQLite read in WAL mode is an in-process library call that never waits for a lock or
        a network: the handoff to a worker thread costs more than the read. Over a network connection
        (PostgreSQL) a read waits on I/O, so it runs in the thread pool.
        """
        return self.database_backend == "sqlite"


def cds_clients_for(settings: Settings) -> CdsClients:
    """The CDS Hooks clients trusted to call (DOSEWISE_CDS_CLIENTS); none when it is not set."""
    if not settings.cds_clients:
        return CdsClients({})
    import json

    path = Path(settings.cds_clients)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"DOSEWISE_CDS_CLIENTS: cannot read {path} as JSON ({exc})") from exc
    return parse_clients(data)


def secret_key(settings: Settings) -> str:
    """DOSEWISE_SECRET_KEY, or a key generated once and kept (mode 0600) in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def build_web_context(
    settings: Settings,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    kb: KnowledgeBase | None = None,
    engine_options: dict[str, Any] | None = None,
) -> WebContext:
    """Create (and migrate) the database on first start, load the knowledge base, wire the services."""
    from dosewise.adapters.db import SqlStore, database_url, make_engine, migrate
    from dosewise.bootstrap import knowledge_base

    knowledge = kb or knowledge_base(settings)
    url = database_url(settings.database_url, Path(settings.data_dir))
    engine = make_engine(url, **(engine_options or {}))
    migrate(engine)
    auth = BoundedExecutor()

    def close() -> None:
        auth.close()
        engine.dispose()

    return WebContext(
        settings=settings,
        store=SqlStore(engine, knowledge),
        kb=knowledge,
        hasher=hasher or Argon2Hasher(),
        secret_key=secret_key(settings),
        clock=clock or system_clock,
        mailer=mailer_for(settings),
        auth=auth,
        database_backend=engine.dialect.name,
        close=close,
        cds_clients=cds_clients_for(settings),
        push=push_sender_for(settings),
    )
