"""Patient pages speak plainly: no ISO dates, "1 doses", internal codes, command-line flags or consumer
website citations in what a patient, caregiver or clinician reads (the "For clinicians" details aside);
messages are tied to their fields; numbers are typed as people type them."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from web_support import give_access, set_profile, start_titration

from dosewise.web.templating import plain

PAGES = ("today", "diary", "plan", "medications", "profile", "history", "sharing", "audit", "reports")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ONE_PLURAL = re.compile(r"(?<![\d.,/])\b1 (doses|tablets|days|hours|weeks|steps)\b")
CLI_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
SNAKE_CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
CONSUMER_SITES = ("drugs.com", "webmd", "mayoclinic", "medlineplus", "droracle", "druginteractionchecker")


def visible_patient_text(html: str) -> str:
    """The text a person reads in <main>: no tags or attributes, no scripts, no clinician details."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<details>\s*<summary>For clinicians.*?</details>", " ", main, flags=re.S)
    main = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", main, flags=re.S)
    main = re.sub(r"<option\b[^>]*>.*?</option>", " ", main, flags=re.S)  # form choices are codes' labels
    return unescape(re.sub(r"<[^>]+>", " ", main))


def problems_in(text: str) -> list[str]:
    found = [f"ISO date {m}" for m in ISO_DATE.findall(text)]
    found += [f"'1 {m}'" for m in ONE_PLURAL.findall(text)]
    found += [f"flag {m}" for m in CLI_FLAG.findall(text)]
    found += [f"code {m}" for m in SNAKE_CODE.findall(text)]
    found += [f"site {s}" for s in CONSUMER_SITES if s in text.lower()]
    return found


@pytest.fixture
def busy_record(patient: Any, register: Any) -> Any:
    """A record with a titration, missed doses, a stock count, an urgent diary entry and a caregiver."""
    set_profile(patient, creatinine_value="106", creatinine_unit="umol/L")
    start_titration(patient, start="2026-11-08")
    pid = patient.patient_id
    patient.api(
        "POST",
        f"/api/v1/patients/{pid}/doses",
        json={"slot_date": "2026-11-08", "slot_index": 0, "status": "taken", "idempotency_key": "k1"},
    )
    patient.api(
        "POST", f"/api/v1/patients/{pid}/stock", json={"product_id": "baclofen-tab-5mg", "amount": "3"}
    )
    patient.api("POST", f"/api/v1/patients/{pid}/symptoms", json={"symptoms": ["hallucinations"]})
    patient.api(
        "POST",
        f"/api/v1/patients/{pid}/checkins",
        json={"spasticity": 5, "spasm_frequency": 1, "sleep_quality": 6, "drowsiness": 2},
    )
    carer = register("Casey Carer", role="caregiver")
    give_access(patient, carer, "caregiver")
    return patient, carer


def test_the_plain_filter_writes_dates_as_days_and_singular_counts() -> None:
    """ISO dates and moments become "Tue 1 Dec 2026 (at 08:00)"; "1 doses" becomes "1 dose", 11 stays plural."""
    text = plain("step 3 started 2026-12-01; 1 doses; 11 doses; 0.1 doses; at 2026-12-01T08:00:00+00:00")
    assert text == "step 3 started Tue 1 Dec 2026; 1 dose; 11 doses; 0.1 doses; at Tue 1 Dec 2026 at 08:00"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_of_a_busy_record_reads_plainly_for_the_patient_and_the_caregiver(
    busy_record: Any, page: str
) -> None:
    """No ISO date, '1 doses', flag, internal code or consumer-site citation on the page, for either reader."""
    patient, carer = busy_record
    for person in (patient, carer) if page != "sharing" else (patient,):  # sharing is the patient's own
        response = person.client.get(f"/p/{patient.patient_id}/{page}")
        assert response.status_code == 200
        assert problems_in(visible_patient_text(response.text)) == [], (page, person.role)


def test_the_scanner_finds_each_kind_of_leftover() -> None:
    """The scan is not vacuous: each rule catches its own leftover."""
    found = problems_in("on 2026-12-01 take 1 doses; use --override above_label_max (drugs.com)")
    assert len(found) == 5


def test_one_alert_per_page_even_with_missed_doses_low_stock_and_an_urgent_entry(busy_record: Any) -> None:
    """Today and the diary carry exactly one role=alert (the banner) however many things are wrong."""
    patient, _ = busy_record
    for page in ("today", "diary"):
        html = patient.client.get(f"/p/{patient.patient_id}/{page}").text
        assert html.count('role="alert"') == 1, page


def test_the_banner_is_dated_and_says_until_when_it_stands(busy_record: Any, clock: Any) -> None:
    """The banner names the day it was raised and the day it ends; after that the diary shows it as past."""
    patient, _ = busy_record
    html = patient.client.get(f"/p/{patient.patient_id}/today").text
    assert "Raised by the diary entry of 10 Nov 2026" in html
    assert "until 12 Nov 2026" in html
    clock.advance(patient, hours=49)
    html = patient.client.get(f"/p/{patient.patient_id}/diary").text
    assert 'class="alert' not in html
    assert 'role="alert"' not in html
    assert "it was urgent" in html


def test_a_caregiver_is_addressed_as_the_caregiver(busy_record: Any) -> None:
    """The caregiver reads 'you are seeing this as Pat Patient's caregiver', with what to do for them."""
    patient, carer = busy_record
    html = carer.client.get(f"/p/{patient.patient_id}/today").text
    assert "You are seeing this as Pat Patient's caregiver" in html
    assert "Get medical help today for Pat Patient" in html
    assert "Written to Pat Patient: help them follow it." in html
    diary = carer.client.get(f"/p/{patient.patient_id}/diary").text
    assert "How is Pat Patient feeling?" in diary


def test_the_emergency_number_comes_from_the_setting(app: Any, busy_record: Any, web_context: Any) -> None:
    """DOSEWISE_EMERGENCY_NUMBER decides the number shown and dialled."""
    from dataclasses import replace

    patient, _ = busy_record
    web_context_999 = replace(web_context, settings=replace(web_context.settings, emergency_number="999"))
    app.state.ctx = web_context_999
    html = patient.client.get(f"/p/{patient.patient_id}/today").text
    assert 'href="tel:999"' in html
    assert 'href="tel:112"' not in html


def test_the_emergency_number_setting_refuses_anything_but_digits() -> None:
    """A mistyped emergency number is refused at start-up, never shown on a call button."""
    from dosewise.bootstrap.settings import load_settings

    assert load_settings({"DOSEWISE_EMERGENCY_NUMBER": "911"}).emergency_number == "911"
    with pytest.raises(ValueError, match="DOSEWISE_EMERGENCY_NUMBER"):
        load_settings({"DOSEWISE_EMERGENCY_NUMBER": "call 911"})


def test_creatinine_is_shown_in_the_unit_it_was_entered_in_with_crcl_in_words(busy_record: Any) -> None:
    """106 micromol/L stays micromol/L on the page, and CrCl is explained in plain words."""
    patient, _ = busy_record
    html = patient.client.get(f"/p/{patient.patient_id}/profile").text
    assert "Serum creatinine: 106 micromol/L" in html
    assert "mL of blood cleaned each minute" in html


@pytest.mark.parametrize(
    ("typed", "stored"), [("70,5", "70.5"), ("70 kg", "70"), ("70.5kg", "70.5"), (" 82 KG ", "82")]
)
def test_weights_are_read_as_people_type_them(patient: Any, typed: str, stored: str) -> None:
    """A decimal comma and a trailing "kg" are accepted and read exactly."""
    set_profile(patient, weight_kg=typed)
    body = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/profile").json()
    assert body["weight_kg"] == stored


@pytest.mark.parametrize("typed", ["70 lb", "seventy", "70,5,1"])
def test_a_weight_in_another_unit_or_not_a_number_is_refused_on_its_field(patient: Any, typed: str) -> None:
    """The refusal names the weight field, which is marked invalid and described by the message."""
    set_profile(patient)
    html = _refused_profile(patient, weight_kg=typed)
    assert 'aria-invalid="true" aria-describedby="err-weight_kg"' in html
    assert '<p id="err-weight_kg" class="field-error">' in html
    assert 'There is a problem with <a href="#weight_kg">Weight</a>' in html
    assert html.count('role="alert"') == 1


@pytest.mark.parametrize("when", ["today", "tomorrow"])
def test_a_date_of_birth_today_or_in_the_future_is_refused(patient: Any, clock: Any, when: str) -> None:
    """A birth date of today or later is a typing slip: refused and tied to the date-of-birth field."""
    from datetime import timedelta

    day = clock.now.date() + (timedelta(days=1) if when == "tomorrow" else timedelta())
    html = _refused_profile(patient, date_of_birth=day.isoformat())
    assert 'aria-describedby="err-date_of_birth"' in html
    body = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/profile").json()
    assert body["date_of_birth"] is None


def test_a_refused_form_keeps_long_text_typed_into_it(patient: Any) -> None:
    """1,900 characters typed into a refused diary entry come back in the text box, not erased."""
    long_text = "stiff and sore after the long walk, " * 50
    page = f"/p/{patient.patient_id}/diary"
    response = patient.form(
        page + "/symptoms",
        {"text": long_text[:1900], "severity": "unbearable"},
        headers={"referer": f"http://testserver{page}"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    html = patient.client.get(page).text
    assert 'class="flash flash-error"' in html
    assert long_text[:1900].replace("'", "&#39;") in html


def test_a_plan_refusal_words_the_override_for_the_web_not_the_command_line() -> None:
    """The web hint for a refused plan says where a clinician overrides, never '--override CODE:REASON'."""
    from dosewise.domain.errors import PlanRefused
    from dosewise.web.errors import web_hint

    error = PlanRefused(
        "above the label",
        hint="a clinician may override with --override above_label_max:REASON",
        overrides=("above_label_max",),
    )
    hint = web_hint(error) or ""
    assert "--" not in hint
    assert "Override a limit" in hint
    assert "above label max" in hint
    assert web_hint(PlanRefused("x", hint="give --now")) is None


def test_an_unknown_address_is_a_real_404_page_and_the_api_answers_in_its_error_shape(patient: Any) -> None:
    """A page that does not exist is the site's own 404 page; under /api/v1 it is the JSON error body."""
    page = patient.client.get("/no/such/page")
    assert page.status_code == 404
    assert "<h1>Page not found</h1>" in page.text
    assert 'href="/home"' in page.text
    api = patient.client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_the_favicon_is_served(patient: Any) -> None:
    """/favicon.ico answers with the SVG icon instead of a 404 in every browser's console."""
    response = patient.client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")


def _refused_profile(person: Any, **fields: str) -> str:
    """Post the profile form from the profile page; the refusal sends the person back there (303)."""
    page = f"/p/{person.patient_id}/profile"
    response = person.form(
        page, _profile_form(**fields), headers={"referer": f"http://testserver{page}"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == page
    html: str = person.client.get(page).text
    return html


def _profile_form(**fields: str) -> dict[str, str]:
    base = {
        "display_name": "Pat Patient",
        "date_of_birth": "1970-03-01",
        "sex": "female",
        "weight_kg": "70",
        "creatinine_value": "0.8",
        "creatinine_unit": "mg/dL",
        "creatinine_date": "2026-11-01",
        "timezone": "Europe/London",
    }
    return {**base, **fields}


def test_withdrawal_signs_after_many_missed_doses_are_a_list_not_a_sentence() -> None:
    """A whole day missed: the heading says urgent and what to do; the signs are list items, not a sentence."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))
    from test_missed import ask, make_plan

    from dosewise.web.templating import templates

    advice = ask(make_plan(), "2026-03-10T20:30", ("2026-03-09T20:00",))
    assert advice.urgency == "urgent"
    assert advice.withdrawal_signs
    html = templates.get_template("_advice.html").render(
        adv=advice, alert=None, access=None, patient=None, emergency_number="112"
    )
    heading = html.split('<h2 id="advice-title">', 1)[1].split("</h2>", 1)[0]
    assert "Urgent" in heading
    assert "contact your clinician today" in heading
    listed = re.findall(r"<li>([^<]+)</li>", html.split('<ul class="signs">', 1)[1].split("</ul>", 1)[0])
    assert [sign.lower() for sign in listed] == [sign.lower() for sign in advice.withdrawal_signs]
    assert "such as " + advice.withdrawal_signs[0] not in html
    assert 'role="alert"' in html
    assert 'href="tel:112"' in html
