"""CLI `dosewise pump`: implausible values refused, programme changes part-way through the interval."""

from __future__ import annotations

import json

import pytest

from dosewise.cli.main import main

BASE = ["pump", "--reservoir-ml", "40", "--concentration-mcg-ml", "2000", "--today", "2026-12-01"]


def test_a_dose_that_would_outlast_the_pump_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """5 mcg a day of 2000 mcg/mL is refused with exit 2 and a reason, never a refill date decades away."""
    assert main([*BASE, "--daily-mcg", "5"]) == 2
    assert "service life" in capsys.readouterr().err


def test_a_change_part_way_is_accepted_and_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """--change '2026-12-10 1000' brings the alarm from 152 days to 80.5 and lists the change."""
    assert main([*BASE, "--daily-mcg", "500", "--json", "--change", "2026-12-10 1000"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["days_to_alarm"] == 80.5
    assert out["alarm_date"] == "2027-02-19"
    assert out["changes"] == [{"from": "2026-12-10", "daily_dose": {"value": "1000", "unit": "mcg"}}]


@pytest.mark.parametrize("change", ["2026-12-10", "soon 600", "2026-12-10 0.6 mg", "2026-11-01 600"])
def test_a_malformed_change_exits_2(capsys: pytest.CaptureFixture[str], change: str) -> None:
    """A change without a dose, with a bad date, in mg or before the fill day is refused with exit 2."""
    assert main([*BASE, "--daily-mcg", "500", "--change", change]) == 2
    assert capsys.readouterr().err.startswith("dosewise: ")
