"""Ports of the web-facing services: the stored records, the repositories and the unit of work.

Services are keyword-only functions over these Protocols; ``dosewise.adapters.db`` implements them with
SQLAlchemy and the tests implement them with in-memory fakes. A record here is what is stored, in domain
types (``Quantity``, ``Fraction``, zone-aware ``datetime``); the adapters map rows to and from them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from types import TracebackType
from typing import Any, Literal, Protocol, Self

from dosewise.domain.errors import DosewiseError
from dosewise.domain.quantity import Quantity
from dosewise.domain.regimen import Plan
from dosewise.services.reminders_ports import ReminderRepository

__all__ = [
    "AccessDenied",
    "Actor",
    "AuditEvent",
    "AuditRepository",
    "AuthenticationFailed",
    "AuthenticationRequired",
    "CalendarFeed",
    "CalendarFeedRepository",
    "CdsCardRecord",
    "CdsFeedback",
    "CdsRepository",
    "CheckIn",
    "Clock",
    "Conflict",
    "DiaryRepository",
    "DoseEvent",
    "DoseRepository",
    "Grant",
    "GrantRepository",
    "GrantState",
    "LoginThrottled",
    "Mailer",
    "Medication",
    "MedicationRepository",
    "PasswordHasher",
    "PatientRepository",
    "PlanRepository",
    "PlanVersion",
    "Profile",
    "ResetRepository",
    "Role",
    "ServiceBusy",
    "SessionRecord",
    "SessionRepository",
    "StockCount",
    "StockRepository",
    "Store",
    "SymptomEntry",
    "ThrottleRepository",
    "UnitOfWork",
    "User",
    "UserRepository",
]

Role = Literal["patient", "caregiver", "clinician"]
Access = Literal["caregiver", "clinician"]
Clock = Callable[[], datetime]


# ----------------------------------------------------------------------------------------------- errors
class AccessDenied(DosewiseError):
    """The record does not exist or the actor may not touch it; both look the same from outside."""

    code = "not_found"


class AuthenticationRequired(DosewiseError):
    code = "authentication_required"


class AuthenticationFailed(DosewiseError):
    code = "authentication_failed"


class LoginThrottled(DosewiseError):
    code = "login_throttled"

    def __init__(self, message: str, *, retry_after_seconds: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after_seconds = retry_after_seconds


class ServiceBusy(DosewiseError):
    """Too much work queued (password hashing); the caller should retry after a moment."""

    code = "busy"

    def __init__(self, message: str, *, retry_after_seconds: int = 2, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after_seconds = retry_after_seconds


class Conflict(DosewiseError):
    """The request contradicts what is already recorded (a dose already logged for that slot)."""

    code = "conflict"


# ---------------------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class User:
    id: int
    email: str
    display_name: str
    role: Role
    password_hash: str
    created_at: datetime


@dataclass(frozen=True)
class Actor:
    """Who is making a request, as every service sees them."""

    user_id: int
    role: Role
    display_name: str
    email: str


@dataclass(frozen=True)
class SessionRecord:
    token_hash: str
    user_id: int
    csrf_token: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Profile:
    """The patient record's profile; ``public_id`` is the only identifier that appears in addresses."""

    id: int
    public_id: str
    user_id: int
    display_name: str
    date_of_birth: date | None = None
    sex: Literal["female", "male"] | None = None
    weight_kg: Fraction | None = None
    creatinine_value: Fraction | None = None
    creatinine_unit: Literal["mg/dL", "umol/L"] | None = None
    creatinine_date: date | None = None
    egfr: Fraction | None = None
    dialysis: bool = False
    timezone: str = "UTC"
    updated_at: datetime | None = None
    # The clinician to call about this record (as typed; ``typed_input.dial_string`` for a tel: link).
    clinician_phone: str | None = None


GrantState = Literal["invited", "accepted", "active", "expired", "revoked"]


@dataclass(frozen=True)
class Grant:
    """An invitation that becomes access: invited -> accepted by an account -> confirmed by the patient.

    ``grantee_email`` is where the invitation was addressed; access belongs to ``accepted_by`` (a user
    id), never to whoever owns that address. ``grantee_name`` and ``grantee_role`` are the accepting
    account's, known only once someone accepted.
    """

    id: int
    patient_id: int
    grantee_email: str
    access: Access
    granted_at: datetime
    granted_by: int
    revoked_at: datetime | None = None
    revoked_by: int | None = None
    grantee_name: str | None = None
    expires_at: datetime | None = None
    accepted_by: int | None = None
    accepted_at: datetime | None = None
    confirmed_at: datetime | None = None
    grantee_role: Role | None = None

    def state(self, now: datetime) -> GrantState:
        if self.revoked_at is not None:
            return "revoked"
        if self.confirmed_at is not None:
            return "active"
        if self.expires_at is None or self.expires_at <= now:
            return "expired"
        return "accepted" if self.accepted_by is not None else "invited"


@dataclass(frozen=True)
class Medication:
    id: int
    patient_id: int
    name: str
    ingredient_id: str | None
    dose_text: str | None
    times_per_day: int | None
    added_at: datetime
    added_by: int
    removed_at: datetime | None = None
    removed_by: int | None = None


@dataclass(frozen=True)
class PlanVersion:
    """One immutable version of a patient's schedule; the newest version is the one in force.

    ``plan`` holds the whole timeline (the earlier steps as they were, then the change from
    ``effective_from``), so that days before the change keep the doses that were planned for them. It is
    the domain value: the adapter stores it as a plan document (``formats.plan_document``) and decodes it
    against the loaded knowledge base. ``resume_plan`` is the timeline a paused version resumes.
    """

    id: int
    patient_id: int
    number: int
    plan: Plan
    status: Literal["active", "paused"]
    action: str
    reason: str
    created_by: int
    created_by_name: str
    created_at: datetime
    effective_from: date
    prescriber: str | None = None
    resume_plan: Plan | None = None
    paused_on: date | None = None

    @property
    def kb_version(self) -> str:
        """The knowledge-base version the plan was made and checked with (not necessarily the loaded one)."""
        return self.plan.kb_version


@dataclass(frozen=True)
class CalendarFeed:
    """A private calendar subscription address of one record: only the hash of its secret is stored;
    revoked for good when the patient turns it off or makes a new one."""

    id: int
    patient_id: int
    token_hash: str
    created_at: datetime
    created_by: int
    revoked_at: datetime | None = None
    revoked_by: int | None = None


DoseStatus = Literal["taken", "skipped", "entered_in_error"]


@dataclass(frozen=True)
class DoseEvent:
    """An append-only entry about one planned slot; a correction supersedes, never edits."""

    id: int
    patient_id: int
    plan_version_id: int | None
    slot_date: date
    slot_index: int
    scheduled_at: datetime
    dose: Quantity
    status: DoseStatus
    taken_at: datetime | None
    recorded_by: int
    recorded_by_name: str
    recorded_at: datetime
    idempotency_key: str
    note: str = ""
    supersedes_id: int | None = None


@dataclass(frozen=True)
class StockCount:
    id: int
    patient_id: int
    product_id: str
    amount: Fraction  # whole or half tablets/packets, or mL of a liquid
    counted_at: datetime
    recorded_by: int


@dataclass(frozen=True)
class SymptomEntry:
    id: int
    patient_id: int
    recorded_at: datetime
    recorded_by: int
    recorded_by_name: str
    text: str
    severity: Literal["mild", "moderate", "severe"]
    triage_level: str
    triage: dict[str, Any]
    kb_version: str
    status: Literal["recorded", "entered_in_error"] = "recorded"
    supersedes_id: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CheckIn:
    id: int
    patient_id: int
    day: date
    spasticity: int  # 0-10
    spasm_frequency: int  # Penn spasm frequency score 0-4
    sleep_quality: int  # 0-10
    drowsiness: int  # 0-10
    recorded_at: datetime
    recorded_by: int
    status: Literal["recorded", "entered_in_error"] = "recorded"
    supersedes_id: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PumpEntry:
    """One entry of a record's intrathecal pump history (append-only; a correction supersedes).

    ``kind`` says which fields it carries: "pump" the device (reservoir and low-reservoir alarm volumes,
    mL), "refill" a refill (its day, the volume put in, mL, the concentration, mcg/mL, and the programmed
    daily total from that day, mcg a day), "programme" a programme change (from ``on``, a new daily total,
    mcg a day). Every number is exact and in the unit its name says; nothing is stored in mg.
    """

    id: int
    patient_id: int
    kind: Literal["pump", "refill", "programme"]
    on: date
    recorded_at: datetime
    recorded_by: int
    recorded_by_name: str
    reservoir_ml: Fraction | None = None
    alarm_ml: Fraction | None = None
    fill_ml: Fraction | None = None
    concentration_mcg_ml: Fraction | None = None
    daily_mcg: Fraction | None = None
    note: str = ""
    status: Literal["recorded", "entered_in_error"] = "recorded"
    supersedes_id: int | None = None


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    patient_id: int | None
    action: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CdsCardRecord:
    """A CDS Hooks card dosewise answered with: what it was about, never the patient's data."""

    uuid: str
    service_id: str
    hook_instance: str
    code: str
    indicator: str
    kb_version: str
    issuer: str
    issued_at: datetime
    suggestion_uuids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CdsFeedback:
    """What the clinician did with a card, as the CDS client reported it."""

    card_uuid: str
    service_id: str
    outcome: Literal["accepted", "overridden"]
    accepted_suggestions: tuple[str, ...]
    override_system: str | None
    override_code: str | None
    user_comment: str | None
    outcome_at: datetime
    received_at: datetime
    issuer: str


# ----------------------------------------------------------------------------------------- repositories
class UserRepository(Protocol):
    def add(self, *, email: str, display_name: str, role: Role, password_hash: str, at: datetime) -> User: ...
    def get(self, user_id: int) -> User | None: ...
    def by_email(self, email: str) -> User | None: ...
    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...


class ResetRepository(Protocol):
    """One-time password-reset links (only their hash is stored)."""

    def add(self, *, token_hash: str, user_id: int, at: datetime, expires_at: datetime) -> None: ...
    def take(self, token_hash: str, *, now: datetime) -> int | None: ...
    def peek(self, token_hash: str, *, now: datetime) -> int | None: ...
    def clear_for_user(self, user_id: int) -> None: ...


class SessionRepository(Protocol):
    def add(self, record: SessionRecord) -> None: ...
    def get(self, token_hash: str) -> SessionRecord | None: ...
    def get_with_user(self, token_hash: str) -> tuple[SessionRecord, User] | None: ...
    def delete(self, token_hash: str) -> None: ...
    def delete_expired(self, now: datetime) -> int: ...
    def delete_for_user(self, user_id: int, *, keep: str | None = None) -> int: ...


class ThrottleRepository(Protocol):
    def lock(self, key: str) -> None:
        """Serialise attempts on one key until the transaction ends (so parallel guesses queue)."""
        ...

    def record_failure(self, key: str, at: datetime) -> None: ...
    def failures_since(self, key: str, since: datetime) -> Sequence[datetime]: ...
    def clear(self, key: str) -> None: ...
    def forget_before(self, cutoff: datetime, *, batch: int = 100) -> int:
        """Drop a bounded batch of the oldest attempts older than ``cutoff`` (they count for nothing)."""
        ...


class PatientRepository(Protocol):
    def add(
        self, *, public_id: str, user_id: int, display_name: str, timezone: str, at: datetime
    ) -> Profile: ...
    def get(self, patient_id: int) -> Profile | None: ...
    def by_public_id(self, public_id: str) -> Profile | None: ...
    def by_user(self, user_id: int) -> Profile | None: ...
    def save(self, profile: Profile) -> None: ...
    def lock(self, patient_id: int) -> None: ...


class GrantRepository(Protocol):
    def add(
        self,
        *,
        patient_id: int,
        grantee_email: str,
        access: Access,
        at: datetime,
        by: int,
        token_hash: str | None,
        expires_at: datetime | None,
    ) -> Grant: ...
    def get(self, grant_id: int) -> Grant | None: ...
    def by_token(self, token_hash: str) -> Grant | None: ...
    def reissue(self, grant_id: int, *, token_hash: str, expires_at: datetime) -> None: ...
    def accept(self, grant_id: int, *, user_id: int, at: datetime, expires_at: datetime) -> None: ...
    def confirm(self, grant_id: int, *, at: datetime) -> None: ...
    def revoke(self, grant_id: int, *, at: datetime, by: int) -> None: ...
    def for_patient(self, patient_id: int, *, include_revoked: bool = False) -> Sequence[Grant]: ...
    def active_for(self, *, patient_id: int, user_id: int) -> Grant | None:
        """The confirmed, unrevoked grant that user holds on that record (access follows the account)."""
        ...

    def patients_for(self, user_id: int) -> Sequence[tuple[Grant, Profile]]:
        """Every unrevoked grant the user accepted (confirmed or not), with the record's profile."""
        ...


class MedicationRepository(Protocol):
    def add(
        self,
        *,
        patient_id: int,
        name: str,
        ingredient_id: str | None,
        dose_text: str | None,
        times_per_day: int | None,
        at: datetime,
        by: int,
    ) -> Medication: ...
    def current(self, patient_id: int) -> Sequence[Medication]: ...
    def get(self, medication_id: int) -> Medication | None: ...
    def remove(self, medication_id: int, *, at: datetime, by: int) -> None: ...


class PlanRepository(Protocol):
    def add(self, version: PlanVersion) -> PlanVersion: ...
    def latest(self, patient_id: int) -> PlanVersion | None: ...
    def history(self, patient_id: int) -> Sequence[PlanVersion]: ...
    def get(self, version_id: int) -> PlanVersion | None: ...


class CalendarFeedRepository(Protocol):
    def add(self, *, patient_id: int, token_hash: str, at: datetime, by: int) -> CalendarFeed: ...
    def active_for(self, patient_id: int) -> CalendarFeed | None: ...
    def by_token(self, token_hash: str) -> CalendarFeed | None:
        """The unrevoked feed with that secret's hash, if any."""
        ...

    def revoke(self, feed_id: int, *, at: datetime, by: int) -> None: ...


class DoseRepository(Protocol):
    def add(self, event: DoseEvent) -> DoseEvent: ...
    def by_key(self, patient_id: int, idempotency_key: str) -> DoseEvent | None: ...
    def get(self, event_id: int) -> DoseEvent | None: ...
    def between(self, patient_id: int, first: date, last: date) -> Sequence[DoseEvent]: ...
    def superseded_ids(self, patient_id: int) -> frozenset[int]: ...


class StockRepository(Protocol):
    def add(self, count: StockCount) -> StockCount: ...
    def latest(self, patient_id: int) -> Sequence[StockCount]: ...


class DiaryRepository(Protocol):
    def add_symptom(self, entry: SymptomEntry) -> SymptomEntry: ...
    def get_symptom(self, entry_id: int) -> SymptomEntry | None: ...
    def symptoms(self, patient_id: int, since: datetime | None = None) -> Sequence[SymptomEntry]: ...
    def add_checkin(self, entry: CheckIn) -> CheckIn: ...
    def get_checkin(self, entry_id: int) -> CheckIn | None: ...
    def checkins(self, patient_id: int, first: date, last: date) -> Sequence[CheckIn]: ...
    def symptom_by_key(self, patient_id: int, idempotency_key: str) -> SymptomEntry | None: ...
    def checkin_by_key(self, patient_id: int, idempotency_key: str) -> CheckIn | None: ...


class PumpRepository(Protocol):
    def add(self, entry: PumpEntry) -> PumpEntry: ...
    def get(self, entry_id: int) -> PumpEntry | None: ...
    def entries(self, patient_id: int) -> Sequence[PumpEntry]:
        """Every entry of the record's pump history, oldest first (corrections included)."""
        ...

    def entries_for(self, patient_ids: Sequence[int]) -> dict[int, Sequence[PumpEntry]]:
        """The same for many records in one query (the clinician's panel); records without any are absent."""
        ...


class AuditRepository(Protocol):
    def add(self, event: AuditEvent) -> AuditEvent: ...
    def for_patient(self, patient_id: int, limit: int = 200) -> Sequence[AuditEvent]: ...
    def for_actor(self, actor_id: int, limit: int = 200) -> Sequence[AuditEvent]: ...


class CdsRepository(Protocol):
    def claim_token(self, *, issuer: str, jti: str, expires_at: datetime, now: datetime) -> bool:
        """Record a client token's ``jti``; False when that issuer already used it (a replay)."""
        ...

    def add_cards(self, cards: Sequence[CdsCardRecord]) -> None: ...
    def cards(self, uuids: Sequence[str]) -> Sequence[CdsCardRecord]: ...
    def add_feedback(self, entries: Sequence[CdsFeedback]) -> None: ...
    def feedback_counts(self) -> Sequence[tuple[str, str, str, str, int]]:
        """(service id, finding code, outcome, override code or "", count), every combination seen."""
        ...


class UnitOfWork(Protocol):
    """One transaction; nothing is stored unless ``commit`` is called."""

    users: UserRepository
    sessions: SessionRepository
    resets: ResetRepository
    throttle: ThrottleRepository
    patients: PatientRepository
    grants: GrantRepository
    medications: MedicationRepository
    plans: PlanRepository
    calendar_feeds: CalendarFeedRepository
    doses: DoseRepository
    stock: StockRepository
    diary: DiaryRepository
    pump: PumpRepository
    audit: AuditRepository
    trials: TrialRepository
    cds: CdsRepository
    reminders: ReminderRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...


@dataclass(frozen=True)
class TrialRecord:
    """A treatment trial as stored: the goal, the review date and the no-benefit plan for a plan version."""

    id: int
    patient_id: int
    plan_version: int | None
    goal_kind: str
    goal_points: int | None
    goal_text: str
    started_on: date
    review_on: date
    if_no_benefit: str
    recorded_by: int
    recorded_by_name: str
    recorded_at: datetime


class TrialRepository(Protocol):
    def add(self, trial: TrialRecord) -> TrialRecord: ...
    def latest(self, patient_id: int) -> TrialRecord | None: ...


class Store(Protocol):
    """Opens units of work: ``read()`` for queries, ``write()`` for changes (serialised per database)."""

    def read(self) -> UnitOfWork: ...
    def write(self) -> UnitOfWork: ...


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...
