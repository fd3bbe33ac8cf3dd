"""Sign-up by e-mail: where dosewise can send e-mail, a new account starts with a link sent to the address.

The screen then answers the same whether or not the address already has an account: the owner of a new
address gets a link to choose a password, the owner of a taken one is told that someone tried to sign up
with it. Nobody learns from the page who uses dosewise (issue 9, finding 7), and an account only ever
belongs to whoever reads that mailbox.

The link is a signed, timed token (HMAC-SHA256 over the form's fields with the app's secret key), not a
stored row: nothing is kept for an address until its owner opens the link, and the link stops working once
the account exists, so it can be used once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dosewise.services.accounts import account_fields, admit_registration, create_account
from dosewise.services.password_policy import check_password
from dosewise.services.ports import AccessDenied, Actor, Clock, Mailer, PasswordHasher, Store

__all__ = [
    "SIGNUP_LIFETIME",
    "SignupRequest",
    "finish_signup",
    "open_signup_link",
    "send_signup_mail",
    "start_signup",
]

# How long a sign-up link works (an account-security choice, not a clinical number; docs/web.md).
SIGNUP_LIFETIME = timedelta(hours=24)
_LINK_GONE = "this sign-up link has expired, was already used, or is not valid"
_LINK_HINT = "create the account again from the sign-up page, or sign in if you already have one"


@dataclass(frozen=True)
class SignupRequest:
    """The checked new-account form, waiting for its owner to open the e-mailed link."""

    email: str
    display_name: str
    role: str
    timezone: str


def start_signup(
    *,
    store: Store,
    clock: Clock,
    email: str,
    display_name: str,
    role: str,
    timezone: str,
    client: str,
    allowance: int,
) -> SignupRequest:
    """Check the form and count the request against the client's allowance; the same for every address.

    Whether the address is taken is decided later, in ``send_signup_mail``, off the request's path, so
    neither the answer nor its timing depends on it.
    """
    address, name = account_fields(email, display_name, role, timezone)
    admit_registration(store=store, clock=clock, client=client, allowance=allowance)
    return SignupRequest(email=address, display_name=name, role=role, timezone=timezone)


def send_signup_mail(
    *, store: Store, clock: Clock, mailer: Mailer, secret: str, request: SignupRequest, base_url: str
) -> None:
    """E-mail the link to a free address, or tell the owner of a taken one; never both, never nothing."""
    with store.read() as uow:
        taken = uow.users.by_email(request.email) is not None
    if taken:
        mailer.send(
            to=request.email,
            subject="Someone tried to create a dosewise account with your address",
            body=(
                "Someone asked to create a dosewise account with this e-mail address, which already has one.\n\n"
                f"If it was you, sign in at {base_url.rstrip('/')}/login, or choose 'Forgot your password?' "
                "there.\nIf it was not you, you can ignore this e-mail: nothing has changed."
            ),
        )
        return
    link = f"{base_url.rstrip('/')}/register/finish/{_seal(request, secret=secret, at=clock())}"
    hours = int(SIGNUP_LIFETIME.total_seconds() // 3600)
    mailer.send(
        to=request.email,
        subject="Finish creating your dosewise account",
        body=(
            f"Hello {request.display_name},\n\n"
            f"To finish creating your dosewise account, open this link within {hours} hours and choose a "
            f"password:\n{link}\n\nIf you did not ask for an account, ignore this e-mail: none is created."
        ),
    )


def open_signup_link(*, store: Store, clock: Clock, secret: str, token: str) -> SignupRequest | None:
    """The form behind a link that still works (signed by us, not expired, address still free), else None."""
    request = _unseal(token, secret=secret, now=clock())
    if request is None:
        return None
    with store.read() as uow:
        if uow.users.by_email(request.email) is not None:
            return None
    return request


def finish_signup(
    *, store: Store, hasher: PasswordHasher, clock: Clock, secret: str, token: str, password: str
) -> Actor:
    """Create the account behind a working link with the password chosen now (policy checked first)."""
    request = open_signup_link(store=store, clock=clock, secret=secret, token=token)
    if request is None:
        raise AccessDenied(_LINK_GONE, hint=_LINK_HINT)
    check_password(password, email=request.email, name=request.display_name)
    password_hash = hasher.hash(password)
    now = clock()
    with store.write() as uow:
        if uow.users.by_email(request.email) is not None:  # opened twice at once: the first one wins
            raise AccessDenied(_LINK_GONE, hint=_LINK_HINT)
        actor = create_account(
            uow,
            address=request.email,
            name=request.display_name,
            role=request.role,
            timezone=request.timezone,
            password_hash=password_hash,
            now=now,
        )
        uow.commit()
        return actor


def _seal(request: SignupRequest, *, secret: str, at: datetime) -> str:
    fields = [request.email, request.display_name, request.role, request.timezone, int(at.timestamp())]
    payload = _b64(json.dumps(fields, separators=(",", ":")).encode())
    return f"{payload}.{_mac(payload, secret)}"


def _unseal(token: str, *, secret: str, now: datetime) -> SignupRequest | None:
    if not token or len(token) > 2000 or not token.isascii() or token.count(".") != 1:
        return None  # (compare_digest refuses non-ASCII text: schemathesis found that 500)
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(payload, secret)):
        return None
    try:
        email, name, role, timezone, issued = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
        issued_at = datetime.fromtimestamp(int(issued), tz=UTC)
    except (ValueError, TypeError):
        return None
    if not (issued_at <= now < issued_at + SIGNUP_LIFETIME):
        return None
    return SignupRequest(email=str(email), display_name=str(name), role=str(role), timezone=str(timezone))


def _mac(payload: str, secret: str) -> str:
    digest = hmac.new(f"dosewise.signup:{secret}".encode(), payload.encode(), hashlib.sha256).digest()
    return _b64(digest)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
