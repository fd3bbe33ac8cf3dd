"""Pages: landing, register, sign in and out, home, account (password, sign out everywhere), password
reset, and invitation links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from dosewise.services import accounts, passwords, sharing, signup
from dosewise.services.ports import AccessDenied, Actor
from dosewise.web.accounts.api import RESET_REQUESTED, begin_signup, run_password_change
from dosewise.web.pages import done
from dosewise.web.security import (
    SESSION_COOKIE,
    clear_session_cookie,
    client_address,
    context,
    csrf_protect,
    set_flash,
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


@router.get("/")
def landing(request: Request) -> Response:
    if visitor(request).actor is not None:
        return RedirectResponse("/home", status_code=303)
    return render(request, "landing.html")


@router.get("/register")
def register_form(request: Request, next: str | None = None) -> Response:
    by_email = context(request).mailer is not None
    return render(request, "register.html", next=_safe_next(next) or "", by_email=by_email)


@router.post("/register")
async def register(
    request: Request,
    background: BackgroundTasks,
    display_name: Annotated[str, Form()],
    email: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "UTC",
    next: Annotated[str, Form()] = "",
) -> Response:
    """With e-mail: the same "check your inbox" page for every address (signup.py). Without: the account
    is made at once; that runs on the accounts executor (it hashes a password), never on the page threads."""
    ctx = context(request)
    if ctx.mailer is not None:
        pending = begin_signup(request, background, email, display_name, role, timezone or "UTC")
        response = render(request, "register_sent.html", email=pending.email)
        response.background = background
        return response

    def work() -> Response:
        actor = accounts.register(
            store=ctx.store,
            hasher=ctx.hasher,
            clock=ctx.clock,
            email=email,
            password=password,
            display_name=display_name,
            role=role,
            timezone=timezone or "UTC",
            client=client_address(request),
            allowance=ctx.settings.registrations_per_hour,
        )
        return _signed_in_as_new(request, actor, _safe_next(next))

    return await ctx.auth.run(work)


def _signed_in_as_new(request: Request, actor: Actor, next_page: str | None) -> Response:
    """A new account's first session: to the page it came for, else a patient to their new record's
    profile (welcome), everyone else home."""
    ctx = context(request)
    session = accounts.open_session(store=ctx.store, clock=ctx.clock, actor=actor)
    target = next_page or "/home"
    if actor.role == "patient" and not next_page:
        own = sharing.shared_with_me(store=ctx.store, actor=actor)
        target = f"/p/{own[0].public_id}/profile?welcome=1" if own else "/home"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, session.token)
    return response


@router.get("/register/finish/{token}")
def register_finish_form(token: str, request: Request) -> Response:
    ctx = context(request)
    pending = signup.open_signup_link(store=ctx.store, clock=ctx.clock, secret=ctx.secret_key, token=token)
    if pending is None:
        raise AccessDenied("this sign-up link is not valid", hint="it may have been used or expired")
    return render(request, "register_finish.html", token=token, pending=pending)


@router.post("/register/finish/{token}")
async def register_finish(token: str, request: Request, password: Annotated[str, Form()]) -> Response:
    """Runs on the accounts executor (it hashes the password)."""
    ctx = context(request)

    def work() -> Response:
        actor = signup.finish_signup(
            store=ctx.store,
            hasher=ctx.hasher,
            clock=ctx.clock,
            secret=ctx.secret_key,
            token=token,
            password=password,
        )
        return _signed_in_as_new(request, actor, None)

    return await ctx.auth.run(work)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_safe_next(next) or "")


@router.post("/login")
async def login(
    request: Request,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
) -> Response:
    ctx = context(request)

    def work() -> Response:
        actor = accounts.authenticate(
            store=ctx.store,
            hasher=ctx.hasher,
            clock=ctx.clock,
            email=email,
            password=password,
            client=client_address(request),
        )
        session = accounts.open_session(store=ctx.store, clock=ctx.clock, actor=actor)
        response = RedirectResponse(_safe_next(next) or "/home", status_code=303)
        set_session_cookie(request, response, session.token)
        return response

    return await ctx.auth.run(work)


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
    waiting = sharing.pending_for_me(store=ctx.store, clock=ctx.clock, actor=actor)
    if len(records) == 1 and records[0].relation == "self" and not waiting:
        return RedirectResponse(f"/p/{records[0].public_id}/today", status_code=303)
    return render(request, "home.html", records=records, waiting=waiting)


@router.get("/account")
def account_page(request: Request, actor: Annotated[Actor, Depends(signed_in)]) -> Response:
    return render(request, "account.html")


@router.post("/account/password")
async def change_password(
    request: Request,
    actor: Annotated[Actor, Depends(signed_in)],
    current_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
) -> Response:
    await run_password_change(request, actor, current_password, new_password)
    return done(request, "/account", "Password changed. Every other device has been signed out.")


@router.post("/account/sign-out-everywhere")
def sign_out_everywhere(request: Request, actor: Annotated[Actor, Depends(signed_in)]) -> Response:
    accounts.close_all_sessions(store=context(request).store, actor=actor)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/forgot")
def forgot_form(request: Request) -> Response:
    return render(request, "forgot.html", mail=context(request).mailer is not None)


@router.post("/forgot")
def forgot(request: Request, background: BackgroundTasks, email: Annotated[str, Form()]) -> Response:
    ctx = context(request)
    accounts.admit_reset_request(store=ctx.store, clock=ctx.clock, client=client_address(request))
    if ctx.mailer is not None:
        background.add_task(
            passwords.request_reset_by_email,
            store=ctx.store,
            clock=ctx.clock,
            mailer=ctx.mailer,
            email=email,
            base_url=ctx.settings.public_url or str(request.base_url),
        )
    response = render(request, "forgot.html", mail=ctx.mailer is not None, sent=RESET_REQUESTED)
    response.background = background
    return response


@router.get("/reset/{token}")
def reset_form(token: str, request: Request) -> Response:
    ctx = context(request)
    if not passwords.reset_is_valid(store=ctx.store, clock=ctx.clock, token=token):
        raise AccessDenied("this password-reset link is not valid", hint="it may have been used or expired")
    return render(request, "reset.html", token=token)


@router.post("/reset/{token}")
async def reset(token: str, request: Request, new_password: Annotated[str, Form()]) -> Response:
    ctx = context(request)
    await ctx.auth.run(
        lambda: passwords.reset_password(
            store=ctx.store, hasher=ctx.hasher, clock=ctx.clock, token=token, new_password=new_password
        )
    )
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    set_flash(request, response, "ok", "Your password is set. Sign in with it.")
    return response


@router.get("/invitations/{token}")
def invitation_page(token: str, request: Request, actor: Annotated[Actor, Depends(signed_in)]) -> Response:
    ctx = context(request)
    found = sharing.invitation(store=ctx.store, clock=ctx.clock, token=token)
    return render(request, "invitation.html", invitation=found, token=token)


@router.post("/invitations/{token}/accept")
def accept_invitation(token: str, request: Request, actor: Annotated[Actor, Depends(signed_in)]) -> Response:
    ctx = context(request)
    found = sharing.accept_invitation(store=ctx.store, clock=ctx.clock, actor=actor, token=token)
    return render(request, "invitation.html", invitation=found, token="", accepted=True)
