"""The FHIR inside CDS Hooks traffic is valid R4, by the independent pipeline in tests/fhir (R4 JSON schema,
the core invariants with fhirpathpy, required bindings, cardinalities): every resource of every request
fixture, and every resource dosewise's suggestions carry (the updated MedicationRequest, the
DetectedIssue)."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
from cds_fixtures import BACLOFEN, bundle, dosage, medication_request, resources_in
from hypothesis import HealthCheck, given, settings
from test_cds_cards import SCENARIOS, answer
from test_cds_properties import orders

from dosewise.domain.rules import KnowledgeBase

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fhir"))

import validator  # tests/fhir/validator.py, the independent FHIR pipeline


@pytest.fixture(scope="module", autouse=True)
def _validators() -> None:
    validator.ensure()


def _errors(resources: list[dict[str, Any]]) -> list[str]:
    return [error for resource in resources for error in validator.validate_resource(resource).errors]


def _suggested(kb: KnowledgeBase, body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action["resource"]
        for card in answer(kb, body)["cards"]
        for suggestion in card.get("suggestions", [])
        for action in suggestion["actions"]
    ]


@pytest.mark.parametrize(("case", "body", "expected"), SCENARIOS, ids=[s[0][:40] for s in SCENARIOS])
def test_every_request_fixture_and_every_suggested_resource_is_valid_r4(
    kb: KnowledgeBase, case: str, body: dict[str, Any], expected: dict[str, str]
) -> None:
    """The scenario's draft orders, prefetch Bundles and resources, and what its cards suggest."""
    assert _errors(resources_in(body)) == []
    assert _errors(_suggested(kb, body)) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=orders())
def test_random_orders_and_their_suggestions_are_valid_r4(kb: KnowledgeBase, body: dict[str, Any]) -> None:
    """The property tests' random orders, and the updates and DetectedIssues dosewise offers for them."""
    assert _errors(resources_in(body)) == []
    assert _errors(_suggested(kb, body)) == []


def test_the_pipeline_refuses_the_hook_pages_r4_mistakes() -> None:
    """The check can fail: the hook pages' shapes (doseQuantity under Dosage, doseAndRate as an object, a
    Bundle without type) are refused by the same pipeline the fixtures pass."""
    order = medication_request("d1", BACLOFEN, [dosage(5, 3)])
    flat = copy.deepcopy(order)
    step = flat["dosageInstruction"][0]
    step["doseQuantity"] = step.pop("doseAndRate")[0]["doseQuantity"]
    single = copy.deepcopy(order)
    single["dosageInstruction"][0]["doseAndRate"] = single["dosageInstruction"][0]["doseAndRate"][0]
    untyped = bundle([order])
    del untyped["type"]
    for wrong in (flat, single, untyped):
        assert _errors([wrong])
