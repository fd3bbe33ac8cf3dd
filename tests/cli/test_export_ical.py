"""CLI: `dosewise export ical PLAN_FILE`: a calendar file of the planned doses, read back by the `ical`
parser; earlier versions give SEQUENCE and cancellations; unsafe plans and bad options are refused."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from dosewise.cli.main import main
from ical.calendar_stream import IcsCalendarStream

EXIT_OK, EXIT_INVALID, EXIT_REFUSED = 0, 2, 3
START = "2027-03-20"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _titration(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, *extra: str) -> Path:
    patient = tmp_path / "patient.toml"
    patient.write_text('timezone = "Europe/London"\nage = 50\n', encoding="utf-8")
    code, out, _ = run(
        capsys, "plan", "titrate", "baclofen", "--start", START, "--patient", str(patient), "--json", *extra
    )
    assert code == EXIT_OK
    path = tmp_path / name
    path.write_text(out, encoding="utf-8")
    return path


def _events(path: Path) -> list[Any]:
    return list(IcsCalendarStream.calendar_from_ics(path.read_text(encoding="utf-8")).events)


def test_export_writes_one_event_per_dose_with_what_to_take(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """20 days from the plan's start, three doses a day: 60 events in Europe/London, across the spring
    change (28 March) at 08:00, 14:00 and 20:00 local time every day."""
    plan = _titration(tmp_path, capsys, "plan.json")
    out_file = tmp_path / "doses.ics"
    code, out, _ = run(
        capsys, "export", "ical", str(plan), "-o", str(out_file), "--from", START, "--days", "20"
    )
    assert code == EXIT_OK
    assert "Wrote 60 doses (0 cancelled) from 2027-03-20 to 2027-04-08" in out
    events = _events(out_file)
    assert len(events) == 60
    assert {(e.dtstart.hour, e.dtstart.minute) for e in events} == {(8, 0), (14, 0), (20, 0)}
    assert {str(e.dtstart.tzinfo) for e in events} == {"Europe/London"}
    assert {e.dtstart.date() for e in events} == {date(2027, 3, 20) + timedelta(days=d) for d in range(20)}
    first = min(events, key=lambda e: e.dtstart)
    assert first.summary == "Baclofen 5 mg"
    assert first.description.startswith("Take 1 tablet of 5 mg (5 mg of baclofen).")


def test_export_to_stdout_is_the_calendar_itself(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """Without -o the calendar goes to stdout, CRLF lines, nothing else mixed in."""
    patient = tmp_path / "patient.toml"
    patient.write_text('timezone = "America/New_York"\n', encoding="utf-8")
    main(["plan", "titrate", "baclofen", "--start", START, "--patient", str(patient), "--json"])
    plan = tmp_path / "plan.json"
    plan.write_bytes(capsysbinary.readouterr().out)
    code = main(["export", "ical", str(plan), "--from", START, "--days", "3"])
    body = capsysbinary.readouterr().out
    assert code == EXIT_OK
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert body.endswith(b"END:VCALENDAR\r\n")
    assert body.count(b"BEGIN:VEVENT") == 9
    assert b"TZID:America/New_York" in body


def test_export_with_previous_versions_raises_sequence_and_cancels_removed_doses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same titration at four doses a day is a new version: the 08:00 slots keep their UIDs, the
    moved ones get SEQUENCE 1; given the other way round, the fourth dose is cancelled."""
    three = _titration(tmp_path, capsys, "three.json")
    four = _titration(tmp_path, capsys, "four.json", "--times-per-day", "4", "--start-dose", "5 mg")
    out_file = tmp_path / "v2.ics"
    code, out, _ = run(
        capsys,
        "export",
        "ical",
        str(three),
        "--previous",
        str(four),
        "-o",
        str(out_file),
        "--from",
        START,
        "--days",
        "6",
    )
    assert code == EXIT_OK
    assert "Wrote 18 doses (6 cancelled)" in out
    events = _events(out_file)
    cancelled = [e for e in events if e.status and e.status.value == "CANCELLED"]
    assert len(cancelled) == 6
    assert {e.sequence for e in cancelled} == {1}
    eight = [e for e in events if (e.dtstart.hour, e.dtstart.minute) == (8, 0)]
    assert {e.sequence for e in eight} == {0}  # 08:00 in both versions: unchanged
    assert len({e.uid for e in events}) == len(events)


def test_export_refuses_a_plan_the_checker_blocks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hand-written plan above the label maximum is not exported (exit 3, the finding named)."""
    document = {
        "format": "dosewise.plan/1",
        "drug": "baclofen",
        "route": "oral",
        "timezone": "Europe/London",
        "steps": [{"start": START, "days": 7, "dose": "40 mg", "times_per_day": 4}],
    }
    plan = tmp_path / "high.json"
    plan.write_text(json.dumps(document), encoding="utf-8")
    code, out, err = run(capsys, "export", "ical", str(plan), "-o", str(tmp_path / "x.ics"))
    assert code == EXIT_REFUSED
    assert "this plan was not exported" in err
    assert not (tmp_path / "x.ics").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--days", "0"), "1 to 400 days"),
        (("--days", "401"), "1 to 400 days"),
        (("--from", "2027-13-01"), "not a date"),
    ],
)
def test_export_refuses_bad_options_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: tuple[str, ...], message: str
) -> None:
    """Exit 2 and a one-line reason."""
    plan = _titration(tmp_path, capsys, "plan.json")
    code, _, err = run(capsys, "export", "ical", str(plan), *options)
    assert code == EXIT_INVALID
    assert message in err
