"""The CDS Hooks services over HTTP: 200 with cards, 412 for missing prefetch, a clear 400 for every
malformed request (never a 500), 404 for a service that does not exist, and feedback stored and counted."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cds_client import Ehr
from cds_fixtures import BACLOFEN, OXYCODONE, dosage, hook_request, medication_request, patient
from cds_invariants import FEEDBACK, RESPONSE, violations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosewise.bootstrap.web import WebContext
from dosewise.services.cds_records import feedback_summary

SIGN = "/cds-services/dosewise-order-sign"
SELECT = "/cds-services/dosewise-order-select"


def stop_order() -> dict[str, Any]:
    return hook_request(
        "order-sign",
        [medication_request("d1", BACLOFEN, None, prior="MedicationRequest/a1", do_not_perform=True)],
        listed=[medication_request("a1", BACLOFEN, [dosage(20, 3)], status="active")],
        the_patient=patient(gender="male", birth="1980-01-01"),
    )


def test_an_order_sign_call_answers_with_cards_that_pass_the_invariants(ehr: Ehr) -> None:
    """A spec-shaped request gets 200 and cards; the response passes the spec's FHIRPath invariants."""
    response = ehr.post(SIGN, stop_order())
    assert response.status_code == 200, response.text
    body = response.json()
    assert {c["source"]["topic"]["code"] for c in body["cards"]} >= {"stop.abrupt"}
    assert violations(body, RESPONSE) == []
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("key", ["patient", "medications"])
def test_missing_required_prefetch_is_412_naming_it(ehr: Ehr, key: str) -> None:
    """Without the patient or the medication list nothing can be judged: 412, with the template to send."""
    response = ehr.post(
        SIGN, hook_request("order-sign", [medication_request("d1", BACLOFEN, [dosage(5, 3)])], omit=(key,))
    )
    assert response.status_code == 412
    error = response.json()["error"]
    assert error["code"] == "prefetch_missing"
    assert key in error["details"]["missing"]
    assert key in error["details"]["prefetch"]
    assert "fhirServer" in error["message"]


def test_kidney_prefetch_missing_is_412_but_an_empty_result_is_answered(ehr: Ehr) -> None:
    """No eGFR key and no creatinine+weight keys: 412. Keys sent with nothing on file: 200 (unknown said)."""
    order = [medication_request("d1", BACLOFEN, [dosage(5, 3)])]
    missing = ehr.post(SIGN, hook_request("order-sign", order, omit=("creatinine", "weight", "egfr")))
    assert missing.status_code == 412
    assert set(missing.json()["error"]["details"]["missing"]) == {"creatinine", "weight", "egfr"}
    only_creatinine = ehr.post(SIGN, hook_request("order-sign", order, omit=("weight", "egfr")))
    assert only_creatinine.status_code == 412
    empty = ehr.post(
        SIGN, hook_request("order-sign", order, labs={"creatinine": [], "weight": [], "egfr": []})
    )
    assert empty.status_code == 200
    assert "renal.unknown" in {c["source"]["topic"]["code"] for c in empty.json()["cards"]}


def _malformed() -> list[tuple[str, Any]]:
    base = hook_request("order-select", [medication_request("d1", BACLOFEN, [dosage(5, 3)])])

    def changed(path: list[Any], value: Any) -> dict[str, Any]:
        body = copy.deepcopy(base)
        target = body
        for part in path[:-1]:
            target = target[part]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return body

    order = ["context", "draftOrders", "entry", 0, "resource"]
    return [
        ("not JSON", b"{not json"),
        ("not UTF-8", b"\xff\xfe"),
        ("NaN", '{"hook": NaN}'),
        ("an array", b"[]"),
        ("another hook", changed(["hook"], "patient-view")),
        ("no hookInstance", changed(["hookInstance"], KeyError)),
        ("no context", changed(["context"], KeyError)),
        ("no patientId", changed(["context", "patientId"], KeyError)),
        ("no userId", changed(["context", "userId"], KeyError)),
        ("draftOrders not a Bundle", changed(["context", "draftOrders"], {"resourceType": "Patient"})),
        ("selections missing", changed(["context", "selections"], KeyError)),
        ("selection not in the drafts", changed(["context", "selections"], ["MedicationRequest/nope"])),
        ("entry not a list", changed(["context", "draftOrders", "entry"], {"resource": {}})),
        (
            "dose as text",
            changed([*order, "dosageInstruction", 0, "doseAndRate", 0, "doseQuantity", "value"], "5"),
        ),
        (
            "doseAndRate as an object",
            changed([*order, "dosageInstruction", 0, "doseAndRate"], {"doseQuantity": {}}),
        ),
        (
            "negative dose",
            changed([*order, "dosageInstruction", 0, "doseAndRate", 0, "doseQuantity", "value"], -5),
        ),
        ("frequency zero", changed([*order, "dosageInstruction", 0, "timing", "repeat", "frequency"], 0)),
        ("sequence as text", changed([*order, "dosageInstruction", 0, "sequence"], "1")),
        ("no medication", changed([*order, "medicationCodeableConcept"], KeyError)),
        ("another patient's order", changed([*order, "subject", "reference"], "Patient/other")),
        ("authoredOn not a date", changed([*order, "authoredOn"], "yesterday")),
        ("prefetch patient not the one in context", changed(["prefetch", "patient", "id"], "someone-else")),
        ("birth date in the future", changed(["prefetch", "patient", "birthDate"], "2030-01-01")),
        ("prefetch not an object", changed(["prefetch"], [])),
        (
            "medications entry without resourceType",
            changed(
                ["prefetch", "medications"],
                {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {}}]},
            ),
        ),
        (
            "fhirAuthorization without fhirServer",
            changed(["fhirServer"], KeyError) | {"fhirAuthorization": {"access_token": "x"}},
        ),
        (
            "lab value as text",
            changed(
                ["prefetch", "creatinine"],
                {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "entry": [
                        {
                            "resource": {
                                "resourceType": "Observation",
                                "status": "final",
                                "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
                                "valueQuantity": {"value": "1.2", "code": "mg/dL"},
                            }
                        }
                    ],
                },
            ),
        ),
    ]


@pytest.mark.parametrize(("case", "body"), _malformed(), ids=[c for c, _ in _malformed()])
def test_a_malformed_request_is_a_clear_400(ehr: Ehr, case: str, body: Any) -> None:
    """Each way of breaking the spec's shape is refused with 400 and a message naming what is wrong."""
    response = ehr.post(SELECT, body)
    assert response.status_code == 400, f"{case}: {response.status_code} {response.text[:300]}"
    error = response.json()["error"]
    assert error["code"] == "malformed_request"
    assert error["message"]


def test_an_unknown_service_is_404_in_json(ehr: Ehr) -> None:
    """There is no such service: 404 in the error shape (JSON, not a page)."""
    response = ehr.post("/cds-services/nothing-here", stop_order())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


BASE = stop_order()
PATHS = [p for p in _paths(BASE) if p]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=_JSON)
def test_no_mutation_of_a_valid_request_gets_a_500(ehr: Ehr, path: tuple[Any, ...], value: Any) -> None:
    """Any one element of a valid request replaced by any JSON value: 200, 400 or 412, never 500."""
    body = copy.deepcopy(BASE)
    target: Any = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    response = ehr.post(SIGN, body)
    assert response.status_code in (200, 400, 412), f"{path}={value!r}: {response.text[:300]}"
    if response.status_code == 200:
        assert violations(response.json(), RESPONSE) == []


def _feedback(card: str, **entry: Any) -> dict[str, Any]:
    return {"feedback": [{"card": card, "outcomeTimestamp": "2026-11-10T09:31:00Z", **entry}]}


def test_feedback_is_stored_and_counted_by_finding_and_reason(ehr: Ehr, cds_context: WebContext) -> None:
    """Accepted suggestions and overrides (with their coded reason) are stored and counted per finding."""
    before = {
        (c.code, c.outcome, c.override_code): c.count for c in feedback_summary(store=cds_context.store)
    }
    cards = ehr.post(SIGN, stop_order()).json()["cards"]
    stop = next(c for c in cards if c["source"]["topic"]["code"] == "stop.abrupt")
    other = next(c for c in cards if c is not stop)
    accepted = _feedback(
        stop["uuid"], outcome="accepted", acceptedSuggestions=[{"id": stop["suggestions"][0]["uuid"]}]
    )
    reason = other["overrideReasons"][0]
    overridden = _feedback(
        other["uuid"],
        outcome="overridden",
        overrideReason={
            "reason": {"system": reason["system"], "code": reason["code"]},
            "userComment": "seen",
        },
    )
    for body in (accepted, overridden, overridden):
        assert violations(body, FEEDBACK) == []
        response = ehr.post(f"{SIGN}/feedback", body)
        assert response.status_code == 200, response.text
        assert response.json() == {"stored": 1}
    after = {(c.code, c.outcome, c.override_code): c.count for c in feedback_summary(store=cds_context.store)}
    added = {key: count - before.get(key, 0) for key, count in after.items() if count != before.get(key, 0)}
    assert added == {
        ("stop.abrupt", "accepted", ""): 1,
        (other["source"]["topic"]["code"], "overridden", reason["code"]): 2,
    }


@pytest.mark.parametrize(
    ("case", "entry"),
    [
        ("unknown card", {"card": "00000000-0000-0000-0000-000000000000", "outcome": "overridden"}),
        ("accepted without suggestions", {"outcome": "accepted"}),
        (
            "a suggestion the card did not offer",
            {"outcome": "accepted", "acceptedSuggestions": [{"id": "nope"}]},
        ),
        ("outcome ignored", {"outcome": "ignored"}),
        ("empty override reason", {"outcome": "overridden", "overrideReason": {}}),
        ("local time", {"outcome": "overridden", "outcomeTimestamp": "2026-11-10T09:31:00+01:00"}),
        ("no timestamp", {"outcome": "overridden", "outcomeTimestamp": None}),
    ],
)
def test_feedback_that_breaks_the_spec_is_400_and_nothing_is_stored(
    ehr: Ehr, cds_context: WebContext, case: str, entry: dict[str, Any]
) -> None:
    """cds-fb-1..3, UTC timestamps, and only cards (and suggestions) this service gave this client."""
    before = feedback_summary(store=cds_context.store)
    card = ehr.post(SIGN, stop_order()).json()["cards"][0]
    fields = dict(entry)
    body = _feedback(fields.pop("card", card["uuid"]), **fields)
    body["feedback"][0] = {k: v for k, v in body["feedback"][0].items() if v is not None}
    response = ehr.post(f"{SIGN}/feedback", body)
    assert response.status_code == 400, case
    assert feedback_summary(store=cds_context.store) == before


def test_feedback_for_a_card_of_the_other_service_is_refused(ehr: Ehr) -> None:
    """A card answered by order-sign cannot be fed back through order-select."""
    card = ehr.post(SIGN, stop_order()).json()["cards"][0]
    response = ehr.post(f"{SELECT}/feedback", _feedback(card["uuid"], outcome="overridden"))
    assert response.status_code == 400


def test_an_order_select_call_checks_only_the_selected_order(ehr: Ehr) -> None:
    """Two drafts: only the selected oxycodone is checked; the other draft (baclofen) is its context."""
    body = hook_request(
        "order-select",
        [
            medication_request("d1", BACLOFEN, [dosage(5, 3)]),
            medication_request("d2", OXYCODONE, [dosage(5, 4)]),
        ],
        selections=["MedicationRequest/d2"],
    )
    cards = ehr.post(SELECT, body).json()["cards"]
    found = {c["source"]["topic"]["code"] for c in cards}
    assert "interaction.baclofen-opioid" in found
    assert "titration.high_start" not in found
    assert "age.older_adult" not in found  # baclofen itself not judged
    assert (
        json.dumps(cards).count("Oxycodone + baclofen") + json.dumps(cards).count("Baclofen + oxycodone") >= 1
    )


def test_the_admin_command_prints_the_feedback_counts(
    ehr: Ehr, cds_context: WebContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dosewise admin cds-feedback --json` reads the same store and prints the counts per finding."""
    from dosewise.cli.main import main

    card = ehr.post(SIGN, stop_order()).json()["cards"][0]
    assert ehr.post(f"{SIGN}/feedback", _feedback(card["uuid"], outcome="overridden")).status_code == 200
    settings = cds_context.settings
    monkeypatch.setenv("DOSEWISE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOSEWISE_DATABASE_URL", settings.database_url)
    capsys.readouterr()
    assert main(["admin", "cds-feedback", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["feedback"]
    mine = [
        r for r in rows if r["finding"] == card["source"]["topic"]["code"] and r["outcome"] == "overridden"
    ]
    assert mine
    assert mine[0]["service"] == "dosewise-order-sign"
    assert mine[0]["count"] >= 1
