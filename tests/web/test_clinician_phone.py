"""The clinician's phone number on the record: read as people write it, refused when it cannot be dialled,
and offered as a call button ("tel:") on an urgent message."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from web_support import give_access, set_profile, start_titration

from dosewise.domain.errors import InvalidInput
from dosewise.services.typed_input import dial_string, read_phone


@pytest.mark.parametrize(
    ("typed", "dialled"),
    [
        ("+44 20 7946 0000", "+442079460000"),
        ("+44 (0)20 7946 0000", "+442079460000"),
        ("020 7946 0000", "02079460000"),
        ("(555) 010-9999", "5550109999"),
        ("+1 555.010.9999", "+15550109999"),
        ("  0612 34  56 78 ", "0612345678"),
        ("111", "111"),
    ],
)
def test_a_phone_number_is_read_as_people_write_it_and_dialled_as_digits(typed: str, dialled: str) -> None:
    """Spaces, dots, dashes and brackets are kept for reading; the tel: link dials "+" and digits only."""
    kept = read_phone(typed, what="phone", field="clinician_phone")
    assert kept == " ".join(typed.split())
    assert dial_string(kept) == dialled


@pytest.mark.parametrize(
    "typed",
    ["call Dr Lee", "12", "+44 20 7946 0000 ext 12", "0207946000 / 0207946001", "++44 20", "44+20", "1" * 16],
)
def test_a_phone_number_that_cannot_be_dialled_is_refused_on_its_field(typed: str) -> None:
    """Letters, extensions, two numbers, a misplaced "+", too few or too many digits: refused, not guessed."""
    with pytest.raises(InvalidInput) as refused:
        read_phone(typed, what="the clinician's phone number", field="clinician_phone")
    assert refused.value.field == "clinician_phone"
    assert "digits" in refused.value.message


@given(st.text(max_size=30))
def test_an_accepted_number_always_dials_three_to_fifteen_digits(typed: str) -> None:
    """Whatever is typed, an accepted number's tel: link is an optional "+" and 3 to 15 digits."""
    try:
        kept = read_phone(typed, what="phone", field="clinician_phone")
    except InvalidInput:
        return
    if kept is None:
        assert not typed.strip()
        return
    assert re.fullmatch(r"\+?[0-9]{3,15}", dial_string(kept))


def _urgent_record(patient: Any, phone: str) -> str:
    set_profile(patient, clinician_phone=phone)
    start_titration(patient)
    pid = patient.patient_id
    entry = patient.api("POST", f"/api/v1/patients/{pid}/symptoms", json={"symptoms": ["hallucinations"]})
    assert entry.status_code == 201, entry.text
    return pid


def test_an_urgent_message_offers_to_call_the_clinician_when_the_record_has_the_number(
    patient: Any, register: Any
) -> None:
    """With the clinician's number on the record, the urgent banner has "Call your clinician" (tel:), to
    the patient, and "Call the clinician" to a caregiver; the API returns the number as typed."""
    pid = _urgent_record(patient, "+44 (0)20 7946 0000")
    page = patient.client.get(f"/p/{pid}/today").text
    assert re.search(r'<a class="call call-clinician" href="tel:\+442079460000">Call your clinician', page)
    assert patient.api("GET", f"/api/v1/patients/{pid}/profile").json()["clinician_phone"] == (
        "+44 (0)20 7946 0000"
    )
    carer = register("Casey Carer", role="caregiver")
    give_access(patient, carer, "caregiver")
    assert "Call the clinician (+44 (0)20 7946 0000)" in carer.client.get(f"/p/{pid}/diary").text


def test_without_a_number_the_banner_offers_the_emergency_number_only(patient: Any) -> None:
    """No clinician's number: no clinician call button, the emergency call button stays."""
    pid = _urgent_record(patient, "")
    page = patient.client.get(f"/p/{pid}/today").text
    assert "call-clinician" not in page
    assert re.search(r'<a class="call call-urgent" href="tel:\d+">', page)


def test_a_number_that_cannot_be_dialled_is_refused_on_the_profile_field(patient: Any) -> None:
    """On the profile page the refusal is tied to the phone field, and what was typed is kept."""
    set_profile(patient)
    page = f"/p/{patient.patient_id}/profile"
    form = {"display_name": "Pat Patient", "timezone": "Europe/London", "clinician_phone": "ring Dr Lee"}
    html = patient.form(page, form, headers={"referer": f"http://testserver{page}"}).text
    assert re.search(
        r'id="clinician_phone"[^>]*aria-invalid="true" aria-describedby="err-clinician_phone"', html
    )
    assert 'value="ring Dr Lee"' in html
    assert 'href="#clinician_phone">Clinician&#39;s phone number</a>' in html


def test_a_profile_patch_sets_and_clears_the_number_and_keeps_the_rest(patient: Any) -> None:
    """PATCH with only the number keeps the kidney fields; an empty number clears it; audited."""
    set_profile(patient)
    path = f"/api/v1/patients/{patient.patient_id}/profile"
    set_to = patient.api("PATCH", path, json={"clinician_phone": "020 7946 0000"})
    assert set_to.status_code == 200, set_to.text
    body = patient.api("GET", path).json()
    assert body["clinician_phone"] == "020 7946 0000"
    assert body["creatinine"]["value"] == "0.8"
    assert patient.api("PATCH", path, json={"clinician_phone": ""}).json()["clinician_phone"] is None
    audit = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/audit").json()
    assert any("clinician phone" in e["summary"] for e in audit["events"])
