"""Accounts: users, server-side sessions and failed-login records, with their repositories."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, bindparam, delete, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.base import Base, UtcDateTime
from dosewise.services.ports import Role, SessionRecord, User

__all__ = [
    "LoginFailureRow",
    "PasswordResetRow",
    "SessionRow",
    "SqlResets",
    "SqlSessions",
    "SqlThrottle",
    "SqlUsers",
    "UserRow",
]


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SessionRow(Base):
    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class LoginFailureRow(Base):
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class PasswordResetRow(Base):
    """A one-time password-reset link: only the hash of its token is kept."""

    __tablename__ = "password_resets"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


def _user(row: UserRow) -> User:
    role: Role = row.role  # type: ignore[assignment]
    return User(row.id, row.email, row.display_name, role, row.password_hash, row.created_at)


class SqlUsers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, email: str, display_name: str, role: Role, password_hash: str, at: datetime) -> User:
        row = UserRow(
            email=email, display_name=display_name, role=role, password_hash=password_hash, created_at=at
        )
        self.session.add(row)
        self.session.flush()
        return _user(row)

    def get(self, user_id: int) -> User | None:
        row = self.session.get(UserRow, user_id)
        return _user(row) if row else None

    def by_email(self, email: str) -> User | None:
        row = self.session.scalar(select(UserRow).where(UserRow.email == email))
        return _user(row) if row else None

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        row = self.session.get(UserRow, user_id)
        if row is not None:
            row.password_hash = password_hash


_SESSIONS = SessionRow.__table__
_USERS = UserRow.__table__
# Every signed-in request asks this: one prebuilt Core statement (see doses.py).
_SESSION_WITH_USER = (
    select(
        _SESSIONS.c.token_hash,
        _SESSIONS.c.user_id,
        _SESSIONS.c.csrf_token,
        _SESSIONS.c.created_at,
        _SESSIONS.c.expires_at,
        _USERS.c.id,
        _USERS.c.email,
        _USERS.c.display_name,
        _USERS.c.role,
        _USERS.c.password_hash,
        _USERS.c.created_at.label("user_created_at"),
    )
    .join(_USERS, _USERS.c.id == _SESSIONS.c.user_id)
    .where(_SESSIONS.c.token_hash == bindparam("token_hash"))
)


class SqlSessions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: SessionRecord) -> None:
        self.session.add(
            SessionRow(
                token_hash=record.token_hash,
                user_id=record.user_id,
                csrf_token=record.csrf_token,
                created_at=record.created_at,
                expires_at=record.expires_at,
            )
        )

    def get(self, token_hash: str) -> SessionRecord | None:
        row = self.session.get(SessionRow, token_hash)
        if row is None:
            return None
        return SessionRecord(row.token_hash, row.user_id, row.csrf_token, row.created_at, row.expires_at)

    def get_with_user(self, token_hash: str) -> tuple[SessionRecord, User] | None:
        """The session and its user in one query (every signed-in request asks this)."""
        row = self.session.execute(_SESSION_WITH_USER, {"token_hash": token_hash}).first()
        if row is None:
            return None
        role: Role = row.role
        return SessionRecord(
            row.token_hash, row.user_id, row.csrf_token, row.created_at, row.expires_at
        ), User(row.id, row.email, row.display_name, role, row.password_hash, row.user_created_at)

    def delete(self, token_hash: str) -> None:
        self.session.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash))

    def delete_expired(self, now: datetime) -> int:
        result = self.session.execute(delete(SessionRow).where(SessionRow.expires_at < now))
        return int(getattr(result, "rowcount", 0) or 0)

    def delete_for_user(self, user_id: int, *, keep: str | None = None) -> int:
        query = delete(SessionRow).where(SessionRow.user_id == user_id)
        if keep is not None:
            query = query.where(SessionRow.token_hash != keep)
        result = self.session.execute(query)
        return int(getattr(result, "rowcount", 0) or 0)


class SqlResets:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, token_hash: str, user_id: int, at: datetime, expires_at: datetime) -> None:
        self.session.add(
            PasswordResetRow(token_hash=token_hash, user_id=user_id, created_at=at, expires_at=expires_at)
        )

    def peek(self, token_hash: str, *, now: datetime) -> int | None:
        row = self.session.get(PasswordResetRow, token_hash)
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        return row.user_id

    def take(self, token_hash: str, *, now: datetime) -> int | None:
        """Use the link once: a conditional update, so two parallel uses cannot both succeed."""
        user_id = self.peek(token_hash, now=now)
        if user_id is None:
            return None
        result = self.session.execute(
            update(PasswordResetRow)
            .where(PasswordResetRow.token_hash == token_hash, PasswordResetRow.used_at.is_(None))
            .values(used_at=now)
        )
        return user_id if int(getattr(result, "rowcount", 0) or 0) == 1 else None

    def clear_for_user(self, user_id: int) -> None:
        self.session.execute(delete(PasswordResetRow).where(PasswordResetRow.user_id == user_id))


class SqlThrottle:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self, key: str) -> None:
        """A transaction-scoped advisory lock on PostgreSQL; SQLite's writer already holds the database."""
        if self.session.get_bind().dialect.name == "postgresql":
            number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
            self.session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})

    def record_failure(self, key: str, at: datetime) -> None:
        self.session.add(LoginFailureRow(key=key, at=at))

    def failures_since(self, key: str, since: datetime) -> Sequence[datetime]:
        rows = self.session.scalars(
            select(LoginFailureRow.at).where(LoginFailureRow.key == key, LoginFailureRow.at >= since)
        )
        return sorted(rows)

    def clear(self, key: str) -> None:
        self.session.execute(delete(LoginFailureRow).where(LoginFailureRow.key == key))

    def forget_before(self, cutoff: datetime, *, batch: int = 100) -> int:
        """Delete up to ``batch`` of the oldest rows when they are older than ``cutoff``: ids grow with
        time, so the primary key finds them without a scan, and each call's work stays bounded."""
        oldest = select(LoginFailureRow.id).order_by(LoginFailureRow.id).limit(batch).scalar_subquery()
        result = self.session.execute(
            delete(LoginFailureRow).where(LoginFailureRow.id.in_(oldest), LoginFailureRow.at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)
