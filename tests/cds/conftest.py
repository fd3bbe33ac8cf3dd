"""The real app with one trusted CDS client (an ES384 key made for the test run), a movable clock, and a
helper that signs a fresh token for every call, as an EHR does."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cds_client import ISSUER, KID, PUBLIC_URL, Clock, Ehr
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from dosewise.adapters.db.testing import TEST_DATABASE_ENV, scratch_database
from dosewise.bootstrap.settings import load_settings
from dosewise.bootstrap.web import WebContext, build_web_context
from dosewise.web.app import create_app


@pytest.fixture(scope="session")
def ehr_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


START = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def module_clock() -> Clock:
    return Clock(START)


@pytest.fixture
def cds_clock(module_clock: Clock) -> Clock:
    """The app's clock, back at the start for every test (one app serves a whole module)."""
    module_clock.now = START
    return module_clock


@pytest.fixture(scope="module")
def cds_context(
    tmp_path_factory: pytest.TempPathFactory,
    module_clock: Clock,
    kb: Any,
    ehr_key: ec.EllipticCurvePrivateKey,
) -> Iterator[WebContext]:
    """One app and database per module (migrating one per test cost seconds each); tests count deltas."""
    tmp_path = tmp_path_factory.mktemp("cds")
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ehr_key.public_key()))
    public.update({"kid": KID, "alg": "ES384", "use": "sig"})
    clients = tmp_path / "cds-clients.json"
    clients.write_text(
        json.dumps({"clients": [{"iss": ISSUER, "name": "Test EHR", "jwks": {"keys": [public]}}]})
    )
    with scratch_database(os.environ.get(TEST_DATABASE_ENV), tmp_path) as url:
        settings = load_settings(
            {
                "DOSEWISE_DATA_DIR": str(tmp_path),
                "DOSEWISE_DATABASE_URL": url,
                "DOSEWISE_SECRET_KEY": "test-secret-key",
                "DOSEWISE_PUBLIC_URL": PUBLIC_URL,
                "DOSEWISE_CDS_CLIENTS": str(clients),
            }
        )
        context = build_web_context(settings, clock=module_clock, kb=kb)
        yield context
        context.close()


@pytest.fixture(scope="module")
def cds_app(cds_context: WebContext) -> TestClient:
    return TestClient(create_app(cds_context), base_url="https://testserver")


@pytest.fixture
def ehr(cds_app: TestClient, cds_clock: Clock, ehr_key: ec.EllipticCurvePrivateKey) -> Ehr:
    return Ehr(cds_app, ehr_key, cds_clock)
