"""A stored plan is shown from the loaded knowledge base, and says so when it was made with another one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import FAST_ARGON2, set_profile, start_titration

from dosewise.bootstrap.web import Argon2Hasher, WebContext, build_web_context
from dosewise.domain.rules import KnowledgeBase
from dosewise.web.app import create_app

LATER = "2099.1.0"


@pytest.fixture
def later_app(web_context: WebContext, clock: Any, kb: KnowledgeBase) -> Iterator[Any]:
    """The same database served by an app that loaded a later knowledge-base release."""
    later = replace(kb, version=LATER)
    context = build_web_context(
        web_context.settings, clock=clock, hasher=Argon2Hasher(**FAST_ARGON2), kb=later
    )
    yield create_app(context)
    context.close()


def _as(app: Any, person: Any) -> TestClient:
    """The person's signed-in browser, pointed at another app over the same database."""
    return TestClient(app, base_url="http://testserver", cookies=dict(person.client.cookies))


def test_the_api_names_both_versions_and_says_nothing_when_they_agree(
    patient: Any, kb: KnowledgeBase
) -> None:
    """Same release: knowledge_base.differs is false, the note is null and the page has no notice."""
    assert start_titration(patient).status_code == 201
    body = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/plan").json()
    assert body["knowledge_base"] == {
        "plan": kb.version,
        "loaded": kb.version,
        "differs": False,
        "note": None,
    }
    assert body["version"]["kb_version"] == kb.version
    page = patient.client.get(f"/p/{patient.patient_id}/plan").text
    assert "Knowledge base changed" not in page


def test_a_plan_made_with_an_earlier_release_says_so_in_the_api_and_on_the_page(
    patient: Any, later_app: Any, kb: KnowledgeBase
) -> None:
    """Served by a later release, the plan keeps its own version, and the API and page say in plain words
    that it was made with another one and should be reviewed."""
    assert start_titration(patient).status_code == 201
    client = _as(later_app, patient)
    body = client.get(f"/api/v1/patients/{patient.patient_id}/plan").json()
    versions = body["knowledge_base"]
    assert (versions["plan"], versions["loaded"], versions["differs"]) == (kb.version, LATER, True)
    assert kb.version in versions["note"]
    assert LATER in versions["note"]
    assert "clinician" in versions["note"]
    assert body["plan"]["kb_version"] == kb.version  # the doses are the stored plan's, not re-planned
    page = client.get(f"/p/{patient.patient_id}/plan")
    assert page.status_code == 200
    assert "Knowledge base changed" in page.text
    assert f"knowledge base {kb.version}" in page.text
    assert LATER in page.text


def test_today_says_when_the_plan_was_made_with_another_release(
    patient: Any, later_app: Any, kb: KnowledgeBase
) -> None:
    """Today (page and API) carries the same plain words, and none while the releases agree."""
    assert start_titration(patient).status_code == 201
    same = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/today").json()
    assert (same["plan_kb_version"], same["kb_note"]) == (kb.version, None)
    client = _as(later_app, patient)
    later = client.get(f"/api/v1/patients/{patient.patient_id}/today").json()
    assert later["plan_kb_version"] == kb.version
    assert LATER in later["kb_note"]
    assert later["doses"], "the doses are still listed"
    page = client.get(f"/p/{patient.patient_id}/today").text
    assert "Knowledge base changed" in page


def test_the_plan_page_checks_the_plan_again_against_the_record_as_it_is_now(patient: Any) -> None:
    """A plan saved with good kidney function, then a creatinine of 3.0 mg/dL (CrCl below 30 mL/min): the plan
    page and the API show the kidney finding now, say the findings changed since saving, and keep the
    findings of the day of saving beside them."""
    assert set_profile(patient).status_code == 200
    assert start_titration(patient).status_code == 201
    path = f"/api/v1/patients/{patient.patient_id}/plan"
    before = patient.api("GET", path).json()
    assert before["findings_changed_since_saved"] is False
    saved_codes = {f["code"] for f in before["findings_now"]}
    assert not any(code.startswith("renal") for code in saved_codes), saved_codes
    assert set_profile(patient, creatinine_value="3.0", creatinine_date="2026-11-09").status_code == 200
    after = patient.api("GET", path).json()
    now_codes = {f["code"] for f in after["findings_now"]}
    assert after["findings_changed_since_saved"] is True
    assert {c for c in now_codes - saved_codes if c.startswith("renal")}, now_codes
    assert {f["code"] for f in after["plan"]["findings"]} == saved_codes  # the stored version is unchanged
    page = patient.client.get(f"/p/{patient.patient_id}/plan").text
    assert "The findings have changed since this plan was saved" in page
    assert "The findings on the day it was saved" in page
