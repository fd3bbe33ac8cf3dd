"""Dose events (append-only; a correction supersedes) and stock counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.base import Base, FractionText, UtcDateTime
from dosewise.domain.quantity import Quantity, Unit
from dosewise.services.ports import DoseEvent, StockCount

__all__ = ["DoseEventRow", "SqlDoses", "SqlStock", "StockCountRow"]


class DoseEventRow(Base):
    __tablename__ = "dose_events"
    __table_args__ = (
        UniqueConstraint("patient_id", "idempotency_key", name="uq_dose_events_patient_key"),
        Index("ix_dose_events_patient_slot", "patient_id", "slot_date", "slot_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    plan_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id"))
    slot_date: Mapped[date] = mapped_column(Date())
    slot_index: Mapped[int]
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime())
    dose_value: Mapped[Fraction] = mapped_column(FractionText())
    dose_unit: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by_name: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    idempotency_key: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text(), default="")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("dose_events.id"), index=True)


class StockCountRow(Base):
    __tablename__ = "stock_counts"
    __table_args__ = (Index("ix_stock_counts_patient_product", "patient_id", "product_id", "counted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    product_id: Mapped[str] = mapped_column(String(80))
    amount: Mapped[Fraction] = mapped_column(FractionText())
    counted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


def _event(row: DoseEventRow) -> DoseEvent:
    return DoseEvent(
        id=row.id,
        patient_id=row.patient_id,
        plan_version_id=row.plan_version_id,
        slot_date=row.slot_date,
        slot_index=row.slot_index,
        scheduled_at=row.scheduled_at,
        dose=Quantity(row.dose_value, Unit(row.dose_unit)),
        status=row.status,  # type: ignore[arg-type]
        taken_at=row.taken_at,
        recorded_by=row.recorded_by,
        recorded_by_name=row.recorded_by_name,
        recorded_at=row.recorded_at,
        idempotency_key=row.idempotency_key,
        note=row.note,
        supersedes_id=row.supersedes_id,
    )


class SqlDoses:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: DoseEvent) -> DoseEvent:
        row = DoseEventRow(
            patient_id=event.patient_id,
            plan_version_id=event.plan_version_id,
            slot_date=event.slot_date,
            slot_index=event.slot_index,
            scheduled_at=event.scheduled_at,
            dose_value=event.dose.amount,
            dose_unit=event.dose.unit.value,
            status=event.status,
            taken_at=event.taken_at,
            recorded_by=event.recorded_by,
            recorded_by_name=event.recorded_by_name,
            recorded_at=event.recorded_at,
            idempotency_key=event.idempotency_key,
            note=event.note,
            supersedes_id=event.supersedes_id,
        )
        self.session.add(row)
        self.session.flush()
        return _event(row)

    def by_key(self, patient_id: int, idempotency_key: str) -> DoseEvent | None:
        row = self.session.scalar(
            select(DoseEventRow).where(
                DoseEventRow.patient_id == patient_id, DoseEventRow.idempotency_key == idempotency_key
            )
        )
        return _event(row) if row else None

    def get(self, event_id: int) -> DoseEvent | None:
        row = self.session.get(DoseEventRow, event_id)
        return _event(row) if row else None

    def between(self, patient_id: int, first: date, last: date) -> Sequence[DoseEvent]:
        rows = self.session.scalars(
            select(DoseEventRow)
            .where(DoseEventRow.patient_id == patient_id, DoseEventRow.slot_date.between(first, last))
            .order_by(DoseEventRow.slot_date, DoseEventRow.slot_index, DoseEventRow.id)
        )
        return [_event(row) for row in rows]

    def superseded_ids(self, patient_id: int) -> frozenset[int]:
        rows = self.session.scalars(
            select(DoseEventRow.supersedes_id).where(
                DoseEventRow.patient_id == patient_id, DoseEventRow.supersedes_id.is_not(None)
            )
        )
        return frozenset(int(value) for value in rows if value is not None)


class SqlStock:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, count: StockCount) -> StockCount:
        row = StockCountRow(
            patient_id=count.patient_id,
            product_id=count.product_id,
            amount=count.amount,
            counted_at=count.counted_at,
            recorded_by=count.recorded_by,
        )
        self.session.add(row)
        self.session.flush()
        return StockCount(row.id, row.patient_id, row.product_id, row.amount, row.counted_at, row.recorded_by)

    def latest(self, patient_id: int) -> Sequence[StockCount]:
        newest = (
            select(StockCountRow.product_id, func.max(StockCountRow.id).label("id"))
            .where(StockCountRow.patient_id == patient_id)
            .group_by(StockCountRow.product_id)
            .subquery()
        )
        rows = self.session.scalars(select(StockCountRow).join(newest, newest.c.id == StockCountRow.id))
        return sorted(
            (
                StockCount(r.id, r.patient_id, r.product_id, r.amount, r.counted_at, r.recorded_by)
                for r in rows
            ),
            key=lambda count: count.product_id,
        )
