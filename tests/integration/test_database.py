"""The database layer on SQLite and PostgreSQL: migrations, exact types, append-only history, units of work
and concurrent writers."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Engine, inspect, text

from dosewise.adapters.db import SqlStore, migrate
from dosewise.adapters.db.models import APPEND_ONLY_TABLES, metadata
from dosewise.domain.quantity import mg
from dosewise.services import accounts, diary, plans_service, pump, records, today, today_stock, trials
from dosewise.services.ports import CdsCardRecord, CdsFeedback, DoseEvent, SessionRecord

NOW = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)


class _Hasher:
    """Not a password hasher: the database tests never check passwords."""

    def hash(self, password: str) -> str:
        return "plain:" + password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "plain:" + password

    def needs_rehash(self, password_hash: str) -> bool:
        return False


def _patient(store: SqlStore, email: str = "p@example.org") -> tuple[Any, str]:
    actor = accounts.register(
        store=store,
        hasher=_Hasher(),
        clock=lambda: NOW,
        email=email,
        password="long enough password",
        display_name="Pat",
        role="patient",
        timezone="Europe/London",
    )
    with store.read() as uow:
        profile = uow.patients.by_user(actor.user_id)
    return actor, profile.public_id


def _on_titration(store: SqlStore, kb: Any) -> tuple[Any, str]:
    """A patient in London on the label titration from 10 November."""
    actor, public_id = _patient(store)
    records.update_profile(
        store=store,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        changes=records.ProfileChanges(timezone="Europe/London"),
    )
    plans_service.start_titration(
        store=store,
        kb=kb,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        request=plans_service.TitrationRequest(drug="baclofen", start="2026-11-10"),
        reason="r",
        prescriber="Dr",
    )
    return actor, public_id


def test_migrations_create_every_table_and_run_twice_harmlessly(engine: Engine) -> None:
    """After migrating (twice), the database has exactly the tables the records declare."""
    migrate(engine)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(metadata.tables)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine) -> None:
    """The default SQLite file uses write-ahead logging and enforces foreign keys."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.fixture
def full_record(store: SqlStore, kb: Any) -> SqlStore:
    """A record with a row in every history table: plan, dose, stock count, symptom, check-in, audit, a
    treatment trial, an EHR's feedback on a CDS card, and a pump entry."""
    actor, public_id = _on_titration(store, kb)
    today.log_dose(
        store=store,
        kb=kb,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        slot_date=date(2026, 11, 10),
        slot_index=0,
        status="taken",
        idempotency_key="full-record",
    )
    today_stock.record_stock(
        store=store,
        kb=kb,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        drug="baclofen",
        product_id="baclofen-tab-5mg",
        amount="20",
    )
    diary.record_symptoms(
        store=store, kb=kb, clock=lambda: NOW, actor=actor, public_id=public_id, symptoms=["dizziness"]
    )
    diary.record_checkin(
        store=store,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        spasticity=5,
        spasm_frequency=2,
        sleep_quality=6,
        drowsiness=3,
    )
    trials.record_trial(
        store=store,
        kb=kb,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        request=trials.TrialRequest(
            kind="spasticity", points="2", review_on="2026-12-20", if_no_benefit="taper off with my clinician"
        ),
    )
    card = CdsCardRecord(
        "0f6e3c1a-6f7e-4d43-9a36-3c0a8e1f2b11",
        "dosewise-order-sign",
        "hook-1",
        "interaction",
        "warning",
        kb.version,
        "https://ehr.example.org/",
        NOW,
    )
    with store.write() as uow:
        uow.cds.add_cards([card])
        uow.commit()
    with store.write() as uow:
        uow.cds.add_feedback(
            [
                CdsFeedback(
                    card.uuid,
                    card.service_id,
                    "overridden",
                    (),
                    "http://example.org/reasons",
                    "aware",
                    None,
                    NOW,
                    NOW,
                    card.issuer,
                )
            ]
        )
        uow.commit()
    pump.record_pump_device(
        store=store, kb=kb, clock=lambda: NOW, actor=actor, public_id=public_id, reservoir_ml="40"
    )
    return store


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_history_tables_refuse_updates_and_deletes(engine: Engine, full_record: SqlStore, table: str) -> None:
    """Every history table, holding rows, refuses UPDATE and DELETE in the database itself."""
    with engine.connect() as connection:
        before = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608 - fixed names
    assert before
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):  # noqa: S608
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == before  # noqa: S608


def test_a_trigger_really_fires_on_a_stored_dose(engine: Engine, store: SqlStore) -> None:
    """With a dose stored, changing its status is refused and the row is unchanged."""
    actor, _ = _patient(store)
    with store.write() as uow:
        profile = uow.patients.by_user(actor.user_id)
        uow.doses.add(
            DoseEvent(
                0,
                profile.id,
                None,
                date(2026, 11, 10),
                0,
                NOW,
                mg(5),
                "taken",
                NOW,
                actor.user_id,
                "Pat",
                NOW,
                "key-123456",
            )
        )
        uow.commit()
    with pytest.raises(sqlalchemy.exc.DBAPIError), engine.begin() as connection:
        connection.execute(text("UPDATE dose_events SET status = 'skipped'"))
    with store.read() as uow:
        assert uow.doses.by_key(profile.id, "key-123456").status == "taken"


def test_exact_values_and_zone_aware_times_survive_the_round_trip(store: SqlStore) -> None:
    """Weight 72.5 kg, creatinine 106.1 umol/L and a 2.5 mg dose come back exact, times in UTC."""
    actor, public_id = _patient(store)
    records.update_profile(
        store=store,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        changes=records.ProfileChanges(
            weight_kg="72.5",
            creatinine_value="106.1",
            creatinine_unit="umol/L",
            creatinine_date="2026-11-01",
            timezone="Europe/London",
        ),
    )
    with store.write() as uow:
        profile = uow.patients.by_public_id(public_id)
        uow.doses.add(
            DoseEvent(
                0,
                profile.id,
                None,
                date(2026, 11, 10),
                0,
                datetime(2026, 11, 10, 8, tzinfo=UTC),
                mg("2.5"),
                "taken",
                NOW,
                actor.user_id,
                "Pat",
                NOW,
                "key-exact-1",
            )
        )
        uow.commit()
    with store.read() as uow:
        profile = uow.patients.by_public_id(public_id)
        event = uow.doses.by_key(profile.id, "key-exact-1")
    assert profile.weight_kg == Fraction("72.5")
    assert profile.creatinine_value == Fraction("106.1")
    assert event.dose == mg("2.5")
    assert event.taken_at == NOW
    assert event.taken_at.tzinfo is not None


def test_an_idempotency_key_is_unique_per_patient_in_the_database(store: SqlStore) -> None:
    """The database refuses a second dose entry with the same key for the same patient."""
    actor, _ = _patient(store)
    with store.write() as uow:
        profile = uow.patients.by_user(actor.user_id)
        event = DoseEvent(
            0,
            profile.id,
            None,
            date(2026, 11, 10),
            0,
            NOW,
            mg(5),
            "taken",
            NOW,
            actor.user_id,
            "Pat",
            NOW,
            "key-twice-1",
        )
        uow.doses.add(event)
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            uow.doses.add(event)


def test_nothing_is_stored_without_commit(store: SqlStore) -> None:
    """Leaving a unit of work without commit rolls it back."""
    with store.write() as uow:
        uow.users.add(
            email="ghost@example.org", display_name="Ghost", role="patient", password_hash="x", at=NOW
        )
    with store.read() as uow:
        assert uow.users.by_email("ghost@example.org") is None


def test_sessions_expire_and_are_cleaned_up(store: SqlStore) -> None:
    """Expired sessions are deleted when a new one opens."""
    actor, _ = _patient(store)
    with store.write() as uow:
        uow.sessions.add(
            SessionRecord("old-hash", actor.user_id, "csrf", NOW - timedelta(days=2), NOW - timedelta(days=1))
        )
        uow.commit()
    accounts.open_session(store=store, clock=lambda: NOW, actor=actor)
    with store.read() as uow:
        assert uow.sessions.get("old-hash") is None


def test_concurrent_writers_record_one_dose_for_one_slot(store: SqlStore, kb: Any) -> None:
    """Eight threads logging the same dose with different keys store exactly one entry."""
    actor, public_id = _on_titration(store, kb)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def log(index: int) -> None:
        try:
            barrier.wait()
            today.log_dose(
                store=store,
                kb=kb,
                clock=lambda: NOW,
                actor=actor,
                public_id=public_id,
                slot_date=date(2026, 11, 10),
                slot_index=0,
                status="taken",
                idempotency_key=f"thread-key-{index}",
            )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=log, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.read() as uow:
        profile = uow.patients.by_public_id(public_id)
        assert len(uow.doses.between(profile.id, date(2026, 11, 10), date(2026, 11, 10))) == 1


def test_plan_versions_are_numbered_per_patient(store: SqlStore, kb: Any) -> None:
    """Two patients each get version 1; a second plan for one patient is version 2."""
    first, first_id = _patient(store, "one@example.org")
    second, second_id = _patient(store, "two@example.org")
    request = plans_service.TitrationRequest(drug="baclofen", start="2026-11-10")
    for actor, public_id in ((first, first_id), (second, second_id), (first, first_id)):
        version = plans_service.start_titration(
            store=store,
            kb=kb,
            clock=lambda: NOW,
            actor=actor,
            public_id=public_id,
            request=request,
            reason="r",
            prescriber="Dr",
        )
    assert version.number == 2


def _one_row(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT min(id) FROM {table}")).scalar_one())  # noqa: S608


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_an_upsert_cannot_rewrite_a_history_row(engine: Engine, full_record: SqlStore, table: str) -> None:
    """INSERT ... ON CONFLICT DO UPDATE on an existing id is refused on both databases (the UPDATE trigger)."""
    row = _one_row(engine, table)
    with engine.connect() as connection:
        before = connection.execute(text(f"SELECT * FROM {table} WHERE id = {row}")).one()  # noqa: S608
    columns = ", ".join(before._fields)
    statement = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} WHERE id = {row} "  # noqa: S608
        "ON CONFLICT (id) DO UPDATE SET id = excluded.id"
    )
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT * FROM {table} WHERE id = {row}")).one() == before  # noqa: S608


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_insert_or_replace_cannot_rewrite_a_history_row_on_sqlite(
    engine: Engine, full_record: SqlStore, table: str
) -> None:
    """SQLite's REPLACE of an existing id is refused, from the app's engine and from a bare connection."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    import sqlite3

    row = _one_row(engine, table)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA recursive_triggers").scalar() == 1
        before = connection.execute(text(f"SELECT * FROM {table} WHERE id = {row}")).one()  # noqa: S608
    columns = ", ".join(before._fields)
    statement = f"INSERT OR REPLACE INTO {table} ({columns}) SELECT {columns} FROM {table} WHERE id = {row}"  # noqa: S608
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    bare = sqlite3.connect(engine.url.database or "")  # no pragmas at all: the BEFORE INSERT trigger holds
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            bare.execute(statement)
    finally:
        bare.close()
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT * FROM {table} WHERE id = {row}")).one() == before  # noqa: S608


def test_replace_on_a_unique_key_cannot_delete_a_dose_on_sqlite(
    engine: Engine, full_record: SqlStore
) -> None:
    """A REPLACE that collides on the idempotency key (a new id) would delete the old dose: refused."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as connection:
        before = connection.execute(text("SELECT * FROM dose_events")).all()
    columns = ", ".join(c for c in before[0]._fields if c != "id")
    statement = f"INSERT OR REPLACE INTO dose_events ({columns}) SELECT {columns} FROM dose_events"  # noqa: S608
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT * FROM dose_events")).all() == before


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_truncate_and_replica_mode_cannot_bypass_the_triggers_on_postgresql(
    engine: Engine, full_record: SqlStore, table: str
) -> None:
    """Even the table owner's TRUNCATE is refused, and replica mode does not switch the triggers off."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as connection:
        before = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {table} CASCADE"))
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):  # noqa: S608
        replica = text(f"SET LOCAL session_replication_role = replica; {statement}")
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(replica)
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == before  # noqa: S608


@pytest.fixture
def app_role(engine: Engine, database_url: str) -> Any:
    """A LOGIN role holding only the documented grants, and an engine connected as it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    import secrets

    from dosewise.adapters.db import make_engine
    from dosewise.adapters.db.roles import app_role_grants

    role = "dw_app_" + secrets.token_hex(4)
    with engine.begin() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        for statement in app_role_grants(role, schema):
            connection.execute(text(statement))
    url = sqlalchemy.engine.make_url(database_url).set(username=role)
    limited = make_engine(url.render_as_string(hide_password=False))
    yield limited
    limited.dispose()
    with engine.begin() as connection:
        connection.execute(text(f"DROP OWNED BY {role}"))
        connection.execute(text(f"DROP ROLE {role}"))


def test_the_app_works_as_the_least_privilege_role_which_cannot_rewrite_history(
    app_role: Engine, kb: Any
) -> None:
    """As the documented role the app migrates (a no-op), registers, plans, logs and keeps a diary; the same
    role is refused UPDATE, DELETE, TRUNCATE, disabling a trigger and replica mode on every history table."""
    migrate(app_role)
    store = SqlStore(app_role, kb)
    actor, public_id = _on_titration(store, kb)
    today.log_dose(
        store=store,
        kb=kb,
        clock=lambda: NOW,
        actor=actor,
        public_id=public_id,
        slot_date=date(2026, 11, 10),
        slot_index=0,
        status="taken",
        idempotency_key="least-privilege",
    )
    diary.record_symptoms(
        store=store, kb=kb, clock=lambda: NOW, actor=actor, public_id=public_id, symptoms=["dizziness"]
    )
    refused = 0
    for table in APPEND_ONLY_TABLES:
        for statement in (
            f"UPDATE {table} SET id = id",  # noqa: S608
            f"DELETE FROM {table}",  # noqa: S608
            f"TRUNCATE {table}",
            f"ALTER TABLE {table} DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",
        ):
            denied = pytest.raises(sqlalchemy.exc.DBAPIError, match="permission denied|must be owner")
            with denied, app_role.begin() as connection:
                connection.execute(text(statement))
            refused += 1
    assert refused == 5 * len(APPEND_ONLY_TABLES)
    with store.read() as uow:
        profile = uow.patients.by_user(actor.user_id)
        assert uow.doses.by_key(profile.id, "least-privilege") is not None


def test_old_sign_in_attempts_are_forgotten_in_bounded_batches(store: SqlStore) -> None:
    """Throttle rows older than every window are dropped as sessions open (at most a batch each time);
    attempts inside the window stay and still count."""
    with store.write() as uow:
        for minute in range(250):
            uow.throttle.record_failure("old@example.org|1.2.3.4", NOW - timedelta(hours=3, minutes=minute))
        for minute in range(5):
            uow.throttle.record_failure("new@example.org|1.2.3.4", NOW - timedelta(minutes=minute))
        uow.commit()
    actor, _ = _patient(store)
    for expected_old in (150, 50, 0, 0):
        accounts.open_session(store=store, clock=lambda: NOW, actor=actor)
        with store.read() as uow:
            old = uow.throttle.failures_since("old@example.org|1.2.3.4", NOW - timedelta(days=1))
            recent = uow.throttle.failures_since("new@example.org|1.2.3.4", NOW - accounts.THROTTLE_WINDOW)
        assert len(old) == expected_old
        assert len(recent) == 5
