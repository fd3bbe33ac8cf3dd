"""The patient record: profile with kidney function, medication list with search and interaction panel."""

from __future__ import annotations

from typing import Any

from web_support import set_profile, start_titration


def test_the_profile_shows_crcl_with_its_cockcroft_gault_formula(patient: Any) -> None:
    """Age, weight, sex and creatinine give a CrCl, shown with the formula that produced it."""
    body = set_profile(patient).json()
    assert body["age_years"] == 56
    assert body["kidney"]["crcl"] == "87 mL/min"
    assert body["kidney"]["formula"].startswith(
        "Cockcroft-Gault: (140 - 56) x 70 kg / (72 x 0.8 mg/dL) x 0.85"
    )
    page = patient.client.get(f"/p/{patient.patient_id}/profile").text
    assert "CrCl 87 mL/min" in page
    assert "Cockcroft-Gault" in page


def test_creatinine_in_micromoles_gives_the_same_crcl(patient: Any) -> None:
    """70.72 umol/L is 0.8 mg/dL: the unit decides, and the result is the same."""
    body = set_profile(patient, creatinine_value="70.72", creatinine_unit="umol/L").json()
    assert body["kidney"]["crcl"] == "87 mL/min"


def test_a_creatinine_without_its_unit_is_refused(patient: Any) -> None:
    """A creatinine value with no unit is refused rather than guessed."""
    response = set_profile(patient, creatinine_unit="")
    assert response.status_code == 422
    assert "unit" in response.json()["error"]["message"]


def test_a_creatinine_in_the_wrong_unit_range_is_refused_with_a_hint(patient: Any) -> None:
    """106 typed as mg/dL (it was umol/L) is implausible and the hint names the other unit."""
    response = set_profile(patient, creatinine_value="106")
    assert response.status_code == 422
    assert "umol/L" in response.json()["error"]["hint"]


def test_the_profile_records_egfr_dialysis_and_time_zone(patient: Any) -> None:
    """eGFR, dialysis and the time zone are kept and shown."""
    body = set_profile(patient, egfr="42", dialysis=True, timezone="America/New_York").json()
    assert body["kidney"]["egfr"] == "42 mL/min/1.73m2"
    assert body["dialysis"] is True
    assert body["timezone"] == "America/New_York"


def test_an_unknown_time_zone_is_refused(patient: Any) -> None:
    """A time zone that does not exist is refused."""
    assert set_profile(patient, timezone="Mars/Olympus").status_code == 422


def test_a_profile_form_with_a_mistake_comes_back_with_the_message_and_what_was_typed(patient: Any) -> None:
    """The page form keeps the typed weight and shows the refusal in place."""
    pid = patient.patient_id
    response = patient.form(
        f"/p/{pid}/profile",
        {"weight_kg": "81", "creatinine_value": "1.1", "creatinine_unit": "", "timezone": "Europe/London"},
        headers={"referer": f"http://testserver/p/{pid}/profile"},
    )
    assert response.status_code == 200
    assert "needs its unit" in response.text
    assert 'value="81"' in response.text


def test_medicines_are_found_by_brand_and_by_misspelling(patient: Any) -> None:
    """The search finds baclofen by 'Lioresal' and by 'baclofin'."""
    for query in ("Lioresal", "baclofin"):
        results = patient.api("GET", f"/api/v1/drugs?q={query}").json()["results"]
        assert results[0]["id"] == "baclofen"


def test_the_interaction_panel_warns_about_a_benzodiazepine_with_baclofen(patient: Any) -> None:
    """Valium on the list with baclofen gives a major interaction in the panel."""
    pid = patient.patient_id
    patient.api("POST", f"/api/v1/patients/{pid}/medications", json={"name": "baclofen", "dose": "10 mg"})
    body = patient.api("POST", f"/api/v1/patients/{pid}/medications", json={"name": "Valium"}).json()
    interactions = body["screening"]["interactions"]
    assert [i["rule"] for i in interactions] == ["baclofen-benzodiazepine"]
    assert interactions[0]["severity"] == "major"


def test_the_plan_drug_is_screened_even_when_not_written_on_the_list(patient: Any) -> None:
    """With a baclofen plan, an opioid on the list is screened against baclofen."""
    set_profile(patient)
    start_titration(patient)
    body = patient.api(
        "POST", f"/api/v1/patients/{patient.patient_id}/medications", json={"name": "tramadol"}
    ).json()
    assert body["screened_from_plan"] == ["baclofen"]
    assert body["screening"]["interactions"][0]["rule"] == "baclofen-opioid"


def test_an_unknown_medicine_is_kept_and_marked_not_screened(patient: Any) -> None:
    """A medicine the knowledge base does not know stays on the list, marked not screened."""
    body = patient.api(
        "POST", f"/api/v1/patients/{patient.patient_id}/medications", json={"name": "Zyxorin"}
    ).json()
    assert body["medications"][0]["screened"] is False
    assert body["screening"]["not_screened"] == ["Zyxorin"]
    page = patient.client.get(f"/p/{patient.patient_id}/medications").text
    assert "not screened" in page


def test_the_interaction_panel_updates_in_place_when_a_medicine_is_added(patient: Any) -> None:
    """A live add returns the list and panel fragment with the new interaction."""
    pid = patient.patient_id
    patient.api("POST", f"/api/v1/patients/{pid}/medications", json={"name": "baclofen"})
    fragment = patient.form(f"/p/{pid}/medications", {"name": "Xanax"}, headers={"X-Dosewise-Partial": "1"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Major" in fragment.text
    assert "alprazolam" in fragment.text.lower()


def test_removing_a_medicine_removes_its_interaction(patient: Any) -> None:
    """After Valium is removed, the panel has no interaction left."""
    pid = patient.patient_id
    patient.api("POST", f"/api/v1/patients/{pid}/medications", json={"name": "baclofen"})
    body = patient.api("POST", f"/api/v1/patients/{pid}/medications", json={"name": "Valium"}).json()
    valium = next(m for m in body["medications"] if m["name"] == "Valium")
    assert patient.api("DELETE", f"/api/v1/patients/{pid}/medications/{valium['id']}").status_code == 204
    after = patient.api("GET", f"/api/v1/patients/{pid}/medications").json()
    assert after["screening"]["interactions"] == []


def test_a_medicine_dose_without_a_unit_is_refused(patient: Any) -> None:
    """'10' as a dose has no unit and is refused."""
    response = patient.api(
        "POST", f"/api/v1/patients/{patient.patient_id}/medications", json={"name": "x", "dose": "10"}
    )
    assert response.status_code == 422
