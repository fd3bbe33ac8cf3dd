"""The audit trail: who changed what and when (append-only, enforced by triggers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, ForeignKey, Index, String, Table, Text, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.base import Base, UtcDateTime
from dosewise.services.ports import AuditEvent

__all__ = ["AuditRow", "SqlAudit"]


class AuditRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_patient_at", "patient_id", "at"),
        Index("ix_audit_events_actor_at", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(120))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    action: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON())


def _event(row: AuditRow) -> AuditEvent:
    return AuditEvent(
        row.id, row.at, row.actor_id, row.actor_name, row.patient_id, row.action, row.summary, row.detail
    )


# Every change adds one event beside it: a Core insert, no ORM flush.
_ADD = insert(cast(Table, AuditRow.__table__))


class SqlAudit:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: AuditEvent) -> AuditEvent:
        result = self.session.execute(
            _ADD,
            {
                "at": event.at,
                "actor_id": event.actor_id,
                "actor_name": event.actor_name,
                "patient_id": event.patient_id,
                "action": event.action,
                "summary": event.summary,
                "detail": event.detail,
            },
        )
        (event_id,) = result.inserted_primary_key  # type: ignore[attr-defined]
        return replace(event, id=int(event_id))

    def for_patient(self, patient_id: int, limit: int = 200) -> Sequence[AuditEvent]:
        rows = self.session.scalars(
            select(AuditRow)
            .where(AuditRow.patient_id == patient_id)
            .order_by(AuditRow.id.desc())
            .limit(limit)
        )
        return [_event(row) for row in rows]

    def for_actor(self, actor_id: int, limit: int = 200) -> Sequence[AuditEvent]:
        rows = self.session.scalars(
            select(AuditRow).where(AuditRow.actor_id == actor_id).order_by(AuditRow.id.desc()).limit(limit)
        )
        return [_event(row) for row in rows]
