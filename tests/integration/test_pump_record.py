"""The pump in the record over the real store (SQLite, and PostgreSQL with DOSEWISE_TEST_DATABASE_URL):
append-only entries, the refill and alarm dates from the engine's planner, corrections, programme changes
part-way through the interval, and the pump's red flags in the diary's triage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from test_database import _Hasher

from dosewise.adapters.db import SqlStore
from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import ml
from dosewise.services import accounts, diary, pump

NOW = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)


def _patient(store: SqlStore) -> tuple[Any, str]:
    actor = accounts.register(
        store=store,
        hasher=_Hasher(),
        clock=lambda: NOW,
        email="pump@example.org",
        password="long enough password",
        display_name="Pam",
        role="patient",
        timezone="Europe/London",
    )
    with store.read() as uow:
        return actor, uow.patients.by_user(actor.user_id).public_id


def _pump_patient(store: SqlStore, kb: Any, refill_on: str = "2026-11-01") -> tuple[Any, str]:
    """40 mL reservoir, 2 mL alarm; refilled with 40 mL of 2000 mcg/mL at 500 mcg a day."""
    actor, public_id = _patient(store)
    common = {"store": store, "kb": kb, "clock": lambda: NOW, "actor": actor, "public_id": public_id}
    pump.record_pump_device(**common, reservoir_ml="40", alarm_ml="2")
    pump.record_refill(**common, on=refill_on, fill_ml="40", concentration_mcg_ml="2000", daily_mcg="500")
    return actor, public_id


def _outlook(store: SqlStore, kb: Any, actor: Any, public_id: str) -> pump.PumpOutlook:
    view = pump.pump_view(store=store, kb=kb, clock=lambda: NOW, actor=actor, public_id=public_id)
    assert view.outlook is not None, view.problem
    return view.outlook


def test_the_refill_and_alarm_dates_are_the_planners(store: SqlStore, kb: Any) -> None:
    """40 mL at 0.25 mL a day from 1 November: alarm after 152 days, refill due 7 days before it."""
    actor, public_id = _pump_patient(store, kb)
    outlook = _outlook(store, kb, actor, public_id)
    assert outlook.alarm_on == date(2026, 11, 1) + timedelta(days=152)
    assert outlook.refill_due == outlook.alarm_on - timedelta(days=kb.pump.refill_buffer_days)
    assert outlook.residual_today == ml("37.75")  # nine days at 0.25 mL a day
    assert outlook.standing == "ok"


def test_a_programme_change_counts_from_the_residual_volume(store: SqlStore, kb: Any) -> None:
    """Doubling the dose on day 9 leaves 37.75 mL; 35.75 mL above the alarm at 0.5 mL a day is 71.5 days."""
    actor, public_id = _pump_patient(store, kb)
    before = _outlook(store, kb, actor, public_id)
    pump.record_programme_change(
        store=store,
        kb=kb,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        on="2026-11-10",
        daily_mcg="1000",
    )
    after = _outlook(store, kb, actor, public_id)
    assert after.alarm_on == date(2026, 11, 10) + timedelta(days=71)
    assert after.alarm_on < before.alarm_on
    assert after.plan.days_to_alarm == 9 + (37.75 - 2) / 0.5


def test_a_correction_supersedes_and_keeps_the_history(store: SqlStore, kb: Any) -> None:
    """Marking the programme change entered-in-error restores the dates; both entries stay in the history."""
    actor, public_id = _pump_patient(store, kb)
    common = {"store": store, "clock": lambda: NOW, "actor": actor, "public_id": public_id}
    base = _outlook(store, kb, actor, public_id)
    change = pump.record_programme_change(**common, kb=kb, on="2026-11-10", daily_mcg="1000")
    pump.correct_pump_entry(**common, entry_id=change.id, reason="typed into the wrong record")
    assert _outlook(store, kb, actor, public_id).alarm_on == base.alarm_on
    with store.read() as uow:
        kinds = [(e.kind, e.status) for e in uow.pump.entries(uow.patients.by_public_id(public_id).id)]
    assert kinds[-2:] == [("programme", "recorded"), ("programme", "entered_in_error")]
    with pytest.raises(Exception, match="already corrected"):
        pump.correct_pump_entry(**common, entry_id=change.id, reason="again")


def test_a_dose_in_mg_or_a_fill_above_the_reservoir_is_refused_and_nothing_stored(
    store: SqlStore, kb: Any
) -> None:
    """A thousandfold slip (mg) and a fill that cannot fit are refused before anything is written."""
    actor, public_id = _pump_patient(store, kb)
    common = {"store": store, "kb": kb, "clock": lambda: NOW, "actor": actor, "public_id": public_id}
    with pytest.raises(InvalidInput, match="mcg"):
        pump.record_programme_change(**common, on="2026-11-10", daily_mcg="0.5 mg")
    with pytest.raises(InvalidInput, match="does not fit"):
        pump.record_refill(**common, on="2026-11-09", fill_ml="45")
    with store.read() as uow:
        assert len(uow.pump.entries(uow.patients.by_public_id(public_id).id)) == 2


def test_a_refill_overdue_is_flagged_and_the_alarm_day_too(store: SqlStore, kb: Any) -> None:
    """A refill long ago: past the alarm date the standing is 'alarm_due', needing attention."""
    actor, public_id = _pump_patient(store, kb, refill_on="2026-06-01")
    outlook = _outlook(store, kb, actor, public_id)
    assert outlook.standing == "alarm_due"
    assert outlook.needs_attention


def test_itching_and_returning_spasms_are_an_emergency_for_a_pump_patient(store: SqlStore, kb: Any) -> None:
    """The pump on the record puts the pump context into triage: intrathecal withdrawal is an emergency."""
    actor, public_id = _pump_patient(store, kb)
    entry = diary.record_symptoms(
        store=store,
        kb=kb,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        symptoms=[],
        text="itching and my spasms are back",
    )
    assert entry.triage_level == "emergency"
    assert "pump-withdrawal" in entry.triage["rules"]
    assert {"flag": "pump", "why": "intrathecal pump on the record"} in entry.triage["context"]


def test_the_same_words_without_a_pump_are_not_the_pump_emergency(store: SqlStore, kb: Any) -> None:
    """Without a pump on the record, the pump-withdrawal rule does not fire."""
    actor, public_id = _patient(store)
    entry = diary.record_symptoms(
        store=store,
        kb=kb,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        symptoms=[],
        text="itching and my spasms are back",
    )
    assert "pump-withdrawal" not in entry.triage["rules"]
