"""Push subscriptions, notification settings, the reminder jobs (the due work) and the delivery log.

A job's ``key`` is unique, so scheduling the same dose slot twice (two app processes, a restart) inserts
nothing the second time. Claiming takes the job for one worker with a lease: PostgreSQL locks the rows it
takes with ``FOR UPDATE SKIP LOCKED`` (another worker skips them instead of waiting); SQLite has one writer
at a time, and the claim is an UPDATE that only succeeds while the job is still free.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Boolean, ColumnElement, ForeignKey, Integer, String, Text, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.accounts import UserRow
from dosewise.adapters.db.base import Base, UtcDateTime
from dosewise.services.reminders_ports import (
    Delivery,
    DeliveryOutcome,
    JobState,
    NewJob,
    NotifySetting,
    PushSubscription,
    ReminderJob,
)

__all__ = ["DeliveryRow", "NotifySettingRow", "PushSubscriptionRow", "ReminderJobRow", "SqlReminders"]


class PushSubscriptionRow(Base):
    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The endpoint is a capability (whoever has it can push to the device): never shown, never logged.
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class NotifySettingRow(Base):
    __tablename__ = "notify_settings"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kinds: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    by_push: Mapped[bool] = mapped_column(Boolean, default=True)
    by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_from: Mapped[str] = mapped_column(String(5), default="")
    quiet_to: Mapped[str] = mapped_column(String(5), default="")
    private_text: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReminderJobRow(Base):
    __tablename__ = "reminder_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    slot_date: Mapped[date | None] = mapped_column()
    slot_index: Mapped[int | None] = mapped_column()
    ref: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    note: Mapped[str] = mapped_column(String(300), default="")


class DeliveryRow(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("reminder_jobs.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(320))
    title: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(String(300), default="")


def _subscription(row: PushSubscriptionRow) -> PushSubscription:
    return PushSubscription(row.id, row.user_id, row.endpoint, row.p256dh, row.auth, row.created_at)


def _setting(row: NotifySettingRow) -> NotifySetting:
    return NotifySetting(
        patient_id=row.patient_id,
        user_id=row.user_id,
        kinds=frozenset(k for k in row.kinds.split(",") if k),
        by_push=row.by_push,
        by_email=row.by_email,
        quiet_from=row.quiet_from,
        quiet_to=row.quiet_to,
        private_text=row.private_text,
        updated_at=row.updated_at,
    )


def _job(row: ReminderJobRow) -> ReminderJob:
    state: JobState = row.state  # type: ignore[assignment]
    return ReminderJob(
        id=row.id,
        patient_id=row.patient_id,
        user_id=row.user_id,
        kind=row.kind,
        key=row.key,
        due_at=row.due_at,
        expires_at=row.expires_at,
        state=state,
        attempts=row.attempts,
        slot_date=row.slot_date,
        slot_index=row.slot_index,
        ref=row.ref,
        lease_until=row.lease_until,
    )


class SqlReminders:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------------------------ subscriptions
    def add_subscription(
        self, *, user_id: int, endpoint: str, p256dh: str, auth: str, at: datetime
    ) -> PushSubscription:
        row = self.session.scalars(
            select(PushSubscriptionRow).where(PushSubscriptionRow.endpoint == endpoint)
        ).first()
        if row is None:
            row = PushSubscriptionRow(
                user_id=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=at
            )
            self.session.add(row)
        else:  # the browser renewed its keys, or another account signed in on this device
            row.user_id, row.p256dh, row.auth = user_id, p256dh, auth
        self.session.flush()
        return _subscription(row)

    def subscriptions_of(self, user_id: int) -> Sequence[PushSubscription]:
        rows = self.session.scalars(
            select(PushSubscriptionRow)
            .where(PushSubscriptionRow.user_id == user_id)
            .order_by(PushSubscriptionRow.id)
        )
        return [_subscription(r) for r in rows]

    def remove_subscription(self, subscription_id: int) -> None:
        row = self.session.get(PushSubscriptionRow, subscription_id)
        if row is not None:
            self.session.delete(row)
            self.session.flush()

    def remove_endpoint(self, *, user_id: int, endpoint: str) -> bool:
        row = self.session.scalars(
            select(PushSubscriptionRow).where(
                PushSubscriptionRow.endpoint == endpoint, PushSubscriptionRow.user_id == user_id
            )
        ).first()
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True

    # ---------------------------------------------------------------------------------------- settings
    def setting(self, patient_id: int, user_id: int) -> NotifySetting | None:
        row = self.session.get(NotifySettingRow, (patient_id, user_id))
        return _setting(row) if row is not None else None

    def settings_for(self, patient_id: int) -> Sequence[NotifySetting]:
        rows = self.session.scalars(
            select(NotifySettingRow)
            .where(NotifySettingRow.patient_id == patient_id)
            .order_by(NotifySettingRow.user_id)
        )
        return [_setting(r) for r in rows]

    def save_setting(self, setting: NotifySetting) -> None:
        assert setting.updated_at is not None
        row = self.session.get(NotifySettingRow, (setting.patient_id, setting.user_id))
        if row is None:
            row = NotifySettingRow(patient_id=setting.patient_id, user_id=setting.user_id)
            self.session.add(row)
        row.kinds = ",".join(sorted(setting.kinds))
        row.by_push, row.by_email = setting.by_push, setting.by_email
        row.quiet_from, row.quiet_to = setting.quiet_from, setting.quiet_to
        row.private_text = setting.private_text
        row.updated_at = setting.updated_at
        self.session.flush()

    def patients_with_settings(self) -> Sequence[int]:
        return list(
            self.session.scalars(
                select(NotifySettingRow.patient_id)
                .where(NotifySettingRow.kinds != "")
                .distinct()
                .order_by(NotifySettingRow.patient_id)
            )
        )

    # ---------------------------------------------------------------------------------------- due work
    def schedule(self, jobs: Sequence[NewJob], *, at: datetime) -> int:
        if not jobs:
            return 0
        values = [
            {
                "patient_id": j.patient_id,
                "user_id": j.user_id,
                "kind": j.kind,
                "key": j.key,
                "due_at": j.due_at,
                "expires_at": j.expires_at,
                "state": "pending",
                "attempts": 0,
                "slot_date": j.slot_date,
                "slot_index": j.slot_index,
                "ref": j.ref,
                "created_at": at,
                "note": "",
            }
            for j in jobs
        ]
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(ReminderJobRow).values(values).on_conflict_do_nothing(index_elements=["key"])
        result = self.session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            found.update(
                self.session.scalars(select(ReminderJobRow.key).where(ReminderJobRow.key.in_(chunk)))
            )
        return found

    def _claimable(self, now: datetime) -> ColumnElement[bool]:
        return or_(
            and_(ReminderJobRow.state == "pending", ReminderJobRow.due_at <= now),
            and_(ReminderJobRow.state == "claimed", ReminderJobRow.lease_until < now),
        )

    def claim_due(
        self, *, now: datetime, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[ReminderJob]:
        query = (
            select(ReminderJobRow.id).where(self._claimable(now)).order_by(ReminderJobRow.due_at).limit(limit)
        )
        postgres = self.session.get_bind().dialect.name == "postgresql"
        if postgres:
            query = query.with_for_update(skip_locked=True)
        ids = list(self.session.scalars(query))
        claimed: list[int] = []
        for job_id in ids:
            condition = [ReminderJobRow.id == job_id]
            if not postgres:  # the row is not locked: take it only if it is still free
                condition.append(self._claimable(now))
            result = self.session.execute(
                update(ReminderJobRow)
                .where(*condition)
                .values(
                    state="claimed",
                    claimed_by=worker,
                    lease_until=lease_until,
                    attempts=ReminderJobRow.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                claimed.append(job_id)
        if not claimed:
            return []
        self.session.expire_all()
        rows = self.session.scalars(
            select(ReminderJobRow).where(ReminderJobRow.id.in_(claimed)).order_by(ReminderJobRow.due_at)
        )
        return [_job(r) for r in rows]

    def finish(self, job_id: int, *, worker: str, state: JobState, at: datetime, note: str = "") -> bool:
        result = self.session.execute(
            update(ReminderJobRow)
            .where(
                ReminderJobRow.id == job_id,
                ReminderJobRow.claimed_by == worker,
                ReminderJobRow.state == "claimed",
            )
            .values(state=state, finished_at=at, lease_until=None, note=note[:300])
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    def retry(self, job_id: int, *, worker: str, due_at: datetime) -> None:
        self.session.execute(
            update(ReminderJobRow)
            .where(ReminderJobRow.id == job_id, ReminderJobRow.claimed_by == worker)
            .values(state="pending", due_at=due_at, lease_until=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )

    def job(self, job_id: int) -> ReminderJob | None:
        row = self.session.get(ReminderJobRow, job_id)
        return _job(row) if row is not None else None

    def jobs_for(self, patient_id: int) -> Sequence[ReminderJob]:
        rows = self.session.scalars(
            select(ReminderJobRow)
            .where(ReminderJobRow.patient_id == patient_id)
            .order_by(ReminderJobRow.due_at)
        )
        return [_job(r) for r in rows]

    # ------------------------------------------------------------------------------------ delivery log
    def add_delivery(
        self,
        *,
        job_id: int,
        patient_id: int,
        user_id: int,
        kind: str,
        channel: str,
        target: str,
        title: str,
        at: datetime,
        outcome: DeliveryOutcome,
        detail: str = "",
    ) -> None:
        self.session.add(
            DeliveryRow(
                job_id=job_id,
                patient_id=patient_id,
                user_id=user_id,
                kind=kind,
                channel=channel,
                target=target[:320],
                title=title,
                at=at,
                outcome=outcome,
                detail=detail[:300],
            )
        )
        self.session.flush()

    def deliveries_for(self, patient_id: int, limit: int = 200) -> Sequence[Delivery]:
        rows = self.session.execute(
            select(DeliveryRow, UserRow.display_name)
            .join(UserRow, UserRow.id == DeliveryRow.user_id)
            .where(DeliveryRow.patient_id == patient_id)
            .order_by(DeliveryRow.at.desc(), DeliveryRow.id.desc())
            .limit(limit)
        )
        return [
            Delivery(
                id=r.id,
                job_id=r.job_id,
                patient_id=r.patient_id,
                user_id=r.user_id,
                recipient_name=name,
                kind=r.kind,
                channel=r.channel,  # type: ignore[arg-type]
                target=r.target,
                title=r.title,
                at=r.at,
                outcome=r.outcome,  # type: ignore[arg-type]
                detail=r.detail,
            )
            for r, name in rows
        ]
