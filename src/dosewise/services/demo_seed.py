"""A living demo record: a patient part-way through a baclofen titration, with a caregiver and a clinician.

Everything goes through the same services the app uses (registration, profile, sharing, the planner,
dose logging), with the clock set to when each thing happened, so the audit trail reads naturally.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dosewise.domain.regimen import administrations
from dosewise.domain.rules import KnowledgeBase
from dosewise.services import accounts, diary, plans_service, records, sharing, today, today_stock
from dosewise.services.ports import Actor, Clock, PasswordHasher, Store

__all__ = ["DEMO_PASSWORD", "DemoLogins", "seed_demo"]

DEMO_PASSWORD = "dosewise-demo"  # noqa: S105 - printed for the demo; never used outside it
_ZONE = "Europe/London"


@dataclass(frozen=True)
class DemoLogins:
    patient: str
    caregiver: str
    clinician: str
    password: str
    patient_id: str
    created: bool


def _at(clock_time: datetime) -> Clock:
    return lambda: clock_time


def seed_demo(
    *,
    store: Store,
    kb: KnowledgeBase,
    hasher: PasswordHasher,
    clock: Clock,
    domain: str = "demo.dosewise.org",
) -> DemoLogins:
    """Create the demo record once; a second call only returns the logins."""
    emails = (f"alex@{domain}", f"sam@{domain}", f"dr.rivera@{domain}")
    now = clock()
    tz = ZoneInfo(_ZONE)
    local_now = now.astimezone(tz)
    start = local_now.date() - timedelta(days=7)
    began = datetime.combine(start - timedelta(days=3), datetime.min.time(), tzinfo=tz).replace(hour=9)
    with store.read() as uow:
        existing = uow.users.by_email(emails[0])
        profile = uow.patients.by_user(existing.id) if existing else None
    if profile is not None:
        return DemoLogins(*emails, DEMO_PASSWORD, profile.public_id, created=False)

    def register(email: str, name: str, role: str) -> Actor:
        return accounts.register(
            store=store,
            hasher=hasher,
            clock=_at(began),
            email=email,
            password=DEMO_PASSWORD,
            display_name=name,
            role=role,
            timezone=_ZONE,
            enforce_policy=False,  # the demo password is published, so the policy refuses it elsewhere
        )

    patient = register(emails[0], "Alex Morgan", "patient")
    caregiver = register(emails[1], "Sam Morgan", "caregiver")
    clinician = register(emails[2], "Dr Jo Rivera", "clinician")
    public_id = sharing.shared_with_me(store=store, actor=patient)[0].public_id
    setup = _at(began + timedelta(minutes=10))
    records.update_profile(
        store=store,
        clock=setup,
        actor=patient,
        public_id=public_id,
        changes=records.ProfileChanges(
            date_of_birth="1968-05-14",
            sex="female",
            weight_kg="68",
            creatinine_value="0.7",
            creatinine_unit="mg/dL",
            creatinine_date=(start - timedelta(days=12)).isoformat(),
            timezone=_ZONE,
        ),
    )
    for name, dose, per_day in (("gabapentin", "300 mg", 3), ("Paracetamol", "1 g", None)):
        try:
            records.add_medication(
                store=store,
                clock=setup,
                kb=kb,
                actor=patient,
                public_id=public_id,
                name=name,
                dose_text=dose,
                times_per_day=per_day,
            )
        except Exception:
            records.add_medication(
                store=store, clock=setup, kb=kb, actor=patient, public_id=public_id, name=name
            )
    for grantee, access in ((caregiver, "caregiver"), (clinician, "clinician")):
        # The same three steps as in the app: invite, accept the link, confirm who accepted.
        invited = sharing.grant_access(
            store=store, clock=setup, actor=patient, public_id=public_id, email=grantee.email, access=access
        )
        sharing.accept_invitation(store=store, clock=setup, actor=grantee, token=invited.token)
        sharing.confirm_grant(
            store=store, clock=setup, actor=patient, public_id=public_id, grant_id=invited.grant.id
        )
    plans_service.start_titration(
        store=store,
        kb=kb,
        clock=_at(began + timedelta(days=1)),
        actor=clinician,
        public_id=public_id,
        request=plans_service.TitrationRequest(
            drug="baclofen", start=start.isoformat(), target_daily="60 mg"
        ),
        reason="Spasticity after spinal cord injury; label titration to 60 mg a day",
    )
    _log_history(
        store=store,
        kb=kb,
        patient=patient,
        caregiver=caregiver,
        public_id=public_id,
        start=start,
        now=now,
        tz=tz,
    )
    today_stock.record_stock(
        store=store,
        kb=kb,
        clock=_at(now - timedelta(days=2)),
        actor=caregiver,
        public_id=public_id,
        drug="baclofen",
        product_id="baclofen-tab-10mg",
        amount="24",
    )
    today_stock.record_stock(
        store=store,
        kb=kb,
        clock=_at(now - timedelta(days=2)),
        actor=caregiver,
        public_id=public_id,
        drug="baclofen",
        product_id="baclofen-tab-5mg",
        amount="30",
    )
    return DemoLogins(*emails, DEMO_PASSWORD, public_id, created=True)


def _log_history(
    *,
    store: Store,
    kb: KnowledgeBase,
    patient: Actor,
    caregiver: Actor,
    public_id: str,
    start: date,
    now: datetime,
    tz: ZoneInfo,
) -> None:
    with store.read() as uow:
        version = uow.plans.latest(uow.patients.by_public_id(public_id).id)  # type: ignore[union-attr]
    assert version is not None
    plan = version.plan
    today_date = now.astimezone(tz).date()
    for index, dose in enumerate(administrations(plan, tz, start=start, end=today_date)):
        who = caregiver if index % 4 == 3 else patient
        when = dose.at + timedelta(minutes=(index * 7) % 25)
        status = "skipped" if index == 7 else "taken"
        today.log_dose(
            store=store,
            kb=kb,
            clock=_at(when.astimezone(tz)),
            actor=who,
            public_id=public_id,
            slot_date=dose.slot_date,
            slot_index=dose.slot_index,
            status=status,
            idempotency_key=f"demo-{dose.slot_date.isoformat()}-{dose.slot_index}",
        )
    for offset in range(6, 0, -1):
        day = today_date - timedelta(days=offset)
        evening = datetime.combine(day, datetime.min.time(), tzinfo=tz).replace(hour=21)
        diary.record_checkin(
            store=store,
            clock=_at(evening),
            actor=patient,
            public_id=public_id,
            spasticity=max(3, 8 - (6 - offset)),
            spasm_frequency=3 if offset > 3 else 2,
            sleep_quality=5 + (6 - offset) // 2,
            drowsiness=2 + (offset % 3),
        )
    morning = datetime.combine(today_date - timedelta(days=4), datetime.min.time(), tzinfo=tz).replace(
        hour=11
    )
    diary.record_symptoms(
        store=store,
        kb=kb,
        clock=_at(morning),
        actor=patient,
        public_id=public_id,
        symptoms=["drowsiness"],
        text="",
        severity="mild",
    )
