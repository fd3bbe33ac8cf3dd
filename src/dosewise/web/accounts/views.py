"""Pages: landing, register, sign in, sign out, home."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from dosewise.services import accounts, sharing
from dosewise.services.ports import Actor
from dosewise.web.security import (
    SESSION_COOKIE,
    clear_session_cookie,
    context,
    csrf_protect,
    set_session_cookie,
    signed_in,
    visitor,
)
from dosewise.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/")
def landing(request: Request) -> Response:
    if visitor(request).actor is not None:
        return RedirectResponse("/home", status_code=303)
    return render(request, "landing.html")


@router.get("/register")
def register_form(request: Request) -> Response:
    return render(request, "register.html")


@router.post("/register")
def register(
    request: Request,
    display_name: Annotated[str, Form()],
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    timezone: Annotated[str, Form()] = "UTC",
) -> Response:
    ctx = context(request)
    actor = accounts.register(
        store=ctx.store,
        hasher=ctx.hasher,
        clock=ctx.clock,
        email=email,
        password=password,
        display_name=display_name,
        role=role,
        timezone=timezone or "UTC",
    )
    session = accounts.open_session(store=ctx.store, clock=ctx.clock, actor=actor)
    target = "/home"
    if actor.role == "patient":
        own = sharing.shared_with_me(store=ctx.store, actor=actor)
        target = f"/p/{own[0].public_id}/profile?welcome=1" if own else "/home"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, session.token)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_safe_next(next) or "")


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
) -> Response:
    ctx = context(request)
    actor = accounts.authenticate(
        store=ctx.store,
        hasher=ctx.hasher,
        clock=ctx.clock,
        email=email,
        password=password,
        client=_client(request),
    )
    session = accounts.open_session(store=ctx.store, clock=ctx.clock, actor=actor)
    response = RedirectResponse(_safe_next(next) or "/home", status_code=303)
    set_session_cookie(request, response, session.token)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.close_session(store=context(request).store, token=token)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/home")
def home(request: Request, actor: Annotated[Actor, Depends(signed_in)]) -> Response:
    ctx = context(request)
    records = sharing.shared_with_me(store=ctx.store, actor=actor)
    if len(records) == 1 and records[0].relation == "self":
        return RedirectResponse(f"/p/{records[0].public_id}/today", status_code=303)
    return render(request, "home.html", records=records)
