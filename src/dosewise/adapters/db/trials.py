"""Treatment trials: the goal, review date and no-benefit plan agreed for a record. Append-only: a changed
trial is a new row, and the latest row is the trial in force."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.base import Base, UtcDateTime
from dosewise.services.ports import TrialRecord

__all__ = ["SqlTrials", "TrialRow"]


class TrialRow(Base):
    __tablename__ = "trials"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    plan_version: Mapped[int | None]
    goal_kind: Mapped[str] = mapped_column(String(32))
    goal_points: Mapped[int | None]
    goal_text: Mapped[str] = mapped_column(Text())
    started_on: Mapped[date] = mapped_column(Date())
    review_on: Mapped[date] = mapped_column(Date())
    if_no_benefit: Mapped[str] = mapped_column(Text())
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by_name: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


def _record(row: TrialRow) -> TrialRecord:
    return TrialRecord(
        id=row.id,
        patient_id=row.patient_id,
        plan_version=row.plan_version,
        goal_kind=row.goal_kind,
        goal_points=row.goal_points,
        goal_text=row.goal_text,
        started_on=row.started_on,
        review_on=row.review_on,
        if_no_benefit=row.if_no_benefit,
        recorded_by=row.recorded_by,
        recorded_by_name=row.recorded_by_name,
        recorded_at=row.recorded_at,
    )


class SqlTrials:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, trial: TrialRecord) -> TrialRecord:
        row = TrialRow(
            patient_id=trial.patient_id,
            plan_version=trial.plan_version,
            goal_kind=trial.goal_kind,
            goal_points=trial.goal_points,
            goal_text=trial.goal_text,
            started_on=trial.started_on,
            review_on=trial.review_on,
            if_no_benefit=trial.if_no_benefit,
            recorded_by=trial.recorded_by,
            recorded_by_name=trial.recorded_by_name,
            recorded_at=trial.recorded_at,
        )
        self.session.add(row)
        self.session.flush()
        return _record(row)

    def latest(self, patient_id: int) -> TrialRecord | None:
        row = self.session.scalars(
            select(TrialRow).where(TrialRow.patient_id == patient_id).order_by(TrialRow.id.desc()).limit(1)
        ).first()
        return _record(row) if row else None
