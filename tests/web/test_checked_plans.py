"""Over fakes: every stored plan version passes the checker, a save stores what was previewed, Today and
the missed-dose advice count doses with one matcher, and the record has one "today"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fakes import FakeStore, PlainHasher

from dosewise.domain.errors import InvalidInput
from dosewise.domain.regimen import Plan
from dosewise.services import accounts, plan_gate, plans_service, records, sharing, today
from dosewise.services.plans_service import PreviewChanged, TaperRequest, TitrationRequest


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _people(store: FakeStore, clock: Clock) -> tuple[Any, Any, str]:
    def person(name: str, role: str) -> Any:
        return accounts.register(
            store=store,
            hasher=PlainHasher(),
            clock=clock,
            email=f"{name}@example.org",
            password="long enough password",
            display_name=name,
            role=role,
            timezone="Europe/London",
        )

    owner, doctor = person("owner", "patient"), person("doctor", "clinician")
    pid = sharing.shared_with_me(store=store, actor=owner)[0].public_id
    invited = sharing.grant_access(
        store=store, clock=clock, actor=owner, public_id=pid, email="doctor@example.org", access="clinician"
    )
    sharing.accept_invitation(store=store, clock=clock, actor=doctor, token=invited.token)
    sharing.confirm_grant(store=store, clock=clock, actor=owner, public_id=pid, grant_id=invited.grant.id)
    return owner, doctor, pid


def _titrate(store: FakeStore, kb: Any, clock: Clock, doctor: Any, pid: str, **fields: str) -> Any:
    request = TitrationRequest(**{"drug": "baclofen", "start": "2026-11-10", **fields})
    return plans_service.start_titration(
        store=store, kb=kb, clock=clock, actor=doctor, public_id=pid, request=request, reason="spasticity"
    )


def _stored(store: FakeStore, kb: Any, pid_owner: int = 1) -> Plan:
    with store.read() as uow:
        version = max(uow.data.plans.rows.values(), key=lambda v: v.number)
    return version.plan


def _no_day_without_doses(plan: Plan) -> None:
    for before, after in zip(plan.steps, plan.steps[1:], strict=False):
        assert after.start == before.end, f"gap or overlap between {before} and {after}"


@pytest.mark.parametrize("weeks_ahead", [1, 2, 3, 6])
def test_a_taper_set_to_start_later_keeps_every_day_until_then_and_starts_from_that_days_dose(
    kb: Any, weeks_ahead: int
) -> None:
    """A taper starting in N weeks: the titration runs every day until then and the taper starts from the
    dose in force on its start day, never from a lower dose after days without doses."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    _, doctor, pid = _people(store, clock)
    _titrate(store, kb, clock, doctor, pid, target_daily="60 mg")
    clock.now += timedelta(days=30)  # the titration has reached 60 mg a day and continues it
    start = (clock.now + timedelta(weeks=weeks_ahead)).date()
    before = _stored(store, kb)
    plans_service.start_taper(
        store=store,
        kb=kb,
        clock=clock,
        actor=doctor,
        public_id=pid,
        request=TaperRequest(start=start.isoformat()),
        reason="stopping",
    )
    plan = _stored(store, kb)
    _no_day_without_doses(plan)
    held = before.step_on(start)
    assert held is not None
    assert plan.step_on(start - timedelta(days=1)) is not None
    assert plan.step_on(start - timedelta(days=1)).daily == held.daily  # type: ignore[union-attr]
    first_taper = plan.step_on(start)
    assert first_taper is not None
    assert first_taper.daily < held.daily
    assert not plan_gate.blocking_findings(plan, first_changed=0)


def test_an_abrupt_drop_is_refused_unless_a_clinician_names_the_override_with_a_reason(kb: Any) -> None:
    """A new titration at 15 mg a day replacing 60 mg a day is an oversized cut: refused, then stored with
    rapid_withdrawal and its reason, which the stored plan shows."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    _, doctor, pid = _people(store, clock)
    _titrate(store, kb, clock, doctor, pid, target_daily="60 mg")
    clock.now += timedelta(days=30)
    restart = clock.now.date().isoformat()
    with pytest.raises(plan_gate.PlanNotSafe) as refused:
        _titrate(store, kb, clock, doctor, pid, start=restart)
    assert "rapid_withdrawal" in refused.value.overrides
    assert refused.value.details["findings"][0]["code"] == "taper.step_too_large"
    assert len(store.data.plans.rows) == 1
    _titrate(
        store,
        kb,
        clock,
        doctor,
        pid,
        start=restart,
        override_code="rapid_withdrawal",
        override_reason="sedation",
    )
    assert _stored(store, kb).overridden("rapid_withdrawal") is not None


def test_replacing_a_drug_in_force_with_another_is_refused_as_an_abrupt_stop(kb: Any) -> None:
    """A tizanidine titration over a baclofen plan still in force would stop baclofen at once."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    _, doctor, pid = _people(store, clock)
    _titrate(store, kb, clock, doctor, pid)
    with pytest.raises(plan_gate.PlanNotSafe) as refused:
        _titrate(store, kb, clock, doctor, pid, drug="tizanidine", start="2026-11-12")
    assert refused.value.blocked[0].finding.code == "stop.abrupt"


def test_a_tizanidine_plan_is_made_with_tizanidines_own_rules(kb: Any) -> None:
    """No baclofen default anywhere: tizanidine's label start and products come from its own rules."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    _, doctor, pid = _people(store, clock)
    _titrate(store, kb, clock, doctor, pid, drug="tizanidine")
    plan = _stored(store, kb)
    rules = kb.drug("tizanidine")
    assert plan.drug == "tizanidine"
    assert plan.steps[0].dose == rules.titration.steps[0][0]
    assert all(p.startswith("tizanidine") for p in plan.products) or not plan.products


def test_a_titration_without_a_drug_is_refused(kb: Any) -> None:
    """The service never assumes a drug: a titration that names none is refused, and nothing is stored."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    _, doctor, pid = _people(store, clock)
    with pytest.raises(InvalidInput, match="choose the medicine"):
        plans_service.preview_titration(
            store=store,
            kb=kb,
            clock=clock,
            actor=doctor,
            public_id=pid,
            request=TitrationRequest(start="2026-11-10"),
        )
    with pytest.raises(InvalidInput, match="choose the medicine"):
        _titrate(store, kb, clock, doctor, pid, drug="")
    assert not store.data.plans.rows


def test_a_save_stores_exactly_the_preview_or_nothing(kb: Any) -> None:
    """The oral solution previewed is what is saved; the same fingerprint with tablets is refused."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    _, doctor, pid = _people(store, clock)
    liquid = TitrationRequest(
        drug="baclofen", start="2026-11-10", products=("baclofen-oral-solution-5mg-5ml",)
    )
    preview = plans_service.preview_titration(
        store=store, kb=kb, clock=clock, actor=doctor, public_id=pid, request=liquid
    )
    tablets = TitrationRequest(drug="baclofen", start="2026-11-10")
    with pytest.raises(PreviewChanged):
        plans_service.start_titration(
            store=store,
            kb=kb,
            clock=clock,
            actor=doctor,
            public_id=pid,
            request=tablets,
            reason="r",
            fingerprint=preview.fingerprint,
        )
    assert not store.data.plans.rows
    plans_service.start_titration(
        store=store,
        kb=kb,
        clock=clock,
        actor=doctor,
        public_id=pid,
        request=liquid,
        reason="r",
        fingerprint=preview.fingerprint,
    )
    assert _stored(store, kb).products == ("baclofen-oral-solution-5mg-5ml",)


def test_a_preview_shows_what_would_block_the_save(kb: Any) -> None:
    """The preview of a restart far below the dose in force lists the oversized cut and its override."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    _, doctor, pid = _people(store, clock)
    _titrate(store, kb, clock, doctor, pid, target_daily="60 mg")
    clock.now += timedelta(days=30)
    request = TitrationRequest(drug="baclofen", start=clock.now.date().isoformat())
    preview = plans_service.preview_titration(
        store=store, kb=kb, clock=clock, actor=doctor, public_id=pid, request=request
    )
    assert not preview.savable
    assert [(b.finding.code, b.override) for b in preview.blocked] == [
        ("taper.step_too_large", "rapid_withdrawal")
    ]
    assert any(f.code == "taper.step_too_large" for f in preview.plan.findings)


def _log(store: FakeStore, kb: Any, clock: Clock, actor: Any, pid: str, **kw: Any) -> Any:
    return today.log_dose(store=store, kb=kb, clock=clock, actor=actor, public_id=pid, **kw)


def test_the_0800_dose_taken_at_1330_viewed_at_1430_gives_one_answer(kb: Any) -> None:
    """The 08:00 dose taken at 13:30 counts as the 14:00 dose: Today shows no "Due now" and no Taken button
    at 14:00, and the advice on the same page says the next dose is at 20:00."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 6, 0, tzinfo=UTC))
    owner, doctor, pid = _people(store, clock)
    _titrate(store, kb, clock, doctor, pid, start="2026-11-09")
    clock.now = datetime(2026, 11, 10, 13, 35, tzinfo=UTC)  # London is UTC in November
    first = {"slot_date": date(2026, 11, 10), "slot_index": 0, "status": "taken", "taken_at": "13:30"}
    with pytest.raises(today.ConfirmationNeeded) as asked:
        _log(store, kb, clock, owner, pid, idempotency_key="late-dose-1", **first)
    assert "counts as the 14:00 dose" in asked.value.message
    _log(store, kb, clock, owner, pid, idempotency_key="late-dose-1", confirmed=True, **first)
    clock.now = datetime(2026, 11, 10, 14, 30, tzinfo=UTC)
    view = today.today_view(store=store, kb=kb, clock=clock, actor=owner, public_id=pid)
    by_time = {s.administration.local_time.strftime("%H:%M"): s for s in view.slots}
    assert by_time["14:00"].status == "taken"
    assert not any(s.may_take_now for s in view.slots)
    assert by_time["08:00"].status == "missed"
    assert "14:00" in by_time["08:00"].note
    assert view.advice is not None
    assert view.advice.next_dose is not None
    assert view.advice.next_dose.local_time.strftime("%H:%M") == "20:00"
    assert view.advice.action != "take_now"


@pytest.mark.parametrize("minutes_after", [5, 45, 120])
def test_a_dose_recorded_soon_after_another_asks_for_confirmation(kb: Any, minutes_after: int) -> None:
    """Two doses minutes or a couple of hours apart are recorded only once confirmed."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 8, 5, tzinfo=UTC))
    owner, doctor, pid = _people(store, clock)
    _titrate(store, kb, clock, doctor, pid, start="2026-11-09")
    _log(
        store,
        kb,
        clock,
        owner,
        pid,
        slot_date=date(2026, 11, 10),
        slot_index=0,
        status="taken",
        idempotency_key="morning-01",
    )
    clock.now += timedelta(minutes=minutes_after)
    second = {
        "slot_date": date(2026, 11, 10),
        "slot_index": 1,
        "status": "taken",
        "idempotency_key": "midday-01",
    }
    with pytest.raises(today.ConfirmationNeeded) as asked:
        _log(store, kb, clock, owner, pid, **second)
    assert "double dose" in asked.value.message
    assert len(store.data.doses.rows) == 1
    assert _log(store, kb, clock, owner, pid, confirmed=True, **second).created


def test_a_dose_taken_on_time_needs_no_confirmation(kb: Any) -> None:
    """The 14:00 dose at 14:05 after the 08:00 dose at 08:05 is recorded straight away."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 8, 5, tzinfo=UTC))
    owner, doctor, pid = _people(store, clock)
    _titrate(store, kb, clock, doctor, pid, start="2026-11-09")
    _log(
        store,
        kb,
        clock,
        owner,
        pid,
        slot_date=date(2026, 11, 10),
        slot_index=0,
        status="taken",
        idempotency_key="morning-01",
    )
    clock.now = datetime(2026, 11, 10, 14, 5, tzinfo=UTC)
    assert _log(
        store,
        kb,
        clock,
        owner,
        pid,
        slot_date=date(2026, 11, 10),
        slot_index=1,
        status="taken",
        idempotency_key="midday-01",
    ).created


def test_the_plan_page_and_today_agree_on_the_day_after_the_profile_zone_changes(kb: Any) -> None:
    """Profile moved to Auckland at 22:00 London time: both pages still read the plan's zone and day."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    owner, doctor, pid = _people(store, clock)
    _titrate(store, kb, clock, doctor, pid)
    records.update_profile(
        store=store,
        clock=clock,
        actor=owner,
        public_id=pid,
        changes=records.ProfileChanges(timezone="Pacific/Auckland"),
    )
    clock.now = datetime(2026, 11, 10, 22, 0, tzinfo=UTC)  # already 11 Nov in Auckland
    overview = plans_service.plan_overview(store=store, kb=kb, clock=clock, actor=owner, public_id=pid)
    view = today.today_view(store=store, kb=kb, clock=clock, actor=owner, public_id=pid)
    assert overview.today == view.today


def test_a_web_titration_sees_the_medication_list_and_refuses_a_label_contraindication(kb: Any) -> None:
    """Tizanidine for a record that lists ciprofloxacin is refused from the web as from the CLI, and with
    an inhibitor the record's list changes the plan: the planner reads the list, not an empty one."""
    from dosewise.domain.errors import PlanRefused

    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    owner, doctor, pid = _people(store, clock)
    records.add_medication(store=store, clock=clock, kb=kb, actor=owner, public_id=pid, name="Cipro")
    with pytest.raises(PlanRefused) as refused:
        _titrate(store, kb, clock, doctor, pid, drug="tizanidine")
    assert "label_contraindication" in str(refused.value.hint) + str(getattr(refused.value, "overrides", ""))
    with store.read() as uow:
        assert not uow.data.plans.rows


def test_a_web_tizanidine_titration_with_an_oral_contraceptive_listed_starts_at_the_inhibitor_start(
    kb: Any,
) -> None:
    """A moderate CYP1A2 inhibitor on the record's list lowers the tizanidine start as the label says."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    owner, doctor, pid = _people(store, clock)
    _titrate(store, kb, clock, doctor, pid, drug="tizanidine")
    plain_start = _stored(store, kb).steps[0]

    store2, clock2 = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    owner2, doctor2, pid2 = _people(store2, clock2)
    records.add_medication(
        store=store2, clock=clock2, kb=kb, actor=owner2, public_id=pid2, name="birth control pill"
    )
    _titrate(store2, kb, clock2, doctor2, pid2, drug="tizanidine")
    inhibited_start = _stored(store2, kb).steps[0]
    assert inhibited_start.daily <= plain_start.daily
    assert inhibited_start.times_per_day == 1


@pytest.mark.parametrize(("egfr", "level"), [("", "urgent"), ("45", "emergency")])
def test_two_doses_close_together_on_today_are_an_overdose_question_judged_with_the_kidneys(
    kb: Any, egfr: str, level: str
) -> None:
    """Today's advice reads the record's kidney function: two doses minutes apart are urgent, and an
    emergency when the kidneys are weak (the CLI's `missed --patient` gives the same answer)."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 8, 5, tzinfo=UTC))
    owner, doctor, pid = _people(store, clock)
    if egfr:
        records.update_profile(
            store=store,
            clock=clock,
            actor=owner,
            public_id=pid,
            changes=records.ProfileChanges(egfr=egfr, timezone="Europe/London"),
        )
    _titrate(store, kb, clock, doctor, pid, start="2026-11-09")
    # Today's first dose, then yesterday's missed first dose "made up" minutes later (kidney bands can
    # leave one dose a day, so both are slot 0 of their day).
    _log(
        store,
        kb,
        clock,
        owner,
        pid,
        slot_date=date(2026, 11, 10),
        slot_index=0,
        status="taken",
        idempotency_key="first-dose",
    )
    clock.now += timedelta(minutes=5)
    _log(
        store,
        kb,
        clock,
        owner,
        pid,
        slot_date=date(2026, 11, 9),
        slot_index=0,
        status="taken",
        taken_at="2026-11-10T08:09",
        idempotency_key="second-dose",
        confirmed=True,
    )
    view = today.today_view(store=store, kb=kb, clock=clock, actor=owner, public_id=pid)
    assert view.advice is not None
    assert view.advice.overdose is not None
    assert view.advice.overdose.level == level
