"""Ports of reminders and alerts: push subscriptions, who is told what, the due work, the delivery log,
and the push service.

The due work lives in the database (``ReminderJob``): each job has a key that names what it is about
(the dose slot, the symptom entry, the plan version...), so the same thing is never scheduled twice, and
a job is claimed by one worker at a time (``claim_due``), so it is sent once whatever the number of app
processes, and picked up again after a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

__all__ = [
    "ALERT_KINDS",
    "CARE_TEAM_KINDS",
    "OWN_KINDS",
    "Delivery",
    "DeliveryOutcome",
    "JobState",
    "NewJob",
    "NotifySetting",
    "PushResult",
    "PushSender",
    "PushSubscription",
    "ReminderJob",
    "ReminderRepository",
]

# What the patient is told themselves, and what each care-team member can be told (the patient chooses).
OWN_KINDS = ("dose", "follow_up", "pump_refill")
CARE_TEAM_KINDS: dict[str, tuple[str, ...]] = {
    "caregiver": ("not_logged", "missed_run", "triage", "stock", "pump_refill", "plan_change"),
    "clinician": ("triage", "missed_run", "stock", "pump_refill"),
}
ALERT_KINDS = (
    "dose", "follow_up", "snooze", "not_logged", "missed_run", "triage", "stock", "pump_refill", "plan_change",
)  # fmt: skip

JobState = Literal["pending", "claimed", "sent", "not_sent", "failed"]
DeliveryOutcome = Literal["delivered", "failed", "expired", "not_sent"]


@dataclass(frozen=True)
class PushSubscription:
    """One browser's push endpoint (a device of a user), as the browser's PushSubscription gave it."""

    id: int
    user_id: int
    endpoint: str
    p256dh: str
    auth: str
    created_at: datetime


@dataclass(frozen=True)
class NotifySetting:
    """What one person is told about one record, and how.

    ``kinds`` is the patient's choice (for the patient: dose reminders and follow-ups; for a care-team
    member: the alerts the patient allowed); the delivery fields are the person's own.
    """

    patient_id: int
    user_id: int
    kinds: frozenset[str]
    by_push: bool = True
    by_email: bool = False
    quiet_from: str = ""  # "22:00" in the record's zone; empty: no quiet hours
    quiet_to: str = ""
    private_text: bool = False  # lock-screen text that names no medicine and no symptom
    updated_at: datetime | None = None


@dataclass(frozen=True)
class NewJob:
    patient_id: int
    user_id: int
    kind: str
    key: str  # unique: what the job is about, and for whom
    due_at: datetime
    expires_at: datetime | None = None  # after this the job is not sent (too late to be useful)
    slot_date: date | None = None
    slot_index: int | None = None
    ref: str = ""  # the symptom entry, plan version or product the alert is about


@dataclass(frozen=True)
class ReminderJob:
    id: int
    patient_id: int
    user_id: int
    kind: str
    key: str
    due_at: datetime
    expires_at: datetime | None
    state: JobState
    attempts: int
    slot_date: date | None = None
    slot_index: int | None = None
    ref: str = ""
    lease_until: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """One line of the delivery log: what was sent to whom, when, and whether it arrived."""

    id: int
    job_id: int
    patient_id: int
    user_id: int
    recipient_name: str
    kind: str
    channel: Literal["push", "email", "none"]
    target: str  # "device 3" or the e-mail address; never a push endpoint (it is a capability)
    title: str
    at: datetime
    outcome: DeliveryOutcome
    detail: str = ""


@dataclass(frozen=True)
class PushResult:
    status: int  # the push service's HTTP status (0: no answer)
    detail: str = ""

    @property
    def delivered(self) -> bool:
        return 200 <= self.status < 300

    @property
    def expired(self) -> bool:
        """404 and 410 mean the subscription is gone for good (RFC 8030 section 7.3)."""
        return self.status in (404, 410)


class PushSender(Protocol):
    @property
    def public_key(self) -> str:
        """The VAPID application server key (base64url, uncompressed P-256 point) browsers subscribe with."""
        ...

    def send(
        self, subscription: PushSubscription, payload: bytes, *, ttl: int, urgency: str, topic: str
    ) -> PushResult: ...


class ReminderRepository(Protocol):
    # subscriptions
    def add_subscription(
        self, *, user_id: int, endpoint: str, p256dh: str, auth: str, at: datetime
    ) -> PushSubscription: ...
    def subscriptions_of(self, user_id: int) -> Sequence[PushSubscription]: ...
    def remove_subscription(self, subscription_id: int) -> None: ...
    def remove_endpoint(self, *, user_id: int, endpoint: str) -> bool: ...

    # who is told what
    def setting(self, patient_id: int, user_id: int) -> NotifySetting | None: ...
    def settings_for(self, patient_id: int) -> Sequence[NotifySetting]: ...
    def save_setting(self, setting: NotifySetting) -> None: ...
    def patients_with_settings(self) -> Sequence[int]: ...

    # due work
    def schedule(self, jobs: Sequence[NewJob], *, at: datetime) -> int:
        """Insert the jobs whose key is new; returns how many were new (an existing key is left alone)."""
        ...

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these job keys are already scheduled (so a tick that adds nothing writes nothing)."""
        ...

    def claim_due(
        self, *, now: datetime, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[ReminderJob]:
        """Take up to ``limit`` jobs that are due (or whose previous claim's lease ran out) for ``worker``.

        PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent workers take different jobs
        without waiting; SQLite: a conditional UPDATE per job inside the single writer's transaction.
        """
        ...

    def finish(self, job_id: int, *, worker: str, state: JobState, at: datetime, note: str = "") -> bool:
        """Close a claimed job; False if the claim was lost (another worker took it after the lease)."""
        ...

    def retry(self, job_id: int, *, worker: str, due_at: datetime) -> None: ...
    def job(self, job_id: int) -> ReminderJob | None: ...
    def jobs_for(self, patient_id: int) -> Sequence[ReminderJob]: ...

    # the delivery log
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
    ) -> None: ...
    def deliveries_for(self, patient_id: int, limit: int = 200) -> Sequence[Delivery]: ...
