"""Who is calling the CDS Hooks services: the client's JWT, verified as CDS Hooks 2.0.1 "Trusting CDS
Clients" asks (asymmetric signature by a key of an allowed issuer's JWK Set, ``aud`` = the endpoint
called, ``exp``, ``iat``, a ``jti`` never seen before).

Only issuers listed in DOSEWISE_CDS_CLIENTS are trusted, each with its JWK Set given there: a ``jku`` in
the token is never fetched, and one that is not the configured ``jku`` of that issuer is refused. Times
are checked against the app's clock (not the library's), so tests can move it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from dosewise.services.ports import AuthenticationFailed

__all__ = [
    "ALGORITHMS",
    "CdsClient",
    "CdsClients",
    "TokenRefused",
    "VerifiedClient",
    "parse_clients",
    "verify_client_token",
]

# Asymmetric algorithms only: the spec forbids "none" and every shared-secret (HMAC) algorithm.
ALGORITHMS = frozenset({"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})


class TokenRefused(AuthenticationFailed):
    """The client's JWT is missing, malformed, unsigned by a trusted key, for another audience, expired or
    already used."""

    code = "cds_token_refused"


@dataclass(frozen=True)
class CdsClient:
    issuer: str
    keys: jwt.PyJWKSet
    jku: str | None = None
    name: str = ""


@dataclass(frozen=True)
class CdsClients:
    """The allow-list: issuer -> client (with its keys)."""

    by_issuer: Mapping[str, CdsClient]

    def __bool__(self) -> bool:
        return bool(self.by_issuer)


@dataclass(frozen=True)
class VerifiedClient:
    issuer: str
    jti: str
    expires_at: datetime
    tenant: str | None


def parse_clients(data: Any) -> CdsClients:
    """``{"clients": [{"iss": ..., "jwks": {"keys": [...]}, "jku": optional, "name": optional}]}``."""
    if not isinstance(data, dict) or not isinstance(data.get("clients"), list):
        raise ValueError('the CDS clients file must be {"clients": [{"iss": ..., "jwks": {...}}]}')
    clients: dict[str, CdsClient] = {}
    for index, item in enumerate(data["clients"]):
        if not isinstance(item, dict) or not isinstance(item.get("iss"), str) or not item["iss"]:
            raise ValueError(f"CDS client {index} needs an 'iss' (the issuer URI its tokens carry)")
        jwks = item.get("jwks")
        if not isinstance(jwks, dict):
            raise ValueError(f"CDS client {item['iss']} needs a 'jwks' object (its JWK Set)")
        try:
            keys = jwt.PyJWKSet.from_dict(jwks)
        except (jwt.PyJWKSetError, jwt.InvalidKeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"CDS client {item['iss']}: its 'jwks' is not a usable JWK Set ({exc})") from exc
        for key in keys.keys:
            if key.key_type == "oct":
                raise ValueError(f"CDS client {item['iss']}: symmetric keys are not allowed")
        if item["iss"] in clients:
            raise ValueError(f"CDS client {item['iss']} is listed twice")
        clients[item["iss"]] = CdsClient(item["iss"], keys, item.get("jku"), str(item.get("name", "")))
    return CdsClients(clients)


def _claim_time(claims: Mapping[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRefused(f"the token's '{name}' must be a number of seconds since 1970")
    return datetime.fromtimestamp(value, UTC)


def verify_client_token(
    authorization: str | None,
    *,
    clients: CdsClients,
    audiences: Iterable[str],
    now: datetime,
    max_lifetime: timedelta,
    leeway: timedelta,
    check_times: bool = True,
) -> VerifiedClient:
    """The verified client, or ``TokenRefused`` saying what was wrong (never which key would have fit)."""
    if not authorization or not authorization.startswith("Bearer "):
        raise TokenRefused("CDS Hooks calls need 'Authorization: Bearer <JWT>' signed by a trusted client")
    token = authorization.removeprefix("Bearer ").strip()
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenRefused("the Authorization header does not hold a JWT") from exc
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:
        raise TokenRefused(f"JWT algorithm {alg!r} is not accepted (asymmetric ES/RS/PS algorithms only)")
    if header.get("typ") not in (None, "JWT") or not isinstance(kid, str):
        raise TokenRefused("the JWT header needs typ 'JWT' and a 'kid'")
    client = clients.by_issuer.get(str(unverified.get("iss")))
    if client is None:
        raise TokenRefused("the token's issuer is not a trusted CDS client")
    if "jku" in header and header["jku"] != client.jku:
        raise TokenRefused("the token's jku is not the JWK Set URL configured for its issuer")
    try:
        key = client.keys[kid]
    except KeyError as exc:
        raise TokenRefused("the token's kid is not in its issuer's JWK Set") from exc
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=list(audiences),
            issuer=client.issuer,
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": ["aud", "jti"],
            },
        )
    except jwt.InvalidAudienceError as exc:
        raise TokenRefused("the token's aud is not this CDS service's URL") from exc
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"the token was refused: {exc}") from exc
    expires, issued = _claim_time(claims, "exp"), _claim_time(claims, "iat")
    if check_times:
        if expires + leeway <= now:
            raise TokenRefused("the token has expired")
        if issued - leeway > now:
            raise TokenRefused("the token was issued in the future")
        if expires - issued > max_lifetime:
            raise TokenRefused(f"the token lives longer than {int(max_lifetime.total_seconds())} seconds")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise TokenRefused("the token needs a jti (a nonce that is used once)")
    tenant = claims.get("tenant")
    return VerifiedClient(client.issuer, jti, expires, tenant if isinstance(tenant, str) else None)
