"""CDS Hooks answer time: median and maximum of N spec-shaped order-sign and order-select calls, in process.

Reference: the spec's "CDS Services SHOULD respond quickly (on the order of 500 ms.)" (2.0.1, "Providing
FHIR Resources to a CDS Service"). Each call goes through the whole app (TestClient, SQLite in a temporary
directory, JWT verification and jti claim, request reading, the engine, the card writes); tokens are
signed before timing (signing is the client's cost). The service-only time (reading + engine, no HTTP, no
database) is printed beside it, from the same requests.

    PYTHONPATH=src python benchmarks/cds_hooks.py [N]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cds"))

import jwt  # noqa: E402
from cds_fixtures import (  # noqa: E402
    BACLOFEN,
    LORAZEPAM,
    OXYCODONE,
    TIZANIDINE,
    dosage,
    hook_request,
    medication_request,
    patient,
)
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

REFERENCE_MS = 500
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
BASE = "https://cds.example.org"
ISSUER = "https://ehr.example.org/"


def _requests() -> list[tuple[str, dict[str, object]]]:
    man = patient(gender="male", birth="1980-01-01")
    listed = [
        medication_request("a1", BACLOFEN, [dosage(20, 3)], status="active"),
        medication_request("a2", LORAZEPAM, [dosage(1, 2)], status="active"),
    ]
    return [
        (
            "dosewise-order-sign",
            hook_request(
                "order-sign",
                [medication_request("d1", BACLOFEN, None, prior="MedicationRequest/a1", do_not_perform=True)],
                listed=listed,
                the_patient=man,
            ),
        ),
        (
            "dosewise-order-sign",
            hook_request(
                "order-sign",
                [medication_request("d1", BACLOFEN, [dosage(25, 3)], prior="MedicationRequest/a1")],
                listed=listed,
                the_patient=man,
            ),
        ),
        (
            "dosewise-order-select",
            hook_request(
                "order-select", [medication_request("d1", OXYCODONE, [dosage(5, 4)])], listed=listed
            ),
        ),
        (
            "dosewise-order-select",
            hook_request(
                "order-select",
                [medication_request("d1", TIZANIDINE, [dosage(4, 3)])],
                listed=listed,
                the_patient=man,
            ),
        ),
    ]


def main() -> None:
    from fastapi.testclient import TestClient

    from dosewise.bootstrap import knowledge_base
    from dosewise.bootstrap.settings import load_settings
    from dosewise.bootstrap.web import build_web_context
    from dosewise.formats.cds_hooks.request import read_hook_request
    from dosewise.services.cds import answer_hook
    from dosewise.web.app import create_app

    key = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": "k1", "alg": "ES384"})
    requests = _requests()
    with tempfile.TemporaryDirectory() as data:
        clients = Path(data) / "clients.json"
        clients.write_text(json.dumps({"clients": [{"iss": ISSUER, "jwks": {"keys": [public]}}]}))
        settings = load_settings(
            {"DOSEWISE_DATA_DIR": data, "DOSEWISE_PUBLIC_URL": BASE, "DOSEWISE_CDS_CLIENTS": str(clients)}
        )
        context = build_web_context(settings)
        client = TestClient(create_app(context), base_url="https://testserver")
        now = int(datetime.now(UTC).timestamp())
        planned = []
        for index in range(N):
            service, body = requests[index % len(requests)]
            claims = {
                "iss": ISSUER,
                "aud": f"{BASE}/cds-services/{service}",
                "iat": now,
                "exp": now + 300,
                "jti": str(uuid.uuid4()),
            }
            token = jwt.encode(claims, key, algorithm="ES384", headers={"kid": "k1", "typ": "JWT"})
            planned.append((service, body, token))
        client.post(
            f"/cds-services/{planned[0][0]}",
            json=planned[0][1],
            headers={"Authorization": f"Bearer {planned[0][2]}"},
        )
        samples = []
        for service, body, token in planned[1:]:
            start = time.perf_counter()
            response = client.post(
                f"/cds-services/{service}", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
        context.close()
    kb = knowledge_base()
    today = datetime.now(UTC).date()
    service_only = []
    for index in range(N):
        _, body = requests[index % len(requests)]
        start = time.perf_counter()
        answer_hook(
            kb=kb, request=read_hook_request(body, hook=str(body["hook"]), kb=kb, today=today), today=today
        )
        service_only.append((time.perf_counter() - start) * 1000)
    print(
        f"CDS Hooks answer time over {len(samples)} calls (reference: about {REFERENCE_MS} ms, CDS Hooks 2.0.1)"
    )
    print(f"  load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, values in (("whole app in process", samples), ("service only (read + engine)", service_only)):
        p95 = statistics.quantiles(values, n=20)[-1]
        print(
            f"  {name}: median {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, max {max(values):.1f} ms, "
            f"over {REFERENCE_MS} ms: {sum(v > REFERENCE_MS for v in values)}"
        )


if __name__ == "__main__":
    main()
