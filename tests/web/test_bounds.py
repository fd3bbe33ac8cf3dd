"""No 500s for people with access: ids, dates and lists beyond what the database or the planner holds are
refused with a clear 4xx in the documented error shape."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import app_routes, set_profile, start_titration

_HUGE = ("2147483648", "9223372036854775808", "599912390343599980544", "-1", "0")


def _id_routes(app: Any) -> list[tuple[str, str]]:
    return [
        (m, p)
        for m, p in app_routes(app)
        if any(n in p for n in ("_id}",)) and "{patient_id}" not in p or p.count("{") > 1
    ]


@pytest.mark.parametrize("value", _HUGE)
def test_an_id_outside_the_database_range_is_a_clear_refusal(app: Any, patient: Any, value: str) -> None:
    """Every route with a numeric id answers 4xx (never 5xx) to ids the database cannot hold."""
    checked = 0
    for method, path in _id_routes(app):
        url = path.replace("{patient_id}", patient.patient_id).replace("{pid}", patient.patient_id)
        for name in ("medication_id", "event_id", "grant_id", "entry_id"):
            url = url.replace("{" + name + "}", value)
        if url.startswith("/api/"):
            response = patient.api(method, url, json={"reason": "typo"})
            assert 400 <= response.status_code < 500, f"{method} {url}: {response.status_code}"
            assert "error" in response.json()
        else:
            response = patient.form(url, {"reason": "typo"}, follow_redirects=False)
            assert response.status_code < 500, f"{method} {url}: {response.status_code}"
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "2400-02-29", "1900-01-01"])
def test_a_plan_start_far_from_today_is_refused(patient: Any, start: str) -> None:
    """A plan starting centuries away is refused with 422, previewed or saved."""
    set_profile(patient)
    pid = patient.patient_id
    preview = patient.api("POST", f"/api/v1/patients/{pid}/plan/preview", json={"start": start})
    assert preview.status_code == 422, preview.text
    assert preview.json()["error"]["code"] == "invalid_input"
    assert start_titration(patient, start=start).status_code == 422


def test_an_unknown_product_in_the_preview_is_refused(patient: Any) -> None:
    """A product id the knowledge base does not know is a 422 naming it, not a crash."""
    set_profile(patient)
    pid = patient.patient_id
    for products in (["no-such-product"], ["÷\U0007c479tá"], [""] * 3, ["baclofen-tab-5mg", "x" * 500]):
        response = patient.api("POST", f"/api/v1/patients/{pid}/plan/preview", json={"products": products})
        assert response.status_code in (200, 422), f"{products}: {response.status_code}"
