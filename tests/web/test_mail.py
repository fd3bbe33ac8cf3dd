"""Invitation and reset e-mails go out through a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

from typing import Any

from dosewise.bootstrap.settings import load_settings
from dosewise.bootstrap.web import mailer_for
from dosewise.services import passwords, sharing


def test_no_mailer_unless_smtp_is_configured() -> None:
    """E-mail is off by default."""
    assert mailer_for(load_settings({})) is None


def test_an_invitation_and_a_reset_link_arrive_by_smtp(smtp: Any, web_context: Any, patient: Any) -> None:
    """The configured mailer delivers the invitation link and a reset link to the addressee."""
    inbox, port = smtp
    mailer = mailer_for(
        load_settings(
            {
                "DOSEWISE_SMTP_HOST": "127.0.0.1",
                "DOSEWISE_SMTP_PORT": str(port),
                "DOSEWISE_SMTP_STARTTLS": "false",
            }
        )
    )
    assert mailer is not None
    passwords.send_invitation(
        mailer=mailer,
        to="carer@example.org",
        patient_name="Pat",
        access="caregiver",
        link="http://x/invitations/abc",
    )
    passwords.request_reset_by_email(
        store=web_context.store,
        clock=web_context.clock,
        mailer=mailer,
        email=patient.email,
        base_url="http://x",
    )
    passwords.request_reset_by_email(
        store=web_context.store,
        clock=web_context.clock,
        mailer=mailer,
        email="nobody@example.org",
        base_url="http://x",
    )
    assert [to for to, _ in inbox.messages] == [["carer@example.org"], [patient.email]]
    assert "http://x/invitations/abc" in inbox.messages[0][1]
    assert "http://x/reset/" in inbox.messages[1][1]
    assert sharing.INVITATION_LIFETIME.days == 7
