"""The guide pages: public at stable URLs, every paragraph with its sources, personal inside a record
(kidney band, the interactions on the person's own list, their step and the next, the pump), linked from
the record where a topic comes up, and closed to people without access to the record."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from web_support import set_profile, start_titration

from dosewise.domain.quantity import times_per_day_words as words


def anonymous(app: Any) -> TestClient:
    return TestClient(app, base_url="http://testserver")


def test_every_guide_and_section_is_public_at_a_stable_url(app: Any, kb: Any) -> None:
    """No sign-in: /guides/<id> answers 200 and holds an element id for every section of the guide."""
    client = anonymous(app)
    assert kb.guides, "the knowledge base holds no guide"
    for guide in kb.guides.values():
        response = client.get(f"/guides/{guide.id}")
        assert response.status_code == 200, guide.id
        for section in guide.sections:
            assert f'id="{section.id}"' in response.text, (guide.id, section.id)
    assert client.get("/guides").status_code == 200
    assert client.get("/guides/compare").status_code == 200


def test_an_unknown_guide_is_a_plain_404(app: Any) -> None:
    """/guides/<nonsense> is the ordinary 'no page here' answer."""
    assert anonymous(app).get("/guides/no-such-drug").status_code == 404


def test_each_paragraph_shows_its_sources_and_grade_on_request(app: Any, kb: Any) -> None:
    """As many 'Sources and grade' panels as paragraphs, each naming the paragraph's grade."""
    guide = kb.guides["baclofen"]
    page = anonymous(app).get("/guides/baclofen").text
    paragraphs = [p for s in guide.sections for p in s.paragraphs]
    assert page.count("<summary>Sources and grade</summary>") == len(paragraphs)
    grades = re.findall(r"Grade ([A-Za-z-]+)", page)
    assert grades == [p.provenance.confidence for p in paragraphs]


def test_the_page_text_is_the_knowledge_base_text(app: Any, kb: Any) -> None:
    """The maximum sentence on the page is the one filled from the limit the planner uses."""
    page = anonymous(app).get("/guides/baclofen").text
    limit = str(kb.drug("baclofen").limits.max_daily)
    assert f"The most the label allows is {limit} a day." in page


def test_the_comparison_shows_not_recorded_and_sources_only_for_clinicians(app: Any, kb: Any) -> None:
    """Patients' view: plain words and no sources; clinicians' view: the precise wording with sources."""
    client = anonymous(app)
    plain = client.get("/guides/compare").text
    precise = client.get("/guides/compare?view=clinician").text
    missing = sum(1 for row in kb.comparison for cell in row.cells if not cell.recorded)
    assert missing > 0
    assert plain.count('class="not-recorded"') == missing
    assert "Sources and grade" not in plain
    recorded = sum(1 for row in kb.comparison for cell in row.cells if cell.recorded)
    assert precise.count("<summary>Sources and grade</summary>") == recorded
    tizanidine = next(row for row in kb.comparison if row.id == "tizanidine")
    assert tizanidine.cell("cautions").clinician.split(";")[0] in precise


def test_a_personal_guide_shows_the_kidney_band_step_and_interactions(patient: Any) -> None:
    """A record with CrCl in the moderate band, a titration and tramadol on the list: three notes."""
    set_profile(patient, creatinine_value="1.6")  # about 42 mL/min for a 56-year-old 70 kg woman
    assert start_titration(patient).status_code == 201
    patient.api("POST", f"/api/v1/patients/{patient.patient_id}/medications", json={"name": "tramadol"})
    page = patient.client.get(f"/p/{patient.patient_id}/guides/baclofen").text
    kidneys = page.split('id="kidneys-age"')[1].split("</section>")[0]
    assert "baclofen doses are lower than usual" in kidneys
    taking = page.split('id="taking"')[1].split("</section>")[0]
    steps = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/plan").json()["plan"]["steps"]
    first, second = steps[0], steps[1]
    day = int(second["start"][8:])

    def dose(step: dict[str, Any]) -> str:
        return f"{step['dose']['value']} {step['dose']['unit']} {words(len(step['times']))}"

    assert f"Your plan today: {dose(first)}." in taking
    assert f"Next, from {day} November 2026: {dose(second)}." in taking
    mixing = page.split('id="mixing"')[1].split("</section>")[0]
    assert "On your list: tramadol." in mixing
    pump = page.split('id="pump"')[1].split("</section>")[0]
    assert "your record shows no pump" in pump


def test_a_record_without_kidney_results_is_never_reassured(patient: Any) -> None:
    """No creatinine, no eGFR: the kidney note says it cannot tell, never 'no change'."""
    page = patient.client.get(f"/p/{patient.patient_id}/guides/baclofen").text
    kidneys = page.split('id="kidneys-age"')[1].split("</section>")[0]
    assert "cannot tell which of these applies to you" in kidneys
    assert "makes no change" not in kidneys


def test_an_unknown_medicine_on_the_list_is_named_as_not_checked(patient: Any) -> None:
    """A name the dictionary does not know is listed as not checked, never as 'no interactions'."""
    patient.api("POST", f"/api/v1/patients/{patient.patient_id}/medications", json={"name": "zorbexitol"})
    mixing = patient.client.get(f"/p/{patient.patient_id}/guides/baclofen").text.split('id="mixing"')[1]
    mixing = mixing.split("</section>")[0]
    assert "Not checked, because dosewise does not know them: zorbexitol." in mixing
    assert "has a recorded interaction" not in mixing


def test_a_pump_on_the_list_opens_the_pump_section(patient: Any) -> None:
    """'intrathecal baclofen pump' on the list: the pump section is shown in full with a note."""
    patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/medications",
        json={"name": "intrathecal baclofen pump"},
    )
    pump = patient.client.get(f"/p/{patient.patient_id}/guides/baclofen").text.split('id="pump"')[1]
    pump = pump.split("</section>")[0]
    assert "Your record shows a baclofen pump" in pump
    assert "your record shows no pump" not in pump


def test_a_stranger_cannot_read_someone_elses_personal_guide(patient: Any, register: Any) -> None:
    """The personal guide is authorised like every record page: 404 for someone without access."""
    stranger = register("Sam Stranger")
    response = stranger.client.get(f"/p/{patient.patient_id}/guides/baclofen")
    assert response.status_code == 404
    assert "Pat Patient" not in response.text


def test_the_plan_findings_link_to_the_section_that_explains_them(patient: Any) -> None:
    """A kidney finding on the plan page links to the personal guide's kidney section."""
    set_profile(patient, creatinine_value="1.6")
    assert start_titration(patient).status_code == 201
    page = patient.client.get(f"/p/{patient.patient_id}/plan").text
    assert f'href="/p/{patient.patient_id}/guides/baclofen#kidneys-age"' in page


def test_missed_dose_advice_links_to_the_withdrawal_section(patient: Any, clock: Any) -> None:
    """The withdrawal signs under two missed doses link to the guide's withdrawal section."""
    set_profile(patient)
    assert start_titration(patient).status_code == 201
    dose = {
        "slot_date": "2026-11-10",
        "slot_index": 0,
        "status": "taken",
        "idempotency_key": "guide-key-1",
        "taken_at": "08:00",
    }
    logged = patient.api("POST", f"/api/v1/patients/{patient.patient_id}/doses", json=dose)
    assert logged.status_code == 201, logged.text
    clock.advance(patient, hours=13)  # 22:30: the 14:00 and 20:00 doses missed in a row
    page = patient.client.get(f"/p/{patient.patient_id}/today").text
    assert "Read about withdrawal in the guide" in page
    assert f'href="/p/{patient.patient_id}/guides/baclofen#withdrawal"' in page
