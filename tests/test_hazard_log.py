"""The hazard log names real tests: every row has at least one, and every named test exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "docs" / "safety" / "hazards.md"


def _rows() -> list[str]:
    lines = LOG.read_text(encoding="utf-8").splitlines()
    return [
        line
        for line in lines
        if line.startswith("| ") and not line.startswith("| hazard") and "---" not in line
    ]


def _defined_tests() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        names.update(re.findall(r"^\s*(?:async\s+)?def (test_\w+)\(", path.read_text(encoding="utf-8"), re.M))
    return names


def test_every_hazard_row_names_at_least_one_test() -> None:
    """Each hazard in the log has a test that proves its control."""
    rows = _rows()
    assert rows, "the hazard log has no rows"
    missing = [row.split("|")[1].strip() for row in rows if "`test_" not in row]
    assert missing == []


def test_every_test_named_in_the_hazard_log_exists() -> None:
    """A renamed or deleted test cannot leave the hazard log pointing at nothing."""
    named = set(re.findall(r"`(test_\w+)`", LOG.read_text(encoding="utf-8")))
    assert named - _defined_tests() == set()
