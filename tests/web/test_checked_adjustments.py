"""Over fakes: a pause, resume, slow-down or step back is previewed, checked and saved like any plan: what
was previewed is what is saved, and an oversized cut is stored only with a named override and its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes import FakeStore
from test_checked_plans import Clock, _people, _stored, _titrate

from dosewise.domain.errors import InvalidInput
from dosewise.services import plan_gate, plans_service
from dosewise.services.plans_service import AdjustmentRequest, PreviewChanged


def _fast_titration(kb: Any) -> tuple[FakeStore, Clock, Any, Any, str]:
    """5 mg, then 15 mg, then 20 mg three times a day (a clinician's faster escalation, overridden); on day
    five a step back would cut 45 mg a day to 15 mg a day: more than the half the taper rules allow."""
    store, clock = FakeStore(), Clock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
    owner, doctor, pid = _people(store, clock)
    _titrate(
        store,
        kb,
        clock,
        doctor,
        pid,
        start_dose="5 mg",
        increment="10 mg",
        interval_days="3",
        target_daily="60 mg",
        override_code="faster_escalation",
        override_reason="inpatient titration",
    )
    clock.now += timedelta(days=4)
    return store, clock, owner, doctor, pid


def _preview(store: FakeStore, kb: Any, clock: Clock, actor: Any, pid: str, **fields: str) -> Any:
    return plans_service.preview_adjustment(
        store=store, kb=kb, clock=clock, actor=actor, public_id=pid, request=AdjustmentRequest(**fields)
    )


def _adjust(
    store: FakeStore, kb: Any, clock: Clock, actor: Any, pid: str, fingerprint: str, **fields: str
) -> Any:
    return plans_service.adjust_plan(
        store=store,
        kb=kb,
        clock=clock,
        actor=actor,
        public_id=pid,
        request=AdjustmentRequest(**fields),
        fingerprint=fingerprint,
        previewed_only=True,
    )


def test_an_oversized_step_back_shows_in_the_preview_and_needs_the_named_override_with_a_reason(
    kb: Any,
) -> None:
    """The preview lists the cut and the override that allows it; the save is refused without it (the
    refusal names the override field), refused with the override but no reason, and stored with both."""
    store, clock, _, doctor, pid = _fast_titration(kb)
    shown = _preview(store, kb, clock, doctor, pid, adjustment="step_back")
    assert [(b.finding.code, b.override) for b in shown.blocked] == [
        ("taper.step_too_large", "rapid_withdrawal")
    ]
    assert any(f.code == "taper.step_too_large" for f in shown.plan.findings)
    with pytest.raises(plan_gate.PlanNotSafe) as refused:
        _adjust(store, kb, clock, doctor, pid, shown.fingerprint, adjustment="step_back", reason="drowsy")
    assert refused.value.field == "override_code"
    with pytest.raises(InvalidInput) as no_reason:
        _preview(store, kb, clock, doctor, pid, adjustment="step_back", override_code="rapid_withdrawal")
    assert no_reason.value.field == "override_reason"
    assert len(store.data.plans.rows) == 1
    allowed = {"override_code": "rapid_withdrawal", "override_reason": "too drowsy to stand"}
    shown = _preview(store, kb, clock, doctor, pid, adjustment="step_back", **allowed)
    assert shown.savable
    _adjust(
        store, kb, clock, doctor, pid, shown.fingerprint, adjustment="step_back", reason="drowsy", **allowed
    )
    stored = _stored(store, kb)
    assert stored.overridden("rapid_withdrawal") is not None
    assert stored.steps == shown.plan.steps


def test_an_adjustment_saves_only_what_was_previewed(kb: Any) -> None:
    """A pause previewed before another version was stored is refused (409 preview_changed); previewed
    again it is saved, with the reason typed after the preview."""
    store, clock, _, doctor, pid = _fast_titration(kb)
    stale = _preview(store, kb, clock, doctor, pid, adjustment="pause")
    slowed = _preview(store, kb, clock, doctor, pid, adjustment="slow_down")
    _adjust(store, kb, clock, doctor, pid, slowed.fingerprint, adjustment="slow_down", reason="review")
    with pytest.raises(PreviewChanged):
        _adjust(store, kb, clock, doctor, pid, stale.fingerprint, adjustment="pause", reason="dizzy")
    assert len(store.data.plans.rows) == 2
    fresh = _preview(store, kb, clock, doctor, pid, adjustment="pause")
    _adjust(store, kb, clock, doctor, pid, fresh.fingerprint, adjustment="pause", reason="dizzy")
    stored = _stored(store, kb)
    assert stored.steps == fresh.plan.steps
    assert "(dizzy)" in stored.notes[-1]


@pytest.mark.parametrize("adjustment", ["pause", "slow_down"])
def test_a_page_change_without_a_preview_is_refused(kb: Any, adjustment: str) -> None:
    """A page (and the API) saves only after a preview: no fingerprint, nothing stored."""
    store, clock, _, doctor, pid = _fast_titration(kb)
    with pytest.raises(InvalidInput, match="preview"):
        _adjust(store, kb, clock, doctor, pid, "", adjustment=adjustment, reason="review")
    assert len(store.data.plans.rows) == 1


def test_each_change_stores_exactly_its_preview(kb: Any) -> None:
    """Pause, resume, slow down: each stored timeline is the previewed one, and every version passes."""
    store, clock, _, doctor, pid = _fast_titration(kb)
    for adjustment in ("slow_down", "pause", "resume"):
        shown = _preview(store, kb, clock, doctor, pid, adjustment=adjustment)
        assert shown.savable, shown.blocked
        _adjust(store, kb, clock, doctor, pid, shown.fingerprint, adjustment=adjustment, reason="review")
        stored = _stored(store, kb)
        assert stored.steps == shown.plan.steps
        for before, after in zip(stored.steps, stored.steps[1:], strict=False):
            assert after.start == before.end
        clock.now += timedelta(days=2)


def test_only_a_clinician_names_an_override_for_a_change(kb: Any) -> None:
    """A patient's pause with an override is refused, and the refusal names the override field."""
    store, clock, owner, _, pid = _fast_titration(kb)
    with pytest.raises(InvalidInput) as refused:
        _preview(
            store,
            kb,
            clock,
            owner,
            pid,
            adjustment="pause",
            override_code="rapid_withdrawal",
            override_reason="x",
        )
    assert refused.value.field == "override_code"
