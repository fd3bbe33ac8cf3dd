"""The web record's medication list knows the plan: a listed brand of the planned medicine is shown as the
planned medicine and a duplicate, the same ingredient twice is flagged, combinations are screened for each
ingredient, and a misspelling offers a one-tap fix that replaces the entry (dose kept, audited)."""

from __future__ import annotations

import re
from typing import Any

from web_support import set_profile, start_titration


def add(patient: Any, name: str, **fields: Any) -> Any:
    body = {"name": name, **fields}
    return patient.api("POST", f"/api/v1/patients/{patient.patient_id}/medications", json=body).json()


def test_lioresal_beside_a_baclofen_plan_is_the_planned_medicine_and_a_duplicate(patient: Any) -> None:
    """With a baclofen plan, "Lioresal" on the list reads "Lioresal (baclofen)", planned medicine, duplicate."""
    set_profile(patient)
    start_titration(patient)
    body = add(patient, "Lioresal", dose="10 mg", times_per_day=3)
    (entry,) = body["medications"]
    assert entry["label"] == "Lioresal (baclofen)"
    assert entry["planned_medicine"] is True
    assert entry["duplicate"] is True
    assert body["screened_from_plan"] == []
    codes = [d["code"] for d in body["screening"]["duplicates"]]
    assert codes == ["duplicate.planned_drug"]
    assert body["screening"]["duplicates"][0]["severity"] == "major"
    page = patient.client.get(f"/p/{patient.patient_id}/medications").text
    assert re.search(
        r'<span class="med-name">Lioresal</span> <span class="med-what">\(baclofen\)</span>', page
    )
    assert "Lioresal (baclofen) on your list is the same medicine as your plan" in page
    assert "planned medicine" in page
    assert "duplicate" in page
    assert "Major" in page


def test_the_same_ingredient_twice_is_flagged_on_the_page(patient: Any) -> None:
    """Norco and Tylenol: acetaminophen twice, both entries marked duplicate, a major finding in the panel."""
    add(patient, "Norco")
    body = add(patient, "Tylenol 500 mg")
    assert all(m["duplicate"] for m in body["medications"])
    assert [d["code"] for d in body["screening"]["duplicates"]] == ["duplicate.same_ingredient"]
    page = patient.client.get(f"/p/{patient.patient_id}/medications").text
    assert '<span class="med-what">(hydrocodone + acetaminophen)</span>' in page
    assert "acetaminophen is on your list 2 times" in page


def test_pairs_between_co_medications_show_without_a_plan(patient: Any) -> None:
    """No plan at all: Percocet with wine still gives the opioid + alcohol warning, named by ingredient."""
    add(patient, "Percocet")
    body = add(patient, "2 glasses of wine a night")
    assert "opioid-alcohol" in [i["rule"] for i in body["screening"]["interactions"]]
    page = patient.client.get(f"/p/{patient.patient_id}/medications").text
    assert "oxycodone + alcohol" in page


def test_a_misspelling_offers_a_one_tap_fix_that_replaces_the_entry(patient: Any) -> None:
    """ "Xanaxx 1 mg" is not screened and offers "Change ... to Xanax"; pressing it replaces the entry, keeping
    the dose, and the list is screened again."""
    pid = patient.patient_id
    add(patient, "oxycodone")
    body = add(patient, "Xanaxx", dose="1 mg", times_per_day=2)
    typo = next(m for m in body["medications"] if m["name"] == "Xanaxx")
    assert typo["screened"] is False
    assert "Xanax" in typo["suggestions"]
    page = patient.client.get(f"/p/{pid}/medications").text
    assert f'action="/p/{pid}/medications/{typo["id"]}/replace"' in page
    assert re.search(r"Change “Xanaxx” to Xanax", page)
    assert "No interactions found" not in page
    response = patient.form(f"/p/{pid}/medications/{typo['id']}/replace", {"name": "Xanax"})
    assert response.status_code in (200, 303)
    after = patient.api("GET", f"/api/v1/patients/{pid}/medications").json()
    names = {m["name"]: m for m in after["medications"]}
    assert "Xanaxx" not in names
    assert names["Xanax"]["dose"] == "1 mg"
    assert names["Xanax"]["times_per_day"] == 2
    assert names["Xanax"]["screened"] is True
    assert "opioid-benzodiazepine" in [i["rule"] for i in after["screening"]["interactions"]]
    audit = patient.api("GET", f"/api/v1/patients/{pid}/audit").json()
    assert "medication.replace" in str(audit)


def test_a_fix_to_an_unknown_name_is_refused(patient: Any) -> None:
    """The replace form only takes a name the knowledge base knows; anything else is refused, the entry kept."""
    pid = patient.patient_id
    body = add(patient, "Zyxorin")
    entry = body["medications"][0]
    response = patient.form(
        f"/p/{pid}/medications/{entry['id']}/replace",
        {"name": "Zyxorinn"},
        headers={"X-Dosewise-Partial": "1", "referer": f"http://testserver/p/{pid}/medications"},
    )
    assert response.status_code in (200, 422)
    after = patient.api("GET", f"/api/v1/patients/{pid}/medications").json()
    assert [m["name"] for m in after["medications"]] == ["Zyxorin"]


def test_an_unknown_medicine_never_shows_no_interactions_found(patient: Any) -> None:
    """With an unscreened entry the panel names it and never prints the clean-result sentence."""
    add(patient, "metformin")
    add(patient, "Zyxorin")
    page = patient.client.get(f"/p/{patient.patient_id}/medications").text
    assert "No interactions found" not in page
    assert "Not screened" in page


def test_the_api_replaces_a_misspelt_entry_and_refuses_an_unknown_name(patient: Any) -> None:
    """PUT .../medications/{id} with a known name replaces the entry; an unknown name is refused with 422."""
    pid = patient.patient_id
    entry = add(patient, "diazepan 5 mg")["medications"][0]
    path = f"/api/v1/patients/{pid}/medications/{entry['id']}"
    assert patient.api("PUT", path, json={"name": "qqqzz"}).status_code == 422
    body = patient.api("PUT", path, json={"name": "diazepam"}).json()
    assert [m["ingredient"] for m in body["medications"]] == ["diazepam"]


def test_the_one_tap_fix_keeps_a_strength_typed_after_the_name(patient: Any) -> None:
    """ "Xanaxx 1 mg" fixed to Xanax becomes "Xanax 1 mg": the strength typed in the name is not lost."""
    pid = patient.patient_id
    entry = add(patient, "Xanaxx 1 mg")["medications"][0]
    patient.form(f"/p/{pid}/medications/{entry['id']}/replace", {"name": "Xanax"})
    after = patient.api("GET", f"/api/v1/patients/{pid}/medications").json()
    assert [m["name"] for m in after["medications"]] == ["Xanax 1 mg"]
    assert after["medications"][0]["screened"] is True
