"""The invitation and password pages, driven as a browser would (forms with CSRF tokens)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from web_support import PASSWORD, csrf_from, invite, token_of


def test_an_invitation_link_opened_signed_out_leads_through_sign_in_back_to_it(
    app: Any, patient: Any, register: Any
) -> None:
    """Signed out: to the sign-in page with the link as `next`; signed in: the offer, then accepted."""
    helper = register("Hal Helper", "caregiver")
    grant = invite(patient, "hal@example.org", "caregiver")
    path = f"/invitations/{token_of(grant)}"
    stranger = TestClient(app, base_url="http://testserver")
    redirect = stranger.get(path, follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == f"/login?next={path}"
    page = helper.client.get(path)
    assert "Pat Patient invites you" in page.text
    assert "Hal Helper" in page.text
    accepted = helper.client.post(path + "/accept", data={"csrf_token": csrf_from(page.text)})
    assert "Invitation accepted" in accepted.text
    sharing = patient.client.get(f"/p/{patient.patient_id}/sharing")
    assert "Waiting for you to confirm" in sharing.text
    assert "Hal Helper" in sharing.text
    assert "caregiver account" in sharing.text


def test_the_sharing_page_shows_the_new_link_once(patient: Any) -> None:
    """Inviting from the page shows the link; reloading the page does not show it again."""
    page = patient.client.get(f"/p/{patient.patient_id}/sharing")
    shown = patient.client.post(
        f"/p/{patient.patient_id}/sharing",
        data={"csrf_token": csrf_from(page.text), "email": "friend@example.org", "access": "caregiver"},
    )
    assert 'id="invitation-link"' in shown.text
    assert "/invitations/" in shown.text
    again = patient.client.get(f"/p/{patient.patient_id}/sharing")
    assert "/invitations/" not in again.text
    assert "friend@example.org" in again.text


def test_a_weak_new_password_on_the_account_page_is_refused_with_the_reason(patient: Any) -> None:
    """The form comes back with the policy's words; the old password still works."""
    page = patient.client.get("/account")
    refused = patient.client.post(
        "/account/password",
        data={"csrf_token": csrf_from(page.text), "current_password": PASSWORD, "new_password": "password12"},
    )
    assert "too common" in refused.text
    assert patient.sign_in()


def test_without_smtp_the_forgot_page_sends_people_to_their_administrator(app: Any) -> None:
    """No e-mail configured: no form that pretends to send one."""
    page = TestClient(app, base_url="http://testserver").get("/forgot")
    assert "dosewise admin reset-link" in page.text
    assert 'action="/forgot"' not in page.text
