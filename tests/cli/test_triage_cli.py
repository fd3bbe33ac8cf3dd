"""CLI: `dosewise triage` context without a plan (--drug, --tablet, --stopped-recently, --missed-days)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dosewise.cli.main import main


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_triage_stopped_recently_makes_the_withdrawal_signs_an_emergency(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--stopped-recently with fever and confusion is the severe withdrawal rule, without a plan."""
    code, out = run_json(capsys, "triage", "feverish", "confused", "--stopped-recently")
    assert code == 0
    assert out["level"] == "emergency"
    assert "dose_stopped" in out["context"]["flags"]


def test_triage_missed_days_sets_missed_doses(capsys: pytest.CaptureFixture[str]) -> None:
    """--missed-days 2 makes agitation urgent withdrawal."""
    _, out = run_json(capsys, "triage", "agitated", "--missed-days", "2")
    assert out["level"] == "urgent"
    assert out["context"]["why"]["missed_doses"].startswith("stated")


def test_triage_refuses_negative_missed_days(capsys: pytest.CaptureFixture[str]) -> None:
    """--missed-days -1 is refused with exit 2, not a traceback."""
    code, out = run_json(capsys, "triage", "drowsy", "--missed-days", "-1")
    assert code == 2
    assert "missed-days" in out["error"]["message"]


def test_triage_tablet_strength_decides_a_count_swallowed(capsys: pytest.CaptureFixture[str]) -> None:
    """Ten 20 mg tablets reach the 200 mg red flag; ten 5 mg tablets do not."""
    _, large = run_json(capsys, "triage", "took 10 of them", "--tablet", "20 mg")
    _, small = run_json(capsys, "triage", "took 10 of them", "--tablet", "5 mg")
    assert large["level"] == "emergency"
    assert small["level"] == "urgent"


def test_triage_drug_names_the_medicine_in_the_texts(capsys: pytest.CaptureFixture[str]) -> None:
    """--drug tizanidine: the texts say tizanidine, and rule texts have no placeholder left."""
    _, out = run_json(capsys, "triage", "heart racing", "--drug", "tizanidine", "--stopped-recently")
    assert out["drug"] == "tizanidine"
    assert "tizanidine" in out["patient_text"]
    assert "baclofen" not in out["patient_text"]
    assert all("{drug}" not in rule["patient_text"] for rule in out["rules"])


def test_triage_refuses_an_unknown_drug(capsys: pytest.CaptureFixture[str]) -> None:
    """--drug with no rules in the knowledge base is refused with exit 2."""
    code, _ = run_json(capsys, "triage", "drowsy", "--drug", "zzqx")
    assert code == 2


def test_triage_json_reports_denials_kept_red_flags_and_readings(capsys: pytest.CaptureFixture[str]) -> None:
    """Each input lists what was denied, red flags kept despite a negation, temperatures and slips mended."""
    _, out = run_json(
        capsys,
        "triage",
        "no fever, temp 37.2",
        "not sure if it's chest pain",
        "feeling drowsey",
        "no seizures",
    )
    first, second, third, fourth = out["inputs"]
    assert first["negated"] == ["fever"]
    assert first["temperatures"] == ["37.2 C"]
    assert second["kept_red_flags"] == ["chest_pain"]  # a hedge is not a denial
    assert third["corrections"] == [{"typed": "drowsey", "read": "drowsy"}]
    assert fourth["negated"] == ["seizure"]  # a clear denial of a red flag the knowledge base allows
    assert out["level"] == "emergency"


def test_triage_unscreened_medication_from_the_patient_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A medication the dictionary does not know makes drowsiness urgent and is noted as not screened."""
    patient = tmp_path / "patient.toml"
    patient.write_text('medications = ["zzqxal 10 mg"]\n', encoding="utf-8")
    _, out = run_json(capsys, "triage", "drowsy", "--patient", str(patient))
    assert out["level"] == "urgent"
    assert "unscreened_comedication" in out["context"]["flags"]
    assert any("not screened" in note for note in out["notes"])
