"""Diary: symptom entries and daily check-ins (append-only; a correction supersedes the old entry)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, SmallInteger, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.base import Base, UtcDateTime
from dosewise.services.ports import CheckIn, SymptomEntry

__all__ = ["CheckInRow", "SqlDiary", "SymptomRow"]


class SymptomRow(Base):
    __tablename__ = "symptom_entries"
    __table_args__ = (
        Index("ix_symptom_entries_patient_at", "patient_id", "recorded_at"),
        Index("uq_symptom_entries_patient_key", "patient_id", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by_name: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text())
    severity: Mapped[str] = mapped_column(String(10))
    triage_level: Mapped[str] = mapped_column(String(16))
    triage: Mapped[dict[str, Any]] = mapped_column(JSON())
    kb_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("symptom_entries.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))


class CheckInRow(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_patient_day", "patient_id", "day"),
        Index("uq_checkins_patient_key", "patient_id", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    day: Mapped[date] = mapped_column(Date())
    spasticity: Mapped[int] = mapped_column(SmallInteger())
    spasm_frequency: Mapped[int] = mapped_column(SmallInteger())
    sleep_quality: Mapped[int] = mapped_column(SmallInteger())
    drowsiness: Mapped[int] = mapped_column(SmallInteger())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))


_SYMPTOMS = SymptomRow.__table__
# The urgent banner on every page of a record reads these: prebuilt Core statements (see doses.py).
_ALL_SYMPTOMS = (
    select(_SYMPTOMS)
    .where(_SYMPTOMS.c.patient_id == bindparam("patient"))
    .order_by(_SYMPTOMS.c.recorded_at, _SYMPTOMS.c.id)
)
_SYMPTOMS_SINCE = (
    select(_SYMPTOMS)
    .where(_SYMPTOMS.c.patient_id == bindparam("patient"), _SYMPTOMS.c.recorded_at >= bindparam("since"))
    .order_by(_SYMPTOMS.c.recorded_at, _SYMPTOMS.c.id)
)


def _symptom(row: Any) -> SymptomEntry:
    """A symptom entry from its record or from a Core row (the same attribute names)."""
    return SymptomEntry(
        id=row.id,
        patient_id=row.patient_id,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        recorded_by_name=row.recorded_by_name,
        text=row.text,
        severity=row.severity,
        triage_level=row.triage_level,
        triage=row.triage,
        kb_version=row.kb_version,
        status=row.status,
        supersedes_id=row.supersedes_id,
        idempotency_key=row.idempotency_key,
    )


def _checkin(row: CheckInRow) -> CheckIn:
    return CheckIn(
        id=row.id,
        patient_id=row.patient_id,
        day=row.day,
        spasticity=row.spasticity,
        spasm_frequency=row.spasm_frequency,
        sleep_quality=row.sleep_quality,
        drowsiness=row.drowsiness,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        status=row.status,  # type: ignore[arg-type]
        supersedes_id=row.supersedes_id,
        idempotency_key=row.idempotency_key,
    )


class SqlDiary:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_symptom(self, entry: SymptomEntry) -> SymptomEntry:
        row = SymptomRow(
            patient_id=entry.patient_id,
            recorded_at=entry.recorded_at,
            recorded_by=entry.recorded_by,
            recorded_by_name=entry.recorded_by_name,
            text=entry.text,
            severity=entry.severity,
            triage_level=entry.triage_level,
            triage=entry.triage,
            kb_version=entry.kb_version,
            status=entry.status,
            supersedes_id=entry.supersedes_id,
            idempotency_key=entry.idempotency_key,
        )
        self.session.add(row)
        self.session.flush()
        return _symptom(row)

    def get_symptom(self, entry_id: int) -> SymptomEntry | None:
        row = self.session.get(SymptomRow, entry_id)
        return _symptom(row) if row else None

    def symptoms(self, patient_id: int, since: datetime | None = None) -> Sequence[SymptomEntry]:
        if since is None:
            rows = self.session.execute(_ALL_SYMPTOMS, {"patient": patient_id})
        else:
            rows = self.session.execute(_SYMPTOMS_SINCE, {"patient": patient_id, "since": since})
        return [_symptom(row) for row in rows]

    def add_checkin(self, entry: CheckIn) -> CheckIn:
        row = CheckInRow(
            patient_id=entry.patient_id,
            day=entry.day,
            spasticity=entry.spasticity,
            spasm_frequency=entry.spasm_frequency,
            sleep_quality=entry.sleep_quality,
            drowsiness=entry.drowsiness,
            recorded_at=entry.recorded_at,
            recorded_by=entry.recorded_by,
            status=entry.status,
            supersedes_id=entry.supersedes_id,
            idempotency_key=entry.idempotency_key,
        )
        self.session.add(row)
        self.session.flush()
        return _checkin(row)

    def get_checkin(self, entry_id: int) -> CheckIn | None:
        row = self.session.get(CheckInRow, entry_id)
        return _checkin(row) if row else None

    def checkins(self, patient_id: int, first: date, last: date) -> Sequence[CheckIn]:
        rows = self.session.scalars(
            select(CheckInRow)
            .where(CheckInRow.patient_id == patient_id, CheckInRow.day.between(first, last))
            .order_by(CheckInRow.day, CheckInRow.id)
        )
        return [_checkin(row) for row in rows]

    def symptom_by_key(self, patient_id: int, idempotency_key: str) -> SymptomEntry | None:
        row = self.session.scalars(
            select(SymptomRow).where(
                SymptomRow.patient_id == patient_id, SymptomRow.idempotency_key == idempotency_key
            )
        ).first()
        return _symptom(row) if row else None

    def checkin_by_key(self, patient_id: int, idempotency_key: str) -> CheckIn | None:
        row = self.session.scalars(
            select(CheckInRow).where(
                CheckInRow.patient_id == patient_id, CheckInRow.idempotency_key == idempotency_key
            )
        ).first()
        return _checkin(row) if row else None
