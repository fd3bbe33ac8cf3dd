"""CLI: `dosewise interactions` screens every pair on the list, names combinations, duplicates and the
three-or-more CNS depressant warning with source and KB version, and never says "no interactions found"
when something could not be screened; `dosewise check` reports the planned medicine listed again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dosewise.cli.main import main
from dosewise.knowledge import default_version

EXIT_OK, EXIT_ATTENTION = 0, 1


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out = run(capsys, *argv, "--json")
    return code, json.loads(out)


def test_pairs_without_the_planned_drug_are_reported_with_source_and_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Norco + beer + Xanax (no baclofen): opioid-alcohol, opioid-benzodiazepine, benzodiazepine-alcohol."""
    code, data = run_json(capsys, "interactions", "Norco", "beer", "Xanax")
    assert code == EXIT_ATTENTION
    assert data["needs_attention"] is True
    rules = {i["rule"]: i for i in data["interactions"]}
    assert {"opioid-alcohol", "opioid-benzodiazepine", "benzodiazepine-alcohol"} <= set(rules)
    for item in rules.values():
        assert item["source"]
        assert item["source_ids"]
        assert item["kb_version"] == default_version()
        assert item["effect"]
        assert item["action"]
        assert item["severity"] == "major"
    assert rules["opioid-alcohol"]["ingredients"] == ["hydrocodone", "ethanol"]
    (count,) = data["class_counts"]
    assert count["code"] == "class_count.three-cns-depressants"
    assert count["kb_version"] == default_version()


def test_a_combination_brand_lists_its_ingredients_in_the_json(capsys: pytest.CaptureFixture[str]) -> None:
    """Percocet is shown as oxycodone + acetaminophen, matched by brand, product named."""
    _, data = run_json(capsys, "interactions", "Percocet 5/325", "Tylenol")
    item = data["items"][0]
    assert item["ingredients"] == ["oxycodone", "acetaminophen"]
    assert item["product"] == "oxycodone + acetaminophen"
    assert item["label"] == "Percocet 5/325 (oxycodone + acetaminophen)"
    (duplicate,) = data["duplicates"]
    assert duplicate["code"] == "duplicate.same_ingredient"
    assert duplicate["severity"] == "major"
    assert all(item["duplicate"] for item in data["items"])


def test_the_text_names_both_medicines_severity_and_source(capsys: pytest.CaptureFixture[str]) -> None:
    """Each line names both ingredients with what was written, the severity, and a source line with the KB."""
    _, out = run(capsys, "interactions", "Zanaflex", "vodka")
    assert "[MAJOR] tizanidine (Zanaflex) + alcohol (vodka)" in out
    assert f"knowledge base {default_version()}" in out


@pytest.mark.parametrize("names", [["zorblatex"], ["metformin", "zorblatex"], ["Tylenol cold"]])
def test_an_unknown_name_never_reads_as_no_interactions_found(
    capsys: pytest.CaptureFixture[str], names: list[str]
) -> None:
    """With anything not screened, the text never says 'No interactions found' and names what was not checked."""
    code, out = run(capsys, "interactions", *names)
    assert code == EXIT_ATTENTION, "a list with something not screened must not exit 0 (read as safe)"
    assert "No interactions found" not in out
    assert "NOT SCREENED" in out
    assert "not safety" in out


def test_a_clean_fully_screened_list_says_no_interactions_found(capsys: pytest.CaptureFixture[str]) -> None:
    """Two screened medicines with no rule between them: the plain 'No interactions found' line."""
    code, out = run(capsys, "interactions", "metformin", "amlodipine")
    assert code == EXIT_OK
    assert "No interactions found among the screened items." in out


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Zanaflex", "vodka"], EXIT_ATTENTION),  # major
        (["Percocet 5/325", "Tylenol"], EXIT_ATTENTION),  # major duplicate ingredient
        (["baclofen", "oxycodone"], EXIT_ATTENTION),
        (["metformin", "amlodipine"], EXIT_OK),
        (["metformin"], EXIT_OK),
    ],
)
def test_the_exit_code_says_whether_the_list_needs_attention(
    capsys: pytest.CaptureFixture[str], names: list[str], expected: int
) -> None:
    """Exit 1, as `check` does, for a major or contraindicated finding, so a script never reads it as safe."""
    code, data = run_json(capsys, "interactions", *names)
    assert code == expected
    assert data["needs_attention"] is (expected == EXIT_ATTENTION)


def test_check_reports_lioresal_beside_a_baclofen_plan_with_the_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check plan --patient` with Lioresal 10 mg x3 on the list: major duplicate.planned_drug with 90 mg a day."""
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'drug = "baclofen"\n[[steps]]\nstart = "2026-11-23"\ndays = 30\ndose = "20 mg"\ntimes_per_day = 3\n'
    )
    patient = tmp_path / "patient.toml"
    patient.write_text(
        'crcl_ml_min = 100\n[[medications]]\nname = "Lioresal"\ndose = "10 mg"\ntimes_per_day = 3\n'
    )
    code, report = run_json(capsys, "check", str(plan), "--patient", str(patient))
    assert code == EXIT_ATTENTION
    found = {f["code"]: f for f in report["findings"]}
    assert found["duplicate.planned_drug"]["severity"] == "major"
    assert "90 mg a day in total" in found["duplicate.planned_drug"]["message"]
