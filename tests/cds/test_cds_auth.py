"""The CDS client's JWT: the spec's own example token as a known answer, and every refusal over HTTP."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cds_client import ISSUER, KID, PUBLIC_URL, Ehr
from cds_fixtures import BACLOFEN, dosage, hook_request, medication_request
from cryptography.hazmat.primitives.asymmetric import ec

from dosewise.services.cds_auth import TokenRefused, parse_clients, verify_client_token

# CDS Hooks 2.0.1 (HL7/cds-hooks tag v2.0.1, input/pagecontent/index.md, "Trusting CDS Clients" example):
# the token, the public JWK Set and the payload exactly as printed there.
SPEC_TOKEN = (
    "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6ImV4YW1wbGUta2lkIiwiamt1IjoiaHR0cHM6Ly9maGlyLWVoci5leGFtcGxl"
    "LmNvbS9qd2tfdXJpIn0.eyJpc3MiOiJodHRwczovL2ZoaXItZWhyLmV4YW1wbGUuY29tLyIsImF1ZCI6Imh0dHBzOi8vY2RzLmV4YW1w"
    "bGUub3JnL2Nkcy1zZXJ2aWNlcy9zb21lLXNlcnZpY2UiLCJleHAiOjE0MjI1Njg4NjAsImlhdCI6MTMxMTI4MDk3MCwianRpIjoiZWUy"
    "MmIwMjEtZTFiNy00NjExLWJhNWItOGVlYzZhMzNhYzFlIiwidGVuYW50IjoiMmRkZDZjM2EtOGU5YS00NGM2LWEzMDUtNTIxMTFhZDMw"
    "MmEyIn0.d1WfLjGRKlcWB94l9do4cM8REXeYJLL6SGUBO8VHZhfM8mwKYP70EMxJ67War4TQblEpaQrp11wx5p7oPFm2ETYgCicS84vXW"
    "EIYTdjooZdooCSDf2L8-i4awdoUwiEb"
)
SPEC_JWKS = {
    "keys": [
        {
            "kty": "EC",
            "use": "sig",
            "crv": "P-384",
            "kid": "example-kid",
            "x": "46SDH7Znh821wblCBglA61sNE9ZrHYKKt3qRtRTmSXyOI_FIGBLWrWa0GPUkDCEk",
            "y": "XMcRuuoGW7CXjQdy-F5i3FeBE0x9hPLdeFdSoDd3ELmx404tLX0VRRcqzAsPhXcI",
            "alg": "ES384",
        }
    ]
}
SPEC_CLIENTS = parse_clients(
    {
        "clients": [
            {
                "iss": "https://fhir-ehr.example.com/",
                "jku": "https://fhir-ehr.example.com/jwk_uri",
                "jwks": SPEC_JWKS,
            }
        ]
    }
)
SPEC_AUD = "https://cds.example.org/cds-services/some-service"


def _verify(
    token: str, *, check_times: bool = False, now: datetime | None = None, aud: str = SPEC_AUD
) -> object:
    return verify_client_token(
        f"Bearer {token}",
        clients=SPEC_CLIENTS,
        audiences=[aud],
        now=now or datetime(2026, 1, 1, tzinfo=UTC),
        max_lifetime=timedelta(seconds=300),
        leeway=timedelta(seconds=60),
        check_times=check_times,
    )


def test_the_spec_example_token_verifies_with_the_spec_key_set() -> None:
    """Known answer: the 2.0.1 example JWT verifies (ES384, kid example-kid) and yields its printed claims."""
    client = _verify(SPEC_TOKEN)
    assert client.issuer == "https://fhir-ehr.example.com/"  # type: ignore[attr-defined]
    assert client.jti == "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e"  # type: ignore[attr-defined]
    assert client.tenant == "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"  # type: ignore[attr-defined]
    assert client.expires_at == datetime.fromtimestamp(1422568860, UTC)  # type: ignore[attr-defined]


def test_one_changed_signature_byte_fails_the_known_answer() -> None:
    """The same token with one signature character changed is refused: the check is the signature."""
    head, body, signature = SPEC_TOKEN.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(TokenRefused):
        _verify(f"{head}.{body}.{flipped}")


def test_a_changed_claim_fails_the_known_answer() -> None:
    """Re-encoding the payload with another audience (signature kept) is refused."""
    head, body, signature = SPEC_TOKEN.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["aud"] = "https://evil.example/cds-services/some-service"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(TokenRefused):
        _verify(f"{head}.{forged}.{signature}", aud=claims["aud"])


def test_the_spec_token_is_refused_for_another_service_and_once_times_are_checked() -> None:
    """The example's aud names some-service, and it expired in 2015 (its lifetime is also 3.5 years)."""
    with pytest.raises(TokenRefused, match="aud"):
        _verify(SPEC_TOKEN, aud="https://cds.example.org/cds-services/dosewise-order-sign")
    with pytest.raises(TokenRefused, match="expired"):
        _verify(SPEC_TOKEN, check_times=True)
    with pytest.raises(TokenRefused, match="longer"):
        _verify(SPEC_TOKEN, check_times=True, now=datetime(2015, 1, 29, 22, 0, tzinfo=UTC))


def test_symmetric_and_unsigned_tokens_are_refused_before_any_key_is_chosen() -> None:
    """alg none and HS256 (the spec forbids both) are refused by name."""
    claims = {"iss": "https://fhir-ehr.example.com/", "aud": SPEC_AUD, "exp": 2, "iat": 1, "jti": "x"}
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "example-kid"})
    hmac = jwt.encode(
        claims, "a-shared-secret-of-at-least-32-bytes!!", algorithm="HS256", headers={"kid": "example-kid"}
    )
    for token in (unsigned, hmac):
        with pytest.raises(TokenRefused, match="not accepted"):
            _verify(token)


def test_a_client_file_with_a_symmetric_key_is_refused() -> None:
    """An 'oct' key in a client's JWK Set would let a shared secret in: the configuration is refused."""
    with pytest.raises(ValueError, match="symmetric"):
        parse_clients(
            {"clients": [{"iss": "x", "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "k"}]}}]}
        )


BODY = hook_request("order-sign", [medication_request("d1", BACLOFEN, [dosage(5, 3)])])


def test_a_fresh_token_gets_cards(ehr: Ehr) -> None:
    """The trusted client's token, aud = the service URL, opens the service."""
    response = ehr.post("/cds-services/dosewise-order-sign", BODY)
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["cards"], list)


@pytest.mark.parametrize(
    ("case", "claims"),
    [
        ("other audience", {"aud": PUBLIC_URL + "/cds-services/dosewise-order-select"}),
        ("discovery audience", {"aud": PUBLIC_URL + "/cds-services"}),
        ("host-header audience", {"aud": "https://testserver/cds-services/dosewise-order-sign"}),
        ("expired", {"exp": 1_700_000_000}),
        ("issued in the future", {"iat": 1_900_000_000, "exp": 1_900_000_060}),
        ("lives too long", {"exp": 1_800_000_000}),
        ("unknown issuer", {"iss": "https://other-ehr.example.org/"}),
        ("no jti", {"jti": ""}),
    ],
)
def test_a_token_that_breaks_a_rule_gets_401(ehr: Ehr, case: str, claims: dict[str, object]) -> None:
    """Each rule of the spec's JWT profile, broken alone, is refused with 401 in the error shape."""
    response = ehr.post("/cds-services/dosewise-order-sign", BODY, **claims)
    assert response.status_code == 401, case
    assert response.json()["error"]["code"] == "cds_token_refused"


def test_no_token_and_a_foreign_key_get_401(ehr: Ehr) -> None:
    """No Authorization header, or a token signed by a key not in the issuer's JWK Set."""
    assert ehr.client.post("/cds-services/dosewise-order-sign", json=BODY).status_code == 401
    stranger = ec.generate_private_key(ec.SECP384R1())
    now = int(ehr.clock.now.timestamp())
    forged = jwt.encode(
        {
            "iss": ISSUER,
            "aud": PUBLIC_URL + "/cds-services/dosewise-order-sign",
            "iat": now,
            "exp": now + 60,
            "jti": "j",
        },
        stranger,
        algorithm="ES384",
        headers={"kid": KID},
    )
    assert ehr.post("/cds-services/dosewise-order-sign", BODY, token=forged).status_code == 401


def test_a_replayed_token_is_refused(ehr: Ehr) -> None:
    """The same jti twice: the first call is answered, the second refused, even with the same body."""
    token = ehr.token(PUBLIC_URL + "/cds-services/dosewise-order-sign")
    assert ehr.post("/cds-services/dosewise-order-sign", BODY, token=token).status_code == 200
    second = ehr.post("/cds-services/dosewise-order-sign", BODY, token=token)
    assert second.status_code == 401
    assert "replay" in second.json()["error"]["message"]


def test_a_jti_is_forgotten_only_after_its_token_expired(ehr: Ehr) -> None:
    """The replay record outlives the token (it is purged after exp, when the token is refused anyway)."""
    token = ehr.token(PUBLIC_URL + "/cds-services/dosewise-order-sign")
    assert ehr.post("/cds-services/dosewise-order-sign", BODY, token=token).status_code == 200
    ehr.clock.now += timedelta(seconds=30)
    assert ehr.post("/cds-services/dosewise-order-sign", BODY, token=token).status_code == 401
    ehr.clock.now += timedelta(seconds=120)
    refused = ehr.post("/cds-services/dosewise-order-sign", BODY, token=token)
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]["message"]


def test_discovery_needs_a_token_for_the_discovery_url(ehr: Ehr) -> None:
    """GET /cds-services with aud = {base}/cds-services lists both services; without a token it is 401."""
    assert ehr.client.get("/cds-services").status_code == 401
    response = ehr.get("/cds-services")
    assert response.status_code == 200
    hooks = {s["id"]: s["hook"] for s in response.json()["services"]}
    assert hooks == {"dosewise-order-select": "order-select", "dosewise-order-sign": "order-sign"}
