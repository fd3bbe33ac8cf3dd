"""CDS Hooks 2.0.1 at ``/cds-services`` (the spec's path, outside /api/v1): discovery, the order-select
and order-sign services, and their feedback endpoints.

Every call carries the client's JWT (``Authorization: Bearer``), verified against DOSEWISE_CDS_CLIENTS
with ``aud`` = the URL called (from DOSEWISE_PUBLIC_URL, never from the Host header) and its ``jti``
claimed once. Errors are JSON in the app's one error shape: 400 malformed, 401 token refused, 404 no
such service, 412 prefetch missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from dosewise.bootstrap.web import WebContext
from dosewise.formats.cds_hooks.feedback import read_feedback
from dosewise.formats.cds_hooks.fhir_read import MalformedRequest
from dosewise.formats.cds_hooks.request import PREFETCH, read_hook_request
from dosewise.services import cds, cds_records
from dosewise.services.cds_auth import VerifiedClient, verify_client_token
from dosewise.services.ports import AccessDenied
from dosewise.web.security import context

__all__ = ["SERVICES", "router"]

router = APIRouter(prefix="/cds-services", include_in_schema=False)


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str


SERVICES = {
    service.id: service
    for service in (
        Service(
            "dosewise-order-select",
            "order-select",
            "dosewise: baclofen and tizanidine order check (order-select)",
            "Checks the selected MedicationRequests against the patient's active medicines and kidney "
            "function: CNS-depressant combinations, tizanidine with CYP1A2 inhibitors, duplicates, and for "
            "baclofen and tizanidine the kidney-adjusted maximum, escalation, abrupt stops and tapers. "
            "A dose not yet given is reported as not assessed.",
        ),
        Service(
            "dosewise-order-sign",
            "order-sign",
            "dosewise: baclofen and tizanidine order check (order-sign)",
            "The final check of every draft MedicationRequest before signing, with the same checks as "
            "order-select; cards are not suppressed.",
        ),
    )
}
_USAGE = (
    "Needs the prefetch listed (Patient, active MedicationRequests, the latest creatinine, eGFR and body "
    "weight); dosewise does not query fhirServer and answers 412 without them. Calls need a JWT from a "
    "client configured in DOSEWISE_CDS_CLIENTS."
)


def _base(ctx: WebContext) -> str:
    return f"{ctx.settings.base_url}/cds-services"


def _authenticate(request: Request, audiences: list[str]) -> VerifiedClient:
    ctx = context(request)
    now = ctx.clock()
    client = verify_client_token(
        request.headers.get("authorization"),
        clients=ctx.cds_clients,
        audiences=audiences,
        now=now,
        max_lifetime=timedelta(seconds=ctx.settings.cds_token_max_seconds),
        leeway=timedelta(seconds=ctx.settings.cds_clock_skew_seconds),
    )
    cds_records.admit(store=ctx.store, client=client, now=now)
    return client


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedRequest(
            "the request body is not a JSON document", hint="send the hook request as JSON"
        ) from exc


def _service(service_id: str) -> Service:
    service = SERVICES.get(service_id)
    if service is None:
        raise AccessDenied(f"there is no CDS service '{service_id[:80]}' here; see GET /cds-services")
    return service


@router.get("")
def discovery(request: Request) -> JSONResponse:
    """The spec's discovery document: the two services, their hooks and prefetch templates."""
    _authenticate(request, [_base(context(request))])
    return JSONResponse(
        {
            "services": [
                {
                    "hook": s.hook,
                    "id": s.id,
                    "title": s.title,
                    "description": s.description,
                    "prefetch": PREFETCH,
                    "usageRequirements": _USAGE,
                }
                for s in SERVICES.values()
            ]
        }
    )


def _answer(request: Request, service_id: str, raw: bytes) -> dict[str, Any]:
    ctx = context(request)
    # The token first: whoever is not a trusted client learns nothing, not even which services exist.
    client = _authenticate(request, [f"{_base(ctx)}/{service_id}"])
    service = _service(service_id)
    body = _json(raw)
    now = ctx.clock()
    hook = read_hook_request(body, hook=service.hook, kb=ctx.kb, today=now.date())
    answer = cds.answer_hook(kb=ctx.kb, request=hook, today=now.date())
    cds_records.remember_cards(
        store=ctx.store,
        service_id=service.id,
        hook_instance=hook.hook_instance,
        cards=answer.cards,
        kb_version=answer.kb_version,
        issuer=client.issuer,
        now=now,
    )
    return answer.to_json()


@router.post("/{service_id}")
async def call_service(service_id: str, request: Request) -> JSONResponse:
    """One hook call: cards for the draft orders (200), or 400, 401, 404 or 412 with the reason."""
    raw = await request.body()
    return JSONResponse(await run_in_threadpool(_answer, request, service_id, raw))


def _feedback(request: Request, service_id: str, raw: bytes) -> dict[str, Any]:
    ctx = context(request)
    url = f"{_base(ctx)}/{service_id}"
    client = _authenticate(request, [url, f"{url}/feedback"])
    service = _service(service_id)
    entries = read_feedback(_json(raw))
    stored = cds_records.record_feedback(
        store=ctx.store, service_id=service.id, entries=entries, issuer=client.issuer, now=ctx.clock()
    )
    return {"stored": stored}


@router.post("/{service_id}/feedback")
async def feedback(service_id: str, request: Request) -> JSONResponse:
    """The spec's feedback: accepted suggestions or an override (with its reason), stored and counted."""
    raw = await request.body()
    return JSONResponse(await run_in_threadpool(_feedback, request, service_id, raw))
