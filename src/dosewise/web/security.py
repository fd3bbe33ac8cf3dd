"""Sessions, CSRF and flash messages for the web app.

* The session cookie holds a random token (the database keeps only its hash): HttpOnly, SameSite=Lax,
  Secure whenever the request arrived over HTTPS.
* Every unsafe request is checked against a CSRF token: the session's token for signed-in people (a
  hidden form field, or the X-CSRF-Token header for the JSON API), and a signed double-submit cookie
  before sign-in. JSON API calls without a session must also be ``application/json``, which a cross-site
  form cannot send.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from dosewise.bootstrap.web import WebContext
from dosewise.domain.errors import DosewiseError
from dosewise.services.accounts import SESSION_LIFETIME, actor_for_session
from dosewise.services.ports import Actor, AuthenticationRequired
from dosewise.web.reads import read

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "CsrfRejected",
    "Visitor",
    "client_address",
    "context",
    "csrf_protect",
    "identified",
    "pop_flash",
    "set_flash",
    "set_session_cookie",
    "signed_in",
    "visitor",
]

SESSION_COOKIE = "dosewise_session"
CSRF_COOKIE = "dosewise_csrf"
FLASH_COOKIE = "dosewise_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PARTIAL_HEADER = "x-dosewise-partial"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_FLASH_MAX_AGE = 120
_NEVER_ECHO = frozenset({"password", CSRF_FIELD, "idempotency_key"})


class CsrfRejected(DosewiseError):
    code = "csrf_rejected"


@dataclass
class Visitor:
    actor: Actor | None
    csrf_token: str
    new_anonymous_token: bool = False


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def _anonymous_token(ctx: WebContext, value: str | None) -> str | None:
    """A pre-sign-in CSRF token "random.signature", accepted only with a valid signature."""
    if not value or value.count(".") != 1:
        return None
    nonce, signature = value.split(".")
    expected = hmac.new(ctx.secret_key.encode(), nonce.encode(), sha256).hexdigest()
    return value if hmac.compare_digest(signature, expected) else None


def _new_anonymous_token(ctx: WebContext) -> str:
    nonce = secrets.token_urlsafe(24)
    return nonce + "." + hmac.new(ctx.secret_key.encode(), nonce.encode(), sha256).hexdigest()


def visitor(request: Request) -> Visitor:
    """Who is asking: the signed-in actor and their CSRF token, or an anonymous visitor's token."""
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    ctx = context(request)
    found = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        found = actor_for_session(store=ctx.store, clock=ctx.clock, token=token)
    if found is not None:
        result = Visitor(found[0], found[1])
    else:
        anonymous = _anonymous_token(ctx, request.cookies.get(CSRF_COOKIE))
        result = Visitor(None, anonymous or _new_anonymous_token(ctx), new_anonymous_token=anonymous is None)
    request.state.visitor = result
    return result


async def identified(request: Request) -> Visitor:
    """The dependency form of ``visitor``: the session lookup is a read (see ``WebContext.reads_inline``)."""
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    return await read(context(request), visitor, request)


async def signed_in(who: Visitor = Depends(identified)) -> Actor:  # noqa: B008 - FastAPI's dependency idiom
    """The signed-in actor (async: no I/O here, so no trip through the thread pool)."""
    if who.actor is None:
        raise AuthenticationRequired("sign in to continue")
    return who.actor


def client_address(request: Request) -> str:
    """Who the client is, for throttling: the peer address as the server saw it.

    Proxy headers are never read here. ``dosewise serve`` lets uvicorn replace the peer with the
    X-Forwarded-For address only when the peer is one of DOSEWISE_TRUSTED_PROXIES (default: none).
    """
    return request.client.host if request.client else "unknown"


def is_api(request: Request) -> bool:
    """JSON errors: the API, and the CDS Hooks services (EHRs, not browsers, call those)."""
    path = request.url.path
    return path.startswith("/api/") or path == "/cds-services" or path.startswith("/cds-services/")


def is_partial(request: Request) -> bool:
    return request.headers.get(PARTIAL_HEADER) == "1"


async def csrf_protect(request: Request, who: Visitor = Depends(identified)) -> None:  # noqa: B008
    """Refuse any unsafe request that does not carry the visitor's CSRF token."""
    if request.method in _SAFE:
        return
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else None
        elif is_api(request) and who.actor is None and content_type.startswith("application/json"):
            return  # sign-in and registration over JSON: a cross-site form cannot send this content type
    if who.actor is None and supplied is not None:
        cookie = _anonymous_token(context(request), request.cookies.get(CSRF_COOKIE))
        if cookie is not None and hmac.compare_digest(cookie, supplied):
            return
    elif who.actor is not None and supplied is not None and hmac.compare_digest(who.csrf_token, supplied):
        return
    raise CsrfRejected(
        "this form has expired or did not come from dosewise",
        hint="reload the page and try again" if not is_api(request) else "send the X-CSRF-Token header",
    )


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def set_anonymous_csrf_cookie(request: Request, response: Response) -> None:
    who: Visitor | None = getattr(request.state, "visitor", None)
    if who is not None and who.actor is None and who.new_anonymous_token:
        response.set_cookie(
            CSRF_COOKIE, who.csrf_token, httponly=True, samesite="strict", secure=_secure(request), path="/"
        )


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(context(request).secret_key, salt="dosewise.flash")


_ECHO_BUDGET = 2400


def set_flash(
    request: Request,
    response: Response,
    kind: str,
    message: str,
    hint: str | None = None,
    form: dict[str, Any] | None = None,
    *,
    field: str | None = None,
    field_name: str | None = None,
) -> None:
    """A one-time message for the next page (with the fields typed, never passwords or tokens).

    Typed text is kept up to what a cookie holds (shortest fields first, 2,400 characters in all); the
    page script keeps anything longer in the tab (app.js), so long input is never erased by a refusal.
    """
    echo: dict[str, str] = {}
    budget = _ECHO_BUDGET
    candidates = [(k, v) for k, v in (form or {}).items() if k not in _NEVER_ECHO and isinstance(v, str)]
    for key, value in sorted(candidates, key=lambda item: len(item[1])):
        if len(value) <= budget:
            echo[key] = value
            budget -= len(value)
    payload = {
        "kind": kind,
        "message": message,
        "hint": hint,
        "form": echo,
        "field": field,
        "field_name": field_name,
    }
    response.set_cookie(
        FLASH_COOKIE,
        _serializer(request).dumps(payload),
        max_age=_FLASH_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def pop_flash(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data: dict[str, Any] = _serializer(request).loads(raw, max_age=_FLASH_MAX_AGE)
    except BadSignature:
        return None
    request.state.flash_consumed = True
    return data
