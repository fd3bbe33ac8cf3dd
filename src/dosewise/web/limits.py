"""Two ASGI guards in front of the app: a request-body ceiling and a ceiling on requests in flight.

* ``BodyLimit`` refuses a body larger than the limit with 413 before anything parses it: at once when
  Content-Length says so, and while streaming when it does not (chunked bodies): the receive channel
  counts bytes and stops at the limit, so a 64 MiB body is never read into memory.
* ``LoadShedding`` counts the requests one worker is holding; above the ceiling a new one gets a fast
  503 with Retry-After instead of waiting in an unbounded queue behind the thread pool.

Both answer in the documented ``{"error": {...}}`` shape under /api/, and in plain words elsewhere.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RETRY_AFTER_SECONDS", "BodyLimit", "BodyTooLarge", "LoadShedding"]

RETRY_AFTER_SECONDS = 1
_EXEMPT = ("/healthz",)


class BodyTooLarge(HTTPException):
    """Raised from the receive channel; FastAPI passes HTTPExceptions through body parsing unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


async def refuse(scope: Scope, send: Send, status: int, code: str, message: str, hint: str) -> None:
    """A complete response sent straight from the middleware (no route, no body read)."""
    headers = [(b"connection", b"close")] if status == 413 else []
    if status == 503:
        headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": {"code": code, "message": message, "hint": hint}}).encode()
        headers.append((b"content-type", b"application/json"))
    else:
        body = f"{message}. {hint}.\n".encode()
        headers.append((b"content-type", b"text/plain; charset=utf-8"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> tuple[str, str, str]:
    return ("body_too_large", f"the request body is larger than {limit} bytes", "send less at once")


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            if declared.isdigit():
                await refuse(scope, send, 413, *_too_large(self.max_bytes))
            else:
                await refuse(
                    scope, send, 400, "bad_request", "Content-Length is not a number", "fix the client"
                )
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if started:
                raise
            await refuse(scope, send, 413, *_too_large(self.max_bytes))


class LoadShedding:
    def __init__(self, app: ASGIApp, max_in_flight: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0  # one event loop per worker: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            await refuse(
                scope,
                send,
                503,
                "overloaded",
                "dosewise is busy right now",
                f"try again in {RETRY_AFTER_SECONDS} second",
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
