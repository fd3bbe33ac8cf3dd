"""The in-process scheduler of `dosewise serve`: a thread per app process that schedules and sends.

Every process runs one; they share nothing but the database, where the jobs are claimed one worker at a
time (``scheduler.send_due``), so two processes (or two machines on one PostgreSQL) never send a job
twice. The thread holds no state a crash could lose: stopping it, or killing the process, leaves the
jobs in the database for the next start.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from dosewise.domain.rules import KnowledgeBase
from dosewise.services.ports import Clock, Mailer, Store
from dosewise.services.reminders_ports import PushSender
from dosewise.services.scheduler import schedule_due_work, send_due

__all__ = ["SchedulerLoop", "worker_name"]

_log = logging.getLogger("dosewise.reminders")


def worker_name() -> str:
    """Who holds a claim: host, process and a random part (a restarted process is a new worker)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class SchedulerLoop:
    store: Store
    kb: KnowledgeBase
    clock: Clock
    sender: PushSender | None
    mailer: Mailer | None
    secret: str
    base_url: str
    tick_seconds: float = 30.0

    def __post_init__(self) -> None:
        self.worker = worker_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        """One tick: write what is coming up, then send everything due (in batches)."""
        schedule_due_work(store=self.store, kb=self.kb, clock=self.clock)
        while not self._stop.is_set():
            report = send_due(
                store=self.store,
                kb=self.kb,
                clock=self.clock,
                sender=self.sender,
                mailer=self.mailer,
                worker=self.worker,
                secret=self.secret,
                base_url=self.base_url,
            )
            if report.claimed == 0:
                break

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a bad tick must not end reminders for everyone; the next tick retries
                _log.exception("reminder tick failed")
            self._stop.wait(self.tick_seconds)

    def start(self) -> Callable[[], None]:
        self._thread = threading.Thread(target=self._run, name="dosewise-reminders", daemon=True)
        self._thread.start()
        return self.stop

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
