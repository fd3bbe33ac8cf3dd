"""Changing and resetting a password, and the e-mails dosewise sends (invitations, reset links).

* Change: the old password is required (and throttled like a sign-in); the new one must pass the
  policy; every other session of the account ends.
* Reset without e-mail: an administrator runs ``dosewise admin reset-link EMAIL``, which prints a
  one-time link valid for ``RESET_LIFETIME``. With SMTP configured, "Forgot your password?" e-mails the
  same kind of link. Either way the answer is the same for every address, only the link's hash is
  stored, and using it ends every session of the account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from dosewise.services.accounts import admit, session_hash
from dosewise.services.audit import record
from dosewise.services.password_policy import check_password
from dosewise.services.ports import (
    AccessDenied,
    Actor,
    AuthenticationFailed,
    Clock,
    Mailer,
    PasswordHasher,
    Store,
    UnitOfWork,
)
from dosewise.services.sharing import normalise_email

__all__ = [
    "RESET_LIFETIME",
    "change_password",
    "issue_reset_link",
    "request_reset_by_email",
    "reset_is_valid",
    "reset_lifetime_minutes",
    "reset_password",
    "send_invitation",
]

# Security policy (not a clinical number): documented in docs/web.md.
RESET_LIFETIME = timedelta(hours=1)


def reset_lifetime_minutes() -> int:
    """How long a reset link lasts, in minutes (for the e-mail and the admin command's words)."""
    return int(RESET_LIFETIME.total_seconds() // 60)


_LINK_GONE = "this password-reset link is not valid"
_LINK_HINT = "it may have been used or expired: ask for a new one"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _own_record_id(uow: UnitOfWork, user_id: int) -> int | None:
    profile = uow.patients.by_user(user_id)
    return profile.id if profile else None


def change_password(
    *,
    store: Store,
    hasher: PasswordHasher,
    clock: Clock,
    actor: Actor,
    session_token: str,
    old_password: str,
    new_password: str,
    client: str,
) -> None:
    """Set a new password after checking the old one; every other session of the account ends."""
    now = clock()
    key = f"sign-in:{actor.email}|{client}"
    with store.write() as uow:
        admit(uow, key=key, now=now)
        user = uow.users.get(actor.user_id)
        uow.commit()
    if user is None or not hasher.verify(user.password_hash, old_password):
        raise AuthenticationFailed("the current password is not right")
    check_password(new_password, email=actor.email, name=actor.display_name)
    if new_password == old_password:
        raise AuthenticationFailed("the new password is the same as the current one")
    new_hash = hasher.hash(new_password)
    with store.write() as uow:
        uow.throttle.clear(key)
        uow.users.set_password_hash(actor.user_id, new_hash)
        ended = uow.sessions.delete_for_user(actor.user_id, keep=session_hash(session_token))
        uow.resets.clear_for_user(actor.user_id)
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=_own_record_id(uow, actor.user_id),
            action="account.password",
            summary="changed the password; other sessions ended",
            detail={"sessions_ended": ended},
        )
        uow.commit()


def issue_reset_link(*, store: Store, clock: Clock, email: str, base_url: str) -> str | None:
    """A one-time reset link for the account with this address (None when there is none)."""
    now = clock()
    token = secrets.token_urlsafe(32)
    with store.write() as uow:
        user = uow.users.by_email(normalise_email(email))
        if user is None:
            return None
        uow.resets.add(token_hash=_hash(token), user_id=user.id, at=now, expires_at=now + RESET_LIFETIME)
        uow.commit()
    return f"{base_url.rstrip('/')}/reset/{token}"


def request_reset_by_email(*, store: Store, clock: Clock, mailer: Mailer, email: str, base_url: str) -> None:
    """E-mail a reset link if the address has an account; the caller answers the same either way."""
    address = normalise_email(email)
    if "@" not in address or len(address) > 254:
        return
    link = issue_reset_link(store=store, clock=clock, email=address, base_url=base_url)
    if link is None:
        return
    mailer.send(
        to=address,
        subject="Reset your dosewise password",
        body=(
            "Someone asked to reset the password of your dosewise account.\n\n"
            f"To choose a new password, open this link within {reset_lifetime_minutes()} minutes:\n{link}\n\n"
            "If it was not you, ignore this e-mail: your password stays as it is."
        ),
    )


def reset_is_valid(*, store: Store, clock: Clock, token: str) -> bool:
    if not token or len(token) > 200:
        return False
    with store.read() as uow:
        return uow.resets.peek(_hash(token), now=clock()) is not None


def reset_password(
    *, store: Store, hasher: PasswordHasher, clock: Clock, token: str, new_password: str
) -> Actor:
    """Use a reset link once: the new password is set and every session of the account ends."""
    now = clock()
    if not reset_is_valid(store=store, clock=clock, token=token):
        raise AccessDenied(_LINK_GONE, hint=_LINK_HINT)
    with store.read() as uow:
        user_id = uow.resets.peek(_hash(token), now=now)
        user = uow.users.get(user_id) if user_id is not None else None
    if user is None:
        raise AccessDenied(_LINK_GONE, hint=_LINK_HINT)
    check_password(new_password, email=user.email, name=user.display_name)
    new_hash = hasher.hash(new_password)
    with store.write() as uow:
        if uow.resets.take(_hash(token), now=now) != user.id:
            raise AccessDenied(_LINK_GONE, hint=_LINK_HINT)
        uow.users.set_password_hash(user.id, new_hash)
        uow.sessions.delete_for_user(user.id)
        uow.resets.clear_for_user(user.id)
        actor = Actor(user.id, user.role, user.display_name, user.email)
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=_own_record_id(uow, user.id),
            action="account.password",
            summary="reset the password with a one-time link; all sessions ended",
        )
        uow.commit()
        return actor


def send_invitation(*, mailer: Mailer, to: str, patient_name: str, access: str, link: str) -> None:
    """E-mail an invitation link (the patient sees the same link on the sharing page)."""
    mailer.send(
        to=to,
        subject=f"{patient_name} invites you to their dosewise record",
        body=(
            f"{patient_name} would like to give you {access} access to their dosewise record.\n\n"
            f"To accept, open this link and sign in (or create an account):\n{link}\n\n"
            f"{patient_name} will then see your name and confirm before you can see anything.\n"
            "If you did not expect this, ignore this e-mail."
        ),
    )
