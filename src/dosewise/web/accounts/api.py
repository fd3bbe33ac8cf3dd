"""/api/v1: accounts and sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from dosewise.services import accounts, sharing
from dosewise.services.ports import Actor
from dosewise.web.accounts.models import LoginIn, MeOut, PatientLink, RegisterIn, SessionOut, UserOut
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.security import (
    SESSION_COOKIE,
    clear_session_cookie,
    context,
    csrf_protect,
    set_session_cookie,
    signed_in,
)

router = APIRouter(
    prefix="/api/v1", tags=["accounts"], dependencies=[Depends(csrf_protect)], responses=ERROR_RESPONSES
)


def _user(actor: Actor) -> UserOut:
    return UserOut(id=actor.user_id, email=actor.email, display_name=actor.display_name, role=actor.role)


def _links(request: Request, actor: Actor) -> list[PatientLink]:
    records = sharing.shared_with_me(store=context(request).store, actor=actor)
    return [
        PatientLink(patient_id=r.public_id, display_name=r.display_name, relation=r.relation) for r in records
    ]


def _session_response(request: Request, actor: Actor, status: int) -> Response:
    ctx = context(request)
    session = accounts.open_session(store=ctx.store, clock=ctx.clock, actor=actor)
    body = SessionOut(user=_user(actor), csrf_token=session.csrf_token, patients=_links(request, actor))
    response = JSONResponse(body.model_dump(), status_code=status)
    set_session_cookie(request, response, session.token)
    return response


@router.post("/accounts", status_code=201, response_model=SessionOut, summary="Register (and sign in)")
def register(request: Request, body: RegisterIn) -> Response:
    """Create an account; a patient account gets its own record. Sets the session cookie."""
    ctx = context(request)
    actor = accounts.register(
        store=ctx.store,
        hasher=ctx.hasher,
        clock=ctx.clock,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        role=body.role,
        timezone=body.timezone,
    )
    return _session_response(request, actor, 201)


@router.post("/session", response_model=SessionOut, summary="Sign in")
def login(request: Request, body: LoginIn) -> Response:
    """Sign in; failed attempts are throttled per e-mail and per client (429 with Retry-After)."""
    ctx = context(request)
    client = request.client.host if request.client else "unknown"
    actor = accounts.authenticate(
        store=ctx.store,
        hasher=ctx.hasher,
        clock=ctx.clock,
        email=body.email,
        password=body.password,
        client=client,
    )
    return _session_response(request, actor, 200)


@router.delete("/session", status_code=204, summary="Sign out")
def logout(request: Request, actor: Annotated[Actor, Depends(signed_in)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.close_session(store=context(request).store, token=token)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response


@router.get("/me", response_model=MeOut, summary="Who am I, and which records may I open")
def me(request: Request, actor: Annotated[Actor, Depends(signed_in)]) -> MeOut:
    return MeOut(user=_user(actor), patients=_links(request, actor))
