"""Run a read-only call from an ``async`` handler: inline on the embedded database, else in a thread.

A sync handler costs two thread handoffs per request (its dependencies, then its body); on SQLite those
handoffs cost more than the read itself (benchmarks/web.py). Writes always run in the thread pool: a
durable commit waits for the disk. The one place that decides (``WebContext.reads_inline``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from dosewise.bootstrap.web import WebContext

__all__ = ["read"]

Result = TypeVar("Result")


async def read(ctx: WebContext, function: Callable[..., Result], /, *args: Any, **kwargs: Any) -> Result:
    """``function(*args, **kwargs)``, which must only read, where the database makes that cheapest."""
    if ctx.reads_inline:
        return function(*args, **kwargs)
    return await run_in_threadpool(partial(function, *args, **kwargs))
