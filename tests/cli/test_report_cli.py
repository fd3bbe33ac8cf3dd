"""`dosewise report`: writes the clinician PDF or the schedule sheet, and refuses bad input with exit 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from dosewise.cli.main import main


def _plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Path:
    assert main(["plan", "titrate", "baclofen", "--start", "2026-11-20", "--json", *extra]) == 0
    path = tmp_path / "plan.json"
    path.write_text(capsys.readouterr().out)
    return path


def _history(tmp_path: Path) -> Path:
    doses = [
        {"at": f"2026-11-{day:02d}T{hour:02d}:05:00+00:00", "dose": "5 mg"}
        for day in (20, 21, 22)
        for hour in (8, 14, 20)
    ]
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"timezone": "UTC", "doses": doses[:-1]}))
    return path


def test_report_writes_a_tagged_pdf_that_poppler_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The PDF opens in poppler (pdfinfo: tagged), and pdftotext -layout shows the plan and adherence."""
    plan = _plan(tmp_path, capsys)
    out = tmp_path / "report.pdf"
    argv = ["report", str(plan), "--history", str(_history(tmp_path)), "--as-of", "2026-11-23T07:00+00:00"]
    assert main([*argv, "--name", "Ada", "-o", str(out)]) == 0
    assert "Wrote the clinician report" in capsys.readouterr().out
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    assert "Clinician report: baclofen titration plan" in info
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "1 tablet of 5 mg" in text
    assert "8 of 9 (89 %)" in text
    again = tmp_path / "again.pdf"
    assert main([*argv, "--name", "Ada", "-o", str(again), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["bytes"] == out.stat().st_size
    assert again.read_bytes() == out.read_bytes()


def test_the_sheet_renders_to_png_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pdftoppm turns every page of the sheet into a picture (what a person prints)."""
    plan = _plan(tmp_path, capsys)
    out = tmp_path / "sheet.pdf"
    assert main(["report", str(plan), "--sheet", "--from", "2026-11-20", "--days", "14", "-o", str(out)]) == 0
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages
    assert all(page.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for page in pages)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sheet", "--history", "h.json"], "go with the clinician report"),
        (["--from", "2026-11-20"], "--from goes with --sheet"),
        (["--sheet", "--days", "400"], "1 to 92 days"),
        (["--days", "0"], "1 to 366 days"),
        (["--as-of", "yesterday"], "--as-of"),
        (["--as-of", "2026-11-23T07:00"], "--as-of"),
    ],
)
def test_bad_options_exit_2_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    """Contradictory or impossible options are refused before anything is written."""
    plan = _plan(tmp_path, capsys)
    out = tmp_path / "x.pdf"
    history = _history(tmp_path)
    extra = [str(history) if item == "h.json" else item for item in extra]
    if "--history" not in extra and "--sheet" not in extra and "--days" in extra:
        extra += ["--history", str(history)]
    assert main(["report", str(plan), *extra, "-o", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
