"""Web Push (RFC 8030 / 8291 / 8292) through pywebpush, signed with dosewise's VAPID key.

The key pair is made on first start and kept (mode 0600) in the data directory: browsers subscribe with
its public half, so a new key would silently orphan every subscription.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from dosewise.services.reminders_ports import PushResult, PushSubscription

__all__ = ["WebPushSender", "load_or_create_vapid_key"]


def load_or_create_vapid_key(path: Path) -> Any:
    """The VAPID key (a ``py_vapid.Vapid``) in ``path``; a new P-256 key is written there on first use."""
    from py_vapid import Vapid

    if path.is_file():
        return Vapid.from_file(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    vapid = Vapid()
    vapid.generate_keys()
    from cryptography.hazmat.primitives import serialization

    pem = vapid.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker process made it first: use that one
        return Vapid.from_file(str(path))
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return vapid


def _public_key(vapid: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class WebPushSender:
    """Encrypts (aes128gcm) and posts one message; the push service's answer is returned, never raised."""

    def __init__(self, *, key_path: Path, subject: str, timeout_seconds: float = 10) -> None:
        self._vapid = load_or_create_vapid_key(key_path)
        self._subject = subject
        self._timeout = timeout_seconds
        self._public = _public_key(self._vapid)

    @property
    def public_key(self) -> str:
        return self._public

    def send(
        self, subscription: PushSubscription, payload: bytes, *, ttl: int, urgency: str, topic: str
    ) -> PushResult:
        from pywebpush import WebPushException, webpush

        try:
            response = webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=payload.decode(),
                vapid_private_key=self._vapid,
                # A copy: pywebpush writes "aud" and "exp" into the claims it is given.
                vapid_claims={"sub": self._subject},
                content_encoding="aes128gcm",
                # pywebpush's default TTL is 0: a phone that is asleep would never get the reminder.
                ttl=ttl,
                headers={
                    "Urgency": urgency,
                    "Topic": topic,
                    # Some push services (web-push-testing among them) want the body's type said.
                    "Content-Type": "application/octet-stream",
                },
                timeout=self._timeout,
            )
        except WebPushException as error:
            status = error.status_code or 0
            return PushResult(status, f"push service answered {status}" if status else "no answer")
        except OSError as error:  # refused, reset, timed out: the service may be down for a while
            return PushResult(0, type(error).__name__)
        status = int(getattr(response, "status_code", 0))
        return PushResult(status, "" if 200 <= status < 300 else f"push service answered {status}")
