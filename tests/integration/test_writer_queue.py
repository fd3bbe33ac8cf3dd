"""SQLite writers queue on one lock across threads and processes (adapters.db.unit_of_work.WriterQueue)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from dosewise.adapters.db.unit_of_work import WriterQueue


def _hold(database: str, hold_seconds: float, out: object) -> None:
    queue = WriterQueue(Path(database))
    queue.acquire()
    begin = time.monotonic()
    time.sleep(hold_seconds)
    end = time.monotonic()
    queue.release()
    out.put((begin, end))  # type: ignore[attr-defined]


def test_writers_in_two_processes_never_hold_the_write_lock_together(tmp_path: Path) -> None:
    """Two processes that each hold the writer queue for a while run one after the other, never at once."""
    database = str(tmp_path / "dosewise.sqlite3")
    ctx = multiprocessing.get_context("fork")  # each child opens its own lock file
    out = ctx.Queue()
    workers = []
    for _ in range(2):
        worker = ctx.Process(target=_hold, args=(database, 0.3, out))
        worker.start()
        workers.append(worker)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    first, second = sorted([out.get(timeout=5), out.get(timeout=5)])
    assert second[0] >= first[1]


@pytest.mark.parametrize("on_disk", [True, False], ids=["database file", "in-memory database"])
def test_threads_of_one_process_take_turns_and_a_thread_may_nest_its_own_writes(
    tmp_path: Path, on_disk: bool
) -> None:
    """The queue is re-entrant for the thread that holds it, and exclusive between threads (also without
    a file to lock, as for an in-memory database)."""
    queue = WriterQueue(tmp_path / "dosewise.sqlite3" if on_disk else None)
    inside = 0
    overlaps: list[int] = []

    def writer() -> None:
        nonlocal inside
        for _ in range(20):
            queue.acquire()
            queue.acquire()  # nested
            inside += 1
            overlaps.append(inside)
            time.sleep(0.001)
            inside -= 1
            queue.release()
            queue.release()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert max(overlaps) == 1
    assert len(overlaps) == 80


def test_the_write_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    """The lock file is next to the database, so every process that opens the database finds it."""
    database = tmp_path / "dosewise.sqlite3"
    queue = WriterQueue(database)
    for _ in range(3):
        queue.acquire()
        queue.release()
    assert (tmp_path / "dosewise.sqlite3.write-lock").exists()
