"""The private calendar subscription address of a record: make, renew, turn off, and serve.

Who: only the patient (``manage_access``, the permission that shares the record). A feed address lets
whoever holds it read the dose times without signing in, exactly like sharing the record's schedule, so a
caregiver or clinician cannot make one for the patient; a caregiver who wants the calendar asks the
patient for the address. The secret is 256 random bits shown once; only its sha256 is stored. Renewing
revokes the old address at once; turning it off leaves none.

Serving is authorised by the secret alone (no session). The ETag is computed from what the calendar is
made of (the latest plan version, the record's day, the knowledge-base version and the writer's revision),
so a calendar asking "has it changed?" is answered 304 without building anything; a body is built once per
ETag and kept in a small cache.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from dosewise import __version__
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.ical import REVISION, Revision, empty_calendar, plan_calendar
from dosewise.services.audit import record
from dosewise.services.calendar import FEED_CANCEL, FEED_REFRESH, feed_window
from dosewise.services.ports import AccessDenied, Actor, CalendarFeed, Clock, Store
from dosewise.services.record_day import record_zone
from dosewise.services.sharing import authorise, token_hash

__all__ = [
    "FeedBody",
    "NewFeed",
    "create_feed",
    "feed_calendar",
    "feed_status",
    "revoke_feed",
]

_CACHE_SIZE = 64
_bodies: OrderedDict[str, bytes] = OrderedDict()
_GONE = "this calendar address is not valid"


@dataclass(frozen=True)
class NewFeed:
    feed: CalendarFeed
    token: str  # shown once; the database keeps its hash


@dataclass(frozen=True)
class FeedBody:
    """What the feed answers: its validators, and the calendar unless the caller already has it."""

    etag: str
    last_modified: datetime
    body: bytes | None


def feed_status(*, store: Store, actor: Actor, public_id: str) -> CalendarFeed | None:
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
        return uow.calendar_feeds.active_for(access.profile.id)


def create_feed(*, store: Store, clock: Clock, actor: Actor, public_id: str) -> NewFeed:
    """A new address; an address already in use stops working at once (renewal)."""
    token = secrets.token_urlsafe(32)
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
        uow.patients.lock(access.profile.id)
        now = clock()
        old = uow.calendar_feeds.active_for(access.profile.id)
        if old is not None:
            uow.calendar_feeds.revoke(old.id, at=now, by=actor.user_id)
        feed = uow.calendar_feeds.add(
            patient_id=access.profile.id, token_hash=token_hash(token), at=now, by=actor.user_id
        )
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="calendar.renewed" if old else "calendar.created",
            summary="new calendar address (the old one stopped working)" if old else "calendar address made",
            detail={"feed": feed.id, **({"revoked": old.id} if old else {})},
        )
        uow.commit()
        return NewFeed(feed, token)


def revoke_feed(*, store: Store, clock: Clock, actor: Actor, public_id: str) -> None:
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
        feed = uow.calendar_feeds.active_for(access.profile.id)
        if feed is None:
            return
        now = clock()
        uow.calendar_feeds.revoke(feed.id, at=now, by=actor.user_id)
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="calendar.revoked",
            summary="calendar address turned off",
            detail={"feed": feed.id},
        )
        uow.commit()


def _etag(parts: tuple[object, ...]) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def feed_calendar(
    *, store: Store, kb: KnowledgeBase, clock: Clock, token: str, known: frozenset[str] = frozenset()
) -> FeedBody:
    """The calendar behind a feed address, or ``AccessDenied`` for an unknown or revoked one. ``known``
    holds the ETags the caller already has (If-None-Match): then no body is built."""
    if not token or len(token) > 128:
        raise AccessDenied(_GONE)
    with store.read() as uow:
        feed = uow.calendar_feeds.by_token(token_hash(token))
        profile = uow.patients.get(feed.patient_id) if feed is not None else None
        if feed is None or profile is None:
            raise AccessDenied(_GONE)
        history = list(uow.plans.history(profile.id))
    latest = max(history, key=lambda v: v.number) if history else None
    zone = ZoneInfo(record_zone(profile, latest))
    now = clock()
    today = now.astimezone(zone).date()
    key = (REVISION, __version__, kb.version, profile.public_id, latest.id if latest else 0, str(zone), today)
    etag = _etag(key)
    midnight = datetime.combine(today, time(0), tzinfo=zone).astimezone(UTC)
    last_modified = max(midnight, latest.created_at.astimezone(UTC)) if latest else midnight
    if etag in known or "*" in known:
        return FeedBody(etag, last_modified, None)
    body = _bodies.get(etag)
    if body is None:
        window = feed_window(today)
        if latest is None:
            body = empty_calendar(zone=str(zone), window=window, refresh=FEED_REFRESH)
        else:
            revisions = []
            for version in history:
                plan = version.plan
                revisions.append(Revision(version.number, plan, kb.drug(plan.drug), version.created_at))
            body = plan_calendar(
                revisions,
                window,
                series=profile.public_id,
                today=today,
                refresh=FEED_REFRESH,
                cancel=FEED_CANCEL,
            ).body
        _bodies[etag] = body
        if len(_bodies) > _CACHE_SIZE:
            _bodies.popitem(last=False)
    else:
        _bodies.move_to_end(etag)
    return FeedBody(etag, last_modified, body)
