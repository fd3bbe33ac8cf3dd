"""Sending e-mail over SMTP (invitations and password resets), only where an SMTP server is configured."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

__all__ = ["SmtpMailer"]


class SmtpMailer:
    """One connection per message: dosewise sends few e-mails, and never holds a connection open."""

    def __init__(
        self, *, host: str, port: int, sender: str, user: str = "", password: str = "", starttls: bool = True
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls

    def send(self, *, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)
