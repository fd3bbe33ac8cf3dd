"""Calendar subscription addresses: the hash of each secret, who made it and when it was turned off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.base import Base, UtcDateTime
from dosewise.services.ports import CalendarFeed

__all__ = ["CalendarFeedRow", "SqlCalendarFeeds"]


class CalendarFeedRow(Base):
    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    # sha256 of a 256-bit random secret: a stolen database gives no working address.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


def _feed(row: CalendarFeedRow) -> CalendarFeed:
    return CalendarFeed(
        id=row.id,
        patient_id=row.patient_id,
        token_hash=row.token_hash,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


class SqlCalendarFeeds:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, patient_id: int, token_hash: str, at: datetime, by: int) -> CalendarFeed:
        row = CalendarFeedRow(patient_id=patient_id, token_hash=token_hash, created_at=at, created_by=by)
        self.session.add(row)
        self.session.flush()
        return _feed(row)

    def active_for(self, patient_id: int) -> CalendarFeed | None:
        row = self.session.scalars(
            select(CalendarFeedRow)
            .where(CalendarFeedRow.patient_id == patient_id, CalendarFeedRow.revoked_at.is_(None))
            .order_by(CalendarFeedRow.id.desc())
            .limit(1)
        ).first()
        return _feed(row) if row is not None else None

    def by_token(self, token_hash: str) -> CalendarFeed | None:
        row = self.session.scalars(
            select(CalendarFeedRow).where(
                CalendarFeedRow.token_hash == token_hash, CalendarFeedRow.revoked_at.is_(None)
            )
        ).first()
        return _feed(row) if row is not None else None

    def revoke(self, feed_id: int, *, at: datetime, by: int) -> None:
        row = self.session.get(CalendarFeedRow, feed_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = at
            row.revoked_by = by
            self.session.flush()
