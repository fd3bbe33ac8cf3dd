"""The due work of reminders and alerts, kept in the database: scheduling it, claiming it, sending it.

``schedule_due_work`` writes one job per dose slot (or alert) and recipient ahead of time; its key makes
a second scheduler (another app process) or a restart add nothing. ``send_due`` claims what is due for
one worker, with a lease, composes each message from the record as it is at that moment
(``alerts.compose``) and sends it by push and e-mail. A worker that dies holding a claim loses it when the
lease runs out, and another worker sends the job; a job finished by one worker is never sent again.

When dosewise was not running at a job's time it is sent late only while it is still useful: a dose
reminder until the missed-dose rule's take window closes, a follow-up until the next dose (see
docs/reminders.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dosewise.domain.missed.slots import Schedule
from dosewise.domain.regimen import administrations
from dosewise.domain.rules import KnowledgeBase
from dosewise.services.alerts import (
    NOT_LOGGED_AFTER,
    Message,
    NotSent,
    allowed_kinds,
    compose,
    refill_outlook,
    slot_times,
)
from dosewise.services.diary_alert import ALERT_WINDOW, standing
from dosewise.services.plans_service import plan_in_force
from dosewise.services.ports import Clock, Mailer, Store, UnitOfWork
from dosewise.services.record_day import record_zone
from dosewise.services.reminders_ports import NewJob, PushSender, ReminderJob
from dosewise.services.today import dose_records
from dosewise.services.today_stock import forecast_stock

__all__ = [
    "HORIZON",
    "LEASE",
    "MAX_ATTEMPTS",
    "SendReport",
    "action_token",
    "job_of_token",
    "schedule_due_work",
    "send_due",
]

# dosewise policy (docs/reminders.md): jobs are written a day and a half ahead, a claim is held for a
# minute (a push takes at most the 10 s timeout per device), and a failing send is tried five times.
HORIZON = timedelta(hours=36)
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
_RETRY_AFTER = timedelta(seconds=30)
_RECENT_PLAN_CHANGE = timedelta(days=1)


def _relation(uow: UnitOfWork, patient_user: int, patient_id: int, user_id: int) -> str | None:
    if user_id == patient_user:
        return "self"
    grant = uow.grants.active_for(patient_id=patient_id, user_id=user_id)
    if grant is None:
        return None
    user = uow.users.get(user_id)
    return (
        "clinician"
        if grant.access == "clinician" and user is not None and user.role == "clinician"
        else "caregiver"
    )


def _jobs_for(uow: UnitOfWork, kb: KnowledgeBase, patient_id: int, now: datetime) -> list[NewJob]:
    profile = uow.patients.get(patient_id)
    if profile is None:
        return []
    version, plan = plan_in_force(uow, kb, patient_id)
    wanted: list[tuple[int, str]] = []
    for setting in uow.reminders.settings_for(patient_id):
        relation = _relation(uow, profile.user_id, patient_id, setting.user_id)
        if relation is None:
            continue
        wanted += [(setting.user_id, k) for k in setting.kinds if k in allowed_kinds(relation, None)]
    if not wanted:
        return []
    jobs: list[NewJob] = []
    p = patient_id
    if plan is not None and version is not None and version.status == "active":
        zone = ZoneInfo(record_zone(profile, plan))
        today = now.astimezone(zone).date()
        planned = list(
            administrations(plan, zone, start=today - timedelta(days=2), end=today + timedelta(days=3))
        )
        schedule = Schedule(plan, planned)
        has_rule = kb.drug(plan.drug).missed_dose is not None
        for times in slot_times(kb, plan, schedule):
            slot, at = times.slot, times.slot.at_utc
            if at > now + HORIZON or times.next_at <= now:
                continue
            ref = at.isoformat()
            name = f"{p}:{slot.slot_date.isoformat()}#{slot.slot_index}@{at:%Y%m%dT%H%M}"
            for user, kind in wanted:
                due, expires = {
                    "dose": (at, times.window_closes),
                    "follow_up": (times.window_closes, times.next_at),
                    "not_logged": (at + NOT_LOGGED_AFTER, times.next_at),
                    "missed_run": (times.window_closes, times.next_at),
                }.get(kind, (None, None))
                if due is None or expires is None or expires <= now or expires <= due:
                    continue
                if kind in ("follow_up", "missed_run") and not has_rule:
                    continue
                jobs.append(
                    NewJob(
                        p,
                        user,
                        kind,
                        f"{kind}:{user}:{name}",
                        due,
                        expires,
                        slot.slot_date,
                        slot.slot_index,
                        ref,
                    )
                )
    kinds = {k for _, k in wanted}
    if "triage" in kinds:
        for entry in standing(uow.diary.symptoms(p, since=now - ALERT_WINDOW)):
            if entry.triage_level in ("urgent", "emergency") and now - entry.recorded_at <= ALERT_WINDOW:
                for user, kind in wanted:
                    if kind == "triage":
                        jobs.append(
                            NewJob(
                                p,
                                user,
                                kind,
                                f"triage:{user}:{p}:{entry.id}",
                                now,
                                entry.recorded_at + ALERT_WINDOW,
                                ref=str(entry.id),
                            )
                        )
    if "stock" in kinds and plan is not None:
        zone_name = record_zone(profile, plan)
        counts = uow.stock.latest(p)
        if counts:
            since = min(c.counted_at for c in counts).astimezone(ZoneInfo(zone_name)).date() - timedelta(
                days=3
            )
            events = uow.doses.between(p, since, now.date() + timedelta(days=1))
            forecasts = forecast_stock(
                plan=plan,
                rules=kb.drug(plan.drug),
                counts=counts,
                records=dose_records(events, now),
                now=now,
                timezone=zone_name,
            )
            for forecast in forecasts:
                if forecast.level in ("warn", "urgent") and forecast.runs_out_on is not None:
                    ref = f"{forecast.product_id}@{forecast.runs_out_on.isoformat()}"
                    for user, kind in wanted:
                        if kind == "stock":
                            jobs.append(NewJob(p, user, kind, f"stock:{user}:{p}:{ref}", now, None, ref=ref))
    if "pump_refill" in kinds:
        outlook = refill_outlook(uow, kb, profile, plan, now)
        if outlook is not None and outlook.needs_attention:
            ref = f"{outlook.refill_due.isoformat()}@{outlook.standing}"
            for user, kind in wanted:
                if kind == "pump_refill":
                    jobs.append(NewJob(p, user, kind, f"pump_refill:{user}:{p}:{ref}", now, None, ref=ref))
    recent_change = version is not None and now - version.created_at <= _RECENT_PLAN_CHANGE
    if "plan_change" in kinds and version is not None and version.number > 1 and recent_change:
        for user, kind in wanted:
            if kind == "plan_change" and user != version.created_by:
                jobs.append(
                    NewJob(
                        p,
                        user,
                        kind,
                        f"plan_change:{user}:{p}:{version.id}",
                        now,
                        version.created_at + _RECENT_PLAN_CHANGE,
                        ref=str(version.id),
                    )
                )
    return jobs


def schedule_due_work(*, store: Store, kb: KnowledgeBase, clock: Clock) -> int:
    """Write the jobs of every record someone is to be told about; returns how many were new."""
    now = clock()
    with store.read() as uow:
        patients = uow.reminders.patients_with_settings()
    added = 0
    for patient_id in patients:
        with store.read() as uow:
            jobs = _jobs_for(uow, kb, patient_id, now)
            known = uow.reminders.known_keys([j.key for j in jobs])
        fresh = [j for j in jobs if j.key not in known]
        if fresh:
            with store.write() as uow:
                added += uow.reminders.schedule(fresh, at=now)
                uow.commit()
    return added


# ------------------------------------------------------------------------------------------- actions
def action_token(secret: str, job_id: int) -> str:
    """The capability a notification's Taken / Snooze buttons carry: this job, for its recipient only."""
    mac = hmac.new(secret.encode(), f"push-action:{job_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{job_id}.{mac}"


def job_of_token(secret: str, token: str) -> int | None:
    head, _, _ = token.partition(".")
    if not head.isdigit() or len(head) > 12:
        return None
    return int(head) if hmac.compare_digest(action_token(secret, int(head)), token) else None


# ------------------------------------------------------------------------------------------- sending
@dataclass
class SendReport:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    not_sent: int = 0


def _payload(message: Message, job: ReminderJob, secret: str) -> bytes:
    return json.dumps(
        {
            "title": message.title,
            "body": message.body,
            "tag": message.tag,
            "url": message.url,
            "actions": list(message.actions),
            "token": action_token(secret, job.id) if message.actions else "",
            "silent": message.silent,
            "job": job.id,
            "kind": job.kind,
        }
    ).encode()


def send_due(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    sender: PushSender | None,
    mailer: Mailer | None,
    worker: str,
    secret: str,
    base_url: str,
    limit: int = 20,
) -> SendReport:
    """Claim up to ``limit`` due jobs for ``worker`` and send each one; returns what happened."""
    now = clock()
    with store.write() as uow:
        jobs = uow.reminders.claim_due(now=now, worker=worker, lease_until=now + LEASE, limit=limit)
        uow.commit()
    report = SendReport(claimed=len(jobs))
    for job in jobs:
        _send_one(store, kb, clock, sender, mailer, worker, secret, base_url, job, report)
    return report


def _send_one(
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    sender: PushSender | None,
    mailer: Mailer | None,
    worker: str,
    secret: str,
    base_url: str,
    job: ReminderJob,
    report: SendReport,
) -> None:
    now = clock()
    with store.read() as uow:
        message = compose(uow, kb, job, now)
        devices = uow.reminders.subscriptions_of(job.user_id) if isinstance(message, Message) else ()
    if isinstance(message, NotSent):
        with store.write() as uow:
            uow.reminders.add_delivery(
                job_id=job.id, patient_id=job.patient_id, user_id=job.user_id, kind=job.kind, channel="none",
                target="", title="", at=now, outcome="not_sent", detail=message.reason,
            )  # fmt: skip
            uow.reminders.finish(job.id, worker=worker, state="not_sent", at=now, note=message.reason)
            uow.commit()
        report.not_sent += 1
        return
    assert message.setting is not None and message.recipient is not None
    outcomes: list[tuple[str, str, str, str, int | None]] = []  # channel, target, outcome, detail, gone id
    if message.setting.by_push and sender is not None:
        payload = _payload(message, job, secret)
        for number, device in enumerate(devices, start=1):
            result = sender.send(
                device, payload, ttl=message.ttl, urgency=message.urgency, topic=message.topic
            )
            outcome = "delivered" if result.delivered else "expired" if result.expired else "failed"
            outcomes.append(
                ("push", f"device {number}", outcome, result.detail, device.id if result.expired else None)
            )
    if message.setting.by_email and mailer is not None:
        try:
            mailer.send(
                to=message.recipient.email,
                subject=f"dosewise: {message.title}",
                body=f"{message.body}\n\nOpen dosewise: {base_url}{message.url}\n\n"
                "You get this because the patient chose to tell you. Change it on the record's Reminders page.\n",
            )
            outcomes.append(("email", message.recipient.email, "delivered", "", None))
        except OSError as error:  # smtplib's errors are OSErrors: refused, timed out, rejected
            outcomes.append(("email", message.recipient.email, "failed", type(error).__name__, None))
    finished = clock()
    delivered = any(o[2] == "delivered" for o in outcomes)
    transient = any(o[2] == "failed" for o in outcomes)
    with store.write() as uow:
        for channel, target, outcome, detail, gone in outcomes:
            uow.reminders.add_delivery(
                job_id=job.id, patient_id=job.patient_id, user_id=job.user_id, kind=job.kind, channel=channel,
                target=target, title=message.title, at=finished, outcome=outcome, detail=detail,  # type: ignore[arg-type]
            )  # fmt: skip
            if gone is not None:  # 404/410: the browser unsubscribed or the subscription expired
                uow.reminders.remove_subscription(gone)
        if not outcomes:
            uow.reminders.add_delivery(
                job_id=job.id, patient_id=job.patient_id, user_id=job.user_id, kind=job.kind, channel="none",
                target="", title=message.title, at=finished, outcome="not_sent",
                detail="no device subscribed and no e-mail chosen",
            )  # fmt: skip
        if (
            delivered
            or not transient
            or job.attempts >= MAX_ATTEMPTS
            or (job.expires_at is not None and finished + _RETRY_AFTER > job.expires_at)
        ):
            state = "sent" if delivered else "failed" if transient else "not_sent"
            uow.reminders.finish(job.id, worker=worker, state=state, at=finished)  # type: ignore[arg-type]
        else:
            uow.reminders.retry(job.id, worker=worker, due_at=finished + _RETRY_AFTER * job.attempts)
        uow.commit()
    report.delivered += sum(1 for o in outcomes if o[2] == "delivered")
    report.failed += sum(1 for o in outcomes if o[2] != "delivered")
    if not outcomes:
        report.not_sent += 1


def jobs_summary(jobs: Sequence[ReminderJob]) -> dict[str, int]:
    out: dict[str, int] = {}
    for job in jobs:
        out[job.state] = out.get(job.state, 0) + 1
    return out
