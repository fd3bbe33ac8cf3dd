"""In-memory implementations of the service ports, for testing the use cases without a database."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

from dosewise.services.ports import (
    Access,
    AuditEvent,
    CalendarFeed,
    CdsCardRecord,
    CdsFeedback,
    CheckIn,
    DoseEvent,
    Grant,
    Medication,
    PlanVersion,
    Profile,
    PumpEntry,
    Role,
    SessionRecord,
    StockCount,
    SymptomEntry,
    User,
)


class _Table:
    def __init__(self) -> None:
        self.rows: dict[int, Any] = {}
        self.ids = itertools.count(1)

    def insert(self, row: Any) -> Any:
        stored = replace(row, id=next(self.ids))
        self.rows[stored.id] = stored
        return stored


class FakeData:
    """Everything a FakeStore holds; committed state only."""

    def __init__(self) -> None:
        self.users, self.patients, self.grants, self.medications = _Table(), _Table(), _Table(), _Table()
        self.plans, self.doses, self.stock, self.symptoms, self.checkins, self.audit = (
            _Table(),
            _Table(),
            _Table(),
            _Table(),
            _Table(),
            _Table(),
        )
        self.calendar_feeds = _Table()
        self.pump = _Table()
        self.sessions: dict[str, SessionRecord] = {}
        self.resets: dict[str, tuple[int, datetime, datetime | None]] = {}
        self.failures: list[tuple[str, datetime]] = []
        self.tokens: dict[str, int] = {}
        self.cds_tokens: dict[tuple[str, str], datetime] = {}
        self.cds_cards: dict[str, CdsCardRecord] = {}
        self.cds_feedback: list[CdsFeedback] = []


class FakeUsers:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, *, email: str, display_name: str, role: Role, password_hash: str, at: datetime) -> User:
        return self.data.users.insert(User(0, email, display_name, role, password_hash, at))

    def get(self, user_id: int) -> User | None:
        return self.data.users.rows.get(user_id)

    def by_email(self, email: str) -> User | None:
        return next((u for u in self.data.users.rows.values() if u.email == email), None)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.data.users.rows[user_id] = replace(self.data.users.rows[user_id], password_hash=password_hash)


class FakeSessions:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, record: SessionRecord) -> None:
        self.data.sessions[record.token_hash] = record

    def get(self, token_hash: str) -> SessionRecord | None:
        return self.data.sessions.get(token_hash)

    def get_with_user(self, token_hash: str) -> tuple[SessionRecord, User] | None:
        record = self.data.sessions.get(token_hash)
        return (record, self.data.users.rows[record.user_id]) if record else None

    def delete(self, token_hash: str) -> None:
        self.data.sessions.pop(token_hash, None)

    def delete_expired(self, now: datetime) -> int:
        expired = [key for key, record in self.data.sessions.items() if record.expires_at < now]
        for key in expired:
            del self.data.sessions[key]
        return len(expired)

    def delete_for_user(self, user_id: int, *, keep: str | None = None) -> int:
        ended = [k for k, r in self.data.sessions.items() if r.user_id == user_id and k != keep]
        for key in ended:
            del self.data.sessions[key]
        return len(ended)


class FakeResets:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, *, token_hash: str, user_id: int, at: datetime, expires_at: datetime) -> None:
        self.data.resets[token_hash] = (user_id, expires_at, None)

    def peek(self, token_hash: str, *, now: datetime) -> int | None:
        found = self.data.resets.get(token_hash)
        return found[0] if found and found[2] is None and found[1] > now else None

    def take(self, token_hash: str, *, now: datetime) -> int | None:
        user_id = self.peek(token_hash, now=now)
        if user_id is not None:
            self.data.resets[token_hash] = (user_id, self.data.resets[token_hash][1], now)
        return user_id

    def clear_for_user(self, user_id: int) -> None:
        self.data.resets = {k: v for k, v in self.data.resets.items() if v[0] != user_id}


class FakeThrottle:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def lock(self, key: str) -> None:
        return None  # one unit of work at a time in the fakes

    def record_failure(self, key: str, at: datetime) -> None:
        self.data.failures.append((key, at))

    def failures_since(self, key: str, since: datetime) -> Sequence[datetime]:
        return sorted(at for k, at in self.data.failures if k == key and at >= since)

    def clear(self, key: str) -> None:
        self.data.failures = [(k, at) for k, at in self.data.failures if k != key]

    def forget_before(self, cutoff: datetime, *, batch: int = 100) -> int:
        oldest = self.data.failures[:batch]
        kept = [(k, at) for k, at in oldest if at >= cutoff]
        self.data.failures = kept + self.data.failures[batch:]
        return len(oldest) - len(kept)


class FakePatients:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, *, public_id: str, user_id: int, display_name: str, timezone: str, at: datetime) -> Profile:
        return self.data.patients.insert(
            Profile(0, public_id, user_id, display_name, timezone=timezone, updated_at=at)
        )

    def get(self, patient_id: int) -> Profile | None:
        return self.data.patients.rows.get(patient_id)

    def by_public_id(self, public_id: str) -> Profile | None:
        return next((p for p in self.data.patients.rows.values() if p.public_id == public_id), None)

    def by_user(self, user_id: int) -> Profile | None:
        return next((p for p in self.data.patients.rows.values() if p.user_id == user_id), None)

    def save(self, profile: Profile) -> None:
        self.data.patients.rows[profile.id] = profile

    def lock(self, patient_id: int) -> None:
        return None


class FakeGrants:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def _named(self, grant: Grant) -> Grant:
        user = self.data.users.rows.get(grant.accepted_by) if grant.accepted_by else None
        return replace(grant, grantee_name=user.display_name, grantee_role=user.role) if user else grant

    def _set(self, grant_id: int, **fields: Any) -> None:
        self.data.grants.rows[grant_id] = replace(self.data.grants.rows[grant_id], **fields)

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
    ) -> Grant:
        grant = self.data.grants.insert(
            Grant(0, patient_id, grantee_email, access, at, by, expires_at=expires_at)
        )
        self.data.tokens[token_hash or ""] = grant.id
        return grant

    def get(self, grant_id: int) -> Grant | None:
        grant = self.data.grants.rows.get(grant_id)
        return self._named(grant) if grant else None

    def by_token(self, token_hash: str) -> Grant | None:
        grant_id = self.data.tokens.get(token_hash)
        return self.get(grant_id) if grant_id else None

    def reissue(self, grant_id: int, *, token_hash: str, expires_at: datetime) -> None:
        self.data.tokens = {k: v for k, v in self.data.tokens.items() if v != grant_id}
        self.data.tokens[token_hash] = grant_id
        self._set(grant_id, expires_at=expires_at)

    def accept(self, grant_id: int, *, user_id: int, at: datetime, expires_at: datetime) -> None:
        self.data.tokens = {k: v for k, v in self.data.tokens.items() if v != grant_id}
        self._set(grant_id, accepted_by=user_id, accepted_at=at, expires_at=expires_at)

    def confirm(self, grant_id: int, *, at: datetime) -> None:
        self._set(grant_id, confirmed_at=at)

    def revoke(self, grant_id: int, *, at: datetime, by: int) -> None:
        if self.data.grants.rows[grant_id].revoked_at is None:
            self.data.tokens = {k: v for k, v in self.data.tokens.items() if v != grant_id}
            self._set(grant_id, revoked_at=at, revoked_by=by)

    def for_patient(self, patient_id: int, *, include_revoked: bool = False) -> Sequence[Grant]:
        return [
            self._named(g)
            for g in self.data.grants.rows.values()
            if g.patient_id == patient_id and (include_revoked or g.revoked_at is None)
        ]

    def active_for(self, *, patient_id: int, user_id: int) -> Grant | None:
        return next(
            (g for g in self.for_patient(patient_id) if g.accepted_by == user_id and g.confirmed_at),
            None,
        )

    def patients_for(self, user_id: int) -> Sequence[tuple[Grant, Profile]]:
        return [
            (g, self.data.patients.rows[g.patient_id])
            for g in self.data.grants.rows.values()
            if g.accepted_by == user_id and g.revoked_at is None
        ]


class FakeMedications:
    def __init__(self, data: FakeData) -> None:
        self.data = data

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
    ) -> Medication:
        return self.data.medications.insert(
            Medication(0, patient_id, name, ingredient_id, dose_text, times_per_day, at, by)
        )

    def current(self, patient_id: int) -> Sequence[Medication]:
        return [
            m
            for m in self.data.medications.rows.values()
            if m.patient_id == patient_id and m.removed_at is None
        ]

    def get(self, medication_id: int) -> Medication | None:
        return self.data.medications.rows.get(medication_id)

    def remove(self, medication_id: int, *, at: datetime, by: int) -> None:
        self.data.medications.rows[medication_id] = replace(
            self.data.medications.rows[medication_id], removed_at=at, removed_by=by
        )


class FakePlans:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, version: PlanVersion) -> PlanVersion:
        return self.data.plans.insert(version)

    def latest(self, patient_id: int) -> PlanVersion | None:
        return max(
            (v for v in self.data.plans.rows.values() if v.patient_id == patient_id),
            key=lambda v: v.number,
            default=None,
        )

    def history(self, patient_id: int) -> Sequence[PlanVersion]:
        return sorted(
            (v for v in self.data.plans.rows.values() if v.patient_id == patient_id), key=lambda v: -v.number
        )

    def get(self, version_id: int) -> PlanVersion | None:
        return self.data.plans.rows.get(version_id)


class FakeCalendarFeeds:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, *, patient_id: int, token_hash: str, at: datetime, by: int) -> CalendarFeed:
        feed = CalendarFeed(0, patient_id, token_hash, at, by)
        stored: CalendarFeed = self.data.calendar_feeds.insert(feed)
        return stored

    def active_for(self, patient_id: int) -> CalendarFeed | None:
        live = [
            f
            for f in self.data.calendar_feeds.rows.values()
            if f.patient_id == patient_id and f.revoked_at is None
        ]
        return max(live, key=lambda f: f.id) if live else None

    def by_token(self, token_hash: str) -> CalendarFeed | None:
        return next(
            (
                f
                for f in self.data.calendar_feeds.rows.values()
                if f.token_hash == token_hash and f.revoked_at is None
            ),
            None,
        )

    def revoke(self, feed_id: int, *, at: datetime, by: int) -> None:
        feed = self.data.calendar_feeds.rows.get(feed_id)
        if feed is not None and feed.revoked_at is None:
            self.data.calendar_feeds.rows[feed_id] = replace(feed, revoked_at=at, revoked_by=by)


class FakeDoses:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, event: DoseEvent) -> DoseEvent:
        if self.by_key(event.patient_id, event.idempotency_key) is not None:
            raise ValueError("duplicate idempotency key")
        return self.data.doses.insert(event)

    def by_key(self, patient_id: int, idempotency_key: str) -> DoseEvent | None:
        return next(
            (
                e
                for e in self.data.doses.rows.values()
                if e.patient_id == patient_id and e.idempotency_key == idempotency_key
            ),
            None,
        )

    def get(self, event_id: int) -> DoseEvent | None:
        return self.data.doses.rows.get(event_id)

    def between(self, patient_id: int, first: date, last: date) -> Sequence[DoseEvent]:
        return sorted(
            (
                e
                for e in self.data.doses.rows.values()
                if e.patient_id == patient_id and first <= e.slot_date <= last
            ),
            key=lambda e: (e.slot_date, e.slot_index, e.id),
        )

    def superseded_ids(self, patient_id: int) -> frozenset[int]:
        return frozenset(
            e.supersedes_id
            for e in self.data.doses.rows.values()
            if e.patient_id == patient_id and e.supersedes_id is not None
        )


class FakeStock:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, count: StockCount) -> StockCount:
        return self.data.stock.insert(count)

    def latest(self, patient_id: int) -> Sequence[StockCount]:
        newest: dict[str, StockCount] = {}
        for count in sorted(self.data.stock.rows.values(), key=lambda c: c.id):
            if count.patient_id == patient_id:
                newest[count.product_id] = count
        return [newest[key] for key in sorted(newest)]


class FakeDiary:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add_symptom(self, entry: SymptomEntry) -> SymptomEntry:
        return self.data.symptoms.insert(entry)

    def get_symptom(self, entry_id: int) -> SymptomEntry | None:
        return self.data.symptoms.rows.get(entry_id)

    def symptoms(self, patient_id: int, since: datetime | None = None) -> Sequence[SymptomEntry]:
        return [
            e
            for e in self.data.symptoms.rows.values()
            if e.patient_id == patient_id and (since is None or e.recorded_at >= since)
        ]

    def add_checkin(self, entry: CheckIn) -> CheckIn:
        return self.data.checkins.insert(entry)

    def get_checkin(self, entry_id: int) -> CheckIn | None:
        return self.data.checkins.rows.get(entry_id)

    def symptom_by_key(self, patient_id: int, idempotency_key: str) -> SymptomEntry | None:
        found = [
            e
            for e in self.data.symptoms.rows.values()
            if e.patient_id == patient_id and e.idempotency_key == idempotency_key
        ]
        return found[0] if found else None

    def checkin_by_key(self, patient_id: int, idempotency_key: str) -> CheckIn | None:
        found = [
            c
            for c in self.data.checkins.rows.values()
            if c.patient_id == patient_id and c.idempotency_key == idempotency_key
        ]
        return found[0] if found else None

    def checkins(self, patient_id: int, first: date, last: date) -> Sequence[CheckIn]:
        return [
            c
            for c in self.data.checkins.rows.values()
            if c.patient_id == patient_id and first <= c.day <= last
        ]


class FakePump:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, entry: PumpEntry) -> PumpEntry:
        return self.data.pump.insert(entry)

    def get(self, entry_id: int) -> PumpEntry | None:
        return self.data.pump.rows.get(entry_id)

    def entries(self, patient_id: int) -> Sequence[PumpEntry]:
        return [e for _, e in sorted(self.data.pump.rows.items()) if e.patient_id == patient_id]

    def entries_for(self, patient_ids: Sequence[int]) -> dict[int, Sequence[PumpEntry]]:
        found = {pid: self.entries(pid) for pid in patient_ids}
        return {pid: entries for pid, entries in found.items() if entries}


class FakeAudit:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, event: AuditEvent) -> AuditEvent:
        return self.data.audit.insert(event)

    def for_patient(self, patient_id: int, limit: int = 200) -> Sequence[AuditEvent]:
        return sorted(
            (e for e in self.data.audit.rows.values() if e.patient_id == patient_id), key=lambda e: -e.id
        )[:limit]

    def for_actor(self, actor_id: int, limit: int = 200) -> Sequence[AuditEvent]:
        return sorted(
            (e for e in self.data.audit.rows.values() if e.actor_id == actor_id), key=lambda e: -e.id
        )[:limit]


class FakeCds:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def claim_token(self, *, issuer: str, jti: str, expires_at: datetime, now: datetime) -> bool:
        self.data.cds_tokens = {k: v for k, v in self.data.cds_tokens.items() if v >= now}
        if (issuer, jti) in self.data.cds_tokens:
            return False
        self.data.cds_tokens[(issuer, jti)] = expires_at
        return True

    def add_cards(self, cards: Sequence[CdsCardRecord]) -> None:
        self.data.cds_cards.update({card.uuid: card for card in cards})

    def cards(self, uuids: Sequence[str]) -> Sequence[CdsCardRecord]:
        return [self.data.cds_cards[u] for u in uuids if u in self.data.cds_cards]

    def add_feedback(self, entries: Sequence[CdsFeedback]) -> None:
        self.data.cds_feedback.extend(entries)

    def feedback_counts(self) -> Sequence[tuple[str, str, str, str, int]]:
        counts: dict[tuple[str, str, str, str], int] = {}
        for entry in self.data.cds_feedback:
            code = self.data.cds_cards[entry.card_uuid].code
            key = (entry.service_id, code, entry.outcome, entry.override_code or "")
            counts[key] = counts.get(key, 0) + 1
        return [(*key, count) for key, count in sorted(counts.items())]


class FakeUnitOfWork:
    """Works on a copy of the data; ``commit`` publishes it, leaving without commit throws it away."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.committed = False

    def __enter__(self) -> Self:
        import copy

        self.data = copy.deepcopy(self.store.data)
        for name, cls in (
            ("users", FakeUsers),
            ("sessions", FakeSessions),
            ("resets", FakeResets),
            ("throttle", FakeThrottle),
            ("patients", FakePatients),
            ("grants", FakeGrants),
            ("medications", FakeMedications),
            ("plans", FakePlans),
            ("calendar_feeds", FakeCalendarFeeds),
            ("doses", FakeDoses),
            ("stock", FakeStock),
            ("diary", FakeDiary),
            ("pump", FakePump),
            ("audit", FakeAudit),
            ("cds", FakeCds),
        ):
            setattr(self, name, cls(self.data))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def commit(self) -> None:
        self.store.data = self.data
        self.store.commits += 1


class FakeStore:
    def __init__(self) -> None:
        self.data = FakeData()
        self.commits = 0

    def read(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def write(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class PlainHasher:
    """Not a password hash: the use-case tests check the flow, not argon2."""

    def hash(self, password: str) -> str:
        return "plain$" + password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "plain$" + password

    def needs_rehash(self, password_hash: str) -> bool:
        return False
