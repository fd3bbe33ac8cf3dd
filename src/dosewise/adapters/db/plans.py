"""Plan versions: every change to a schedule is a new immutable row (append-only, enforced by triggers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.base import Base, UtcDateTime
from dosewise.services.ports import PlanVersion

__all__ = ["PlanVersionRow", "SqlPlans"]


class PlanVersionRow(Base):
    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("patient_id", "number", name="uq_plan_versions_patient_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    number: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSON())
    status: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    effective_from: Mapped[date] = mapped_column(Date())
    prescriber: Mapped[str | None] = mapped_column(String(120))
    resume_document: Mapped[dict[str, Any] | None] = mapped_column(JSON())
    paused_on: Mapped[date | None] = mapped_column(Date())


_VERSIONS = PlanVersionRow.__table__
# Every page of a record reads the plan in force: a prebuilt Core statement (see doses.py).
_LATEST = (
    select(_VERSIONS)
    .where(_VERSIONS.c.patient_id == bindparam("patient"))
    .order_by(_VERSIONS.c.number.desc())
    .limit(1)
)


def _version(row: Any) -> PlanVersion:
    """A plan version from its record or from a Core row (the same attribute names)."""
    return PlanVersion(
        id=row.id,
        patient_id=row.patient_id,
        number=row.number,
        document=row.document,
        status=row.status,
        action=row.action,
        reason=row.reason,
        created_by=row.created_by,
        created_by_name=row.created_by_name,
        created_at=row.created_at,
        effective_from=row.effective_from,
        prescriber=row.prescriber,
        resume_document=row.resume_document,
        paused_on=row.paused_on,
    )


class SqlPlans:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, version: PlanVersion) -> PlanVersion:
        row = PlanVersionRow(
            patient_id=version.patient_id,
            number=version.number,
            document=version.document,
            status=version.status,
            action=version.action,
            reason=version.reason,
            created_by=version.created_by,
            created_by_name=version.created_by_name,
            created_at=version.created_at,
            effective_from=version.effective_from,
            prescriber=version.prescriber,
            resume_document=version.resume_document,
            paused_on=version.paused_on,
        )
        self.session.add(row)
        self.session.flush()
        return _version(row)

    def latest(self, patient_id: int) -> PlanVersion | None:
        row = self.session.execute(_LATEST, {"patient": patient_id}).first()
        return _version(row) if row else None

    def history(self, patient_id: int) -> Sequence[PlanVersion]:
        rows = self.session.scalars(
            select(PlanVersionRow)
            .where(PlanVersionRow.patient_id == patient_id)
            .order_by(PlanVersionRow.number.desc())
        )
        return [_version(row) for row in rows]

    def get(self, version_id: int) -> PlanVersion | None:
        row = self.session.get(PlanVersionRow, version_id)
        return _version(row) if row else None
