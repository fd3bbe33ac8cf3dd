"""The CDS Hooks 2.0.1 request to dosewise's order-select and order-sign services, checked and read.

The shape is the spec's (hook, hookInstance, context, prefetch; the order-select and order-sign context
tables). A request that breaks it is a ``MalformedRequest`` (400); prefetch that dosewise asked for and did
not get is ``PrefetchMissing`` (412): dosewise does not fetch from the client's ``fhirServer`` (see
docs/cds-hooks.md), so it never answers as if the data were there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dosewise.domain.errors import DosewiseError
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.cds_hooks.fhir_read import (
    CREATININE_CODES,
    EGFR_CODES,
    LOINC,
    WEIGHT_CODES,
    LabValue,
    MalformedRequest,
    MedicationOrder,
    PatientFacts,
    bundle_resources,
    iter_orders,
    latest_lab,
    obj,
    opt_list,
    opt_str,
    read_medication_order,
    read_patient,
)

__all__ = ["HOOKS", "PREFETCH", "HookRequest", "PrefetchMissing", "read_hook_request", "required_missing"]

HOOKS = ("order-select", "order-sign")


def _codes(codes: frozenset[str]) -> str:
    return ",".join(f"{LOINC}|{code}" for code in sorted(codes))


# What each service asks the client to prefetch (discovery), by key. The latest result of each lab kind.
PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
    "creatinine": f"Observation?patient={{{{context.patientId}}}}&code={_codes(CREATININE_CODES)}"
    "&_sort=-date&_count=1",
    "egfr": f"Observation?patient={{{{context.patientId}}}}&code={_codes(EGFR_CODES)}&_sort=-date&_count=1",
    "weight": f"Observation?patient={{{{context.patientId}}}}&code={_codes(WEIGHT_CODES)}&_sort=-date&_count=1",
}

# A medicine on the active list: statuses that mean the patient takes (or will take) it.
_LISTED = frozenset({"active", "on-hold", "intended"})


class PrefetchMissing(DosewiseError):
    """Prefetched data the checks need was not sent, and dosewise does not fetch it itself."""

    code = "prefetch_missing"

    def __init__(self, missing: tuple[str, ...]) -> None:
        super().__init__(
            f"prefetch {', '.join(missing)} is needed and was not sent; dosewise does not fetch from "
            "fhirServer, so it cannot check this order",
            hint="send the prefetch templates listed at GET /cds-services",
        )
        self.details = {"missing": list(missing), "prefetch": {key: PREFETCH[key] for key in missing}}


@dataclass(frozen=True)
class HookRequest:
    hook: str
    hook_instance: str
    patient_id: str
    focus: tuple[MedicationOrder, ...]  # the orders to check: selections (order-select) or every draft
    other_drafts: tuple[MedicationOrder, ...]  # unsigned orders of the session that are not in focus
    patient: PatientFacts
    listed: tuple[MedicationOrder, ...]  # the active medication list (prefetch)
    creatinine: LabValue | None
    egfr: LabValue | None
    weight: LabValue | None


def required_missing(prefetch: dict[str, Any]) -> tuple[str, ...]:
    """Keys the checks cannot do without: the patient, the list, and kidney function (an eGFR, or a
    creatinine with the weight Cockcroft-Gault needs). A key sent with an empty Bundle is not missing:
    the client looked and found nothing, which the cards then say."""
    given = {key for key, value in prefetch.items() if value is not None}
    missing = [key for key in ("patient", "medications") if key not in given]
    if "egfr" not in given and not {"creatinine", "weight"} <= given:
        missing += [key for key in ("egfr", "creatinine", "weight") if key not in given]
    return tuple(missing)


def _reference_matches(reference: str | None, kind: str, ident: str) -> bool:
    if reference is None:
        return True
    return reference == f"{kind}/{ident}" or reference.endswith(f"/{kind}/{ident}")


def _context_string(context: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = context.get(key)
    if value is None:
        if required:
            raise MalformedRequest(f"context.{key} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise MalformedRequest(f"context.{key} must be a non-empty string")
    return value


def read_hook_request(body: Any, *, hook: str, kb: KnowledgeBase, today: date) -> HookRequest:
    request = obj(body, "the request body")
    sent = request.get("hook")
    if sent != hook:
        raise MalformedRequest(f"this service answers the {hook} hook, not {sent!r}")
    instance = opt_str(request, "hookInstance", "request")
    if not instance:
        raise MalformedRequest("hookInstance is required")
    if "fhirAuthorization" in request and not request.get("fhirServer"):
        raise MalformedRequest("fhirAuthorization was sent without fhirServer")  # cds-r-1
    context = obj(request.get("context"), "context")
    patient_id = _context_string(context, "patientId", required=True)
    assert patient_id is not None
    _context_string(context, "userId", required=True)
    drafts_bundle = obj(context.get("draftOrders"), "context.draftOrders")
    if drafts_bundle.get("resourceType") != "Bundle":
        raise MalformedRequest("context.draftOrders must be a FHIR Bundle")
    resources = bundle_resources(drafts_bundle, "context.draftOrders")
    by_reference = {
        f"{r['resourceType']}/{r['id']}": (where, r) for where, r in resources if isinstance(r.get("id"), str)
    }
    if hook == "order-select":
        selections = opt_list(context, "selections", "context")
        if not selections or not all(isinstance(s, str) for s in selections):
            raise MalformedRequest(
                "context.selections must list the selected orders, e.g. MedicationRequest/1"
            )
        unknown = [s for s in selections if s not in by_reference]
        if unknown:
            raise MalformedRequest(
                f"context.selections names orders not in draftOrders: {', '.join(unknown)}"
            )
        focus_refs = set(selections)
    else:
        focus_refs = None
    focus: list[MedicationOrder] = []
    others: list[MedicationOrder] = []
    for where, resource in resources:
        if resource.get("resourceType") != "MedicationRequest":
            continue  # diets, procedures, labs: not dosewise's to check
        order = read_medication_order(resource, kb, where)
        if not _reference_matches(order.subject, "Patient", patient_id):
            raise MalformedRequest(f"{where}.subject is not the patient in context ({patient_id})")
        chosen = focus_refs is None or order.reference in focus_refs
        (focus if chosen else others).append(order)

    prefetch = obj(request.get("prefetch", {}), "prefetch")
    missing = required_missing(prefetch)
    if missing:
        raise PrefetchMissing(missing)
    patient = read_patient(prefetch["patient"], today)
    if patient.id is not None and patient.id != patient_id:
        raise MalformedRequest(f"prefetch.patient is Patient/{patient.id}, not the patient in context")
    draft_refs = {order.reference for order in (*focus, *others) if order.reference}
    listed = tuple(
        order
        for order in iter_orders(bundle_resources(prefetch["medications"], "prefetch.medications"), kb)
        if order.status in _LISTED and order.reference not in draft_refs
    )
    labs: dict[str, LabValue | None] = {}
    for kind in ("creatinine", "egfr", "weight"):
        value = prefetch.get(kind)
        labs[kind] = latest_lab(bundle_resources(value, f"prefetch.{kind}"), kind) if value else None
    return HookRequest(
        hook=hook,
        hook_instance=instance,
        patient_id=patient_id,
        focus=tuple(focus),
        other_drafts=tuple(others),
        patient=patient,
        listed=listed,
        creatinine=labs["creatinine"],
        egfr=labs["egfr"],
        weight=labs["weight"],
    )
