"""Refusals on the stock, dose and plan forms are tied to the field they are about: the field is marked
invalid and described by the message, the one summary at the top links to it, and on a page with several
forms of the same fields only the form that was sent is marked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from web_support import give_access, set_profile, start_titration


@pytest.fixture
def on_plan(patient: Any) -> Any:
    """A patient on the label titration from today (10 Nov), 5 mg at 08:00, 14:00 and 20:00."""
    set_profile(patient)
    assert start_titration(patient).status_code == 201
    return patient


def _sent(person: Any, page: str, action: str, form: dict[str, str]) -> str:
    """The page the refused form goes back to, as the browser shows it."""
    response = person.form(
        f"{page}/{action}" if action else page, form, headers={"referer": f"http://testserver{page}"}
    )
    assert response.status_code == 200
    return str(response.text)


def _marked(html: str) -> list[tuple[str, str]]:
    """(id, described-by) of every input, select or fieldset marked invalid."""
    found = []
    for tag in re.findall(r"<(?:input|select|fieldset)\b[^>]*aria-invalid=\"true\"[^>]*>", html):
        ident = re.search(r'id="([^"]+)"', tag)
        described = re.search(r'aria-describedby="([^"]+)"', tag)
        found.append((ident.group(1) if ident else "", described.group(1) if described else ""))
    return found


def _assert_tied(html: str, field_id: str, error_id: str) -> None:
    assert _marked(html) == [(field_id, error_id)]
    assert re.search(rf'<p id="{error_id}" class="field-error">', html)
    assert f'href="#{field_id}"' in html
    assert html.count('role="alert"') == 1


@pytest.mark.parametrize("amount", ["abc", "2.3", "20000"])
def test_a_refused_stock_count_is_tied_to_the_amount_field(on_plan: Any, amount: str) -> None:
    """Not a number, a third of a tablet, an implausible count: each is marked on "How many now"."""
    page = f"/p/{on_plan.patient_id}/today"
    html = _sent(
        on_plan, page, "../stock", {"product_id": "baclofen-tab-5mg", "amount": amount, "drug": "baclofen"}
    )
    _assert_tied(html, "stock-amount", "err-amount")


def test_an_unknown_product_is_tied_to_the_product_field(on_plan: Any) -> None:
    """A product the medicine does not have is marked on the product choice."""
    page = f"/p/{on_plan.patient_id}/today"
    html = _sent(on_plan, page, "../stock", {"product_id": "aspirin-100", "amount": "3", "drug": "baclofen"})
    _assert_tied(html, "stock-product", "err-product_id")


@pytest.mark.parametrize("typed", ["25:99", "soon"])
def test_a_refused_dose_time_is_tied_to_that_doses_time_field_only(on_plan: Any, typed: str) -> None:
    """A time that is not a time, for the 08:00 dose: only the 08:00 dose's "Time taken" is marked, and its
    "Took it at another time" section is open with the typed text kept."""
    page = f"/p/{on_plan.patient_id}/today"
    form = {
        "form": "dose-2026-11-10-0",
        "slot_date": "2026-11-10",
        "slot_index": "0",
        "action": "taken_at",
        "taken_at": typed,
        "idempotency_key": "field-error-key",
    }
    html = _sent(on_plan, page, "../doses", form)
    _assert_tied(html, "dose-2026-11-10-0-taken_at", "err-dose-2026-11-10-0-taken_at")
    assert re.search(r'<details class="other-time" open>', html)


def test_a_taper_refusal_marks_the_taper_form_not_the_titration_form(patient: Any, register: Any) -> None:
    """A taper start in the past is marked on the taper's Start, not on the planner's Start field."""
    set_profile(patient)
    doctor = register("Dr Dee", "clinician")
    give_access(patient, doctor, "clinician")
    doctor.patient_id = patient.patient_id
    assert start_titration(doctor).status_code == 201
    page = f"/p/{patient.patient_id}/plan"
    html = _sent(doctor, page, "taper/preview", {"form": "taper", "start": "2026-11-01", "reason": "stop"})
    _assert_tied(html, "taper-start", "err-taper-start")


def test_a_titration_input_and_a_blocked_plan_are_tied_to_their_fields(
    patient: Any, register: Any, clock: Any
) -> None:
    """A first dose that is not a dose is marked on "First dose"; a plan the checker blocks is marked on
    "Limit to cross", the field that would allow it."""
    set_profile(patient)
    doctor = register("Dr Dee", "clinician")
    give_access(patient, doctor, "clinician")
    doctor.patient_id = patient.patient_id
    page = f"/p/{patient.patient_id}/plan"
    response = doctor.form(
        f"{page}/preview",
        {"drug": "baclofen", "start_dose": "five"},
        headers={"referer": f"http://testserver{page}?drug=baclofen"},
    )
    html = response.text
    assert _marked(html) == [("start_dose", "err-start_dose")]
    assert start_titration(doctor, target_daily="60 mg").status_code == 201
    clock.advance(doctor, days=30)
    shown = doctor.form(f"{page}/preview", {"drug": "baclofen", "start": "2026-12-10"})
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', shown.text)
    assert fingerprint is not None
    form = {
        "drug": "baclofen",
        "start": "2026-12-10",
        "reason": "restart",
        "fingerprint": fingerprint.group(1),
    }
    html = _sent(doctor, page, "", form)
    _assert_tied(html, "override_code", "err-override_code")


def test_history_audit_and_today_show_times_in_the_records_one_zone(on_plan: Any) -> None:
    """After the profile's zone changes (the plan in force keeps London's clock), Today, the history, the
    audit trail and the plan page show the 08:00 dose and its record at the same London times."""
    pid = on_plan.patient_id
    body = {"slot_date": "2026-11-10", "slot_index": 0, "status": "taken", "idempotency_key": "zone-key-1"}
    assert (
        on_plan.api("POST", f"/api/v1/patients/{pid}/doses", json={**body, "taken_at": "08:10"}).status_code
        == 201
    )
    set_profile(on_plan, timezone="America/New_York")
    today = on_plan.client.get(f"/p/{pid}/today").text
    history = on_plan.client.get(f"/p/{pid}/history").text
    audit = on_plan.client.get(f"/p/{pid}/audit").text
    plan = on_plan.client.get(f"/p/{pid}/plan").text
    assert "Taken at 10 Nov 2026 08:10" in today
    assert "10 Nov 2026 08:00" in history
    assert "taken 10 Nov 2026 08:10" in history
    assert "03:10" not in history
    assert "03:00" not in history
    # The dose was recorded at 09:30 London time (the app's clock), the plan made at the same moment.
    assert re.search(r"10 Nov 2026 09:30</time> · <strong>Pat Patient</strong> · taken 5 mg", audit)
    assert "04:30" not in audit
    assert "10 Nov 2026 09:30" in plan
    assert "04:30" not in plan
