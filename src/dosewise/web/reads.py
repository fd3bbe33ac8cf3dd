"""Run a read-only service call from an ``async`` handler: inline on the embedded database, else in a thread.

A sync handler costs two thread handoffs per request (its dependencies, then its body); on SQLite those
handoffs cost more than the read itself (benchmarks/web.py). Writes always run in the thread pool: a
durable commit waits for the disk.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from dosewise.web.security import context

__all__ = ["read"]

Result = TypeVar("Result")


async def read(request: Request, function: Callable[..., Result], /, **kwargs: Any) -> Result:
    """``function(**kwargs)``, which must only read, where the database makes that cheapest."""
    if context(request).reads_inline:
        return function(**kwargs)
    return await run_in_threadpool(partial(function, **kwargs))
