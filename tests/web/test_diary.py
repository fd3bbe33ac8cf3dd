"""Diary: symptoms triaged against the record, an urgent state impossible to miss, check-ins and the chart."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import set_profile, start_titration


@pytest.fixture
def missing_doses(patient: Any) -> Any:
    """A patient whose titration began two days ago and who recorded only the first dose."""
    set_profile(patient)
    start_titration(patient, start="2026-11-08")
    patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/doses",
        json={
            "slot_date": "2026-11-08",
            "slot_index": 0,
            "status": "taken",
            "idempotency_key": "first-dose",
            "taken_at": "2026-11-08T08:10",
        },
    )
    return patient


def _symptoms(person: Any, **body: Any) -> Any:
    return person.api("POST", f"/api/v1/patients/{person.patient_id}/symptoms", json=body)


def test_hallucinations_after_missed_doses_are_urgent_withdrawal(missing_doses: Any) -> None:
    """'Seeing things' after missed doses triages as urgent, with the missed doses named as the reason."""
    entry = _symptoms(missing_doses, text="seeing things that aren't there", severity="moderate").json()
    assert entry["triage"]["level"] == "urgent"
    assert "withdrawal-hallucinations" in entry["triage"]["rules"]
    assert any(c["flag"] == "missed_doses" for c in entry["triage"]["context"])


def test_an_urgent_triage_shows_a_banner_on_every_page_of_the_record(missing_doses: Any) -> None:
    """After an urgent entry, every page of the record opens with the urgent alert."""
    _symptoms(missing_doses, symptoms=["hallucinations"])
    for page in ("today", "diary", "plan", "medications", "profile", "history", "sharing", "audit"):
        html = missing_doses.client.get(f"/p/{missing_doses.patient_id}/{page}").text
        assert 'class="alert alert-urgent" role="alert"' in html, page
        heading = html.split('<h2 id="alert-title">')[1].split("</h2>")[0]
        assert "Urgent" in heading, page
        assert "Get medical help today" in heading, page
        assert 'href="tel:112"' in html, page


def test_the_urgent_banner_comes_before_everything_else_on_the_page(missing_doses: Any) -> None:
    """The alert is the first thing in the main content, ahead of any message or heading."""
    _symptoms(missing_doses, symptoms=["hallucinations"])
    html = missing_doses.client.get(f"/p/{missing_doses.patient_id}/today").text
    main = html.split('<main id="main" tabindex="-1">')[1]
    assert main.lstrip().startswith('<section class="alert alert-urgent"')


def test_slow_breathing_is_an_emergency(missing_doses: Any) -> None:
    """Slow breathing triages as an emergency and the banner says to call the emergency number."""
    _symptoms(missing_doses, text="slow breathing")
    html = missing_doses.client.get(f"/p/{missing_doses.patient_id}/diary").text
    heading = html.split('<h2 id="alert-title">')[1].split("</h2>")[0]
    assert "Emergency" in heading
    assert "Call 112 now" in heading
    assert 'class="alert alert-emergency" role="alert"' in html
    assert '<a class="call call-emergency" href="tel:112">' in html


def test_a_common_side_effect_is_expected_and_raises_no_alert(patient: Any) -> None:
    """Mild drowsiness is an expected side effect: no alert banner."""
    set_profile(patient)
    start_titration(patient, start="2026-11-01")
    entry = _symptoms(patient, symptoms=["drowsiness"], severity="mild").json()
    assert entry["triage"]["level"] in ("expected", "soon")
    html = patient.client.get(f"/p/{patient.patient_id}/today").text
    assert 'role="alert"' not in html.split("<main")[1].split("</section>")[0] or "alert-urgent" not in html


def test_a_side_effect_called_severe_is_never_just_expected(patient: Any) -> None:
    """Severe nausea is raised to 'soon' (tell the clinician) and says so."""
    set_profile(patient)
    entry = _symptoms(patient, symptoms=["nausea"], severity="severe").json()
    assert entry["triage"]["level"] == "soon"
    assert entry["triage"]["raised_for_severity"] is True


def test_a_corrected_urgent_entry_no_longer_raises_the_alert(missing_doses: Any) -> None:
    """Marking the entry entered-in-error removes the banner; the entry stays in the diary."""
    entry = _symptoms(missing_doses, symptoms=["hallucinations"]).json()
    response = missing_doses.api(
        "POST",
        f"/api/v1/patients/{missing_doses.patient_id}/symptoms/{entry['id']}/corrections",
        json={"reason": "wrong patient"},
    )
    assert response.status_code == 201
    diary = missing_doses.api("GET", f"/api/v1/patients/{missing_doses.patient_id}/diary").json()
    assert diary["alert"] is None
    assert [s["superseded"] for s in diary["symptoms"] if s["id"] == entry["id"]] == [True]


def test_the_alert_fades_after_two_days(missing_doses: Any, clock: Any) -> None:
    """The banner stays for 48 hours, then the entry remains in the diary without it."""
    _symptoms(missing_doses, symptoms=["hallucinations"])
    clock.advance(missing_doses, hours=49)
    assert (
        missing_doses.api("GET", f"/api/v1/patients/{missing_doses.patient_id}/diary").json()["alert"] is None
    )


def test_a_daily_check_in_is_kept_and_a_second_one_replaces_it(patient: Any) -> None:
    """Two check-ins for one day: the second stands, the first is kept and marked replaced."""
    pid = patient.patient_id
    for score in (7, 5):
        response = patient.api(
            "POST",
            f"/api/v1/patients/{pid}/checkins",
            json={"spasticity": score, "spasm_frequency": 2, "sleep_quality": 6, "drowsiness": 3},
        )
        assert response.status_code == 201
    checkins = patient.api("GET", f"/api/v1/patients/{pid}/diary").json()["checkins"]
    assert [(c["spasticity"], c["superseded"]) for c in checkins] == [(5, False), (7, True)]


def test_a_check_in_score_out_of_range_is_refused(patient: Any) -> None:
    """Spasticity 11 is outside 0-10 and refused."""
    response = patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/checkins",
        json={"spasticity": 11, "spasm_frequency": 2, "sleep_quality": 6, "drowsiness": 3},
    )
    assert response.status_code == 422


def test_the_chart_puts_planned_and_taken_doses_beside_the_scores(missing_doses: Any) -> None:
    """The chart data has planned and taken daily totals per day, and the page draws them as an SVG."""
    pid = missing_doses.patient_id
    missing_doses.api(
        "POST",
        f"/api/v1/patients/{pid}/checkins",
        json={"spasticity": 6, "spasm_frequency": 2, "sleep_quality": 6, "drowsiness": 3},
    )
    chart = {d["day"]: d for d in missing_doses.api("GET", f"/api/v1/patients/{pid}/diary").json()["chart"]}
    assert chart["2026-11-08"]["planned"] == {"value": "15", "unit": "mg"}
    assert chart["2026-11-08"]["taken"] == {"value": "5", "unit": "mg"}
    assert chart["2026-11-10"]["spasticity"] == 6
    html = missing_doses.client.get(f"/p/{pid}/diary").text
    assert '<svg viewBox="0 0 680 300" class="chart" role="img"' in html
    assert 'class="taken"' in html
    assert "The same numbers as a table" in html


def test_the_symptom_form_on_the_page_triages_and_shows_the_result(missing_doses: Any) -> None:
    """Submitting the diary form records the entry and the page shows the triage result."""
    response = missing_doses.form(
        f"/p/{missing_doses.patient_id}/diary/symptoms",
        {"symptoms": "hallucinations", "severity": "moderate", "text": ""},
    )
    assert response.status_code == 200
    assert "Recorded: this needs urgent medical help today." in response.text


def test_the_chart_shows_the_predicted_level_from_the_doses_taken(missing_doses: Any) -> None:
    """With a dose recorded, the diary draws the model's predicted concentration and says it is a model."""
    pid = missing_doses.patient_id
    level = missing_doses.api("GET", f"/api/v1/patients/{pid}/diary").json()["predicted_level"]
    assert level["points"]
    assert max(value for _, value in level["points"]) > 0
    assert "not a measurement" in level["note"]
    assert 'class="predicted"' in missing_doses.client.get(f"/p/{pid}/diary").text
