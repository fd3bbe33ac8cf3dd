"""Accounts: registration, sign-in with throttling, and server-side sessions.

Only a hash of the session token is stored, so a copy of the database opens no session.

Sign-in is throttled per account *and* client together, with growing delays: after
``FREE_SIGN_IN_ATTEMPTS`` failures from one client on one address, each further attempt waits twice as
long as the last (1 s, 2 s, 4 s ... at most ``MAX_SIGN_IN_DELAY``). Someone guessing from one client
slows only themselves: the account's owner on another client, and other people behind the same address,
sign in as usual. Each attempt is recorded (under a lock on its key) *before* the password is verified,
so parallel guesses queue and at most the allowance is ever evaluated. An unknown address costs the same
password hash as a known one, so timing does not reveal who has an account.

Registration is throttled per client (``REGISTRATIONS_PER_CLIENT`` per ``REGISTRATION_WINDOW``), checks
for a duplicate address before it hashes, and hashing runs on its own bounded executor (see
``dosewise.bootstrap.web.BoundedHasher``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dosewise.domain.errors import InvalidInput
from dosewise.services.advice import zone
from dosewise.services.audit import record
from dosewise.services.password_policy import MIN_PASSWORD_LENGTH, check_password
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
    UnitOfWork,
    User,
)
from dosewise.services.sharing import normalise_email

__all__ = [
    "FREE_SIGN_IN_ATTEMPTS",
    "MAX_SIGN_IN_DELAY",
    "MIN_PASSWORD_LENGTH",
    "REGISTRATIONS_PER_CLIENT",
    "REGISTRATION_WINDOW",
    "SESSION_LIFETIME",
    "THROTTLE_WINDOW",
    "NewSession",
    "account_fields",
    "actor_for_session",
    "admit",
    "admit_registration",
    "admit_reset_request",
    "authenticate",
    "close_all_sessions",
    "close_session",
    "create_account",
    "open_session",
    "register",
    "sign_in_delay",
    "validate_timezone",
]

# Security policy (not clinical numbers): documented in docs/web.md.
THROTTLE_WINDOW = timedelta(hours=1)
FREE_SIGN_IN_ATTEMPTS = 5
FIRST_SIGN_IN_DELAY = timedelta(seconds=1)
MAX_SIGN_IN_DELAY = timedelta(minutes=15)
REGISTRATION_WINDOW = timedelta(hours=1)
REGISTRATIONS_PER_CLIENT = 20  # the default of DOSEWISE_REGISTRATIONS_PER_HOUR
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


def sign_in_delay(failures: Sequence[datetime]) -> timedelta:
    """How long after the last of these recent failures the next attempt must wait (0 while free)."""
    extra = len(failures) - FREE_SIGN_IN_ATTEMPTS
    if extra < 0:
        return timedelta(0)
    delay: timedelta = FIRST_SIGN_IN_DELAY * (2 ** min(extra, 20))
    return min(delay, MAX_SIGN_IN_DELAY)


def _throttled(wait: timedelta, what: str) -> LoginThrottled:
    seconds = max(int(wait.total_seconds() + 0.999), 1)
    when = f"{seconds} seconds" if seconds < 120 else f"{seconds // 60} minutes"
    return LoginThrottled(
        f"too many {what} from here; try again in {when}",
        retry_after_seconds=seconds,
        hint="if you forgot your password, use 'Forgot your password?' on the sign-in page",
    )


def admit(uow: UnitOfWork, *, key: str, now: datetime) -> None:
    """Let one sign-in attempt through and record it, or raise ``LoginThrottled``.

    Called in a write transaction that locks the key first, so parallel attempts are admitted one at a
    time; the attempt is recorded as a failure until the password proves right (which clears the key).
    """
    uow.throttle.lock(key)
    recent = uow.throttle.failures_since(key, now - THROTTLE_WINDOW)
    if recent:
        ready = recent[-1] + sign_in_delay(recent)
        if ready > now:
            raise _throttled(ready - now, "failed sign-ins")
    uow.throttle.record_failure(key, now)


def _admit_registration(uow: UnitOfWork, *, client: str, now: datetime, allowance: int) -> None:
    key = f"register:{client}"
    uow.throttle.lock(key)
    recent = uow.throttle.failures_since(key, now - REGISTRATION_WINDOW)
    if len(recent) >= allowance:
        raise _throttled(recent[-allowance] + REGISTRATION_WINDOW - now, "new accounts")
    uow.throttle.record_failure(key, now)


def admit_reset_request(*, store: Store, clock: Clock, client: str, allowance: int = 5) -> None:
    """At most ``allowance`` "e-mail me a reset link" requests per client per hour (429 beyond), so the
    form cannot be used to flood someone's inbox; the answer never depends on the address."""
    now = clock()
    key = f"reset:{client}"
    with store.write() as uow:
        uow.throttle.lock(key)
        recent = uow.throttle.failures_since(key, now - REGISTRATION_WINDOW)
        if len(recent) >= allowance:
            raise _throttled(recent[-allowance] + REGISTRATION_WINDOW - now, "reset requests")
        uow.throttle.record_failure(key, now)
        uow.commit()


def account_fields(email: str, display_name: str, role: str, timezone: str) -> tuple[str, str]:
    """The new-account form checked (all but the password): the normalised address and the name."""
    address = normalise_email(email)
    name = display_name.strip()
    if not _EMAIL.match(address) or len(address) > 254:
        raise InvalidInput(f"'{email}' is not an e-mail address")
    if not name or len(name) > 120:
        raise InvalidInput("a name is needed (up to 120 characters)")
    if role not in ROLES:
        raise InvalidInput(f"role is one of {', '.join(ROLES)}")
    validate_timezone(timezone)
    return address, name


def _new_account_checks(
    email: str, display_name: str, role: str, password: str, timezone: str
) -> tuple[str, str]:
    address, name = account_fields(email, display_name, role, timezone)
    check_password(password, email=address, name=name)
    return address, name


_TAKEN = "this e-mail address cannot be used for a new account"
_TAKEN_HINT = "if it is yours, sign in, or use 'Forgot your password?' on the sign-in page"


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
    client: str = "local",
    allowance: int = REGISTRATIONS_PER_CLIENT,
    enforce_policy: bool = True,
) -> Actor:
    """Create an account; a patient account comes with its own, empty patient record.

    Cheap checks first (the form, the password policy, the per-client allowance, a duplicate address),
    so refused requests never reach the password hash. ``enforce_policy=False`` is for the demo seed
    only, whose published password the policy refuses.
    """
    if enforce_policy:
        address, name = _new_account_checks(email, display_name, role, password, timezone)
    else:
        address, name = normalise_email(email), display_name.strip()
    now = clock()
    with store.write() as uow:
        _admit_registration(uow, client=client, now=now, allowance=allowance)
        taken = uow.users.by_email(address) is not None
        uow.commit()
    if taken:
        raise Conflict(_TAKEN, hint=_TAKEN_HINT)
    password_hash = hasher.hash(password)
    with store.write() as uow:
        if uow.users.by_email(address) is not None:
            raise Conflict(_TAKEN, hint=_TAKEN_HINT)
        actor = create_account(
            uow,
            address=address,
            name=name,
            role=role,
            timezone=timezone,
            password_hash=password_hash,
            now=now,
        )
        uow.commit()
        return actor


def admit_registration(*, store: Store, clock: Clock, client: str, allowance: int) -> None:
    """Count one new-account request against the client's allowance (429 beyond it)."""
    with store.write() as uow:
        _admit_registration(uow, client=client, now=clock(), allowance=allowance)
        uow.commit()


def create_account(
    uow: UnitOfWork, *, address: str, name: str, role: str, timezone: str, password_hash: str, now: datetime
) -> Actor:
    """Add the user (and a patient's own, empty record) and audit it; the caller checked the address is free."""
    user = uow.users.add(email=address, display_name=name, role=role, password_hash=password_hash, at=now)  # type: ignore[arg-type]
    actor = _actor(user)
    patient_id = None
    if role == "patient":
        profile = uow.patients.add(
            public_id=secrets.token_hex(8), user_id=user.id, display_name=name, timezone=timezone, at=now
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
    return actor


def authenticate(
    *, store: Store, hasher: PasswordHasher, clock: Clock, email: str, password: str, client: str
) -> Actor:
    """The account for these credentials, or ``AuthenticationFailed``; see the module for throttling."""
    address = normalise_email(email)
    now = clock()
    key = f"sign-in:{address}|{client}"
    with store.write() as uow:
        admit(uow, key=key, now=now)
        user = uow.users.by_email(address)
        uow.commit()
    if user is None:
        hasher.hash(password)  # the same work as a verification, so timing does not reveal accounts
        valid = False
    else:
        valid = hasher.verify(user.password_hash, password)
    if user is None or not valid:
        raise AuthenticationFailed("the e-mail or password is not right")
    with store.write() as uow:
        uow.throttle.clear(key)
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
        # Attempts older than every throttle window count for nothing; drop a bounded batch each time.
        uow.throttle.forget_before(now - max(THROTTLE_WINDOW, REGISTRATION_WINDOW))
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


def close_all_sessions(*, store: Store, actor: Actor) -> int:
    """Sign out everywhere: every session of this account ends, this one included."""
    with store.write() as uow:
        ended = uow.sessions.delete_for_user(actor.user_id)
        uow.commit()
        return ended


def session_hash(token: str) -> str:
    return _token_hash(token)
