"""Accounts: registration, sign-in with throttling, and server-side sessions.

Only a hash of the session token is stored, so a copy of the database opens no session. Failed sign-ins
are throttled per e-mail address and per client address; an unknown address costs the same password hash
as a known one, so timing does not reveal who has an account.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from dosewise.domain.errors import InvalidInput
from dosewise.services.advice import zone
from dosewise.services.audit import record
from dosewise.services.ports import (
    Actor,
    AuthenticationFailed,
    Clock,
    Conflict,
    LoginThrottled,
    PasswordHasher,
    Role,
    SessionRecord,
    Store,
    User,
)
from dosewise.services.sharing import normalise_email

__all__ = [
    "MAX_FAILURES_PER_ACCOUNT",
    "MAX_FAILURES_PER_CLIENT",
    "MIN_PASSWORD_LENGTH",
    "SESSION_LIFETIME",
    "THROTTLE_WINDOW",
    "NewSession",
    "actor_for_session",
    "authenticate",
    "close_session",
    "open_session",
    "register",
    "validate_timezone",
]

# Security policy (not clinical numbers): documented in docs/web.md.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_CLIENT = 20
SESSION_LIFETIME = timedelta(hours=12)
ROLES: tuple[Role, ...] = ("patient", "caregiver", "clinician")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class NewSession:
    token: str  # goes to the browser only; the database keeps its hash
    csrf_token: str
    actor: Actor


def _actor(user: User) -> Actor:
    return Actor(user.id, user.role, user.display_name, user.email)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_timezone(name: str) -> str:
    zone(name)  # refuses an unknown zone with a hint
    return name


def register(
    *,
    store: Store,
    hasher: PasswordHasher,
    clock: Clock,
    email: str,
    password: str,
    display_name: str,
    role: str,
    timezone: str = "UTC",
) -> Actor:
    """Create an account; a patient account comes with its own, empty patient record."""
    address = normalise_email(email)
    name = display_name.strip()
    if not _EMAIL.match(address) or len(address) > 254:
        raise InvalidInput(f"'{email}' is not an e-mail address")
    if not name or len(name) > 120:
        raise InvalidInput("a name is needed (up to 120 characters)")
    if role not in ROLES:
        raise InvalidInput(f"role is one of {', '.join(ROLES)}")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip().lower() == address:
        raise InvalidInput("the password cannot be your e-mail address")
    validate_timezone(timezone)
    password_hash = hasher.hash(password)
    now = clock()
    with store.write() as uow:
        if uow.users.by_email(address) is not None:
            raise Conflict("an account with this e-mail already exists", hint="sign in instead")
        user = uow.users.add(email=address, display_name=name, role=role, password_hash=password_hash, at=now)
        actor = _actor(user)
        patient_id = None
        if role == "patient":
            profile = uow.patients.add(
                public_id=secrets.token_hex(8),
                user_id=user.id,
                display_name=name,
                timezone=timezone,
                at=now,
            )
            patient_id = profile.id
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=patient_id,
            action="account.register",
            summary=f"registered as {role}",
            detail={"email": address, "role": role},
        )
        uow.commit()
        return actor


def authenticate(
    *, store: Store, hasher: PasswordHasher, clock: Clock, email: str, password: str, client: str
) -> Actor:
    """The account for these credentials, or ``AuthenticationFailed``; too many failures are throttled."""
    address = normalise_email(email)
    now = clock()
    keys = ((f"email:{address}", MAX_FAILURES_PER_ACCOUNT), (f"client:{client}", MAX_FAILURES_PER_CLIENT))
    with store.read() as uow:
        for key, limit in keys:
            recent = uow.throttle.failures_since(key, now - THROTTLE_WINDOW)
            if len(recent) >= limit:
                wait = int((recent[-limit] + THROTTLE_WINDOW - now).total_seconds()) + 1
                raise LoginThrottled(
                    "too many failed sign-ins; try again later",
                    retry_after_seconds=max(wait, 1),
                    hint=f"wait {max(wait // 60, 1)} minutes, or reset your password with your administrator",
                )
        user = uow.users.by_email(address)
    if user is None:
        hasher.hash(password)  # the same work as a verification, so timing does not reveal accounts
        valid = False
    else:
        valid = hasher.verify(user.password_hash, password)
    if user is None or not valid:
        with store.write() as uow:
            for key, _limit in keys:
                uow.throttle.record_failure(key, now)
            uow.commit()
        raise AuthenticationFailed("the e-mail or password is not right")
    with store.write() as uow:
        uow.throttle.clear(keys[0][0])
        if hasher.needs_rehash(user.password_hash):
            uow.users.set_password_hash(user.id, hasher.hash(password))
        uow.commit()
    return _actor(user)


def open_session(*, store: Store, clock: Clock, actor: Actor) -> NewSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = clock()
    with store.write() as uow:
        uow.sessions.delete_expired(now)
        uow.sessions.add(SessionRecord(_token_hash(token), actor.user_id, csrf, now, now + SESSION_LIFETIME))
        uow.commit()
    return NewSession(token, csrf, actor)


def actor_for_session(*, store: Store, clock: Clock, token: str) -> tuple[Actor, str] | None:
    """The signed-in actor and the session's CSRF token, or None for a missing or expired session."""
    if not token or len(token) > 200:
        return None
    with store.read() as uow:
        found = uow.sessions.get_with_user(_token_hash(token))
    if found is None or found[0].expires_at <= clock():
        return None
    session, user = found
    return _actor(user), session.csrf_token


def close_session(*, store: Store, token: str) -> None:
    with store.write() as uow:
        uow.sessions.delete(_token_hash(token))
        uow.commit()
