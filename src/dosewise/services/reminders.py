"""Reminders and alerts as people use them: devices that receive push, who is told what, the delivery log,
and the Taken / Snooze buttons of a notification.

Who gets what is the patient's choice, per person (``choose_for``); how and when a person is reached
(push, e-mail, quiet hours, a lock-screen text naming no medicine) is that person's own (``save_mine``).
"Taken" records through ``today.log_dose``, the one exactly-once path the Today page uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import time, timedelta
from typing import Literal
from urllib.parse import urlsplit

from dosewise.domain.errors import InvalidInput
from dosewise.domain.rules import KnowledgeBase
from dosewise.services import today
from dosewise.services.alerts import allowed_kinds
from dosewise.services.audit import record
from dosewise.services.ports import AccessDenied, Actor, Clock, Store
from dosewise.services.reminders_ports import CARE_TEAM_KINDS, OWN_KINDS, Delivery, NewJob, NotifySetting
from dosewise.services.scheduler import job_of_token
from dosewise.services.sharing import Access, authorise

__all__ = [
    "KIND_WORDS",
    "SNOOZE",
    "ActionResult",
    "CareTeamMember",
    "RemindersView",
    "act_on_notification",
    "choose_for",
    "delivery_log",
    "reminders_view",
    "save_mine",
    "subscribe",
    "unsubscribe",
]

# dosewise policy: "Snooze" brings the reminder back ten minutes later (never past the take window).
SNOOZE = timedelta(minutes=10)

KIND_WORDS = {
    "dose": "a reminder at each dose time, with what to take",
    "follow_up": "a follow-up when a dose is not recorded within the time it can still be taken",
    "not_logged": "a dose is not recorded an hour after its time",
    "missed_run": "doses are missed in a row",
    "triage": "a diary entry is rated urgent or emergency",
    "stock": "tablets will run out within a week",
    "pump_refill": "the intrathecal pump's refill is due within its buffer, overdue, or at its alarm",
    "plan_change": "the plan changes",
}
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True)
class CareTeamMember:
    user_id: int
    name: str
    relation: str
    offered: tuple[str, ...]
    chosen: frozenset[str]


@dataclass(frozen=True)
class RemindersView:
    access: Access
    mine: NotifySetting
    offered: tuple[str, ...]
    devices: int
    team: tuple[CareTeamMember, ...]


def _default(patient_id: int, user_id: int) -> NotifySetting:
    return NotifySetting(patient_id=patient_id, user_id=user_id, kinds=frozenset())


def reminders_view(*, store: Store, actor: Actor, public_id: str) -> RemindersView:
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        pid = access.profile.id
        mine = uow.reminders.setting(pid, actor.user_id) or _default(pid, actor.user_id)
        devices = len(uow.reminders.subscriptions_of(actor.user_id))
        team: list[CareTeamMember] = []
        if access.may("manage_access"):
            settings = {s.user_id: s for s in uow.reminders.settings_for(pid)}
            for grant in uow.grants.for_patient(pid):
                if grant.confirmed_at is None or grant.accepted_by is None or grant.revoked_at is not None:
                    continue
                relation = (
                    "clinician"
                    if grant.access == "clinician" and grant.grantee_role == "clinician"
                    else "caregiver"
                )
                chosen = settings.get(grant.accepted_by)
                team.append(
                    CareTeamMember(
                        grant.accepted_by,
                        grant.grantee_name or grant.grantee_email,
                        relation,
                        CARE_TEAM_KINDS[relation],
                        chosen.kinds if chosen else frozenset(),
                    )
                )
    return RemindersView(access, mine, allowed_kinds(access.relation, None), devices, tuple(team))


def _endpoint(endpoint: str, allow_insecure: bool) -> str:
    parts = urlsplit(endpoint.strip())
    if parts.scheme == "https" and parts.hostname:
        return endpoint.strip()
    if allow_insecure and parts.scheme == "http" and parts.hostname:
        return endpoint.strip()
    raise InvalidInput("a push subscription's endpoint is an https:// address")


def subscribe(
    *,
    store: Store,
    clock: Clock,
    actor: Actor,
    public_id: str,
    endpoint: str,
    p256dh: str,
    auth: str,
    allow_insecure: bool = False,
) -> int:
    """Keep this device's push subscription; the first device on a record turns on what the person may get.

    For the patient that is dose reminders and follow-ups (they asked for them by pressing the button);
    a care-team member still only gets what the patient chose for them.
    """
    url = _endpoint(endpoint, allow_insecure)
    if not (16 <= len(p256dh) <= 200 and 8 <= len(auth) <= 100) or len(url) > 1000:
        raise InvalidInput("this push subscription's keys are not valid")
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        uow.reminders.add_subscription(user_id=actor.user_id, endpoint=url, p256dh=p256dh, auth=auth, at=now)
        if uow.reminders.setting(access.profile.id, actor.user_id) is None:
            kinds = frozenset(OWN_KINDS) if access.relation == "self" else frozenset()
            uow.reminders.save_setting(
                replace(_default(access.profile.id, actor.user_id), kinds=kinds, updated_at=now)
            )
        record(
            uow, at=now, actor=actor, patient_id=access.profile.id, action="push.subscribed",
            summary="turned on notifications on a device",
        )  # fmt: skip
        uow.commit()
        return len(uow.reminders.subscriptions_of(actor.user_id))


def unsubscribe(*, store: Store, actor: Actor, endpoint: str) -> bool:
    with store.write() as uow:
        removed = uow.reminders.remove_endpoint(user_id=actor.user_id, endpoint=endpoint.strip())
        uow.commit()
        return removed


def _clock_text(text: str, what: str) -> str:
    value = text.strip()
    if value and not _CLOCK.match(value):
        raise InvalidInput(f"{what} is a time such as 22:00", field=what.replace(" ", "_"))
    return value


def save_mine(
    *,
    store: Store,
    clock: Clock,
    actor: Actor,
    public_id: str,
    by_push: bool,
    by_email: bool,
    quiet_from: str,
    quiet_to: str,
    private_text: bool,
    own_kinds: Sequence[str] | None = None,
) -> NotifySetting:
    """The person's own ways of being reached (and, for the patient, their own reminders)."""
    start, end = _clock_text(quiet_from, "quiet from"), _clock_text(quiet_to, "quiet to")
    if bool(start) != bool(end) or (start and time.fromisoformat(start) == time.fromisoformat(end)):
        raise InvalidInput("quiet hours need a start and a different end time", field="quiet_from")
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        current = uow.reminders.setting(access.profile.id, actor.user_id) or _default(
            access.profile.id, actor.user_id
        )
        kinds = current.kinds
        if own_kinds is not None and access.relation == "self":
            unknown = set(own_kinds) - set(OWN_KINDS)
            if unknown:
                raise InvalidInput(f"unknown reminder kind: {', '.join(sorted(unknown))}")
            kinds = frozenset(own_kinds)
        saved = replace(
            current, kinds=kinds, by_push=by_push, by_email=by_email, quiet_from=start, quiet_to=end,
            private_text=private_text, updated_at=now,
        )  # fmt: skip
        uow.reminders.save_setting(saved)
        record(
            uow, at=now, actor=actor, patient_id=access.profile.id, action="reminders.settings",
            summary=f"notification settings: {', '.join(sorted(kinds)) or 'no reminders'}"
            f"{', quiet ' + start + '-' + end if start else ''}{', private text' if private_text else ''}",
        )  # fmt: skip
        uow.commit()
        return saved


def choose_for(
    *, store: Store, clock: Clock, actor: Actor, public_id: str, user_id: int, kinds: Sequence[str]
) -> NotifySetting:
    """The patient chooses what one care-team member is told (only what that person's access allows)."""
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
        grant = uow.grants.active_for(patient_id=access.profile.id, user_id=user_id)
        member = uow.users.get(user_id) if grant is not None else None
        if grant is None or member is None:
            # The patient asking knows their care team: a plain refusal, not the 404 of a hidden record.
            raise InvalidInput("that person is not on this record's care team")
        relation = "clinician" if grant.access == "clinician" and member.role == "clinician" else "caregiver"
        offered = CARE_TEAM_KINDS[relation]
        unknown = set(kinds) - set(offered)
        if unknown:
            raise InvalidInput(f"a {relation} cannot be told about: {', '.join(sorted(unknown))}")
        current = uow.reminders.setting(access.profile.id, user_id) or _default(access.profile.id, user_id)
        saved = replace(current, kinds=frozenset(kinds), updated_at=now)
        uow.reminders.save_setting(saved)
        record(
            uow, at=now, actor=actor, patient_id=access.profile.id, action="reminders.care_team",
            summary=f"{member.display_name} is told: {', '.join(sorted(kinds)) or 'nothing'}",
        )  # fmt: skip
        uow.commit()
        return saved


def delivery_log(*, store: Store, actor: Actor, public_id: str) -> tuple[Access, Sequence[Delivery]]:
    """Every reminder and alert about the record: what, to whom, when, delivered or not (the patient's)."""
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
        return access, uow.reminders.deliveries_for(access.profile.id)


@dataclass(frozen=True)
class ActionResult:
    outcome: Literal["recorded", "already_recorded", "snoozed", "open_page"]
    message: str
    url: str


def act_on_notification(
    *, store: Store, kb: KnowledgeBase, clock: Clock, secret: str, token: str, action: str
) -> ActionResult:
    """A notification's button: "taken" records the dose exactly once; "snooze" asks again later, once."""
    job_id = job_of_token(secret, token)
    if job_id is None or action not in ("taken", "snooze"):
        raise AccessDenied("this notification's button is not valid")
    with store.read() as uow:
        job = uow.reminders.job(job_id)
        user = uow.users.get(job.user_id) if job is not None else None
        profile = uow.patients.get(job.patient_id) if job is not None else None
    if job is None or user is None or profile is None or job.slot_date is None or job.slot_index is None:
        raise AccessDenied("this notification's button is not valid")
    if job.kind not in ("dose", "snooze"):
        raise AccessDenied("this notification's button is not valid")
    actor = Actor(user.id, user.role, user.display_name, user.email)
    url = f"/p/{profile.public_id}/today"
    if action == "taken":
        try:
            result = today.log_dose(
                store=store, kb=kb, clock=clock, actor=actor, public_id=profile.public_id,
                slot_date=job.slot_date, slot_index=job.slot_index, status="taken",
                idempotency_key=f"push-{job.id}-taken",
            )  # fmt: skip
        except (today.ConfirmationNeeded, InvalidInput) as question:
            # A dose close to another one, or one that counts for another slot: the page asks first.
            return ActionResult("open_page", question.message, url)
        return ActionResult(
            "recorded" if result.created else "already_recorded", "The dose is recorded as taken.", url
        )
    now = clock()
    with store.write() as uow:
        authorise(uow, actor=actor, public_id=profile.public_id, permission="view")
        again = now + SNOOZE
        if job.expires_at is not None and again >= job.expires_at:
            return ActionResult("open_page", "It is too late to snooze this dose: open dosewise.", url)
        uow.reminders.schedule(
            [
                NewJob(
                    job.patient_id,
                    job.user_id,
                    "snooze",
                    f"snooze:{job.id}",
                    again,
                    job.expires_at,
                    job.slot_date,
                    job.slot_index,
                    job.ref,
                )  # fmt: skip
            ],
            at=now,
        )
        uow.commit()
    return ActionResult("snoozed", "dosewise will remind you again in 10 minutes.", url)
