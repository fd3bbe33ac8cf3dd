"""A CDS client as an EHR is one: it signs a fresh ES384 JWT for every call (the keys are made per run)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

PUBLIC_URL = "https://cds.example.org"
ISSUER = "https://ehr.example.org/"
KID = "ehr-key-1"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Ehr:
    """A CDS client: it signs a new JWT for each call with its private key."""

    client: TestClient
    key: ec.EllipticCurvePrivateKey
    clock: Clock

    def token(self, audience: str, **claims: Any) -> str:
        now = int(self.clock.now.timestamp())
        payload = {"iss": ISSUER, "aud": audience, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
        payload.update(claims)
        return jwt.encode(payload, self.key, algorithm="ES384", headers={"kid": KID, "typ": "JWT"})

    def get(self, path: str, **claims: Any) -> Any:
        return self.client.get(
            path, headers={"Authorization": f"Bearer {self.token(PUBLIC_URL + path, **claims)}"}
        )

    def post(self, path: str, body: Any, *, token: str | None = None, **claims: Any) -> Any:
        bearer = token or self.token(PUBLIC_URL + path, **claims)
        headers = {"Authorization": f"Bearer {bearer}"}
        if isinstance(body, bytes | str):
            return self.client.post(
                path, content=body, headers={**headers, "Content-Type": "application/json"}
            )
        return self.client.post(path, json=body, headers=headers)
