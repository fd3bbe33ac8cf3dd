"""The web application: one FastAPI app object serving the pages and the JSON API under /api/v1.

``create_app(context)`` takes a ``WebContext`` built by ``dosewise.bootstrap.web``; ``app_from_environment``
is the factory ``dosewise serve`` hands to uvicorn (settings are read once, there).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import FileResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dosewise import __version__
from dosewise.bootstrap.web import WebContext
from dosewise.web.api_docs import install_api_docs
from dosewise.web.errors import install_error_handlers
from dosewise.web.limits import BodyLimit, LoadShedding

__all__ = ["app_from_environment", "create_app"]

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", _CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Headers on every response; health data is never cached (static files may be), except where a
    response says how (the calendar feed asks calendar programs to revalidate every time).

    Strict-Transport-Security goes on responses to requests that arrived over https: direct TLS
    (DOSEWISE_TLS_CERTFILE), or a proxy whose X-Forwarded-Proto uvicorn was configured to believe.
    """

    def __init__(self, app: ASGIApp, hsts_seconds: int = 0) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains".encode() if hsts_seconds else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        hsts = self.hsts if scope.get("scheme") == "https" else b""

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_HEADERS)
                # A response that chose its own caching keeps it (the calendar feed: private, no-cache).
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"public, max-age=3600" if static else b"no-store"))
                if hsts:
                    headers.append((b"strict-transport-security", hsts))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Handlers run in AnyIO's thread pool. They are short and CPU-bound under one GIL, so more threads only add
# switching: with 40 (the default) the Today page served half as many requests at 50 connections as at one
# (benchmarks/web.py). Two keep a read going while a write waits for its fsync; scale with processes.
THREADS = 2


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    # `dosewise serve` runs the reminder scheduler in every worker process (they claim jobs from the
    # database, so each job goes out once); an app built by create_app alone (the tests) does not.
    stop = app.state.ctx.start_scheduler() if getattr(app.state, "scheduler", False) else None
    yield
    if stop is not None:
        stop()


def create_app(context: WebContext) -> FastAPI:
    from dosewise.web.accounts import api as accounts_api
    from dosewise.web.accounts import views as accounts_views
    from dosewise.web.audit import api as audit_api
    from dosewise.web.audit import views as audit_views
    from dosewise.web.calendar import api as calendar_api
    from dosewise.web.calendar import feed as calendar_feed
    from dosewise.web.calendar import views as calendar_views
    from dosewise.web.cds import api as cds_api
    from dosewise.web.diary import api as diary_api
    from dosewise.web.diary import views as diary_views
    from dosewise.web.exports import api as exports_api
    from dosewise.web.exports import views as exports_views
    from dosewise.web.guides import api as trial_api
    from dosewise.web.guides import trial as trial_views
    from dosewise.web.guides import views as guides_views
    from dosewise.web.plans import api as plans_api
    from dosewise.web.plans import views as plans_views
    from dosewise.web.pump import api as pump_api
    from dosewise.web.pump import views as pump_views
    from dosewise.web.push import api as push_api
    from dosewise.web.push import views as push_views
    from dosewise.web.record import api as record_api
    from dosewise.web.record import views as record_views
    from dosewise.web.reports import api as reports_api
    from dosewise.web.reports import views as reports_views
    from dosewise.web.sharing import api as sharing_api
    from dosewise.web.sharing import views as sharing_views
    from dosewise.web.today import api as today_api
    from dosewise.web.today import views as today_views

    app = FastAPI(
        title="dosewise",
        version=__version__,
        summary="Plans, checks and tracks baclofen titrations and tapers.",
        description=(
            "Every action the pages offer, as JSON. Sign in with `POST /api/v1/session` (sets an HttpOnly "
            "session cookie and returns `csrf_token`); send that token as `X-CSRF-Token` on every unsafe "
            'request. Errors are `{"error": {"code", "message", "hint"}}`. A record you may not see '
            "answers 404, exactly like one that does not exist."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=_lifespan,
    )
    app.state.ctx = context
    install_error_handlers(app)
    for module in (
        accounts_views,
        record_views,
        today_views,
        plans_views,
        diary_views,
        sharing_views,
        calendar_views,
        audit_views,
        exports_views,
        reports_views,
        guides_views,
        trial_views,
        pump_views,
        accounts_api,
        record_api,
        today_api,
        plans_api,
        diary_api,
        sharing_api,
        calendar_api,
        audit_api,
        calendar_feed,
        exports_api,
        trial_api,
        pump_api,
        reports_api,
        cds_api,
        push_views,
        push_api,
    ):
        app.include_router(module.router)
    app.include_router(push_views.app_files)
    app.include_router(push_api.actions)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        """Browsers ask for /favicon.ico whatever the page says; it is the same SVG icon."""
        return FileResponse(Path(__file__).parent / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get("/healthz", include_in_schema=False)
    async def health() -> PlainTextResponse:
        """The bare endpoint: same app and middleware, no session and no database."""
        return PlainTextResponse("ok")

    install_api_docs(app)
    settings = context.settings
    # Added innermost first: headers wrap everything, then shedding, then the body ceiling.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(LoadShedding, max_in_flight=settings.max_in_flight)
    app.add_middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds)
    return app


def app_from_environment(**overrides: Any) -> FastAPI:
    """uvicorn factory: settings from the environment, read once, here."""
    from dosewise.bootstrap import load_settings
    from dosewise.bootstrap.web import build_web_context

    settings = load_settings()
    app = create_app(build_web_context(settings, **overrides))
    app.state.scheduler = settings.reminders
    return app
