"""The plan port on a real database: a Plan goes in, the same Plan comes out, decoded once per version."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from dosewise.adapters.db import SqlStore
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase
from dosewise.services import accounts, planning
from dosewise.services.ports import PlanVersion

NOW = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)


class _Hasher:
    """Not a password hasher: these tests never check passwords."""

    def hash(self, password: str) -> str:
        return "plain:" + password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "plain:" + password

    def needs_rehash(self, password_hash: str) -> bool:
        return False


def _patient(store: SqlStore) -> tuple[int, int]:
    """A registered patient: (user id, patient record id)."""
    actor = accounts.register(
        store=store,
        hasher=_Hasher(),
        clock=lambda: NOW,
        email="p@example.org",
        password="long enough password",
        display_name="Pat",
        role="patient",
        timezone="Europe/London",
    )
    with store.read() as uow:
        profile = uow.patients.by_user(actor.user_id)
        assert profile is not None
        return actor.user_id, profile.id


def _version(patient_id: int, user_id: int, plan: Plan, number: int, **fields: Any) -> PlanVersion:
    return PlanVersion(
        id=0,
        patient_id=patient_id,
        number=number,
        plan=plan,
        status=fields.pop("status", "active"),
        action="titration",
        reason="spasticity",
        created_by=user_id,
        created_by_name="Pat",
        created_at=NOW,
        effective_from=plan.start,
        **fields,
    )


def test_a_stored_plan_and_its_resume_plan_come_back_equal(store: SqlStore, kb: KnowledgeBase) -> None:
    """What the port is given (the plan, and a paused version's resume plan) is what every read returns."""
    user_id, patient_id = _patient(store)
    titration = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 10))
    held = replace(titration, steps=titration.steps[:2], kind="custom", notes=("held",))
    with store.write() as uow:
        added = uow.plans.add(
            _version(
                patient_id, user_id, held, 1, status="paused", resume_plan=titration, paused_on=NOW.date()
            )
        )
        uow.commit()
    assert added.plan == held
    assert added.resume_plan == titration
    with store.read() as uow:
        latest = uow.plans.latest(patient_id)
        by_id = uow.plans.get(added.id)
        history = uow.plans.history(patient_id)
    assert latest is not None
    assert by_id is not None
    for read in (latest, by_id, history[0]):
        assert (read.plan, read.resume_plan, read.status) == (held, titration, "paused")
        assert read.kb_version == kb.version


def test_a_version_is_decoded_once_and_then_served_from_the_codec(store: SqlStore, kb: KnowledgeBase) -> None:
    """Two reads of one version return the very same Plan object: the stored document is decoded once."""
    user_id, patient_id = _patient(store)
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 10))
    with store.write() as uow:
        version_id = uow.plans.add(_version(patient_id, user_id, plan, 1)).id
        uow.commit()
    assert store.plans.cached(version_id) is None  # the unit that added it never fills the cache
    with store.read() as uow:
        first = uow.plans.latest(patient_id)
    with store.read() as uow:
        second = uow.plans.get(version_id)
    assert first is not None
    assert second is not None
    assert first.plan is second.plan
    assert store.plans.cached(version_id) == (plan, None)


def test_a_rolled_back_version_never_shadows_the_one_stored_under_its_id(
    store: SqlStore, kb: KnowledgeBase
) -> None:
    """A version read inside a write that rolls back is not remembered; the next version stored (which
    SQLite may give the same id) reads back as itself."""
    user_id, patient_id = _patient(store)
    baclofen = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 10))
    tizanidine = planning.titrate(kb=kb, drug="tizanidine", start=date(2026, 11, 10))
    with store.write() as uow:
        discarded = uow.plans.add(_version(patient_id, user_id, baclofen, 1))
        seen = uow.plans.latest(patient_id)
        assert seen is not None
        assert seen.plan == baclofen
        # no commit: leaving the unit rolls the version back
    with store.write() as uow:
        kept = uow.plans.add(_version(patient_id, user_id, tizanidine, 1))
        uow.commit()
    with store.read() as uow:
        read = uow.plans.get(kept.id)
        gone = uow.plans.get(discarded.id) if discarded.id != kept.id else None
    assert read is not None
    assert read.plan == tizanidine
    assert gone is None


def test_a_committed_version_read_in_a_write_unit_is_decoded_once(store: SqlStore, kb: KnowledgeBase) -> None:
    """Every logged dose reads the plan in force inside a write unit: a committed version it did not add
    itself is remembered there too, so the next write (and the next page) gets the very same Plan."""
    user_id, patient_id = _patient(store)
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 10))
    with store.write() as uow:
        version_id = uow.plans.add(_version(patient_id, user_id, plan, 1)).id
        uow.commit()
    with store.write() as uow:
        first = uow.plans.latest(patient_id)
    assert store.plans.cached(version_id) == (plan, None)
    with store.write() as uow:
        second = uow.plans.latest(patient_id)
    with store.read() as uow:
        third = uow.plans.get(version_id)
    assert first is not None
    assert second is not None
    assert third is not None
    assert first.plan is second.plan is third.plan
