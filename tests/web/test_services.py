"""The use cases over in-memory fakes: authorisation, idempotent logging and the plan changes, without a
database or a web request."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fakes import FakeStore, PlainHasher

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step
from dosewise.services import accounts, plans_adjust, plans_service, records, sharing, today
from dosewise.services.ports import AccessDenied, Conflict

NOW = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)
TIMES = (time(8), time(14), time(20))


def _clock() -> datetime:
    return NOW


@pytest.fixture
def store() -> FakeStore:
    """An empty in-memory store."""
    return FakeStore()


def _person(store: FakeStore, name: str, role: str = "patient") -> Any:
    return accounts.register(
        store=store,
        hasher=PlainHasher(),
        clock=_clock,
        email=f"{name}@example.org",
        password="long enough password",
        display_name=name,
        role=role,
        timezone="Europe/London",
    )


def _own_record(store: FakeStore, actor: Any) -> str:
    return sharing.shared_with_me(store=store, actor=actor)[0].public_id


def test_a_stranger_is_denied_and_learns_nothing(store: FakeStore) -> None:
    """Authorisation refuses a stranger with the same error a missing record gives."""
    owner, stranger = _person(store, "owner"), _person(store, "stranger")
    pid = _own_record(store, owner)
    with store.read() as uow:
        with pytest.raises(AccessDenied) as real:
            sharing.authorise(uow, actor=stranger, public_id=pid, permission="view")
        with pytest.raises(AccessDenied) as missing:
            sharing.authorise(uow, actor=stranger, public_id="nope", permission="view")
    assert real.value.message == missing.value.message


def test_clinician_access_on_a_caregiver_account_gives_caregiver_rights_only(store: FakeStore) -> None:
    """A clinician grant to an account that is not a clinician's cannot change plans."""
    owner = _person(store, "owner")
    pid = _own_record(store, owner)
    invited = sharing.grant_access(
        store=store, clock=_clock, actor=owner, public_id=pid, email="helper@example.org", access="clinician"
    )
    helper = _person(store, "helper", role="caregiver")
    sharing.accept_invitation(store=store, clock=_clock, actor=helper, token=invited.token)
    sharing.confirm_grant(store=store, clock=_clock, actor=owner, public_id=pid, grant_id=invited.grant.id)
    with store.read() as uow:
        access = sharing.authorise(uow, actor=helper, public_id=pid, permission="view")
    assert access.relation == "caregiver"
    assert not access.may("manage_plans")


def test_nothing_is_kept_when_a_use_case_refuses(store: FakeStore) -> None:
    """A refused profile change leaves the store as it was (no partial write, no audit event)."""
    owner = _person(store, "owner")
    pid = _own_record(store, owner)
    before = store.commits
    with pytest.raises(InvalidInput):
        records.update_profile(
            store=store,
            clock=_clock,
            actor=owner,
            public_id=pid,
            changes=records.ProfileChanges(creatinine_value="1.1", timezone="Europe/London"),
        )
    assert store.commits == before


def test_logging_is_idempotent_over_fakes(store: FakeStore, kb: Any) -> None:
    """Same key: one entry; another key for the same answer: the first entry; a different answer: conflict."""
    owner = _person(store, "owner")
    pid = _own_record(store, owner)
    plans_service.start_titration(
        store=store,
        kb=kb,
        clock=_clock,
        actor=owner,
        public_id=pid,
        request=plans_service.TitrationRequest(drug="baclofen", start="2026-11-10"),
        reason="r",
        prescriber="Dr",
    )
    log = {
        "store": store,
        "kb": kb,
        "clock": _clock,
        "actor": owner,
        "public_id": pid,
        "slot_date": date(2026, 11, 10),
        "slot_index": 0,
    }
    first = today.log_dose(**log, status="taken", idempotency_key="key-one-1")
    again = today.log_dose(**log, status="taken", idempotency_key="key-one-1")
    other = today.log_dose(**log, status="taken", idempotency_key="key-two-2")
    assert (first.created, again.created, other.created) == (True, False, False)
    assert again.event.id == other.event.id == first.event.id
    with pytest.raises(Conflict):
        today.log_dose(**log, status="skipped", idempotency_key="key-three")
    assert len(store.data.doses.rows) == 1


@pytest.mark.parametrize("taken_at", ["01:30", "2026-10-25T01:30"])
def test_a_taken_time_the_clocks_repeat_is_refused_rather_than_guessed(
    store: FakeStore, kb: Any, taken_at: str
) -> None:
    """01:30 on 25 October 2026 happens twice in London: without an offset the time is refused."""
    owner = _person(store, "owner")
    pid = _own_record(store, owner)
    after_the_change = lambda: datetime(2026, 10, 25, 9, 30, tzinfo=UTC)  # noqa: E731
    plans_service.start_titration(
        store=store,
        kb=kb,
        clock=after_the_change,
        actor=owner,
        public_id=pid,
        request=plans_service.TitrationRequest(drug="baclofen", start="2026-10-24"),
        reason="r",
        prescriber="Dr",
    )
    log = {
        "store": store,
        "kb": kb,
        "clock": after_the_change,
        "actor": owner,
        "public_id": pid,
        "slot_date": date(2026, 10, 24),
        "slot_index": 2,
        "status": "taken",
    }
    with pytest.raises(InvalidInput, match="happens twice"):
        today.log_dose(**log, idempotency_key="key-dst-guess", taken_at=taken_at)
    given = today.log_dose(**log, idempotency_key="key-dst-offset", taken_at="2026-10-25T01:30+01:00")
    assert given.event.taken_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_change_and_its_audit_entry_carry_the_same_instant(store: FakeStore, kb: Any) -> None:
    """A clock that ticks on every read still gives a plan version and a grant one time each, shared
    with the audit entry that records them."""
    owner = _person(store, "owner")
    pid = _own_record(store, owner)
    ticks = iter(NOW + timedelta(seconds=n) for n in range(100))
    ticking = lambda: next(ticks)  # noqa: E731
    version = plans_service.start_titration(
        store=store,
        kb=kb,
        clock=ticking,
        actor=owner,
        public_id=pid,
        request=plans_service.TitrationRequest(drug="baclofen", start="2026-11-10"),
        reason="r",
        prescriber="Dr",
    )
    grant = sharing.grant_access(
        store=store, clock=ticking, actor=owner, public_id=pid, email="carer@example.org", access="caregiver"
    ).grant
    audit = {e.action: e.at for e in store.data.audit.rows.values()}
    assert (audit["plan.titration"], audit["access.invite"]) == (version.created_at, grant.granted_at)


@pytest.mark.parametrize(("window_hours", "listed"), [(48, 5), (24, 2)])
def test_unrecorded_doses_are_listed_as_far_back_as_the_missed_dose_rule_looks(
    store: FakeStore, kb: Any, window_hours: int, listed: int
) -> None:
    """Earlier unrecorded doses follow the drug's missed-dose window (48 h: five slots; 24 h: two)."""
    rules = kb.drug("baclofen")
    assert rules.missed_dose is not None
    rule = replace(rules.missed_dose, recent_window_hours=window_hours)
    kb = replace(kb, drugs={**kb.drugs, "baclofen": replace(rules, missed_dose=rule)})
    owner = _person(store, "owner")
    pid = _own_record(store, owner)
    plans_service.start_titration(
        store=store,
        kb=kb,
        clock=_clock,
        actor=owner,
        public_id=pid,
        request=plans_service.TitrationRequest(drug="baclofen", start="2026-11-08"),
        reason="r",
        prescriber="Dr",
    )
    view = today.today_view(store=store, kb=kb, clock=_clock, actor=owner, public_id=pid)
    assert len(view.earlier) == listed
    assert all(NOW - slot.administration.at <= timedelta(hours=window_hours) for slot in view.earlier)


def _titration(start: date = date(2026, 11, 1)) -> Plan:
    steps = []
    day = start
    for dose in (5, 10, 15, 20):
        steps.append(Step(day, 3, mg(dose), TIMES))
        day += timedelta(days=3)
    return Plan("baclofen", "oral", tuple(steps), "test", "Europe/London", "titration", "continue")


def _daily_on(plan: Plan, day: date) -> int:
    step = plan.step_on(day)
    return int(step.daily.amount) if step else 0


@pytest.mark.parametrize("offset", range(12))
def test_no_change_rewrites_the_days_before_it(offset: int) -> None:
    """Pause, slow down and step back keep every day before the change exactly as planned."""
    plan = _titration()
    day = plan.start + timedelta(days=offset)
    changes = (
        [plans_adjust.pause(plan, day, "r"), plans_adjust.step_back(plan, day, "r")]
        if offset >= 3
        else [plans_adjust.pause(plan, day, "r")]
    )
    if offset < 9:
        changes.append(plans_adjust.slow_down(plan, day, "r"))
    for changed in changes:
        for past in range(offset):
            earlier = plan.start + timedelta(days=past)
            assert _daily_on(changed, earlier) == _daily_on(plan, earlier)


@pytest.mark.parametrize("offset", range(12))
def test_a_pause_never_stops_or_raises_the_dose(offset: int) -> None:
    """From the pause on, the daily dose is the day's dose, for as long as the pause lasts."""
    plan = _titration()
    day = plan.start + timedelta(days=offset)
    paused = plans_adjust.pause(plan, day, "r")
    for later in range(30):
        assert _daily_on(paused, day + timedelta(days=later)) == _daily_on(plan, day)


def test_resume_shifts_the_remaining_steps_by_the_pause() -> None:
    """Resuming after four days gives every remaining step four days later."""
    plan = _titration()
    paused_on = date(2026, 11, 5)
    held = plans_adjust.pause(plan, paused_on, "r")
    resumed = plans_adjust.resume(held, plan, paused_on, paused_on + timedelta(days=4), "r")
    for offset in range(5, 20):
        assert _daily_on(resumed, date(2026, 11, 1) + timedelta(days=offset + 4)) == _daily_on(
            plan, date(2026, 11, 1) + timedelta(days=offset)
        )


def test_stepping_back_never_goes_above_the_current_dose() -> None:
    """After a step back, the next days are at the previous dose, below today's."""
    plan = _titration()
    day = date(2026, 11, 8)  # the 15 mg step
    back = plans_adjust.step_back(plan, day, "r")
    assert _daily_on(back, day) == 30
    assert max(_daily_on(back, day + timedelta(days=d)) for d in range(3)) < _daily_on(plan, day)


def test_step_back_on_the_first_step_is_refused() -> None:
    """There is no previous dose to go back to on the first step."""
    with pytest.raises(InvalidInput):
        plans_adjust.step_back(_titration(), date(2026, 11, 2), "r")
