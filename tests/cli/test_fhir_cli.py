"""CLI: `dosewise export fhir PLAN_FILE` and `dosewise import fhir FILE`: the Bundle, the round trip
through both commands, exit codes and refusals that name the element."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dosewise.cli.main import main
from dosewise.domain.rules import KnowledgeBase
from dosewise.services.documents import plan_from_document

EXIT_OK, EXIT_INVALID, EXIT_REFUSED = 0, 2, 3


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _plan_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> Path:
    code, out, _ = _run(capsys, "plan", *argv, "--start", "2026-12-07", "--json")
    assert code == EXIT_OK
    path = tmp_path / "plan.json"
    path.write_text(out, encoding="utf-8")
    return path


@pytest.mark.parametrize("per_step", [False, True])
def test_export_then_import_gives_back_the_same_plan_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kb: KnowledgeBase, per_step: bool
) -> None:
    """A taper exported as FHIR (either shape) and imported again is the same plan, checked again."""
    plan_path = _plan_file(
        tmp_path, capsys, "taper", "baclofen", "--from", "20 mg 4 times a day", "--weeks", "8"
    )
    patient = tmp_path / "patient.toml"
    patient.write_text('age = 50\nmedications = ["lorazepam 1 mg"]\n', encoding="utf-8")
    bundle_path = tmp_path / "bundle.json"
    flags = ["--per-step"] if per_step else []
    code, out, _ = _run(
        capsys, "export", "fhir", str(plan_path), "--patient", str(patient), "-o", str(bundle_path), *flags
    )
    assert code == EXIT_OK
    assert out == ""
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    requests = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest"
    ]
    plan_requests = [r for r in requests if "reportedReference" not in r]
    assert len(plan_requests) == (4 if per_step else 1)
    assert {r["status"] for r in plan_requests} == {"unknown"}
    code, out, _ = _run(
        capsys, "import", "fhir", str(bundle_path), "--json", "--plan-out", str(tmp_path / "back.json")
    )
    assert code == EXIT_OK
    payload = json.loads(out)
    original = plan_from_document(json.loads(plan_path.read_text(encoding="utf-8")), kb)
    imported = plan_from_document(payload["plan"], kb)
    assert imported.with_findings(()) == original.with_findings(())
    assert payload["medications"] == [{"name": "lorazepam 1 mg", "dose": None, "times_per_day": None}]
    assert json.loads((tmp_path / "back.json").read_text(encoding="utf-8")) == payload["plan"]


def test_import_refuses_an_unsupported_element_with_exit_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dose in tablets ({tablet}) is refused: the message names the element and nothing is written."""
    request = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/1"},
        "medicationCodeableConcept": {"text": "baclofen"},
        "dosageInstruction": [
            {
                "timing": {
                    "repeat": {
                        "boundsPeriod": {"start": "2026-12-01"},
                        "frequency": 3,
                        "period": 1,
                        "periodUnit": "d",
                    }
                },
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": 1,
                            "unit": "tablet",
                            "system": "http://unitsofmeasure.org",
                            "code": "{tablet}",
                        }
                    }
                ],
            }
        ],
    }
    path = tmp_path / "order.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    out_path = tmp_path / "plan.json"
    code, out, err = _run(capsys, "import", "fhir", str(path), "--json", "--plan-out", str(out_path))
    assert code == EXIT_INVALID
    error = json.loads(out)["error"]
    assert error["code"] == "fhir_unsupported"
    assert "dosageInstruction[0].doseAndRate[0].doseQuantity.code" in error["message"]
    assert "not accepted" in err
    assert not out_path.exists()


def test_import_refuses_a_plan_the_checker_blocks_with_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintenance order of 30 mg four times a day (120 mg a day) is above the label maximum: exit 3."""
    request: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/1"},
        "medicationCodeableConcept": {"text": "baclofen"},
        "dosageInstruction": [
            {
                "timing": {
                    "repeat": {
                        "boundsPeriod": {"start": "2026-12-01", "end": "2026-12-31"},
                        "frequency": 4,
                        "period": 1,
                        "periodUnit": "d",
                    }
                },
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": 30,
                            "unit": "mg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg",
                        }
                    }
                ],
            }
        ],
    }
    path = tmp_path / "order.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    code, _, err = _run(capsys, "import", "fhir", str(path))
    assert code == EXIT_REFUSED
    assert "this plan was not saved" in err


def test_import_without_a_start_day_asks_for_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An order with only boundsDuration has no first day: refused with the --start hint, then accepted with it."""
    dosage = {
        "timing": {
            "repeat": {
                "boundsDuration": {
                    "value": 14,
                    "unit": "d",
                    "system": "http://unitsofmeasure.org",
                    "code": "d",
                },
                "frequency": 3,
                "period": 1,
                "periodUnit": "d",
            }
        },
        "doseAndRate": [
            {"doseQuantity": {"value": 5, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}
        ],
    }
    request = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/1"},
        "medicationCodeableConcept": {"text": "Lioresal"},
        "dosageInstruction": [dosage],
    }
    path = tmp_path / "order.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    code, _, err = _run(capsys, "import", "fhir", str(path))
    assert code == EXIT_INVALID
    assert "--start" in err
    code, out, _ = _run(capsys, "import", "fhir", str(path), "--start", "2026-12-01", "--json")
    assert code == EXIT_OK
    plan = json.loads(out)["plan"]
    assert plan["steps"][0]["start"] == "2026-12-01"
    assert plan["steps"][0]["days"] == 14
    assert plan["then"] == "stop"


def test_export_refuses_a_malformed_plan_file_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same plan reader as every other command: a bare dose is refused."""
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps(
            {"drug": "baclofen", "steps": [{"start": "2026-12-01", "days": 3, "dose": 5, "times_per_day": 3}]}
        ),
        encoding="utf-8",
    )
    code, _, err = _run(capsys, "export", "fhir", str(path))
    assert code == EXIT_INVALID
    assert "no unit" in err
