"""CLI: `dosewise plan titrate|taper`, `check`, `interactions` and `drugs`: text, JSON contracts, exit codes
and clear refusals."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dosewise.cli.main import main
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.plan_document import plan_from_document
from dosewise.knowledge import default_version

START = "2026-11-23"
EXIT_OK, EXIT_ATTENTION, EXIT_INVALID, EXIT_REFUSED = 0, 1, 2, 3


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, *argv, "--json")
    return code, json.loads(out)


def write(tmp_path: Path, name: str, content: str | dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def dailies(document: dict[str, Any]) -> list[float]:
    return [float(step["daily"]["value"]) for step in document["steps"]]


# ---------------------------------------------------------------- plan titrate


def test_titrate_prints_the_label_ladder_in_plain_words(capsys: pytest.CaptureFixture[str]) -> None:
    """The text output lists 5 to 20 mg three times a day with what to take, then "continue"."""
    code, out, _ = run(capsys, "plan", "titrate", "baclofen", "--start", START)
    assert code == EXIT_OK
    assert "knowledge base " + default_version() in out
    assert "2026-11-23 to 2026-11-25 (3 days): 5 mg x3" in out
    assert "take: 1 tablet of 5 mg three times a day" in out
    assert "20 mg x3 at 08:00, 14:00, 20:00 = 60 mg a day" in out
    assert "Then: continue 20 mg x3" in out


def test_titrate_json_is_a_plan_document_that_reads_back(
    kb: KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json prints the plan document: 15, 30, 45, 60 mg a day, readable by plan_from_document."""
    code, document = run_json(capsys, "plan", "titrate", "baclofen", "--start", START)
    assert code == EXIT_OK
    assert document["format"] == "dosewise.plan/1"
    assert document["kb_version"] == default_version()
    assert dailies(document) == [15, 30, 45, 60]
    plan = plan_from_document(document, kb)
    assert plan.kind == "titration"
    assert plan.then == "continue"
    assert len(plan.steps) == 4


def test_a_generated_titration_passes_check_with_exit_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON from `plan titrate` saved to a file is accepted by `check` (exit 0, nothing major)."""
    _, document = run_json(capsys, "plan", "titrate", "baclofen", "--start", START)
    code, report = run_json(capsys, "check", write(tmp_path, "plan.json", document))
    assert code == EXIT_OK
    assert report["needs_attention"] is False
    assert report["drug"] == "baclofen"


def test_titrate_with_a_patient_file_follows_the_kidney_band(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CrCl 40 in a TOML patient file halves the ladder: no step above 30 mg a day (label 60 x 1/2)."""
    patient = write(tmp_path, "patient.toml", "age = 50\ncrcl_ml_min = 40\n")
    code, document = run_json(capsys, "plan", "titrate", "baclofen", "--start", START, "--patient", patient)
    assert code == EXIT_OK
    assert max(dailies(document)) <= 30
    assert "renal.reduce.moderate" in [f["code"] for f in document["findings"]]


def test_severe_kidney_impairment_is_refused_with_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CrCl 20 without an override: refused (exit 3), the message and the override hint on stderr."""
    patient = write(tmp_path, "patient.json", {"crcl_ml_min": 20})
    code, out, err = run(capsys, "plan", "titrate", "baclofen", "--start", START, "--patient", patient)
    assert code == EXIT_REFUSED
    assert out == ""
    assert "avoid" in err
    assert "--override renal_avoid:REASON" in err


def test_an_override_is_recorded_in_the_plan_and_printed_loudly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --override renal_avoid:REASON --by, the plan is made, the override kept and shown as a major finding."""
    patient = write(tmp_path, "patient.json", {"crcl_ml_min": 20})
    argv = ["plan", "titrate", "baclofen", "--start", START, "--patient", patient]
    argv += ["--override", "renal_avoid:nephrology agreed", "--by", "Dr C"]
    code, document = run_json(capsys, *argv)
    assert code == EXIT_OK
    assert document["overrides"] == [{"code": "renal_avoid", "reason": "nephrology agreed", "by": "Dr C"}]
    assert "override.renal_avoid" in [f["code"] for f in document["findings"]]
    code, out, _ = run(capsys, *argv)
    assert "!! CLINICIAN OVERRIDE renal_avoid: nephrology agreed" in out


def test_confirmed_scored_tablets_survive_the_json_and_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Halves of confirmed-scored 10 mg tablets are planned, written, read back and pass `check`."""
    argv = ["plan", "titrate", "baclofen", "--start", START, "--products", "baclofen-tab-10mg"]
    code, document = run_json(capsys, *argv, "--scored-confirmed", "baclofen-tab-10mg")
    assert code == EXIT_OK
    assert document["steps"][0]["label"] == "half a tablet of 10 mg three times a day"
    code, report = run_json(capsys, "check", write(tmp_path, "plan.json", document))
    assert code == EXIT_OK
    assert "dispensing.unmakeable" not in [f["code"] for f in report["findings"]]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target-daily", "60"], "has no unit"),
        (["--target-daily", "60 ug"], "write mcg"),
        (["--start", "23/11/2026"], "not a date"),
        (["--override", "renal_avoid"], "CODE:REASON"),
        (["--override", "make_it_so:because"], "unknown override"),
        (["--start-dose", "5000 mcg"], "dosed in mg"),
    ],
)
def test_invalid_input_exits_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Bare numbers, "ug", bad dates and malformed overrides exit 2 with the reason on stderr."""
    code, out, err = run(capsys, "plan", "titrate", "baclofen", "--start", START, *argv)
    assert code == EXIT_INVALID
    assert out == ""
    assert err.startswith("dosewise: ")
    assert message in err


def test_an_unknown_drug_exits_2_naming_the_drugs_with_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan titrate aspirin` is refused as invalid input; the hint lists baclofen and tizanidine."""
    code, _, err = run(capsys, "plan", "titrate", "aspirin")
    assert code == EXIT_INVALID
    assert "baclofen" in err
    assert "tizanidine" in err


def test_a_target_above_the_label_maximum_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    """--target-daily "90 mg" is above 80 mg a day: refused, exit 3, with the override hint."""
    code, _, err = run(capsys, "plan", "titrate", "baclofen", "--target-daily", "90 mg")
    assert code == EXIT_REFUSED
    assert "above the labelled maximum of 80 mg" in err
    assert "above_label_max" in err


def test_a_json_refusal_prints_an_error_object(capsys: pytest.CaptureFixture[str]) -> None:
    """With --json a refusal prints {"error": {"code", "message", "hint"}} on stdout as well as stderr."""
    code, out, err = run(capsys, "plan", "titrate", "baclofen", "--target-daily", "90 mg", "--json")
    payload = json.loads(out)
    assert code == EXIT_REFUSED
    assert set(payload) == {"error"}
    assert payload["error"]["code"] == "plan_refused"
    assert "80 mg" in payload["error"]["message"]
    assert "above_label_max" in payload["error"]["hint"]
    assert "80 mg" in err


def test_a_json_invalid_input_prints_its_error_code(capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid-input refusal in JSON carries code invalid_input (unit_mismatch and unknown_drug are kinds of it)."""
    code, out, _ = run(capsys, "plan", "titrate", "baclofen", "--target-daily", "60", "--json")
    assert code == EXIT_INVALID
    assert json.loads(out)["error"]["code"] == "invalid_input"
    code, out, _ = run(capsys, "plan", "titrate", "aspirin", "--json")
    assert json.loads(out)["error"]["code"] == "unknown_drug"


def test_an_implausible_creatinine_in_the_patient_file_exits_2_with_a_unit_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Creatinine 106 labelled mg/dL is refused (exit 2); the hint asks whether it was umol/L."""
    patient = write(
        tmp_path,
        "patient.toml",
        'age = 70\nsex = "male"\nweight_kg = 70\nserum_creatinine = { value = 106, unit = "mg/dL" }\n',
    )
    code, _, err = run(capsys, "plan", "titrate", "baclofen", "--patient", patient)
    assert code == EXIT_INVALID
    assert "umol/L" in err


# ---------------------------------------------------------------- plan taper


def test_taper_prints_a_stop_after_at_least_two_weeks(capsys: pytest.CaptureFixture[str]) -> None:
    """From "20 mg 4 times a day": a stepped taper in words, then "stop"."""
    code, out, _ = run(capsys, "plan", "taper", "baclofen", "--from", "20 mg 4 times a day", "--start", START)
    assert code == EXIT_OK
    assert "baclofen taper plan" in out
    assert "Then: stop after" in out


def test_taper_json_never_rises_lasts_two_weeks_and_passes_check(
    kb: KnowledgeBase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The taper document falls step by step from below 80 mg a day to 15 mg or less over at least 14 days, and
    `check` accepts it."""
    code, document = run_json(capsys, "plan", "taper", "baclofen", "--from", "20 mg QID", "--start", START)
    assert code == EXIT_OK
    values = dailies(document)
    assert values[0] < 80
    assert values[-1] <= 15
    assert all(later < earlier for earlier, later in itertools.pairwise(values))
    assert sum(step["days"] for step in document["steps"]) >= 14
    assert document["then"] == "stop"
    assert plan_from_document(document, kb).kind == "taper"
    code, report = run_json(capsys, "check", write(tmp_path, "taper.json", document))
    assert code == EXIT_OK, report["findings"]


def test_taper_weeks_and_percent_options_are_followed(capsys: pytest.CaptureFixture[str]) -> None:
    """--weeks 4 spreads the taper over 28 days; --percent 25 makes the first step 60 mg a day from 80."""
    code, document = run_json(
        capsys, "plan", "taper", "baclofen", "--from", "20 mg 4 times a day", "--weeks", "4"
    )
    assert code == EXIT_OK
    assert sum(step["days"] for step in document["steps"]) == 28
    code, document = run_json(
        capsys, "plan", "taper", "baclofen", "--from", "20 mg 4 times a day", "--percent", "25"
    )
    assert code == EXIT_OK
    assert dailies(document)[0] == 60


@pytest.mark.parametrize(
    ("regimen", "message"),
    [
        ("20 mg sometimes", "frequency"),
        ("20 mg every 5 hours", "divide a day"),
        ("20 4 times a day", "regimen"),
    ],
)
def test_an_unreadable_current_regimen_exits_2(
    capsys: pytest.CaptureFixture[str], regimen: str, message: str
) -> None:
    """A --from regimen that cannot be read exactly is refused with exit 2."""
    code, _, err = run(capsys, "plan", "taper", "baclofen", "--from", regimen)
    assert code == EXIT_INVALID
    assert message in err


def test_a_taper_from_15_mg_a_day_is_a_short_taper(capsys: pytest.CaptureFixture[str]) -> None:
    """5 mg three times a day steps down once, then stops after at least two weeks (exit 0)."""
    code, document = run_json(
        capsys, "plan", "taper", "baclofen", "--from", "5 mg TID", "--start", "2026-11-23"
    )
    assert code == 0
    assert document["then"] == "stop"
    assert sum(step["days"] for step in document["steps"]) >= 14


def test_weeks_shorter_than_the_minimum_are_refused_with_the_override(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--weeks 1 for a baclofen stop is refused (exit 3) naming rapid_withdrawal, never stretched silently."""
    code, _, err = run(capsys, "plan", "taper", "baclofen", "--from", "20 mg QID", "--weeks", "1")
    assert code == EXIT_REFUSED
    assert "rapid_withdrawal" in err


def test_taper_without_a_current_regimen_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--from is required: argparse exits 2."""
    with pytest.raises(SystemExit) as caught:
        main(["plan", "taper", "baclofen"])
    assert caught.value.code == EXIT_INVALID
    assert "--from" in capsys.readouterr().err


# ---------------------------------------------------------------- check


ABRUPT_STOP = {
    "drug": "baclofen",
    "then": "stop",
    "steps": [{"start": "2026-11-23", "days": 7, "dose": "20 mg", "times_per_day": 3}],
}


def test_check_exits_1_for_an_abrupt_stop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hand-written plan that stops from 60 mg a day needs attention: exit 1, stop.abrupt, major."""
    code, report = run_json(capsys, "check", write(tmp_path, "abrupt.json", ABRUPT_STOP))
    assert code == EXIT_ATTENTION
    assert report["needs_attention"] is True
    assert report["highest"] == "major"
    assert "stop.abrupt" in [f["code"] for f in report["findings"]]
    assert report["kb_version"] == default_version()


def test_check_text_says_needs_attention_and_cites_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The text verdict says NEEDS ATTENTION and each finding shows its source."""
    code, out, _ = run(capsys, "check", write(tmp_path, "abrupt.json", ABRUPT_STOP))
    assert code == EXIT_ATTENTION
    assert "NEEDS ATTENTION" in out
    assert "[MAJOR] stop.abrupt" in out
    assert "source:" in out


def test_check_reads_a_toml_plan_and_a_patient_medication_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A TOML plan checked with a patient on oxycodone reports the major baclofen-opioid interaction (exit 1)."""
    plan = write(
        tmp_path,
        "plan.toml",
        'drug = "baclofen"\n[[steps]]\nstart = "2026-11-23"\ndays = 30\ndose = "10 mg"\ntimes_per_day = 3\n',
    )
    patient = write(tmp_path, "patient.toml", 'crcl_ml_min = 100\nmedications = ["oxycodone"]\n')
    code, report = run_json(capsys, "check", plan, "--patient", patient)
    assert code == EXIT_ATTENTION
    assert "interaction.baclofen-opioid" in [f["code"] for f in report["findings"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "neither JSON nor TOML"),
        (
            {
                "drug": "baclofen",
                "steps": [{"start": "2026-11-23", "days": 3, "dose": 5, "times_per_day": 3}],
            },
            "no unit",
        ),
    ],
)
def test_check_refuses_an_unreadable_plan_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | dict[str, Any], message: str
) -> None:
    """A file that is not a plan, or a dose without a unit, is invalid input (exit 2)."""
    code, _, err = run(capsys, "check", write(tmp_path, "plan.txt", content))
    assert code == EXIT_INVALID
    assert message in err


def test_check_refuses_a_missing_file_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plan file that does not exist is named in the refusal."""
    code, _, err = run(capsys, "check", str(tmp_path / "nowhere.json"))
    assert code == EXIT_INVALID
    assert "file not found" in err


# ---------------------------------------------------------------- interactions and drugs


def test_interactions_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """`interactions baclofen oxycodone Xanax alchohol`: four items resolved, six major pairs (every pair), each sourced."""
    code, data = run_json(capsys, "interactions", "baclofen", "oxycodone", "Xanax", "alchohol")
    assert code == EXIT_ATTENTION
    assert data["kb_version"] == default_version()
    items = {item["query"]: item for item in data["items"]}
    assert items["Xanax"]["ingredient"] == "alprazolam"
    assert items["Xanax"]["matched_by"] == "brand"
    assert items["alchohol"]["ingredient"] == "ethanol"
    assert items["alchohol"]["matched_by"] == "misspelling"
    assert all(item["screened"] for item in data["items"])
    assert {i["rule"] for i in data["interactions"]} == {
        "baclofen-opioid",
        "baclofen-benzodiazepine",
        "baclofen-alcohol",
        "opioid-benzodiazepine",
        "opioid-alcohol",
        "benzodiazepine-alcohol",
    }
    for interaction in data["interactions"]:
        assert set(interaction) >= {"rule", "severity", "between", "effect", "action", "source", "kb_version"}
        assert interaction["severity"] == "major"
    assert data["not_screened"] == []


def test_interactions_reports_unknown_names_as_not_screened(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown name is listed as not screened, with suggestions, and the text warns that silence is not safety."""
    code, data = run_json(capsys, "interactions", "baclofen", "oxycodine")
    assert code == EXIT_ATTENTION
    assert data["not_screened"] == ["oxycodine"]
    unknown = next(item for item in data["items"] if item["query"] == "oxycodine")
    assert unknown["screened"] is False
    assert "oxycodone" in unknown["suggestions"]
    _, out, _ = run(capsys, "interactions", "baclofen", "oxycodine")
    assert "NOT SCREENED" in out
    assert "absence of a warning is not safety" in out


def test_interactions_reports_a_contraindicated_pair(capsys: pytest.CaptureFixture[str]) -> None:
    """Tizanidine with ciprofloxacin (by RxCUI 2551) is contraindicated."""
    code, data = run_json(capsys, "interactions", "tizanidine", "2551")
    assert code == EXIT_ATTENTION
    assert [i["severity"] for i in data["interactions"]] == ["contraindicated"]


def test_drugs_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """`drugs benzo` lists benzodiazepines with classes, codes and their verification status."""
    code, data = run_json(capsys, "drugs", "benzo")
    assert code == EXIT_OK
    assert data["query"] == "benzo"
    by_id = {drug["id"]: drug for drug in data["drugs"]}
    assert {"diazepam", "lorazepam", "alprazolam"} <= set(by_id)
    diazepam = by_id["diazepam"]
    assert diazepam["rxcui"] == "3322"
    assert diazepam["rxcui_status"] == "verified"
    assert diazepam["atc"] == "N05BA01"
    assert "benzodiazepine" in diazepam["classes"]
    assert by_id["alprazolam"]["rxcui_status"] == "unverified"
    for drug in data["drugs"]:
        assert set(drug) >= {
            "id",
            "name",
            "brands",
            "misspellings",
            "has_dosing_rules",
            "source",
            "kb_version",
        }


def test_drugs_marks_which_entries_have_dosing_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """Baclofen has dosing rules; diazepam does not; the text marks unverified codes."""
    _, data = run_json(capsys, "drugs", "baclofen")
    assert next(d for d in data["drugs"] if d["id"] == "baclofen")["has_dosing_rules"] is True
    _, out, _ = run(capsys, "drugs", "Xanax")
    assert "(unverified)" in out


# ---------------------------------------------------------------- a real process


def test_the_installed_command_titrates_with_a_patient_file_in_a_real_process(tmp_path: Path) -> None:
    """`dosewise plan titrate baclofen --json --patient FILE` runs as its own process and prints the plan document."""
    patient = write(
        tmp_path,
        "patient.toml",
        'age = 60\nsex = "male"\nweight_kg = 72\nserum_creatinine = { value = 1.0, unit = "mg/dL" }\n'
        'timezone = "Europe/London"\n',
    )
    executable = Path(sys.executable).with_name("dosewise")
    completed = subprocess.run(
        [str(executable), "plan", "titrate", "baclofen", "--json", "--start", START, "--patient", patient],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["timezone"] == "Europe/London"
    # CrCl (140 - 60) x 72 / (72 x 1.0) = 80 mL/min: the mild band, x2/3 of the label ladder (max 40 mg a day).
    assert max(dailies(document)) <= 40
    assert "renal.reduce.mild" in [f["code"] for f in document["findings"]]


def test_titrate_from_a_current_regimen_records_it_as_the_prior(capsys: pytest.CaptureFixture[str]) -> None:
    """plan titrate --from "10 mg TID" starts at 15 mg x3 and writes the prior into the plan document."""
    code, document = run_json(
        capsys, "plan", "titrate", "baclofen", "--from", "10 mg TID", "--start", "2026-11-23"
    )
    assert code == 0
    assert document["prior"]["times_per_day"] == 3
    assert dailies(document)[0] == 45
    code, out, _ = run(capsys, "plan", "titrate", "baclofen", "--from", "10 mg TID")
    assert "From the current regimen: 10 mg x3" in out


def test_tizanidine_with_ciprofloxacin_on_the_patient_file_exits_3_naming_the_override(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A label contraindication from the patient's list refuses the plan (exit 3) with the override in the hint."""
    patient = write(tmp_path, "patient.toml", 'medications = ["Cipro 500 mg"]\n')
    code, _, err = run(capsys, "plan", "titrate", "tizanidine", "--patient", patient)
    assert code == EXIT_REFUSED
    assert "label_contraindication" in err


def test_a_start_dose_no_product_makes_exits_3_with_alternatives_in_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--start-dose 7.5 mg from whole tablets is an unmakeable_dose refusal listing the liquids that make it."""
    code, document = run_json(
        capsys,
        "plan",
        "titrate",
        "baclofen",
        "--start-dose",
        "7.5 mg",
        "--products",
        "baclofen-tab-5mg,baclofen-tab-10mg",
    )
    assert code == EXIT_REFUSED
    assert document["error"]["code"] == "unmakeable_dose"
    assert any("solution" in alternative for alternative in document["error"]["alternatives"])
