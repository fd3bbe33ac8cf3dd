"""A drug the shipped knowledge base does not have is added as data alone and is planned, checked and
screened: the fixture root holds an invented drug ("exampleprofen", invented numbers, see its README)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from dosewise.domain.errors import KnowledgeError, PlanRefused, UnknownDrug
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step, default_times
from dosewise.domain.rules import KnowledgeBase, Severity
from dosewise.knowledge import load_knowledge_base
from dosewise.services import planning, screening, simulation

FIXTURE = Path(__file__).parent / "fixtures" / "exampleprofen"
VERSION = "9999.01.0"
START = date(2026, 12, 7)


@pytest.fixture(scope="module")
def fixture_kb() -> KnowledgeBase:
    """The fixture root loaded by its own current.toml (no version named)."""
    return load_knowledge_base(root=FIXTURE)


def test_the_fixture_root_loads_its_own_current_version(fixture_kb: KnowledgeBase) -> None:
    """current.toml in the fixture root picks 9999.01.0, and its only drug is the one release.toml lists."""
    assert fixture_kb.version == VERSION
    assert set(fixture_kb.drugs) == {"exampleprofen"}
    assert fixture_kb.pump is None
    assert set(fixture_kb.pk) == {"exampleprofen"}
    with pytest.raises(UnknownDrug):
        fixture_kb.drug("baclofen")


def test_the_new_drug_is_planned_from_its_own_file(fixture_kb: KnowledgeBase) -> None:
    """The label-style titration is the file's steps: 10, 20, 30 mg twice a day, three days each."""
    plan = planning.titrate(kb=fixture_kb, drug="exampleprofen", start=START)
    assert plan.kb_version == VERSION
    assert [(s.start, s.days, s.dose, len(s.times)) for s in plan.steps] == [
        (date(2026, 12, 7), 3, mg(10), 2),
        (date(2026, 12, 10), 3, mg(20), 2),
        (date(2026, 12, 13), 3, mg(30), 2),
    ]
    assert not [f for f in plan.findings if f.severity.rank >= Severity.MAJOR.rank]


def test_the_planner_refuses_a_target_above_the_new_drugs_maximum(fixture_kb: KnowledgeBase) -> None:
    """80 mg a day is above the fixture's 60 mg maximum: refused, naming the file's limit."""
    with pytest.raises(PlanRefused, match="60 mg a day"):
        planning.titrate(kb=fixture_kb, drug="exampleprofen", start=START, target_daily=mg(80))


def test_the_checker_judges_an_edited_plan_by_the_new_drugs_limits(fixture_kb: KnowledgeBase) -> None:
    """A step of 40 mg twice a day (80 mg > 60 mg, 40 mg > 30 mg a dose) is major, and the finding names
    the fixture's version and its source."""
    plan = planning.titrate(kb=fixture_kb, drug="exampleprofen", start=START)
    last = plan.steps[-1]
    too_much = Step(last.end, 3, mg(40), default_times(2))
    edited: Plan = replace(plan, steps=(*plan.steps, too_much))
    checked = planning.check(kb=fixture_kb, plan=edited)
    major = [f for f in checked.findings if f.severity.rank >= Severity.MAJOR.rank]
    assert major, [f.code for f in checked.findings]
    assert {f.kb_version for f in checked.findings} == {VERSION}
    assert all("test_fixture" in f.source_ids for f in major)


def test_a_medication_list_is_screened_with_the_new_drugs_rules(fixture_kb: KnowledgeBase) -> None:
    """A brand of the invented sedative meets the fixture's class rule; an unknown name is not screened."""
    report = screening.screen(kb=fixture_kb, names=["Samplon", "unknownium"], planned="Examplex")
    assert [(i.rule.id, i.rule.severity) for i in report.interactions] == [
        ("exampleprofen-sample-sedative", Severity.MAJOR)
    ]
    assert [r.query for r in report.unscreened] == ["unknownium"]
    assert report.kb_version == VERSION
    assert report.needs_attention


def test_the_new_drug_is_simulated_with_its_own_parameter_set(fixture_kb: KnowledgeBase) -> None:
    """pk.toml keyed by the new drug's id: its default set is chosen, and the levels follow the invented
    numbers: on the last day (30 mg twice a day, at steady state: half-life ln 2 x 50 L / 10 L/h = 3.5 h)
    the average level is the dose rate over the clearance, 60 mg / 24 h / 10 L/h = 250 ng/mL."""
    plan = planning.titrate(kb=fixture_kb, drug="exampleprofen", start=START)
    run = simulation.simulate_plan(kb=fixture_kb, plan=plan)
    assert run.kb_version == VERSION
    assert run.result.model.parameter_set.id == "invented2026"
    assert run.result.model.parameter_set.cl_f.source_ids == ("test_fixture",)
    k = run.result.model.cl_l_per_h / run.result.model.v_l
    assert k == pytest.approx(10 / 50)
    last = run.result.days[-1]
    assert last.dose_mg == pytest.approx(60)
    assert last.auc_ng_h_ml / 24 == pytest.approx(250, rel=0.01)


def test_a_drug_file_missing_from_the_release_list_fails_the_load(tmp_path: Path) -> None:
    """A new drug file dropped into the folder without its release.toml line is refused, not ignored."""
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    shutil.copy(root / VERSION / "exampleprofen.toml", root / VERSION / "otherprofen.toml")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge_base(VERSION, root=root)
    assert "otherprofen.toml" in caught.value.message


def test_a_drug_file_listed_but_absent_fails_the_load(tmp_path: Path) -> None:
    """A release naming a file the folder does not hold fails, naming the path."""
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    release = root / VERSION / "release.toml"
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace('["exampleprofen.toml"]', '["exampleprofen.toml", "gone.toml"]'))
    with pytest.raises(KnowledgeError, match=r"gone\.toml"):
        load_knowledge_base(VERSION, root=root)


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, "missing"),
        ('version = "9999.02.0"\n', "no release folder"),
        ('version = "latest"\n', "exactly one field"),
        ('version = "9999.01.0"\nnote = "x"\n', "exactly one field"),
    ],
)
def test_a_missing_or_wrong_current_pointer_is_refused(
    tmp_path: Path, current: str | None, expected: str
) -> None:
    """current.toml must exist, hold only a version, and point at a folder that exists."""
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    if current is None:
        (root / "current.toml").unlink()
    else:
        (root / "current.toml").write_text(current, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=expected):
        load_knowledge_base(root=root)
