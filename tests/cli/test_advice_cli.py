"""CLI: `dosewise missed`, `triage` and `pump`, their JSON contracts, text output and refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dosewise.cli.main import main
from dosewise.knowledge import default_version

TID = {"times_per_day": 3, "times": ["08:00", "14:00", "20:00"]}


def write_plan(tmp_path: Path, drug: str = "baclofen", **step: Any) -> str:
    """A hand-written plan document in Europe/Paris, 10 mg three times a day from 1 March 2026."""
    document = {
        "format": "dosewise.plan/1",
        "drug": drug,
        "kb_version": default_version(),
        "timezone": "Europe/Paris",
        "then": "continue",
        "steps": [{"start": "2026-03-01", "days": 60, "dose": {"value": "10", "unit": "mg"}, **TID, **step}],
    }
    path = tmp_path / f"{drug}-plan.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


# ------------------------------------------------------------------ missed


def test_missed_json_says_take_now_with_the_next_dose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 14:00 dose remembered at 15:00 gives action take_now, the next dose at 20:00 and urgency none."""
    plan = write_plan(tmp_path)
    code, out = run_json(capsys, "missed", plan, "--now", "2026-03-10T15:00", "--taken", "2026-03-10T08:05")
    assert code == 0
    assert out["action"] == "take_now"
    assert out["next_dose_at"] == "2026-03-10T20:00:00+01:00"
    assert out["urgency"] == "none"
    assert out["missed_dose"]["at"] == "2026-03-10T14:00:00+01:00"
    assert out["missed_dose"]["dose"] == {"value": "10", "unit": "mg"}
    assert out["reason"]
    assert out["kb_version"] == default_version()
    assert out["is_label_text"] is False


def test_missed_json_says_which_times_were_read_in_the_plan_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Times without an offset are listed as read in the plan's zone; times with one are not."""
    plan = write_plan(tmp_path)
    _, out = run_json(
        capsys, "missed", plan, "--now", "2026-03-10T15:00", "--taken", "2026-03-10T07:05+00:00"
    )
    assert out["read_in_plan_timezone"] == ["2026-03-10T15:00"]
    assert out["timezone"] == "Europe/Paris"


def test_missed_json_says_skip_late_in_the_interval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """At 18:00 the 14:00 dose is skipped and the next is at 20:00."""
    plan = write_plan(tmp_path)
    _, out = run_json(capsys, "missed", plan, "--now", "2026-03-10T18:00", "--taken", "2026-03-10T08:00")
    assert out["action"] == "skip"
    assert out["next_dose_at"] == "2026-03-10T20:00:00+01:00"


def test_missed_json_escalates_a_whole_missed_day_to_urgent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three doses missed in a row are urgent, with the count and hours in the JSON."""
    plan = write_plan(tmp_path)
    _, out = run_json(capsys, "missed", plan, "--now", "2026-03-10T20:30", "--taken", "2026-03-09T20:00")
    assert out["urgency"] == "urgent"
    assert out["consecutive_missed"] == 3
    assert out["hours_missed"] == 12.5


def test_missed_text_output_reads_plainly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json the output starts with the action and says which zone naive times were read in."""
    plan = write_plan(tmp_path)
    code = main(["missed", plan, "--now", "2026-03-10T15:00", "--taken", "2026-03-10T08:05"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("TAKE IT NOW")
    assert "Never take two doses at once" in out
    assert "read in the plan's time zone (Europe/Paris)" in out


def test_missed_accepts_several_taken_times_after_one_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--taken takes several values, and after-midnight doses are credited to their evening slot."""
    plan = write_plan(tmp_path)
    _, out = run_json(
        capsys, "missed", plan, "--now", "2026-03-11T08:30", "--taken", "2026-03-10T14:00", "2026-03-11T00:30"
    )
    credit = next(c for c in out["credits"] if c["taken_at"].startswith("2026-03-11T00:30"))
    assert credit["slot_at"] == "2026-03-10T20:00:00+01:00"
    assert out["action"] == "take_now"


def test_missed_notes_a_patient_zone_that_differs_from_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A patient file in another zone is noted; the plan's zone still governs the schedule."""
    patient = tmp_path / "patient.json"
    patient.write_text(json.dumps({"timezone": "America/New_York"}), encoding="utf-8")
    _, out = run_json(
        capsys, "missed", write_plan(tmp_path), "--now", "2026-03-10T15:00", "--patient", str(patient)
    )
    assert any("America/New_York" in note for note in out["assumptions"])
    assert out["now"] == "2026-03-10T15:00:00+01:00"


def test_missed_refuses_a_local_time_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """02:30 on the spring-forward day does not exist in Paris: exit 2 and a JSON error, never a guess."""
    plan = write_plan(tmp_path)
    code, out = run_json(capsys, "missed", plan, "--now", "2026-03-29T02:30")
    assert code == 2
    assert out["error"]["code"] == "invalid_input"
    assert "does not exist" in out["error"]["message"]


def test_missed_refuses_an_ambiguous_local_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """02:30 on the fall-back day happens twice: refused with a hint to give the offset."""
    plan = write_plan(tmp_path)
    code, out = run_json(capsys, "missed", plan, "--now", "2026-10-25T02:30")
    assert code == 2
    assert "happens twice" in out["error"]["message"]
    assert "offset" in out["error"]["hint"]


def test_missed_refuses_a_date_without_a_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bare date is not a moment: exit 2."""
    plan = write_plan(tmp_path)
    code, out = run_json(capsys, "missed", plan, "--now", "2026-03-10")
    assert code == 2
    assert "no time of day" in out["error"]["message"]


def test_missed_refuses_a_dose_taken_after_now(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A taken time after --now is refused with exit 2."""
    plan = write_plan(tmp_path)
    code, out = run_json(capsys, "missed", plan, "--now", "2026-03-10T15:00", "--taken", "2026-03-10T16:00")
    assert code == 2
    assert "after 'now'" in out["error"]["message"]


def test_missed_refuses_a_missing_plan_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plan file that does not exist is refused with exit 2 and a message on stderr."""
    code = main(["missed", str(tmp_path / "nope.json"), "--now", "2026-03-10T15:00"])
    captured = capsys.readouterr()
    assert code == 2
    assert "file not found" in captured.err


def test_missed_refuses_a_drug_without_a_missed_dose_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tizanidine has no missed-dose rule in the knowledge base: a knowledge error (exit 4), not a guess."""
    plan = write_plan(tmp_path, drug="tizanidine", dose={"value": "2", "unit": "mg"})
    code, out = run_json(capsys, "missed", plan, "--now", "2026-03-10T15:00")
    assert code == 4
    assert out["error"]["code"] == "knowledge_error"


# ------------------------------------------------------------------ triage


def test_triage_json_gives_level_reason_and_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """'slow breathing' is an emergency for breathing depression, with the matching rule listed."""
    code, out = run_json(capsys, "triage", "slow breathing", "drowsy")
    assert code == 0
    assert out["level"] == "emergency"
    assert out["reason"] == "breathing_depression"
    assert "breathing-depression" in [r["id"] for r in out["rules"]]
    assert {s["id"] for s in out["symptoms"]} == {"slow_breathing", "drowsiness"}
    assert out["kb_version"] == default_version()


def test_triage_json_reports_unrecognised_symptoms(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown symptom is listed and lifts an expected symptom to soon."""
    _, out = run_json(capsys, "triage", "drowsy", "purple spots")
    assert out["level"] == "soon"
    assert out["unrecognised"] == ["purple spots"]


def test_triage_uses_missed_doses_from_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With a plan and recorded doses, missed doses make hallucinations a withdrawal sign."""
    plan = write_plan(tmp_path)
    _, out = run_json(
        capsys,
        "triage",
        "seeing things",
        "--plan",
        plan,
        "--now",
        "2026-03-10T21:00",
        "--taken",
        "2026-03-10T08:00",
    )
    assert "missed_doses" in out["context"]["flags"]
    assert "withdrawal-hallucinations" in [r["id"] for r in out["rules"]]
    assert out["read_in_timezone"]["zone"] == "Europe/Paris"


def test_triage_uses_the_patient_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A TOML patient file with an opioid makes drowsiness urgent."""
    patient = tmp_path / "patient.toml"
    patient.write_text('age = 70\ntimezone = "Europe/Paris"\nmedications = ["oxycodone"]\n', encoding="utf-8")
    _, out = run_json(capsys, "triage", "drowsy", "--patient", str(patient))
    assert out["level"] == "urgent"
    assert "sedative_comedication" in out["context"]["flags"]


def test_triage_pump_flag_sets_the_pump_context(capsys: pytest.CaptureFixture[str]) -> None:
    """--pump makes itching an emergency."""
    _, out = run_json(capsys, "triage", "itching", "--pump")
    assert out["level"] == "emergency"
    assert out["context"]["why"]["pump"] == "stated"


def test_triage_text_output_leads_with_the_level(capsys: pytest.CaptureFixture[str]) -> None:
    """The text output begins with the level in capitals and its reason."""
    assert main(["triage", "seeing things"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("URGENT")
    assert "reason: withdrawal" in out


def test_triage_refuses_now_without_a_plan(capsys: pytest.CaptureFixture[str]) -> None:
    """--now without --plan is refused with exit 2 and a JSON error."""
    code, out = run_json(capsys, "triage", "drowsy", "--now", "2026-03-10T15:00")
    assert code == 2
    assert "--plan" in out["error"]["message"]


def test_triage_refuses_a_plan_without_now(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--plan without --now is refused with exit 2."""
    code, out = run_json(capsys, "triage", "drowsy", "--plan", write_plan(tmp_path))
    assert code == 2
    assert "--now" in out["error"]["message"]


# ------------------------------------------------------------------ pump


def test_pump_json_gives_days_to_alarm_and_refill_date(capsys: pytest.CaptureFixture[str]) -> None:
    """40 mL of 2000 mcg/mL at 500 mcg a day: 152 days to the alarm, refill 7 days before it."""
    code, out = run_json(
        capsys,
        "pump",
        "--reservoir-ml",
        "40",
        "--concentration-mcg-ml",
        "2000",
        "--daily-mcg",
        "500",
        "--today",
        "2026-11-01",
    )
    assert code == 0
    assert out["days_to_alarm"] == 152
    assert out["alarm_date"] == "2027-04-02"
    assert out["refill_date"] == "2027-03-26"
    assert out["daily_volume"] == {"value": "0.25", "unit": "mL", "exact": True}
    assert out["days_to_empty"] == 160
    assert [w["code"] for w in out["warnings"]] == ["pump.consider_safer_alarm"]


def test_pump_days_are_rounded_down_for_display(capsys: pytest.CaptureFixture[str]) -> None:
    """333 mcg a day gives 228.2 days shown (76000/333 = 228.23), and the exact fraction alongside."""
    _, out = run_json(
        capsys, "pump", "--reservoir-ml", "40", "--concentration-mcg-ml", "2000", "--daily-mcg", "333"
    )
    assert out["days_to_alarm"] == 228.2
    assert out["days_to_alarm_exact"] == "76000/333"


def test_pump_refuses_a_dose_in_mg(capsys: pytest.CaptureFixture[str]) -> None:
    """--daily-mcg '0.5 mg' is refused with exit 2 and a hint about mcg."""
    code, out = run_json(
        capsys, "pump", "--reservoir-ml", "40", "--concentration-mcg-ml", "2000", "--daily-mcg", "0.5 mg"
    )
    assert code == 2
    assert "mcg" in out["error"]["hint"]


def test_pump_refuses_a_concentration_in_mg_per_ml(capsys: pytest.CaptureFixture[str]) -> None:
    """A concentration written as 2 mg/mL is refused."""
    code, out = run_json(
        capsys, "pump", "--reservoir-ml", "40", "--concentration-mcg-ml", "2 mg/mL", "--daily-mcg", "500"
    )
    assert code == 2
    assert "mcg/mL" in out["error"]["message"]


def test_pump_refuses_a_fill_above_the_reservoir(capsys: pytest.CaptureFixture[str]) -> None:
    """A 45 mL fill in a 40 mL reservoir is refused with exit 2."""
    code, out = run_json(
        capsys,
        "pump",
        "--reservoir-ml",
        "40",
        "--concentration-mcg-ml",
        "2000",
        "--daily-mcg",
        "500",
        "--fill-ml",
        "45",
    )
    assert code == 2
    assert "does not fit" in out["error"]["message"]


def test_pump_text_output_shows_the_refill_date_and_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    """The text output names the refill date and prints warnings such as a dose above 1000 mcg a day."""
    code = main(
        [
            "pump",
            "--reservoir-ml",
            "20",
            "--concentration-mcg-ml",
            "2000",
            "--daily-mcg",
            "1200",
            "--today",
            "2026-11-01",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "REFILL BY: 2026-11-24" in out
    assert "pump.above_max_daily" in out


def test_the_installed_dosewise_command_runs_pump_in_a_real_process() -> None:
    """The installed console script prints the pump JSON contract from a separate process."""
    executable = Path(sys.executable).with_name("dosewise")
    completed = subprocess.run(
        [
            str(executable),
            "pump",
            "--reservoir-ml",
            "40",
            "--concentration-mcg-ml",
            "2000",
            "--daily-mcg",
            "500",
            "--today",
            "2026-11-01",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["days_to_alarm"] == 152
