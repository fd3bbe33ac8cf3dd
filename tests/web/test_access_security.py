"""Issue 9 #1-#4, #7: invitations, fair throttling, passwords and what each reader may see.

Runs on SQLite, and on PostgreSQL with DOSEWISE_TEST_DATABASE_URL.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import PASSWORD, give_access, invite, start_titration, token_of

from dosewise.services.password_policy import password_problem


def _grant(owner: Any, grant_id: int) -> dict[str, Any]:
    grants = owner.api("GET", f"/api/v1/patients/{owner.patient_id}/grants").json()["grants"]
    return next(g for g in grants if g["id"] == grant_id)


def test_a_stranger_who_registers_the_invited_address_as_a_clinician_gets_nothing(
    patient: Any, register: Any
) -> None:
    """The grant-claim attack: registering the invited e-mail (as a clinician) opens nothing."""
    grant = invite(patient, "dr.stranger@example.org", "clinician")
    stranger = register("Dr Stranger", "clinician")
    pid = patient.patient_id
    for path in (
        f"/api/v1/patients/{pid}/today",
        f"/api/v1/patients/{pid}/plan",
        f"/api/v1/patients/{pid}/audit",
    ):
        assert stranger.api("GET", path).status_code == 404
    assert start_titration(stranger, pid).status_code == 404
    assert _grant(patient, grant["id"])["status"] == "invited"


def test_access_starts_only_after_the_patient_confirms_the_account_that_accepted(
    patient: Any, register: Any
) -> None:
    """Accepted but unconfirmed is 404; the patient sees the account's name and role; confirmed is 200."""
    doctor = register("Dr Real", "clinician")
    grant = invite(patient, "someone.else@example.org", "clinician")  # the link can be handed to anyone
    assert doctor.api("POST", f"/api/v1/invitations/{token_of(grant)}/accept").status_code == 200
    pid = patient.patient_id
    assert doctor.api("GET", f"/api/v1/patients/{pid}/today").status_code == 404
    seen = _grant(patient, grant["id"])
    assert seen["status"] == "accepted"
    assert seen["accepted_by"] == {"name": "Dr Real", "role": "clinician"}
    assert doctor.api("GET", "/api/v1/me").json()["awaiting_confirmation"] == [patient.name]
    patient.api("POST", f"/api/v1/patients/{pid}/grants/{grant['id']}/confirm")
    assert doctor.api("GET", f"/api/v1/patients/{pid}/today").status_code == 200
    assert start_titration(doctor, pid).status_code == 201


def test_an_invitation_link_works_once(patient: Any, register: Any) -> None:
    """A second account opening a used link is told it is not valid (404) and gets nothing."""
    grant = invite(patient, "carer@example.org", "caregiver")
    first, second = register("First Carer", "caregiver"), register("Second Carer", "caregiver")
    assert first.api("POST", f"/api/v1/invitations/{token_of(grant)}/accept").status_code == 200
    assert second.api("POST", f"/api/v1/invitations/{token_of(grant)}/accept").status_code == 404
    assert _grant(patient, grant["id"])["accepted_by"]["name"] == "First Carer"


@pytest.mark.parametrize("stage", ["invited", "accepted", "active"])
def test_revocation_works_at_every_stage(patient: Any, register: Any, stage: str) -> None:
    """Withdrawn, declined or removed: the link stops working and the grantee sees a 404."""
    carer = register("Cara Carer", "caregiver")
    grant = invite(patient, carer.email, "caregiver")
    pid = patient.patient_id
    if stage in ("accepted", "active"):
        carer.api("POST", f"/api/v1/invitations/{token_of(grant)}/accept")
    if stage == "active":
        patient.api("POST", f"/api/v1/patients/{pid}/grants/{grant['id']}/confirm")
    assert patient.api("DELETE", f"/api/v1/patients/{pid}/grants/{grant['id']}").status_code == 204
    assert carer.api("POST", f"/api/v1/invitations/{token_of(grant)}/accept").status_code == 404
    assert patient.api("POST", f"/api/v1/patients/{pid}/grants/{grant['id']}/confirm").status_code == 422
    assert carer.api("GET", f"/api/v1/patients/{pid}/today").status_code == 404


@pytest.mark.parametrize("stage", ["invited", "accepted"])
def test_an_invitation_expires_at_every_stage_before_confirmation(
    patient: Any, register: Any, clock: Any, stage: str
) -> None:
    """Eight days on, neither the link nor the confirmation works."""
    carer = register("Exp Carer", "caregiver")
    grant = invite(patient, carer.email, "caregiver")
    if stage == "accepted":
        carer.api("POST", f"/api/v1/invitations/{token_of(grant)}/accept")
    clock.advance(patient, carer, days=8)
    pid = patient.patient_id
    assert carer.api("POST", f"/api/v1/invitations/{token_of(grant)}/accept").status_code == 404
    assert patient.api("POST", f"/api/v1/patients/{pid}/grants/{grant['id']}/confirm").status_code == 422
    assert _grant(patient, grant["id"])["status"] == "expired"
    assert carer.api("GET", f"/api/v1/patients/{pid}/today").status_code == 404


def test_inviting_answers_the_same_for_existing_and_unknown_addresses(patient: Any, register: Any) -> None:
    """Same status and the same fields for a registered caregiver, a registered clinician and nobody."""
    register("Known Carer", "caregiver")
    answers = [
        invite(patient, email, "clinician")
        for email in ("known.carer@example.org", "nobody.here@example.org")
    ]
    shapes = [{k: v for k, v in a.items() if k not in ("id", "email", "invitation_url")} for a in answers]
    assert shapes[0] == shapes[1]
    assert answers[0]["accepted_by"] is None


def test_a_caregiver_reads_the_care_history_but_not_who_else_has_access(patient: Any, register: Any) -> None:
    """The audit trail hides invitations, confirmations, revocations and e-mails from a caregiver."""
    carer, doctor = register("Ca Reader", "caregiver"), register("Dr Other", "clinician")
    give_access(patient, carer, "caregiver")
    give_access(patient, doctor, "clinician")
    pid = patient.patient_id
    grants = patient.api("GET", f"/api/v1/patients/{pid}/grants").json()["grants"]
    patient.api("DELETE", f"/api/v1/patients/{pid}/grants/{grants[-1]['id']}")
    start_titration(patient)
    seen = carer.api("GET", f"/api/v1/patients/{pid}/audit").text
    assert "plan.titration" in seen
    for secret in ("access.", doctor.email, carer.email, patient.email, "Dr Other"):
        assert secret not in seen
    own = patient.api("GET", f"/api/v1/patients/{pid}/audit").text
    assert "access.revoke" in own
    assert doctor.email in own


def _sign_in(app: Any, email: str, password: str, client: str = "10.0.0.1") -> Any:
    with TestClient(app, base_url="http://testserver", client=(client, 5000)) as browser:
        return browser.post("/api/v1/session", json={"email": email, "password": password})


def test_wrong_guesses_slow_the_guessing_client_only(app: Any, patient: Any) -> None:
    """After five failures the attacker waits; the owner on another client and neighbours sign in."""
    for _ in range(5):
        assert _sign_in(app, patient.email, "wrong guess here", "10.6.6.6").status_code == 401
    throttled = _sign_in(app, patient.email, PASSWORD, "10.6.6.6")
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert _sign_in(app, patient.email, PASSWORD, "192.168.1.20").status_code == 200


def test_a_bystander_behind_the_attackers_address_is_not_blocked(
    app: Any, patient: Any, register: Any
) -> None:
    """Forty failures on many accounts from one address leave another account there untouched."""
    neighbour = register("Nina Neighbour")
    for n in range(40):
        _sign_in(app, f"victim{n}@example.org", "wrong guess here", "10.9.9.9")
    assert _sign_in(app, neighbour.email, PASSWORD, "10.9.9.9").status_code == 200


def test_the_delay_grows_with_each_failure_and_then_lets_one_attempt_through(
    app: Any, patient: Any, clock: Any
) -> None:
    """1 s, then 2 s, then 4 s: each wait admits exactly one more guess."""
    for _ in range(5):
        _sign_in(app, patient.email, "wrong guess here")
    waits = []
    for _ in range(3):
        refused = _sign_in(app, patient.email, "wrong guess here")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(seconds=waits[-1])
        assert _sign_in(app, patient.email, "wrong guess here").status_code == 401
    assert waits == [1, 2, 4]


def test_parallel_wrong_guesses_evaluate_at_most_the_allowance(patient: Any, web_context: Any) -> None:
    """Twelve simultaneous guesses straight at the service (no executor to queue them): the attempt is
    recorded under the key's lock before verifying, so at most five passwords are verified."""
    from dosewise.services import accounts
    from dosewise.services.ports import AuthenticationFailed, LoginThrottled

    hasher = web_context.hasher
    verified: list[int] = []

    class Counting:
        def hash(self, password: str) -> str:
            return str(hasher.hash(password))

        def verify(self, password_hash: str, password: str) -> bool:
            verified.append(1)
            return bool(hasher.verify(password_hash, password))

        def needs_rehash(self, password_hash: str) -> bool:
            return False

    outcomes: list[str] = []
    start = threading.Barrier(12)

    def guess() -> None:
        start.wait()
        try:
            accounts.authenticate(
                store=web_context.store,
                hasher=Counting(),
                clock=web_context.clock,
                email=patient.email,
                password="parallel wrong guess",
                client="10.3.3.3",
            )
        except AuthenticationFailed:
            outcomes.append("failed")
        except LoginThrottled:
            outcomes.append("throttled")

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(verified) <= 5
    assert sorted(outcomes) == ["failed"] * 5 + ["throttled"] * 7


def test_registration_is_throttled_per_client_before_any_hashing(app: Any, web_context: Any) -> None:
    """Past the hourly allowance a client's sign-ups are refused with 429, without hashing."""
    allowance = web_context.settings.registrations_per_hour
    codes = []
    with TestClient(app, base_url="http://testserver", client=("10.7.7.7", 1)) as browser:
        for n in range(allowance + 2):
            browser.cookies.clear()  # each sign-up as a fresh visitor
            body = {
                "email": f"bulk{n}@example.org",
                "password": PASSWORD,
                "display_name": "B",
                "role": "caregiver",
            }
            codes.append(browser.post("/api/v1/accounts", json=body).status_code)
    assert codes[:allowance] == [201] * allowance
    assert codes[allowance:] == [429, 429]


def test_a_duplicate_address_is_refused_before_hashing(app: Any, patient: Any, web_context: Any) -> None:
    """Registering a taken address never runs argon2 (no CPU for the attacker to burn)."""
    calls: list[str] = []
    inner = web_context.hasher
    original = inner.hash
    inner.hash = lambda password: calls.append(password) or original(password)
    with TestClient(app, base_url="http://testserver") as browser:
        answer = browser.post(
            "/api/v1/accounts",
            json={"email": patient.email, "password": PASSWORD, "display_name": "X", "role": "clinician"},
        )
    inner.hash = original
    assert answer.status_code == 409
    assert calls == []


@pytest.mark.parametrize(
    "weak",
    [
        "          ",
        "password12",
        "dosewise-demo",
        "P@ssw0rd2024!",
        "1234567890",
        "qwertyuiop",
        "aaaaaaaaaaaa",
    ],
)
def test_weak_passwords_are_refused_with_the_reason(app: Any, weak: str) -> None:
    """Ten spaces, a common word with digits, the demo password, runs and repeats: 422 saying why."""
    with TestClient(app, base_url="http://testserver") as browser:
        answer = browser.post(
            "/api/v1/accounts",
            json={"email": "weak@example.org", "password": weak, "display_name": "W", "role": "patient"},
        )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == password_problem(weak, email="weak@example.org", name="W")


def test_changing_the_password_needs_the_old_one_and_ends_the_other_sessions(app: Any, patient: Any) -> None:
    """Wrong old password: 401. Right: 204, this session stays, another device is signed out."""
    other = TestClient(app, base_url="http://testserver")
    other.post("/api/v1/session", json={"email": patient.email, "password": PASSWORD})
    assert other.get("/api/v1/me").status_code == 200
    body = {"current_password": "not my password", "new_password": "tulip river candle"}
    assert patient.api("POST", "/api/v1/account/password", json=body).status_code == 401
    body["current_password"] = PASSWORD
    assert patient.api("POST", "/api/v1/account/password", json=body).status_code == 204
    assert patient.api("GET", "/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    assert _sign_in(app, patient.email, "tulip river candle").status_code == 200


def test_sign_out_everywhere_ends_every_session(app: Any, patient: Any) -> None:
    """Both devices are signed out."""
    other = TestClient(app, base_url="http://testserver")
    other.post("/api/v1/session", json={"email": patient.email, "password": PASSWORD})
    assert patient.api("DELETE", "/api/v1/sessions").status_code == 204
    assert other.get("/api/v1/me").status_code == 401
    assert patient.api("GET", "/api/v1/me").status_code == 401


def test_an_administrator_reset_link_works_once_and_ends_sessions(
    app: Any, patient: Any, web_context: Any
) -> None:
    """The link sets a new password once; a second use and the old password fail."""
    from dosewise.services.passwords import issue_reset_link

    link = issue_reset_link(
        store=web_context.store, clock=web_context.clock, email=patient.email, base_url="http://testserver"
    )
    assert link is not None
    token = link.rsplit("/", 1)[1]
    with TestClient(app, base_url="http://testserver") as browser:
        weak = browser.post(f"/api/v1/password-resets/{token}", json={"new_password": "password12"})
        assert weak.status_code == 422
        assert (
            browser.post(
                f"/api/v1/password-resets/{token}", json={"new_password": "amber kettle song"}
            ).status_code
            == 204
        )
        assert (
            browser.post(
                f"/api/v1/password-resets/{token}", json={"new_password": "other fine words"}
            ).status_code
            == 404
        )
    assert patient.api("GET", "/api/v1/me").status_code == 401
    assert _sign_in(app, patient.email, PASSWORD).status_code == 401
    assert _sign_in(app, patient.email, "amber kettle song", "10.1.1.1").status_code == 200


def test_asking_for_a_reset_answers_the_same_for_any_address(app: Any, patient: Any) -> None:
    """A known and an unknown address get the same 202 and the same words."""
    with TestClient(app, base_url="http://testserver") as browser:
        known = browser.post("/api/v1/password-resets", json={"email": patient.email})
        unknown = browser.post("/api/v1/password-resets", json={"email": "nobody@example.org"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


def test_the_demo_caregiver_and_clinician_open_the_record_through_confirmed_invitations(
    app: Any, web_context: Any
) -> None:
    """`dosewise demo` goes through invite, accept and confirm, so both helpers see the record."""
    from dosewise.services.demo_seed import DEMO_PASSWORD, seed_demo

    logins = seed_demo(
        store=web_context.store, kb=web_context.kb, hasher=web_context.hasher, clock=web_context.clock
    )
    for email in (logins.caregiver, logins.clinician):
        with TestClient(app, base_url="http://testserver") as browser:
            session = browser.post("/api/v1/session", json={"email": email, "password": DEMO_PASSWORD})
            assert [p["patient_id"] for p in session.json()["patients"]] == [logins.patient_id]


def test_reset_requests_are_limited_per_client_whatever_the_address(app: Any) -> None:
    """Five requests an hour from one client, then 429: nobody's inbox can be flooded from one place."""
    with TestClient(app, base_url="http://testserver", client=("10.4.4.4", 1)) as browser:
        codes = [
            browser.post("/api/v1/password-resets", json={"email": f"n{n}@example.org"}).status_code
            for n in range(6)
        ]
    assert codes == [202] * 5 + [429]


def test_a_forged_forwarded_for_header_does_not_give_a_guesser_a_fresh_allowance(
    app: Any, patient: Any
) -> None:
    """The app never reads X-Forwarded-For: rotating it after five failures still meets the delay."""
    with TestClient(app, base_url="http://testserver", client=("10.5.5.5", 1)) as browser:
        for n in range(5):
            browser.post(
                "/api/v1/session",
                json={"email": patient.email, "password": "wrong guess here"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
        rotated = browser.post(
            "/api/v1/session",
            json={"email": patient.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.77"},
        )
    assert rotated.status_code == 429
