"""CLI: `dosewise guide` prints a guide or one section from the knowledge base, with sources on request,
as text or the documented JSON; unknown guides and sections are refused with exit 2."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from dosewise.cli.main import main
from dosewise.domain.rules import KnowledgeBase


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out = run(capsys, *argv, "--json")
    return code, json.loads(out)


def test_one_section_as_json_carries_every_paragraph_with_sources(
    capsys: pytest.CaptureFixture[str], kb: KnowledgeBase
) -> None:
    """--section withdrawal: only that section, each paragraph with its grade and cited sources."""
    code, out = run_json(capsys, "guide", "baclofen", "--section", "withdrawal")
    assert code == 0
    assert out["format"] == "dosewise.guide/1"
    assert out["kb_version"] == kb.version
    assert out["url"] == "/guides/baclofen"
    (section,) = out["sections"]
    expected = kb.guides["baclofen"].section("withdrawal")
    assert expected is not None
    assert [p["text"] for p in section["paragraphs"]] == [p.text for p in expected.paragraphs]
    for paragraph, source in zip(section["paragraphs"], expected.paragraphs, strict=True):
        assert paragraph["confidence"] == source.provenance.confidence
        assert [s["id"] for s in paragraph["sources"]] == list(source.provenance.source_ids)


def test_the_text_keeps_every_dose_on_one_line(capsys: pytest.CaptureFixture[str], kb: KnowledgeBase) -> None:
    """Wrapped text never leaves a number at a line end with its unit on the next line."""
    for guide in kb.guides:
        code, out = run(capsys, "guide", guide, "--sources")
        assert code == 0
        lines = out.splitlines()
        for first, second in itertools.pairwise(lines):
            if first.rstrip() and first.rstrip()[-1].isdigit():
                assert not second.lstrip().startswith(("mg", "mcg", "mL", "U ")), (first, second)


def test_sources_are_shown_only_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    """Plain text by default; --sources adds a 'Sources:' line with the grade under each paragraph."""
    _, plain = run(capsys, "guide", "baclofen", "--section", "alcohol")
    _, cited = run(capsys, "guide", "baclofen", "--section", "alcohol", "--sources")
    assert "Sources:" not in plain
    assert "Agabio" in cited
    assert "[H]" in cited
    assert "Not an approved use" in plain


def test_the_list_and_the_comparison(capsys: pytest.CaptureFixture[str], kb: KnowledgeBase) -> None:
    """No guide name lists the guides; 'compare' gives every treatment with 'not recorded' where empty."""
    code, out = run_json(capsys, "guide")
    assert code == 0
    assert [g["id"] for g in out["guides"]] == list(kb.guides)
    code, table = run_json(capsys, "guide", "compare")
    assert code == 0
    assert [r["id"] for r in table["rows"]] == [r.id for r in kb.comparison]
    cells = [c for r in table["rows"] for c in r["cells"].values()]
    assert any(not c["recorded"] and c["patient"] == "not recorded" for c in cells)
    assert all(c["sources"] for c in cells if c["recorded"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["guide", "aspirin"], "no guide for 'aspirin'"),
        (["guide", "baclofen", "--section", "dosage"], "has no section 'dosage'"),
    ],
)
def test_an_unknown_guide_or_section_is_refused(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Exit 2 with the list of what exists in the hint."""
    code, out = run_json(capsys, *argv)
    assert code == 2
    assert message in out["error"]["message"]
    assert out["error"]["hint"]
