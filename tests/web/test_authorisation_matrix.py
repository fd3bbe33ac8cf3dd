"""The authorisation matrix: every route the app's router has, for every kind of visitor, on their own record
and on another patient's, after revocation and after sign-out.

Routes are read from the app, so a new route is in the matrix the day it is added: for strangers,
anonymous, revoked and signed-out visitors it needs nothing (they are always refused); for the granted roles
the test fails until the route's permission is named in ``_PERMISSION`` and, for the API, a valid body in
``_BODIES`` (an invalid body would be refused before authorisation and prove nothing).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import PASSWORD, Person, app_routes, give_access, set_profile, start_titration

from dosewise.services.sharing import PERMISSIONS

# What each patient route needs (services.sharing's permission names); matched on the path after the record.
_PERMISSION: tuple[tuple[str, str, str], ...] = (
    ("GET", r"/(sharing|grants)$", "manage_access"),
    # The calendar address shares the schedule with whoever holds it: the patient's own decision.
    ("GET", r"/(calendar|calendar-feed)$", "manage_access"),
    ("POST", r"/(calendar|calendar/revoke|calendar-feed)$", "manage_access"),
    ("DELETE", r"/calendar-feed$", "manage_access"),
    # The delivery log shows what every care-team member was told: the patient's own.
    ("GET", r"/deliveries$", "manage_access"),
    ("GET", r".*", "view"),
    ("POST", r"/(sharing|grants)(/\{grant_id\}/(revoke|link|confirm))?$", "manage_access"),
    ("DELETE", r"/grants/\{grant_id\}$", "manage_access"),
    ("POST", r"/(profile|medications)$", "edit_record"),
    ("PUT", r"/profile$", "edit_record"),
    ("PATCH", r"/profile$", "edit_record"),
    ("POST", r"/medications/\{medication_id\}/(remove|replace)$", "edit_record"),
    ("PUT", r"/medications/\{medication_id\}$", "edit_record"),
    ("DELETE", r"/medications/\{medication_id\}$", "edit_record"),
    ("POST", r"/plan(/.*)?$", "manage_plans"),
    ("POST", r"/trial$", "manage_plans"),
    # The pump's device, refills and programme are clinical settings: the patient and their clinician.
    ("POST", r"/pump/(device|refills|programme|entries/\{entry_id\}/(error|corrections))$", "manage_plans"),
    ("POST", r"/(doses|stock|symptoms|checkins|diary/symptoms|diary/checkins)(/.*)?$", "log"),
    # Reminders: each person's own ways of being told, and their devices; the patient chooses for others.
    ("POST", r"/(reminders|push-subscriptions)$", "view"),
    ("PUT", r"/reminders$", "view"),
    ("POST", r"/reminders/team$", "manage_access"),
    ("PUT", r"/reminders/care-team$", "manage_access"),
)

_BODIES: dict[str, dict[str, Any]] = {
    "PUT /profile": {
        "timezone": "Europe/London",
        "weight_kg": "70",
        "sex": "female",
        "date_of_birth": "1970-03-01",
    },
    "PATCH /profile": {"timezone": "Europe/London"},
    "POST /medications": {"name": "Valium"},
    "POST /doses": {
        "slot_date": "2026-11-10",
        "slot_index": 0,
        "status": "taken",
        "idempotency_key": "matrix-dose",
    },
    "POST /doses/{event_id}/corrections": {"reason": "typo", "idempotency_key": "matrix-fix"},
    "POST /stock": {"product_id": "baclofen-tab-5mg", "amount": "30"},
    "POST /plan": {
        "drug": "baclofen",
        "start": "2026-11-10",
        "reason": "spasticity",
        "prescriber": "Dr Who",
        "fingerprint": "not-the-preview",
    },
    "POST /plan/preview": {"drug": "baclofen", "start": "2026-11-10"},
    "POST /plan/adjustments/preview": {"adjustment": "pause"},
    "POST /plan/adjustments": {"adjustment": "pause", "reason": "dizzy", "fingerprint": "not-the-preview"},
    "POST /plan/taper/preview": {},
    "POST /plan/taper": {"reason": "stopping", "fingerprint": "not-the-preview"},
    "POST /symptoms": {"text": "dizzy"},
    "POST /checkins": {"spasticity": 3, "spasm_frequency": 1, "sleep_quality": 5, "drowsiness": 2},
    "POST /symptoms/{entry_id}/corrections": {"reason": "typo"},
    "POST /checkins/{entry_id}/corrections": {"reason": "typo"},
    "POST /grants": {"email": "someone.else@example.org", "access": "caregiver"},
    "POST /grants/{grant_id}/link": {},
    "POST /grants/{grant_id}/confirm": {},
    "PUT /medications/{medication_id}": {"name": "Diazepam"},
    "POST /calendar-feed": {},
    "POST /trial": {"kind": "spasticity", "points": "2", "review_on": "2027-01-10"},
    "POST /push-subscriptions": {
        "endpoint": "https://push.example.org/matrix",
        "keys": {"p256dh": "B" + "x" * 86, "auth": "matrix-auth-secret"},
    },
    "PUT /reminders": {"quiet_from": "22:00", "quiet_to": "07:00"},
    # Not a member of the care team: refused with 422 after authorisation (a 404 would hide the record).
    "PUT /reminders/care-team": {"user_id": 2147483647, "kinds": ["triage"]},
    "POST /pump/device": {"reservoir_ml": "40"},
    "POST /pump/refills": {
        "on": "2026-11-01",
        "fill_ml": "20",
        "concentration_mcg_ml": "2000",
        "daily_mcg": "500",
    },
    "POST /pump/programme": {"on": "2026-11-10", "daily_mcg": "400"},
    "POST /pump/entries/{entry_id}/corrections": {"reason": "typo"},
}
_FORM = {
    "name": "x",
    "text": "dizzy",
    "reason": "x",
    "adjustment": "pause",
    "email": "someone.else@example.org",
    "access": "caregiver",
    "slot_date": "2026-11-10",
    "slot_index": "0",
    "action": "taken",
    "idempotency_key": "matrix-form-key",
    "spasticity": "1",
    "spasm_frequency": "1",
    "sleep_quality": "1",
    "drowsiness": "1",
    "product_id": "baclofen-tab-5mg",
    "amount": "3",
    "timezone": "Europe/London",
    "prescriber": "Dr Who",
    "start": "2026-11-10",
    "drug": "baclofen",
    "reservoir_ml": "40",
    "fill_ml": "20",
    "daily_mcg": "400",
    "on": "2026-11-10",
}
# Routes outside any record: who may use them (anyone, or signed-in people only).
_OPEN = {
    "GET /",
    "GET /register",
    "POST /register",
    "GET /login",
    "POST /login",
    "GET /healthz",
    "GET /api/docs",
    "GET /favicon.ico",
    "POST /api/v1/accounts",
    "POST /api/v1/session",
    # Password reset and invitation links: the one-time token in the address is the credential.
    "GET /forgot",
    "POST /forgot",
    "GET /reset/{token}",
    "POST /reset/{token}",
    "POST /api/v1/password-resets",
    "POST /api/v1/password-resets/{token}",
    "GET /invitations/{token}",
    "GET /api/v1/invitations/{token}",
    # The guides are public (issue 13); their personal version is under the record, in the matrix.
    "GET /guides",
    "GET /guides/compare",
    "GET /guides/{gid}",
    # Sign-up by e-mail: the signed link is the credential; the account does not exist yet.
    "POST /api/v1/signups",
    "POST /api/v1/signups/{token}",
    "GET /register/finish/{token}",
    "POST /register/finish/{token}",
    # The calendar feed: the secret in the address is the credential (calendar programs cannot sign in).
    "GET /calendar/{token}.ics",
    # The installable app: its manifest and service worker carry no record.
    "GET /manifest.webmanifest",
    "GET /sw.js",
    # A notification's Taken / Snooze button: the token the notification carried is the credential.
    "POST /api/v1/push/actions",
}
_LAST = re.compile(r"(remove|revoke|/logout$|/sessions?$|sign-out-everywhere$)")
_ROLES = ("patient", "caregiver", "clinician", "stranger", "revoked", "signed_out", "anonymous")
_RELATION = {"patient": "self", "caregiver": "caregiver", "clinician": "clinician"}
_MADE_UP = "0123456789abcdef"


def _suffix(path: str) -> str:
    return re.sub(r"^/(p/\{pid\}|api/v1/patients/\{patient_id\})", "", path)


def _permission(method: str, path: str) -> str:
    for verb, pattern, permission in _PERMISSION:
        if verb == method and re.match(pattern, _suffix(path)):
            return permission
    raise AssertionError(f"{method} {path} is a new route: name the permission it needs in _PERMISSION")


def _record(person: Person, ids: dict[str, int]) -> None:
    """A full record: profile, medicines, plan, a dose, stock, symptoms, a check-in; its row ids kept.

    The routes that take something away (remove a medicine, revoke a grant) get one target each, page and
    API, so neither finds its target already gone."""
    pid = person.patient_id
    set_profile(person)
    for where in ("page", "api"):
        listed = person.api("POST", f"/api/v1/patients/{pid}/medications", json={"name": f"Valium {where}"})
        ids[f"medication_id_{where}"] = max(m["id"] for m in listed.json()["medications"])
        email = f"throwaway.{where}@example.org"
        person.api("POST", f"/api/v1/patients/{pid}/grants", json={"email": email, "access": "caregiver"})
        ids[f"grant_id_{where}"] = _grant_id(person, email)
    assert start_titration(person).status_code == 201
    dose = person.api(
        "POST",
        f"/api/v1/patients/{pid}/doses",
        json={"slot_date": "2026-11-10", "slot_index": 0, "status": "taken", "idempotency_key": "setup-dose"},
    )
    ids["event_id"] = dose.json()["event"]["id"] if "event" in dose.json() else dose.json()["id"]
    person.api(
        "POST", f"/api/v1/patients/{pid}/stock", json={"product_id": "baclofen-tab-5mg", "amount": "40"}
    )
    ids["symptom_id"] = person.api("POST", f"/api/v1/patients/{pid}/symptoms", json={"text": "dizzy"}).json()[
        "id"
    ]
    ids["checkin_id"] = person.api(
        "POST",
        f"/api/v1/patients/{pid}/checkins",
        json={"spasticity": 4, "spasm_frequency": 1, "sleep_quality": 6, "drowsiness": 2},
    ).json()["id"]
    pump = f"/api/v1/patients/{pid}/pump"
    person.api("POST", f"{pump}/device", json={"reservoir_ml": "40"})
    for where in ("page", "api"):
        ids[f"pump_entry_id_{where}"] = person.api(
            "POST",
            f"{pump}/refills",
            json={"on": "2026-11-01", "fill_ml": "20", "concentration_mcg_ml": "2000"} | {"daily_mcg": "500"},
        ).json()["id"]


def _grant_id(owner: Person, email: str) -> int:
    grants = owner.api("GET", f"/api/v1/patients/{owner.patient_id}/grants").json()["grants"]
    return next(g["id"] for g in grants if g["email"] == email)


@pytest.fixture
def make_world(register: Any) -> Any:
    """Build a world: two patients with full records; a caregiver and a clinician of A; a stranger; a
    caregiver whose access A revoked. Each role gets its own, so one role's removals never reach another."""
    made = Counter[str]()

    def build() -> dict[str, Any]:
        made["n"] += 1
        n = made["n"]
        a, b = register(f"Alma Patient{n}"), register(f"Bert Patient{n}")
        carer, doctor = register(f"Cara Carer{n}", "caregiver"), register(f"Dora Doctor{n}", "clinician")
        stranger, former = (
            register(f"Stan Stranger{n}", "clinician"),
            register(f"Fred Former{n}", "caregiver"),
        )
        ids: dict[str, dict[str, int]] = {"A": {}, "B": {}}
        _record(a, ids["A"])
        _record(b, ids["B"])
        for person, access in ((carer, "caregiver"), (doctor, "clinician"), (former, "caregiver")):
            give_access(a, person, access)
        revoked = a.api("DELETE", f"/api/v1/patients/{a.patient_id}/grants/{_grant_id(a, former.email)}")
        assert revoked.status_code == 204
        return {
            "A": a,
            "B": b,
            "ids": ids,
            "caregiver": carer,
            "clinician": doctor,
            "stranger": stranger,
            "revoked": former,
        }

    return build


def _url(path: str, pid: str, ids: dict[str, int]) -> str:
    url = path.replace("{pid}", pid).replace("{patient_id}", pid)
    where = "api" if url.startswith("/api/") else "page"
    url = url.replace("{medication_id}", str(ids[f"medication_id_{where}"]))
    url = url.replace("{grant_id}", str(ids[f"grant_id_{where}"]))
    url = url.replace("{event_id}", str(ids["event_id"]))
    url = url.replace("{gid}", "baclofen")  # a guide id (the personal guide pages)
    url = url.replace("symptoms/{entry_id}", f"symptoms/{ids['symptom_id']}")
    url = url.replace("checkins/{entry_id}", f"checkins/{ids['checkin_id']}")
    url = url.replace("pump/entries/{entry_id}", f"pump/entries/{ids[f'pump_entry_id_{where}']}")
    assert "{" not in url, f"a new path parameter needs a value here: {url}"
    return url


def _send(client: TestClient, csrf: str | None, method: str, path: str, url: str) -> Any:
    client.cookies.delete("dosewise_flash")  # a message left by the previous cell is not this cell's answer
    if url.startswith("/api/"):
        key = f"{method} {_suffix(path)}"
        headers = {"X-CSRF-Token": csrf} if csrf else {}
        body = _BODIES.get(key) if method in ("POST", "PUT", "PATCH") else None
        if method in ("POST", "PUT", "PATCH") and body is None and "{" + "patient_id}" in path:
            raise AssertionError(f"{key} is a new API route: give a valid body in _BODIES")
        return client.request(method, url, json=body, headers=headers, follow_redirects=False)
    if method == "GET":
        return client.get(url, follow_redirects=False)
    data = {**_FORM, **({"csrf_token": csrf} if csrf else {})}
    return client.request(method, url, data=data, follow_redirects=False)


def _refused_as_anonymous(response: Any, url: str) -> bool:
    # The CDS Hooks services answer EHRs in JSON: a caller without the client's JWT gets a 401.
    if url.startswith(("/api/", "/cds-services")):
        return response.status_code in (401, 403)
    if response.status_code == 303:
        return response.headers["location"].startswith("/login")
    return response.status_code == 403


def _ordered(routes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Routes that take something away (a grant, a medicine, the session) run last."""
    return sorted(routes, key=lambda r: r[0] == "DELETE" or bool(_LAST.search(r[1])))


def _visitor(app: Any, world: dict[str, Any], role: str) -> tuple[TestClient, str | None]:
    if role == "patient":
        return world["A"].client, world["A"].csrf
    if role == "anonymous":
        return TestClient(app), None
    if role == "signed_out":
        # Alma signs in a second time, then that session signs out: its cookie and token are dead.
        client = TestClient(app)
        answer = client.post("/api/v1/session", json={"email": world["A"].email, "password": PASSWORD})
        csrf = answer.json()["csrf_token"]
        cookie = answer.cookies.get("dosewise_session")
        assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
        client.cookies.set("dosewise_session", cookie)
        return client, csrf
    return world[role].client, world[role].csrf


def _check_cell(
    app: Any, world: dict[str, Any], role: str, visitor: Any, method: str, path: str, record: str
) -> None:
    client, csrf = visitor
    owner = world[record]
    url = _url(path, owner.patient_id, world["ids"][record])
    response = _send(client, csrf, method, path, url)
    cell = f"{role} {method} {url}: {response.status_code} {response.text[:120]}"
    assert response.status_code < 500, cell
    related = role in _RELATION and record == "A"
    if role in ("signed_out", "anonymous"):
        assert _refused_as_anonymous(response, url), cell
    elif related and _permission(method, path) in PERMISSIONS[_RELATION[role]]:  # type: ignore[index]
        assert response.status_code not in (401, 403, 404), cell
        if not url.startswith("/api/"):
            assert response.status_code in (200, 303), cell
    else:
        assert response.status_code == 404, cell
        if role in ("stranger", "revoked") or record == "B":
            made_up = _send(client, csrf, method, path, _url(path, _MADE_UP, world["ids"][record]))
            assert made_up.status_code == 404, cell
            assert response.text.replace(owner.patient_id, _MADE_UP) == made_up.text, cell
            assert owner.name not in response.text, cell


@pytest.mark.parametrize("role", _ROLES)
def test_every_route_answers_each_role_as_its_access_allows(app: Any, make_world: Any, role: str) -> None:
    """Granted roles get what their permission allows and a 404 for the rest; strangers and revoked
    grantees get a 404 identical to a made-up record; signed-out and anonymous visitors are sent to sign in;
    on the patient's own record and on another's, for every route the app has."""
    world = make_world()
    visitor = _visitor(app, world, role)
    cells = 0
    for method, path in _ordered(app_routes(app)):
        if "{pid}" in path or "{patient_id}" in path:
            for record in ("A", "B"):
                _check_cell(app, world, role, visitor, method, path, record)
                cells += 1
        elif f"{method} {path}" not in _OPEN and role in ("signed_out", "anonymous"):
            response = _send(*visitor, method, path, path)
            assert _refused_as_anonymous(response, path), f"{role} {method} {path}: {response.status_code}"
            cells += 1
    print(f"authorisation matrix, {role}: {cells} cells")
    assert cells > 2 * 50
