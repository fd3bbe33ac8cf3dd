"""The engine's answers as documents: simulation, population, missed-dose and triage JSON are written by the
registered writers in dosewise.formats, and the CLI prints exactly what those writers produce."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dosewise.cli.main import main
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats import registry
from dosewise.formats.numbers import floor_decimal, significant
from dosewise.formats.plan_document import plan_to_document
from dosewise.services import advice, planning, simulation

UTC = ZoneInfo("UTC")


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    main([*argv, "--json"])
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


@pytest.mark.parametrize(
    ("words", "level"),
    [(["he is not breathing"], "emergency"), (["drowsy"], "expected"), (["seeing things"], "urgent")],
)
def test_the_triage_cli_prints_the_registered_triage_document(
    capsys: pytest.CaptureFixture[str], kb: KnowledgeBase, words: list[str], level: str
) -> None:
    """`triage --json` is registry.get("triage").write over the same result, field for field."""
    result = advice.triage_symptoms(kb=kb, symptoms=words)
    document = registry.get("triage").write(result, [], "UTC")  # type: ignore[misc]
    printed = _cli_json(capsys, "triage", *words)
    assert printed == json.loads(json.dumps(document))
    assert document["level"] == result.level
    assert printed["level"] == level


def test_the_stored_triage_summary_keeps_level_rules_sources_and_severity(kb: KnowledgeBase) -> None:
    """The diary's stored summary carries what the record shows: level, rule ids, sources, the KB version."""
    result = advice.triage_symptoms(kb=kb, symptoms=["she won't wake up"], reported_severity="severe")
    summary = registry.get("triage-summary").write(result, "severe")  # type: ignore[misc]
    assert summary["level"] == "emergency"
    assert summary["rules"] == [m.rule.id for m in result.rules]
    assert summary["rules"]
    assert summary["sources"]
    assert summary["kb_version"] == kb.version
    assert summary["severity"] == "severe"
    json.dumps(summary)  # stored as JSON: nothing that cannot be written


def test_the_missed_cli_prints_the_registered_missed_dose_document(
    capsys: pytest.CaptureFixture[str], kb: KnowledgeBase, tmp_path: Path
) -> None:
    """`missed --json` is the missed-dose writer's document over the service's advice."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 23))
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan_to_document(plan, kb.drug("baclofen"))))
    now = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
    taken = [datetime(2026, 11, 24, 8, 5, tzinfo=UTC)]
    expected = registry.get("missed-dose").write(  # type: ignore[misc]
        advice.advise_missed(kb=kb, plan=plan, now=now, taken=taken), "baclofen", []
    )
    printed = _cli_json(
        capsys, "missed", str(plan_file), "--now", now.isoformat(), "--taken", taken[0].isoformat()
    )
    assert printed == json.loads(json.dumps(expected))
    # 08:05 taken, 16:30 now: the 14:00 dose of the three-times-a-day start is the missed one.
    assert printed["missed_dose"] is not None
    assert printed["action"] == expected["action"]


def test_the_simulation_writers_give_the_documented_envelopes(kb: KnowledgeBase) -> None:
    """One person: format dosewise.simulation/1; a population: dosewise.population/1 around the percentiles."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 23))
    person = simulation.simulate_plan(kb=kb, plan=plan, patient=None)
    doc = registry.get("simulation").write(person)  # type: ignore[misc]
    assert (doc["format"], doc["kb_version"], doc["drug"]) == (
        "dosewise.simulation/1",
        kb.version,
        "baclofen",
    )
    assert len(doc["days"]) == len(person.result.days)
    population = simulation.simulate_population(kb=kb, plan=plan, subjects=20, seed=7, workers=1)
    pop = registry.get("population").write(population)  # type: ignore[misc]
    assert (pop["format"], pop["drug"]) == ("dosewise.population/1", "baclofen")
    assert pop["population"]["subjects"] == 20
    assert set(pop["population"]["percentiles_ng_ml"]) == {"p5", "p50", "p95"}


def test_numbers_are_rounded_the_safe_way_and_never_invented() -> None:
    """Durations round down (never later than the truth); a value that is not finite is null, not 0."""
    from fractions import Fraction

    assert floor_decimal(Fraction(59, 10)) == 5.9
    assert floor_decimal(Fraction(599, 100)) == 5.9
    assert floor_decimal(Fraction(6)) == 6
    assert significant(math.nan) is None
    assert significant(math.inf) is None
    assert significant(123456.0) == 123500.0
