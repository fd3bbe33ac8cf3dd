"""Dose events (append-only; a correction supersedes) and stock counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from fractions import Fraction
from typing import Any, cast

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    insert,
    select,
)
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


# Hot reads (every Today page and every logged dose) are prebuilt Core statements: the ORM's identity map
# and statement construction cost about four times the query itself. Rows have the records' attribute names.
_EVENTS = DoseEventRow.__table__
_BETWEEN = (
    select(_EVENTS)
    .where(
        _EVENTS.c.patient_id == bindparam("patient"),
        _EVENTS.c.slot_date.between(bindparam("first"), bindparam("last")),
    )
    .order_by(_EVENTS.c.slot_date, _EVENTS.c.slot_index, _EVENTS.c.id)
)
# Every logged dose adds one row: a Core insert, no ORM flush (unit of work bookkeeping for one row).
_ADD = insert(cast(Table, _EVENTS))
_BY_KEY = select(_EVENTS).where(
    _EVENTS.c.patient_id == bindparam("patient"), _EVENTS.c.idempotency_key == bindparam("key")
)
_COUNTS = StockCountRow.__table__
_NEWEST_COUNTS = (
    select(_COUNTS.c.product_id, func.max(_COUNTS.c.id).label("id"))
    .where(_COUNTS.c.patient_id == bindparam("patient"))
    .group_by(_COUNTS.c.product_id)
    .subquery()
)
_LATEST_COUNTS = (
    select(_COUNTS).join(_NEWEST_COUNTS, _NEWEST_COUNTS.c.id == _COUNTS.c.id).order_by(_COUNTS.c.product_id)
)


def _event(row: Any) -> DoseEvent:
    """A dose event from its record or from a Core row (the same attribute names)."""
    return DoseEvent(
        id=row.id,
        patient_id=row.patient_id,
        plan_version_id=row.plan_version_id,
        slot_date=row.slot_date,
        slot_index=row.slot_index,
        scheduled_at=row.scheduled_at,
        dose=Quantity(row.dose_value, Unit(row.dose_unit)),
        status=row.status,
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
        result = self.session.execute(
            _ADD,
            {
                "patient_id": event.patient_id,
                "plan_version_id": event.plan_version_id,
                "slot_date": event.slot_date,
                "slot_index": event.slot_index,
                "scheduled_at": event.scheduled_at,
                "dose_value": event.dose.amount,
                "dose_unit": event.dose.unit.value,
                "status": event.status,
                "taken_at": event.taken_at,
                "recorded_by": event.recorded_by,
                "recorded_by_name": event.recorded_by_name,
                "recorded_at": event.recorded_at,
                "idempotency_key": event.idempotency_key,
                "note": event.note,
                "supersedes_id": event.supersedes_id,
            },
        )
        (event_id,) = result.inserted_primary_key  # type: ignore[attr-defined]
        return replace(event, id=int(event_id))

    def by_key(self, patient_id: int, idempotency_key: str) -> DoseEvent | None:
        row = self.session.execute(_BY_KEY, {"patient": patient_id, "key": idempotency_key}).first()
        return _event(row) if row else None

    def get(self, event_id: int) -> DoseEvent | None:
        row = self.session.get(DoseEventRow, event_id)
        return _event(row) if row else None

    def between(self, patient_id: int, first: date, last: date) -> Sequence[DoseEvent]:
        rows = self.session.execute(_BETWEEN, {"patient": patient_id, "first": first, "last": last})
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
        rows = self.session.execute(_LATEST_COUNTS, {"patient": patient_id})
        return [
            StockCount(r.id, r.patient_id, r.product_id, r.amount, r.counted_at, r.recorded_by) for r in rows
        ]
