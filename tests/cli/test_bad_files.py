"""Malformed plan, patient and dose-history files exit 2 with a one-line reason and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GOOD_STEP = '{"start": "2026-11-23", "days": 7, "dose": "5 mg", "times_per_day": 3}'
PLANS: dict[str, bytes] = {
    "utf16.json": "{}".encode("utf-16"),
    "latin1.json": '{"drug": "baclofén"}'.encode("latin-1"),
    "null_steps.json": b'{"drug": "baclofen", "steps": null}',
    "year9999.json": b'{"drug": "baclofen", "steps": [' + GOOD_STEP.replace("2026", "9999").encode() + b"]}",
    "days_text.json": b'{"drug": "baclofen", "steps": [' + GOOD_STEP.replace("7", '"7"').encode() + b"]}",
    "mars.json": b'{"drug": "baclofen", "timezone": "Mars/Olympus", "steps": [' + GOOD_STEP.encode() + b"]}",
    "toml_named.json": b'drug = "baclofen"\n',
    "top_list.json": b'["baclofen"]',
    "deep.json": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "nul.json": b'{"drug": "baclofen\x00"}',
}
PATIENTS: dict[str, bytes] = {
    "dialysis_no.toml": b'dialysis = "no"\n',
    "zone.toml": b'timezone = "Mars/Olympus"\n',
    "age_true.toml": b"age = true\n",
    "crcl_nan.toml": b"crcl_ml_min = nan\n",
    "crcl_text.json": b'{"crcl_ml_min": "40"}',
    "meds_null.json": b'{"medications": null}',
}
HISTORIES: dict[str, bytes] = {
    "h_year1.json": b'{"doses": [{"at": "0001-01-10T08:00:00+00:00", "dose": "10 mg"}]}',
    "h_naive.json": b'{"doses": [{"at": "2026-01-10T08:00:00", "dose": "10 mg"}]}',
    "h_bare.json": b'{"doses": [{"at": "2026-01-10T08:00:00+01:00", "dose": 10}]}',
}
GOOD_PLAN = b'{"drug": "baclofen", "steps": [' + GOOD_STEP.encode() + b"]}"


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dosewise.cli.main", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("dosewise: ")
    assert len(lines[0]) > len("dosewise: ")
    assert all(line.startswith("  hint: ") for line in lines[1:])


def commands_for_plan(name: str) -> list[list[str]]:
    return [
        ["check", name],
        ["missed", name, "--now", "2026-11-24T10:00"],
        ["triage", "--plan", name, "dizzy"],
        ["simulate", "baclofen", "--plan", name],
    ]


@pytest.mark.parametrize("name", sorted(PLANS))
def test_each_command_that_reads_a_plan_refuses_a_malformed_one_with_exit_2(
    tmp_path: Path, name: str
) -> None:
    """check, missed, triage and simulate exit 2 with a one-line reason for each malformed plan file."""
    (tmp_path / name).write_bytes(PLANS[name])
    for command in commands_for_plan(name)[:2] if name != "deep.json" else commands_for_plan(name):
        assert_refused(run(tmp_path, *command))


@pytest.mark.parametrize("name", sorted(PATIENTS))
def test_each_command_that_reads_a_patient_refuses_a_malformed_one_with_exit_2(
    tmp_path: Path, name: str
) -> None:
    """plan, check and triage exit 2 for a malformed patient file instead of reading it loosely."""
    (tmp_path / name).write_bytes(PATIENTS[name])
    (tmp_path / "plan.json").write_bytes(GOOD_PLAN)
    assert_refused(run(tmp_path, "plan", "titrate", "baclofen", "--patient", name))
    assert_refused(run(tmp_path, "check", "plan.json", "--patient", name))
    assert_refused(run(tmp_path, "triage", "--patient", name, "dizzy"))


@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_simulate_refuses_a_malformed_dose_history_with_exit_2(tmp_path: Path, name: str) -> None:
    """simulate --history exits 2 for absurd dates, times without an offset and doses without a unit."""
    (tmp_path / name).write_bytes(HISTORIES[name])
    assert_refused(run(tmp_path, "simulate", "baclofen", "--history", name))


def test_a_utf8_byte_order_mark_is_read_as_the_same_text(tmp_path: Path) -> None:
    """A UTF-8 BOM (Windows Notepad) changes nothing: the plan is checked like the same file without it."""
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + GOOD_PLAN)
    (tmp_path / "plain.json").write_bytes(GOOD_PLAN)
    with_bom, plain = (
        run(tmp_path, "check", "--json", "bom.json"),
        run(tmp_path, "check", "--json", "plain.json"),
    )
    assert with_bom.returncode == plain.returncode
    assert with_bom.stdout == plain.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["missed", "plan.json", "--now", "0001-01-01T10:00"],
        ["missed", "plan.json", "--now", "2026-11-24T10:00", "--taken", "9999-01-01T10:00"],
        ["triage", "--plan", "plan.json", "--now", "9999-12-31T23:00", "dizzy"],
        ["plan", "titrate", "baclofen", "--start", "9999-12-25"],
        ["simulate", "baclofen", "--dose", "5 mg", "--single", "--start", "9999-12-31"],
        [
            "pump",
            "--reservoir-ml",
            "40",
            "--concentration-mcg-ml",
            "2000",
            "--daily-mcg",
            "500",
            "--today",
            "9999-12-01",
        ],
    ],
)
def test_absurd_dates_on_the_command_line_exit_2_not_an_overflow(tmp_path: Path, args: list[str]) -> None:
    """Years 0001 and 9999 given to --now, --taken, --start or --today are refused, never an overflow traceback."""
    (tmp_path / "plan.json").write_bytes(GOOD_PLAN)
    assert_refused(run(tmp_path, *args))


def test_a_history_for_another_drug_is_refused(tmp_path: Path) -> None:
    """A dose history that names tizanidine is not simulated as baclofen."""
    (tmp_path / "h.json").write_bytes(
        b'{"drug": "tizanidine", "doses": [{"at": "2026-01-10T08:00:00+01:00", "dose": "4 mg"}]}'
    )
    assert_refused(run(tmp_path, "simulate", "baclofen", "--history", "h.json"))
