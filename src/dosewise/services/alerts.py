"""What a reminder or alert says, to whom, and whether it is still worth sending.

Every message is composed when it is sent, from the record as it is then: a dose already recorded, a
plan changed, a grant revoked or an entry corrected since the job was scheduled means nothing is sent
(and the delivery log says why). The reader's relation to the record comes from the sharing model
(``sharing.authorise``): a person who may no longer view the record is told nothing. With the person's
lock-screen option (``private_text``) the text names no medicine, dose or symptom.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dosewise.domain.errors import DosewiseError
from dosewise.domain.missed.slots import Schedule, match_records, scale
from dosewise.domain.regimen import Administration, Plan, administrations
from dosewise.domain.rules import KnowledgeBase
from dosewise.services.advice import advise_missed
from dosewise.services.diary_alert import ALERT_WINDOW, standing
from dosewise.services.plans_service import plan_in_force
from dosewise.services.ports import AccessDenied, Actor, Profile, UnitOfWork, User
from dosewise.services.pump import PumpOutlook, pump_outlook
from dosewise.services.record_day import record_zone
from dosewise.services.reminders_ports import CARE_TEAM_KINDS, OWN_KINDS, NotifySetting, ReminderJob
from dosewise.services.sharing import authorise
from dosewise.services.today import dose_records
from dosewise.services.today_stock import forecast_stock, take_words_cached

__all__ = [
    "NOT_LOGGED_AFTER",
    "Message",
    "NotSent",
    "SlotTimes",
    "allowed_kinds",
    "compose",
    "in_quiet_hours",
    "refill_outlook",
    "slot_times",
]

# A caregiver is told when a dose is still not recorded an hour after its time: Medisafe's Medfriend
# waits one hour (issue 12). A notification policy, not a clinical number (docs/reminders.md).
NOT_LOGGED_AFTER = timedelta(hours=1)
# How long a care-team alert that is not about one dose stays worth delivering to a phone that is off.
_ALERT_TTL = timedelta(days=1)


@dataclass(frozen=True)
class SlotTimes:
    """A planned dose and the instants the reminders about it follow.

    ``window_closes`` is the end of the missed-dose rule's take window (its fraction of the interval to
    the next dose, ``slots.scale``): the same instant at which Today's advice turns from "take it now"
    into "skip it". Without a rule, the next dose's time.
    """

    slot: Administration
    index: int
    window_closes: datetime
    next_at: datetime


def slot_times(kb: KnowledgeBase, plan: Plan, schedule: Schedule) -> list[SlotTimes]:
    rule = kb.drug(plan.drug).missed_dose
    out = []
    for index, slot in enumerate(schedule.slots):
        interval = schedule.interval(index)
        start = schedule.instants[index]
        closes = start + (scale(interval, rule.take_if_elapsed_fraction_below) if rule else interval)
        following = schedule.instants[index + 1] if index + 1 < len(schedule.slots) else start + interval
        out.append(SlotTimes(slot, index, closes, following))
    return out


def allowed_kinds(relation: str, access: str | None) -> tuple[str, ...]:
    """What a person may be told about a record: the patient their reminders, a care-team member by grant."""
    if relation == "self":
        return OWN_KINDS
    return CARE_TEAM_KINDS["clinician" if relation == "clinician" else "caregiver"]


def in_quiet_hours(setting: NotifySetting, local: datetime) -> bool:
    """Whether ``local`` (the record's clock) falls in the person's quiet hours (which may span midnight)."""
    if not setting.quiet_from or not setting.quiet_to:
        return False
    start, end, now = (
        time.fromisoformat(setting.quiet_from),
        time.fromisoformat(setting.quiet_to),
        local.time(),
    )
    if start == end:
        return False
    return start <= now < end if start < end else (now >= start or now < end)


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str
    tag: str  # the notification it replaces on the device (a snooze or follow-up replaces the reminder)
    ttl: int  # seconds the push service keeps it for a device that is offline
    urgency: str
    actions: tuple[str, ...] = ()
    silent: bool = False
    recipient: User | None = None
    setting: NotifySetting | None = None

    @property
    def topic(self) -> str:
        """The push service's replace-key (RFC 8030 5.4): at most 32 URL-safe base64 characters."""
        digest = hashlib.sha256(self.tag.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode()[:32]


@dataclass(frozen=True)
class NotSent:
    reason: str


def _hm(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def _ttl(until: datetime | None, now: datetime, default: timedelta = _ALERT_TTL) -> int:
    span = (until - now) if until is not None else default
    return max(60, int(span.total_seconds()))


def _actor(user: User) -> Actor:
    return Actor(user.id, user.role, user.display_name, user.email)


def compose(uow: UnitOfWork, kb: KnowledgeBase, job: ReminderJob, now: datetime) -> Message | NotSent:
    """The message for a due job, or why nothing is sent."""
    profile = uow.patients.get(job.patient_id)
    user = uow.users.get(job.user_id)
    setting = uow.reminders.setting(job.patient_id, job.user_id)
    if profile is None or user is None or setting is None:
        return NotSent("the person or the record is gone")
    try:
        access = authorise(uow, actor=_actor(user), public_id=profile.public_id, permission="view")
    except AccessDenied:
        return NotSent("this person no longer has access to the record")
    kind = "dose" if job.kind == "snooze" else job.kind
    if kind not in setting.kinds or kind not in allowed_kinds(access.relation, None):
        return NotSent("this alert is turned off for this person")
    if job.expires_at is not None and now > job.expires_at:
        return NotSent(
            "too late to be useful: it could not be sent in time (was dosewise stopped?); "
            "the advice on the Today page is what counts"
        )
    _, plan = plan_in_force(uow, kb, profile.id)
    zone = ZoneInfo(record_zone(profile, plan))
    private = setting.private_text
    quiet = in_quiet_hours(setting, now.astimezone(zone))
    found = _message(uow, kb, job, now, profile, plan, zone, access.relation, private, quiet)
    return replace(found, recipient=user, setting=setting) if isinstance(found, Message) else found


def _message(
    uow: UnitOfWork,
    kb: KnowledgeBase,
    job: ReminderJob,
    now: datetime,
    profile: Profile,
    plan: Plan | None,
    zone: ZoneInfo,
    relation: str,
    private: bool,
    quiet: bool,
) -> Message | NotSent:
    name = profile.display_name
    if job.kind in ("dose", "snooze", "follow_up", "not_logged", "missed_run"):
        return _about_a_dose(uow, kb, job, now, profile, plan, zone, relation, private, quiet)
    if job.kind == "triage":
        entries = standing(uow.diary.symptoms(profile.id, since=now - ALERT_WINDOW))
        entry = next((e for e in entries if str(e.id) == job.ref), None)
        if entry is None or entry.triage_level not in ("urgent", "emergency"):
            return NotSent("the diary entry was corrected")
        level = "an emergency" if entry.triage_level == "emergency" else "an urgent"
        told = str(entry.triage.get("patient_text", ""))
        body = f"dosewise rated a diary entry as {entry.triage_level}. Open dosewise now."
        if not private and told:
            body += f" {name} was told: {told}"
        return Message(
            f"{name}: {level} symptom recorded" if not private else f"{name}: open dosewise now",
            body if not private else "Something in the record needs attention now.",
            f"/p/{profile.public_id}/diary",
            f"triage-{profile.public_id}-{entry.id}",
            _ttl(entry.recorded_at + ALERT_WINDOW, now),
            "high",
            silent=False,  # urgent and emergency alerts are never silenced by quiet hours
        )
    if job.kind == "stock":
        return _stock(uow, kb, job, now, profile, plan, private, quiet)
    if job.kind == "pump_refill":
        return _pump(uow, kb, job, now, profile, plan, private, quiet)
    if job.kind == "plan_change":
        version = uow.plans.get(int(job.ref)) if job.ref.isdigit() else None
        if version is None or version.patient_id != profile.id:
            return NotSent("the plan version is gone")
        return Message(
            f"{name}'s plan changed",
            (
                f"A new plan version ({version.action}) was saved by {version.created_by_name}, "
                f"from {version.effective_from.strftime('%d %B').lstrip('0')}. Open dosewise to see the doses."
            )
            if not private
            else "Open dosewise to see what changed.",
            f"/p/{profile.public_id}/plan",
            f"plan-{profile.public_id}-{version.id}",
            _ttl(None, now),
            "normal",
            silent=quiet,
        )
    return NotSent(f"unknown kind {job.kind}")


def _about_a_dose(
    uow: UnitOfWork,
    kb: KnowledgeBase,
    job: ReminderJob,
    now: datetime,
    profile: Profile,
    plan: Plan | None,
    zone: ZoneInfo,
    relation: str,
    private: bool,
    quiet: bool,
) -> Message | NotSent:
    version = uow.plans.latest(profile.id)
    if plan is None or version is None or job.slot_date is None or job.slot_index is None:
        return NotSent("there is no plan in force")
    if version.status == "paused":
        return NotSent("the plan is paused")
    planned = list(
        administrations(
            plan, zone, start=job.slot_date - timedelta(days=2), end=job.slot_date + timedelta(days=2)
        )
    )
    schedule = Schedule(plan, planned)
    index = schedule.index_of(job.slot_date, job.slot_index)
    if index is None or schedule.instants[index].isoformat() != job.ref:
        return NotSent("the plan changed: this dose is no longer planned at that time")
    times = slot_times(kb, plan, schedule)[index]
    slot = times.slot
    rule = kb.drug(plan.drug).missed_dose
    fraction = rule.take_if_elapsed_fraction_below if rule else None
    events = uow.doses.between(
        profile.id, job.slot_date - timedelta(days=3), job.slot_date + timedelta(days=2)
    )
    records = dose_records(events, now)
    match = match_records(schedule, records, fraction)
    if index in match.credited or index in match.closed:
        return NotSent("the dose is already recorded")
    at = _hm(slot.at, zone)
    drug = kb.drug(plan.drug).name
    url = f"/p/{profile.public_id}/today"
    tag = f"dose-{profile.public_id}-{slot.slot_date.isoformat()}-{slot.slot_index}"
    if job.kind in ("dose", "snooze"):
        take = take_words_cached(slot.dose, kb.drug(plan.drug), plan.products, plan.confirmed_scored)
        return Message(
            title=f"Time for your {at} dose" if not private else "Time for a dose",
            body=(f"{drug} {slot.dose}: {take}" if take else f"{drug} {slot.dose}")
            if not private
            else "Open dosewise to see what to take.",
            ttl=_ttl(times.window_closes, now),
            actions=("taken", "snooze"),
            url=url,
            tag=tag,
            urgency="high",
            silent=quiet,
        )
    if job.kind == "follow_up":
        advice = advise_missed(kb=kb, plan=plan, now=now, records=records) if rule else None
        about_this = (
            advice is not None
            and advice.missed_slot is not None
            and (
                advice.missed_slot.slot_date,
                advice.missed_slot.slot_index,
            )
            == (slot.slot_date, slot.slot_index)
        )
        if about_this and advice is not None and advice.action == "take_now" and advice.take_until:
            body = f"If you have not taken it, you can still take it until {_hm(advice.take_until, zone)}."
        elif about_this and advice is not None and advice.action == "skip":
            following = f" at {_hm(advice.next_dose.at, zone)}" if advice.next_dose else ""
            body = (
                f"If you did not take it, skip it and take the next dose{following} as planned. "
                "Never take two doses to make up for a missed one."
            )
        else:
            body = "Open dosewise to see what to do."
        body += " If you took it, record it in dosewise."
        return Message(
            title=f"The {at} dose is not recorded" if not private else "A dose is not recorded",
            body=body,
            ttl=_ttl(times.next_at, now),
            url=url,
            tag=tag,
            urgency="high",
            silent=quiet,
        )
    name = profile.display_name
    if job.kind == "not_logged":
        return Message(
            title=f"{name}'s {at} dose is not recorded" if not private else f"{name}: a dose is not recorded",
            body=f"It was planned an hour ago. Check with {name}: if it was taken, it can be recorded in dosewise.",
            ttl=_ttl(times.next_at, now),
            url=url,
            tag=f"care-{tag}",
            urgency="normal",
            silent=quiet,
        )
    # missed_run: the advice's own count of doses missed in a row, judged by the rule's threshold
    assert rule is not None
    advice = advise_missed(kb=kb, plan=plan, now=now, records=records)
    if advice.consecutive_missed < rule.soon_after_consecutive_missed:
        return NotSent(f"fewer than {rule.soon_after_consecutive_missed} doses in a row are missed")
    who = "the clinician" if relation == "caregiver" else "you"
    return Message(
        title=f"{name}: {advice.consecutive_missed} doses in a row missed"
        if not private
        else f"{name}: doses missed",
        body=(
            f"{advice.consecutive_missed} planned doses in a row are not recorded. Missing doses in a row can "
            f"cause withdrawal symptoms. Check with {name}; {who} may need to know today."
            if not private
            else "Open dosewise to see the record."
        ),
        ttl=_ttl(times.next_at, now),
        url=url,
        tag=f"run-{tag}",
        urgency="high",
        silent=quiet,
    )


def refill_outlook(
    uow: UnitOfWork, kb: KnowledgeBase, profile: Profile, plan: Plan | None, now: datetime
) -> PumpOutlook | None:
    """The pump's refill and alarm dates from the Pump page's one answer (``pump.pump_outlook``), or None
    (no pump, an incomplete history, or one the planner refuses: the Pump page says why)."""
    today = now.astimezone(ZoneInfo(record_zone(profile, plan))).date()
    try:
        return pump_outlook(kb=kb, entries=uow.pump.entries(profile.id), today=today)
    except DosewiseError:
        return None


def _pump(
    uow: UnitOfWork,
    kb: KnowledgeBase,
    job: ReminderJob,
    now: datetime,
    profile: Profile,
    plan: Plan | None,
    private: bool,
    quiet: bool,
) -> Message | NotSent:
    outlook = refill_outlook(uow, kb, profile, plan, now)
    if outlook is None or f"{outlook.refill_due.isoformat()}@{outlook.standing}" != job.ref:
        return NotSent("the pump's dates changed: a refill or a new programme was recorded")
    name = profile.display_name
    due = _day(outlook.refill_due)
    alarm = _day(outlook.alarm_on)
    title = {
        "due_soon": f"{name}: pump refill due {due}",
        "refill_overdue": f"{name}: pump refill overdue since {due}",
        "alarm_due": f"{name}: the pump's low-reservoir alarm is due",
    }.get(outlook.standing, f"{name}: pump refill due {due}")
    body = (
        f"The low-reservoir alarm is expected on {alarm}. Book the refill with the pump clinic before then: "
        "if the pump runs empty, the sudden stop can cause dangerous withdrawal."
    )
    urgency = "high" if outlook.standing != "due_soon" else "normal"
    return Message(
        title if not private else f"{name}: a refill is due",
        body if not private else "Open dosewise to see when, and book it in time.",
        f"/p/{profile.public_id}/pump",
        f"pump-{profile.public_id}-{outlook.refill_due.isoformat()}",
        _ttl(None, now),
        urgency,
        silent=quiet and outlook.standing == "due_soon",
    )


def _day(day: date) -> str:
    return day.strftime("%A %d %B").replace(" 0", " ")


def _stock(
    uow: UnitOfWork,
    kb: KnowledgeBase,
    job: ReminderJob,
    now: datetime,
    profile: Profile,
    plan: Plan | None,
    private: bool,
    quiet: bool,
) -> Message | NotSent:
    if plan is None:
        return NotSent("there is no plan in force")
    zone = record_zone(profile, plan)
    counts = uow.stock.latest(profile.id)
    since = min((c.counted_at for c in counts), default=now).astimezone(ZoneInfo(zone)).date() - timedelta(
        days=3
    )
    events: Sequence[object] = uow.doses.between(profile.id, since, now.date() + timedelta(days=1))
    forecasts = forecast_stock(
        plan=plan,
        rules=kb.drug(plan.drug),
        counts=counts,
        records=dose_records(events, now),  # type: ignore[arg-type]
        now=now,
        timezone=zone,
    )
    product, _, day = job.ref.partition("@")
    found = next((f for f in forecasts if f.product_id == product and f.level in ("warn", "urgent")), None)
    if found is None or found.runs_out_on is None or found.runs_out_on.isoformat() != day:
        return NotSent("the forecast changed: new stock was counted")
    name = profile.display_name
    when = _day(found.runs_out_on)
    return Message(
        f"{name}: tablets run out {when}" if not private else f"{name}: medicine runs out soon",
        (
            f"The {found.label} run out on {when} ({found.days_left} days). Running out means stopping "
            "suddenly, which is dangerous: get a repeat prescription before then."
            if not private
            else "Open dosewise to see when, and get a repeat prescription in time."
        ),
        f"/p/{profile.public_id}/today",
        f"stock-{profile.public_id}-{product}",
        _ttl(None, now),
        "normal",
        silent=quiet,
    )
