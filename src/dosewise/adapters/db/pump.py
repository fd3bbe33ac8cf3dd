"""The intrathecal pump history of a record: the device, refills and programme changes (append-only; a
correction is a new row that supersedes the old one, enforced by triggers like the other history)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.base import Base, FractionText, UtcDateTime
from dosewise.services.ports import PumpEntry

__all__ = ["PumpEntryRow", "SqlPump"]


class PumpEntryRow(Base):
    __tablename__ = "pump_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date())
    reservoir_ml: Mapped[Fraction | None] = mapped_column(FractionText())
    alarm_ml: Mapped[Fraction | None] = mapped_column(FractionText())
    fill_ml: Mapped[Fraction | None] = mapped_column(FractionText())
    concentration_mcg_ml: Mapped[Fraction | None] = mapped_column(FractionText())
    daily_mcg: Mapped[Fraction | None] = mapped_column(FractionText())
    note: Mapped[str] = mapped_column(Text(), default="")
    status: Mapped[str] = mapped_column(String(20))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("pump_entries.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by_name: Mapped[str] = mapped_column(String(120))


_ENTRIES = PumpEntryRow.__table__
_ONE_RECORD = select(_ENTRIES).where(_ENTRIES.c.patient_id == bindparam("patient")).order_by(_ENTRIES.c.id)
_MANY_RECORDS = (
    select(_ENTRIES)
    .where(_ENTRIES.c.patient_id.in_(bindparam("patients", expanding=True)))
    .order_by(_ENTRIES.c.patient_id, _ENTRIES.c.id)
)


def _entry(row: Any) -> PumpEntry:
    """An entry from its record or from a Core row (the same attribute names)."""
    return PumpEntry(
        id=row.id,
        patient_id=row.patient_id,
        kind=row.kind,
        on=row.effective_on,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        recorded_by_name=row.recorded_by_name,
        reservoir_ml=row.reservoir_ml,
        alarm_ml=row.alarm_ml,
        fill_ml=row.fill_ml,
        concentration_mcg_ml=row.concentration_mcg_ml,
        daily_mcg=row.daily_mcg,
        note=row.note,
        status=row.status,
        supersedes_id=row.supersedes_id,
    )


class SqlPump:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: PumpEntry) -> PumpEntry:
        row = PumpEntryRow(
            patient_id=entry.patient_id,
            kind=entry.kind,
            effective_on=entry.on,
            reservoir_ml=entry.reservoir_ml,
            alarm_ml=entry.alarm_ml,
            fill_ml=entry.fill_ml,
            concentration_mcg_ml=entry.concentration_mcg_ml,
            daily_mcg=entry.daily_mcg,
            note=entry.note,
            status=entry.status,
            supersedes_id=entry.supersedes_id,
            recorded_at=entry.recorded_at,
            recorded_by=entry.recorded_by,
            recorded_by_name=entry.recorded_by_name,
        )
        self.session.add(row)
        self.session.flush()
        return _entry(row)

    def get(self, entry_id: int) -> PumpEntry | None:
        row = self.session.get(PumpEntryRow, entry_id)
        return _entry(row) if row is not None else None

    def entries(self, patient_id: int) -> Sequence[PumpEntry]:
        return [_entry(row) for row in self.session.execute(_ONE_RECORD, {"patient": patient_id})]

    def entries_for(self, patient_ids: Sequence[int]) -> dict[int, Sequence[PumpEntry]]:
        found: dict[int, list[PumpEntry]] = {}
        if not patient_ids:
            return {}
        for row in self.session.execute(_MANY_RECORDS, {"patients": list(patient_ids)}):
            found.setdefault(row.patient_id, []).append(_entry(row))
        return dict(found)
