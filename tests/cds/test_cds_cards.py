"""Cards for spec-shaped order-select and order-sign requests, computed by the engine.

Each scenario is a request a clinician's EHR could send (valid R4 content) and the finding codes the
engine must raise; every answer must also pass the spec's card rules and invariants.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from cds_fixtures import (
    AMOXICILLIN,
    BACLOFEN,
    BACLOFEN_10_TABLET,
    CIPROFLOXACIN,
    LORAZEPAM,
    OXYCODONE,
    PATIENT_ID,
    TIZANIDINE,
    creatinine,
    dosage,
    egfr,
    hook_request,
    medication_request,
    patient,
    weight,
)
from cds_invariants import RESPONSE, violations

from dosewise.domain.patient import Patient, SerumCreatinine, kidney_function
from dosewise.domain.quantity import format_limit
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.cds_hooks.cards import OVERRIDE_REASONS
from dosewise.formats.cds_hooks.request import read_hook_request
from dosewise.services.cds import answer_hook

TODAY = date(2026, 11, 10)
MAN_46 = patient(gender="male", birth="1980-01-01")
KIDNEY_NORMAL = {"creatinine": [creatinine(0.9)], "weight": [weight(80)], "egfr": []}
VERAPAMIL = ("11170", "verapamil")  # a (moderate) CYP1A2 inhibitor in the label's list


def answer(kb: KnowledgeBase, body: dict[str, Any]) -> dict[str, Any]:
    request = read_hook_request(body, hook=body["hook"], kb=kb, today=TODAY)
    return answer_hook(kb=kb, request=request, today=TODAY).to_json()


def codes(response: dict[str, Any]) -> dict[str, str]:
    return {card["source"]["topic"]["code"]: card["indicator"] for card in response["cards"]}


def active(ident: str, code: tuple[str, str], dose: float, per_day: int) -> dict[str, Any]:
    return medication_request(ident, code, [dosage(dose, per_day)], status="active", authored="2026-09-01")


SCENARIOS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    (
        "oxycodone ordered for a patient on baclofen and lorazepam: every sedative pair and the load",
        hook_request(
            "order-select",
            [medication_request("d1", OXYCODONE, [dosage(5, 4)])],
            listed=[active("a1", BACLOFEN, 10, 3), active("a2", LORAZEPAM, 1, 2)],
            labs=KIDNEY_NORMAL,
        ),
        {
            "interaction.baclofen-opioid": "critical",
            "interaction.opioid-benzodiazepine": "critical",
            "class_count.three-cns-depressants": "critical",
        },
    ),
    (
        "tizanidine with ciprofloxacin (a strong CYP1A2 inhibitor): contraindicated",
        hook_request(
            "order-select",
            [medication_request("d1", TIZANIDINE, [dosage(2, 3)])],
            listed=[active("a1", CIPROFLOXACIN, 500, 2)],
            the_patient=MAN_46,
            labs=KIDNEY_NORMAL,
        ),
        {"interaction.tizanidine-strong-cyp1a2-inhibitor": "critical"},
    ),
    (
        "tizanidine 4 mg three times a day with verapamil: the label's lower start under a CYP1A2 inhibitor",
        hook_request(
            "order-sign",
            [medication_request("d1", TIZANIDINE, [dosage(4, 3)])],
            listed=[active("a1", VERAPAMIL, 80, 3)],
            the_patient=MAN_46,
            labs=KIDNEY_NORMAL,
        ),
        {"interaction.tizanidine-cyp1a2-inhibitor": "critical", "titration.high_start": "critical"},
    ),
    (
        "baclofen raised from 5 to 20 mg three times a day in one step",
        hook_request(
            "order-sign",
            [medication_request("d1", BACLOFEN, [dosage(20, 3)], prior="MedicationRequest/a1")],
            listed=[active("a1", BACLOFEN, 5, 3)],
            the_patient=MAN_46,
            labs=KIDNEY_NORMAL,
        ),
        {"titration.too_fast_increment": "critical"},
    ),
    (
        "baclofen 20 mg three times a day for CrCl about 44 mL/min (Cockcroft-Gault from the prefetch)",
        hook_request(
            "order-sign",
            [medication_request("d1", BACLOFEN, [dosage(20, 3)], prior="MedicationRequest/a1")],
            listed=[active("a1", BACLOFEN, 20, 3)],
            the_patient=patient(gender="male", birth="1976-06-01"),
            labs={"creatinine": [creatinine(2.0)], "weight": [weight(70)], "egfr": []},
        ),
        {"limit.above_renal_ceiling": "critical", "renal.reduce.moderate": "warning"},
    ),
    (
        "baclofen stopped (doNotPerform) from 20 mg three times a day",
        hook_request(
            "order-sign",
            [medication_request("d1", BACLOFEN, None, prior="MedicationRequest/a1", do_not_perform=True)],
            listed=[active("a1", BACLOFEN, 20, 3)],
            the_patient=MAN_46,
            labs=KIDNEY_NORMAL,
        ),
        {"stop.abrupt": "critical", "taper.too_fast": "critical"},
    ),
    (
        "a four-day taper from 60 mg a day that then ends",
        hook_request(
            "order-sign",
            [
                medication_request(
                    "d1",
                    BACLOFEN,
                    [dosage(10, 3, sequence=1, days=2), dosage(5, 3, sequence=2, days=2)],
                    prior="MedicationRequest/a1",
                )
            ],
            listed=[active("a1", BACLOFEN, 20, 3)],
            the_patient=MAN_46,
            labs=KIDNEY_NORMAL,
        ),
        {"taper.too_fast": "critical", "taper.step_too_short": "warning"},
    ),
    (
        "a second baclofen order beside the active one, not linked: a duplicate with the total dose",
        hook_request(
            "order-sign",
            [medication_request("d1", BACLOFEN_10_TABLET, [dosage(10, 3)])],
            listed=[active("a1", BACLOFEN, 10, 3)],
            the_patient=MAN_46,
            labs=KIDNEY_NORMAL,
        ),
        {"duplicate.planned_drug": "critical"},
    ),
    (
        "kidney function unknown: the card says it was not checked",
        hook_request(
            "order-sign",
            [medication_request("d1", BACLOFEN, [dosage(5, 3)])],
            the_patient=MAN_46,
            labs={"creatinine": [], "weight": [], "egfr": []},
        ),
        {"renal.unknown": "info"},
    ),
    (
        "order-select before a dose is chosen: not assessed, said so",
        hook_request(
            "order-select", [medication_request("d1", BACLOFEN, None)], the_patient=MAN_46, labs=KIDNEY_NORMAL
        ),
        {"cds.not_assessed": "info"},
    ),
    (
        "order-sign with a dose in tablets: not assessed, as a warning",
        hook_request(
            "order-sign",
            [medication_request("d1", BACLOFEN, [dosage(1, 3, unit=("tablet", "{tbl}"))])],
            the_patient=MAN_46,
            labs=KIDNEY_NORMAL,
        ),
        {"cds.not_assessed": "warning"},
    ),
    (
        "intrathecal baclofen in mcg: not judged by the oral rules",
        hook_request(
            "order-sign",
            [
                medication_request(
                    "d1",
                    BACLOFEN,
                    [
                        dosage(50, 1, unit=("mcg", "ug"))
                        | {
                            "route": {
                                "coding": [
                                    {
                                        "system": "http://snomed.info/sct",
                                        "code": "72607000",
                                        "display": "Intrathecal route",
                                    }
                                ]
                            }
                        }
                    ],
                )
            ],
            the_patient=MAN_46,
            labs=KIDNEY_NORMAL,
        ),
        {"cds.not_assessed": "warning"},
    ),
    (
        "oral baclofen written in micrograms: refused as a unit, never converted",
        hook_request(
            "order-sign",
            [medication_request("d1", BACLOFEN, [dosage(5000, 3, unit=("mcg", "ug"))])],
            the_patient=MAN_46,
            labs=KIDNEY_NORMAL,
        ),
        {"cds.not_assessed": "warning"},
    ),
    (
        "a medicine dosewise does not know: reported as not screened",
        hook_request(
            "order-sign", [medication_request("d1", AMOXICILLIN, [dosage(500, 3)])], labs=KIDNEY_NORMAL
        ),
        {"screening.not_screened": "info"},
    ),
]


@pytest.mark.parametrize(("case", "body", "expected"), SCENARIOS, ids=[s[0][:40] for s in SCENARIOS])
def test_each_scenario_raises_its_findings(
    kb: KnowledgeBase, case: str, body: dict[str, Any], expected: dict[str, str]
) -> None:
    """The engine's findings for the order appear as cards at the indicator their severity maps to."""
    found = codes(answer(kb, body))
    for code, indicator in expected.items():
        assert found.get(code) == indicator, f"{case}: {code} -> {found.get(code)} in {found}"


@pytest.mark.parametrize(("case", "body", "expected"), SCENARIOS, ids=[s[0][:40] for s in SCENARIOS])
def test_every_card_follows_the_spec(
    kb: KnowledgeBase, case: str, body: dict[str, Any], expected: dict[str, str]
) -> None:
    """Summary under 140 characters, a known indicator, a source naming the knowledge-base version,
    override reasons with displays, selectionBehavior with suggestions, and the spec's invariants."""
    response = answer(kb, body)
    assert violations(response, RESPONSE) == []
    for card in response["cards"]:
        assert 0 < len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert f"dosewise knowledge base {kb.version}" in card["source"]["label"]
        assert f"dosewise {kb.version}" in card["detail"]
        assert all(r["display"] for r in card["overrideReasons"])
        if card.get("suggestions"):
            assert card["selectionBehavior"] in ("any", "at-most-one")
            assert all(s["uuid"] and s["label"] for s in card["suggestions"])


def test_the_kidney_ceiling_uses_cockcroft_gault_from_the_patient_and_creatinine(kb: KnowledgeBase) -> None:
    """The card's CrCl is the domain's Cockcroft-Gault for the prefetched age, sex, weight and creatinine."""
    body = SCENARIOS[4][1]
    card = next(
        c for c in answer(kb, body)["cards"] if c["source"]["topic"]["code"] == "limit.above_renal_ceiling"
    )
    expected = kidney_function(
        Patient(
            age_years=50, sex="male", weight_kg=Fraction(70), creatinine=SerumCreatinine(Fraction(2), "mg/dL")
        )
    )
    assert expected.crcl_ml_min is not None
    assert f"CrCl {format_limit(expected.crcl_ml_min)} mL/min" in card["detail"]
    assert "Cockcroft-Gault" in card["detail"]
    assert "creatinine 2 mg/dL on 2026-11-01 (LOINC 2160-0)" in card["detail"]


def _update(card: dict[str, Any]) -> dict[str, Any]:
    (update,) = [a for s in card.get("suggestions", []) for a in s["actions"] if a["type"] == "update"]
    return update


def test_a_too_fast_rise_is_offered_the_engines_titration_as_an_update(kb: KnowledgeBase) -> None:
    """The update is the whole draft with one sequenced Dosage per step of the planner's titration, rising
    from the prior 15 mg a day to the ordered 60 mg a day, and it no longer raises the finding."""
    body = SCENARIOS[3][1]
    card = next(
        c for c in answer(kb, body)["cards"] if c["source"]["topic"]["code"] == "titration.too_fast_increment"
    )
    resource = _update(card)["resource"]
    draft = body["context"]["draftOrders"]["entry"][0]["resource"]
    assert {k: v for k, v in resource.items() if k != "dosageInstruction"} == {
        k: v for k, v in draft.items() if k != "dosageInstruction"
    }
    steps = resource["dosageInstruction"]
    assert [s["sequence"] for s in steps] == list(range(1, len(steps) + 1))
    daily = [s["doseAndRate"][0]["doseQuantity"]["value"] * s["timing"]["repeat"]["frequency"] for s in steps]
    assert daily == sorted(daily)
    assert daily[-1] == 60
    assert daily[0] > 15
    assert "end" not in steps[-1]["timing"]["repeat"]["boundsPeriod"]  # the last step continues
    again = hook_request(
        "order-sign",
        [resource],
        listed=[active("a1", BACLOFEN, 5, 3)],
        the_patient=MAN_46,
        labs=KIDNEY_NORMAL,
    )
    assert not {"titration.too_fast_increment", "titration.too_fast_interval"} & set(codes(answer(kb, again)))


def test_an_abrupt_stop_is_offered_a_taper_that_the_checker_passes(kb: KnowledgeBase) -> None:
    """doNotPerform from 60 mg a day: the update is the planner's taper, falling to the end, no stop card."""
    body = SCENARIOS[5][1]
    card = next(c for c in answer(kb, body)["cards"] if c["source"]["topic"]["code"] == "stop.abrupt")
    resource = _update(card)["resource"]
    assert "doNotPerform" not in resource
    steps = resource["dosageInstruction"]
    daily = [s["doseAndRate"][0]["doseQuantity"]["value"] * s["timing"]["repeat"]["frequency"] for s in steps]
    assert daily == sorted(daily, reverse=True)
    assert daily[0] < 60
    again = hook_request(
        "order-sign",
        [resource],
        listed=[active("a1", BACLOFEN, 20, 3)],
        the_patient=MAN_46,
        labs=KIDNEY_NORMAL,
    )
    assert not {"stop.abrupt", "taper.too_fast", "taper.step_too_large"} & set(codes(answer(kb, again)))


def test_warning_and_critical_cards_offer_a_detected_issue_to_create(kb: KnowledgeBase) -> None:
    """The DetectedIssue names the patient, the order and the finding's text, source and version."""
    response = answer(kb, SCENARIOS[0][1])
    for card in response["cards"]:
        creates = [a for s in card.get("suggestions", []) for a in s["actions"] if a["type"] == "create"]
        if card["indicator"] == "info":
            assert not creates
            continue
        (issue,) = [a["resource"] for a in creates]
        assert issue["resourceType"] == "DetectedIssue"
        assert issue["status"] == "preliminary"
        assert issue["patient"] == {"reference": f"Patient/{PATIENT_ID}"}
        assert {"reference": "MedicationRequest/d1"} in issue["implicated"]
        assert kb.version in issue["detail"]
        assert issue["severity"] == {"critical": "high", "warning": "moderate"}[card["indicator"]]


def test_unknown_kidney_function_is_never_reassuring(kb: KnowledgeBase) -> None:
    """With no creatinine, eGFR or weight on file, no card is silent about it, and none says 'normal'."""
    response = answer(kb, SCENARIOS[8][1])
    texts = " ".join(c["summary"] + " " + c["detail"] for c in response["cards"]).lower()
    assert "kidney function unknown" in texts
    assert "normal" not in texts
    assert "no adjustment" not in texts


def test_a_creatinine_without_weight_is_not_used_and_the_card_says_why(kb: KnowledgeBase) -> None:
    """Cockcroft-Gault needs the weight: without it the creatinine is set aside, never guessed with."""
    body = hook_request(
        "order-sign",
        [medication_request("d1", BACLOFEN, [dosage(5, 3)])],
        the_patient=MAN_46,
        labs={"creatinine": [creatinine(2.0)], "weight": [], "egfr": []},
    )
    response = answer(kb, body)
    assert "renal.unknown" in codes(response)
    assert any("Cockcroft-Gault needs weight" in c["detail"] for c in response["cards"])


def test_an_egfr_alone_is_used_for_the_bands(kb: KnowledgeBase) -> None:
    """eGFR 40 with no creatinine: the moderate band applies (eGFR stands in for CrCl, said so)."""
    body = hook_request(
        "order-sign",
        [medication_request("d1", BACLOFEN, [dosage(20, 3)], prior="MedicationRequest/a1")],
        listed=[active("a1", BACLOFEN, 20, 3)],
        the_patient=MAN_46,
        labs={"egfr": [egfr(40)]},
    )
    found = codes(answer(kb, body))
    assert found.get("limit.above_renal_ceiling") == "critical"
    assert found.get("renal.reduce.moderate") == "warning"


def test_the_latest_creatinine_is_used(kb: KnowledgeBase) -> None:
    """Two results: the one measured last decides (here the worse one)."""
    body = hook_request(
        "order-sign",
        [medication_request("d1", BACLOFEN, [dosage(20, 3)], prior="MedicationRequest/a1")],
        listed=[active("a1", BACLOFEN, 20, 3)],
        the_patient=MAN_46,
        labs={
            "creatinine": [creatinine(0.9, "2026-01-01"), creatinine(2.5, "2026-11-01")],
            "weight": [weight(80)],
        },
    )
    assert "limit.above_renal_ceiling" in codes(answer(kb, body))


def test_override_reasons_are_offered_on_every_card(kb: KnowledgeBase) -> None:
    """The same coded reasons (each with a display) on every card, so feedback can be counted by reason."""
    for _, body, _ in SCENARIOS:
        for card in answer(kb, body)["cards"]:
            assert [(r["code"], r["display"]) for r in card["overrideReasons"]] == list(OVERRIDE_REASONS)
