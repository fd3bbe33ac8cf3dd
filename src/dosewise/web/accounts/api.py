"""/api/v1: accounts, sessions, passwords and invitation links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from starlette.responses import JSONResponse, Response

from dosewise.services import accounts, passwords, sharing, signup
from dosewise.services.ports import Actor, Conflict
from dosewise.web.accounts.models import (
    InvitationOut,
    LoginIn,
    MeOut,
    PasswordChangeIn,
    PasswordResetIn,
    PatientLink,
    RegisterIn,
    ResetRequestIn,
    SessionOut,
    SignupFinishIn,
    SignupIn,
    UserOut,
)
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.security import (
    SESSION_COOKIE,
    clear_session_cookie,
    client_address,
    context,
    csrf_protect,
    set_session_cookie,
    signed_in,
)

router = APIRouter(
    prefix="/api/v1", tags=["accounts"], dependencies=[Depends(csrf_protect)], responses=ERROR_RESPONSES
)
SignedIn = Annotated[Actor, Depends(signed_in)]


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
async def register(request: Request, body: RegisterIn) -> Response:
    """Create an account; a patient account gets its own record. Sets the session cookie.

    Refused (422, with the reason) for a weak password; throttled per client (429 with Retry-After);
    503 with Retry-After when too many passwords are being hashed at once. Where dosewise sends e-mail,
    accounts are made through `POST /signups` instead (409 here, for every address alike).
    """
    ctx = context(request)
    if ctx.mailer is not None:
        raise Conflict(SIGNUP_BY_EMAIL, hint="POST /api/v1/signups, then open the e-mailed link")

    def work() -> Response:
        actor = accounts.register(
            store=ctx.store,
            hasher=ctx.hasher,
            clock=ctx.clock,
            email=body.email,
            password=body.password,
            display_name=body.display_name,
            role=body.role,
            timezone=body.timezone,
            client=client_address(request),
            allowance=ctx.settings.registrations_per_hour,
        )
        return _session_response(request, actor, 201)

    return await ctx.auth.run(work)


SIGNUP_BY_EMAIL = "this dosewise creates accounts by e-mail"
SIGNUP_REQUESTED = (
    "A message is on its way to this address: a link to finish the account, or, if the address already "
    "has one, a note saying so."
)


def begin_signup(
    request: Request, background: BackgroundTasks, email: str, display_name: str, role: str, timezone: str
) -> signup.SignupRequest:
    """Check the form and count it (errors answer now); the e-mail goes out after the answer, so
    neither its content nor its timing shows whether the address was taken. For the API and the page."""
    ctx = context(request)
    assert ctx.mailer is not None
    pending = signup.start_signup(
        store=ctx.store,
        clock=ctx.clock,
        email=email,
        display_name=display_name,
        role=role,
        timezone=timezone,
        client=client_address(request),
        allowance=ctx.settings.registrations_per_hour,
    )
    background.add_task(
        signup.send_signup_mail,
        store=ctx.store,
        clock=ctx.clock,
        mailer=ctx.mailer,
        secret=ctx.secret_key,
        request=pending,
        base_url=ctx.settings.public_url or str(request.base_url),
    )
    return pending


@router.post("/signups", status_code=202, summary="Start an account by e-mail")
def start_signup(request: Request, body: SignupIn, background: BackgroundTasks) -> dict[str, str]:
    """The same answer for every address (a new one gets a link, a taken one a note); throttled per
    client like registration. 409 where dosewise does not send e-mail: use `POST /accounts` there."""
    ctx = context(request)
    if ctx.mailer is None:
        raise Conflict(
            "this dosewise does not send e-mail", hint="create the account with POST /api/v1/accounts"
        )
    begin_signup(request, background, body.email, body.display_name, body.role, body.timezone)
    return {"message": SIGNUP_REQUESTED}


@router.post(
    "/signups/{token}", status_code=201, response_model=SessionOut, summary="Finish an account by e-mail"
)
async def finish_signup(token: str, request: Request, body: SignupFinishIn) -> Response:
    """Choose the password with the e-mailed link (policy as for registration); signs in. 404 for a link
    that expired, was used, or is not ours (404, as for any link we do not know)."""
    ctx = context(request)

    def work() -> Response:
        actor = signup.finish_signup(
            store=ctx.store,
            hasher=ctx.hasher,
            clock=ctx.clock,
            secret=ctx.secret_key,
            token=token,
            password=body.password,
        )
        return _session_response(request, actor, 201)

    return await ctx.auth.run(work)


@router.post("/session", response_model=SessionOut, summary="Sign in")
async def login(request: Request, body: LoginIn) -> Response:
    """Sign in; failures slow down per e-mail and client together (429 with Retry-After)."""
    ctx = context(request)

    def work() -> Response:
        actor = accounts.authenticate(
            store=ctx.store,
            hasher=ctx.hasher,
            clock=ctx.clock,
            email=body.email,
            password=body.password,
            client=client_address(request),
        )
        return _session_response(request, actor, 200)

    return await ctx.auth.run(work)


@router.delete("/session", status_code=204, summary="Sign out")
def logout(request: Request, actor: SignedIn) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.close_session(store=context(request).store, token=token)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response


@router.delete("/sessions", status_code=204, summary="Sign out everywhere")
def logout_everywhere(request: Request, actor: SignedIn) -> Response:
    """End every session of this account, on every device, this one included."""
    accounts.close_all_sessions(store=context(request).store, actor=actor)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response


@router.post("/account/password", status_code=204, summary="Change the password")
async def change_password(request: Request, actor: SignedIn, body: PasswordChangeIn) -> Response:
    """Needs the current password; every other session of the account ends (this one stays)."""
    await run_password_change(request, actor, body.current_password, body.new_password)
    return Response(status_code=204)


async def run_password_change(request: Request, actor: Actor, current: str, new: str) -> None:
    """Change the password off the event loop, keeping this request's session (API and form)."""
    ctx = context(request)
    await ctx.auth.run(
        lambda: passwords.change_password(
            store=ctx.store,
            hasher=ctx.hasher,
            clock=ctx.clock,
            actor=actor,
            session_token=request.cookies.get(SESSION_COOKIE, ""),
            old_password=current,
            new_password=new,
            client=client_address(request),
        )
    )


@router.post("/password-resets", status_code=202, summary="E-mail a password-reset link")
def request_reset(request: Request, body: ResetRequestIn, background: BackgroundTasks) -> dict[str, str]:
    """The same answer for every address; a link is e-mailed only where SMTP is configured.
    Five requests per client per hour, then 429."""
    ctx = context(request)
    accounts.admit_reset_request(store=ctx.store, clock=ctx.clock, client=client_address(request))
    if ctx.mailer is not None:
        background.add_task(
            passwords.request_reset_by_email,
            store=ctx.store,
            clock=ctx.clock,
            mailer=ctx.mailer,
            email=body.email,
            base_url=ctx.settings.public_url or str(request.base_url),
        )
    return {"message": RESET_REQUESTED}


RESET_REQUESTED = (
    "If an account has this address and dosewise can send e-mail, a reset link is on its way. "
    "Otherwise ask your administrator for a reset link."
)


@router.post("/password-resets/{token}", status_code=204, summary="Set a new password with a reset link")
async def reset(token: str, request: Request, body: PasswordResetIn) -> Response:
    """Uses the one-time link; every session of the account ends (sign in with the new password)."""
    ctx = context(request)
    await ctx.auth.run(
        lambda: passwords.reset_password(
            store=ctx.store, hasher=ctx.hasher, clock=ctx.clock, token=token, new_password=body.new_password
        )
    )
    return Response(status_code=204)


@router.get("/invitations/{token}", response_model=InvitationOut, summary="What an invitation link offers")
def show_invitation(token: str, request: Request, actor: SignedIn) -> InvitationOut:
    ctx = context(request)
    found = sharing.invitation(store=ctx.store, clock=ctx.clock, token=token)
    return InvitationOut.model_validate(
        {
            "patient_name": found.patient_name,
            "access": found.access,
            "expires_on": found.expires_at,
            "status": "open",
        }
    )


@router.post("/invitations/{token}/accept", response_model=InvitationOut, summary="Accept an invitation")
def accept_invitation(token: str, request: Request, actor: SignedIn) -> InvitationOut:
    """Your account takes up the invitation; access starts when the patient confirms it is you."""
    ctx = context(request)
    found = sharing.accept_invitation(store=ctx.store, clock=ctx.clock, actor=actor, token=token)
    return InvitationOut.model_validate(
        {
            "patient_name": found.patient_name,
            "access": found.access,
            "expires_on": found.expires_at,
            "status": "accepted",
        }
    )


@router.get("/me", response_model=MeOut, summary="Who am I, and which records may I open")
def me(request: Request, actor: SignedIn) -> MeOut:
    ctx = context(request)
    waiting = sharing.pending_for_me(store=ctx.store, clock=ctx.clock, actor=actor)
    return MeOut(user=_user(actor), patients=_links(request, actor), awaiting_confirmation=list(waiting))
