"""The triage corpus: hundreds of phrasings written before the matcher, and a held-out set written after.

Each case has the level the engine must give and the truth (the lowest appropriate level). Emergency
sensitivity (truth emergency, answered emergency) must be 100%; over-triage (answered above the truth) is
measured and printed. Run with ``-s`` to see the figures.

First-run figures of each held-out batch (measured before any change made for it, never edited after):
- triage2 batch 1 (85 cases: 44 emergency, 21 urgent, 7 soon, 13 expected; colour words, seizure
  descriptions, intent around pills, liquid and child ingestions, fever with confusion, sudden worst
  headache, withdrawal signs "since stopping", confusion, heavy sedation, severe weakness, explicit
  denials), on main at c7d3188: emergency sensitivity 38.6% (17 of 44), under-triage 52.9%,
  over-triage 10.6%, agreement 35.3%. After the triage2 fixes: sensitivity 100%, under-triage 0%,
  over-triage 5.9%, agreement 97.6%.
- triage2 batch 2 (40 cases: 17 emergency, 11 urgent, 4 soon, 8 expected), written after those fixes and
  run once before any further change: emergency sensitivity 82.4% (14 of 17; missed "gone a funny colour",
  "stockpiled my pills and going to use them", "the worst pain in my head ... came on in seconds"),
  under-triage 7.5%, over-triage 5.0%, agreement 90.0%.
- triage2 batch 3 (30 cases: 13 emergency, 7 urgent, 4 soon, 6 expected), written after batch 2's fixes:
  emergency sensitivity 100%, under-triage 0%, over-triage 3.3% ("headache after my dose, nothing else"
  was soon: "nothing else" was not read as filler), agreement 96.7%.
- lead batch (16 cases: 9 emergency, 4 urgent, 3 expected), written after triage2 and run once on main
  at 0a428cc: emergency sensitivity 88.9% (8 of 9; missed "i've written letters to my family, i'm
  done"), under-triage 6.3%, over-triage 12.5% (alcohol with drowsiness answered emergency; "dry mouth"
  not recognised, so soon), agreement 81.3%. After adding farewell letters and giving things away to the
  self-harm patterns: sensitivity 100%.
- lead batch 2 (50 cases: 30 emergency, 10 urgent, 5 soon, 5 expected as first labelled), run once on
  main at 800b60b: emergency sensitivity 90.0% (27 of 30; missed a chest "hardly moving", eyes that
  "won't open", and 150 mg swallowed, which the sourced 200 mg flag makes urgent), under-triage 18%,
  over-triage 6%, agreement 76%. After the fixes (and relabelling the 150 mg case): sensitivity 100%.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from dosewise.domain.quantity import parse_quantity
from dosewise.domain.triage import LEVELS, TriageResult, triage
from dosewise.knowledge import default_version, load_knowledge_base
from dosewise.services.advice import triage_context

KB = load_knowledge_base(default_version())
HERE = Path(__file__).parent


@dataclass(frozen=True)
class Case:
    line: int
    level: str
    truth: str
    context: tuple[str, ...]
    text: str


def load(name: str) -> list[Case]:
    cases = []
    for number, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        level, truth, context, text = line.split("\t")
        assert level in LEVELS, f"{name}:{number}"
        assert truth == "=" or truth in LEVELS, f"{name}:{number}"
        flags = () if context == "-" else tuple(c.strip() for c in context.split(","))
        cases.append(Case(number, level, level if truth == "=" else truth, flags, text))
    return cases


def run(case: Case) -> TriageResult:
    drug = next((c.split("=", 1)[1] for c in case.context if c.startswith("drug=")), None)
    tablet = next((c.split("=", 1)[1] for c in case.context if c.startswith("tablet=")), None)
    context = triage_context(kb=KB, drug=drug, tablet=parse_quantity(tablet) if tablet else None)
    for flag in case.context:
        if "=" not in flag:
            context = context.with_flag(flag, "corpus")
    return triage(case.text.split(" || "), context, KB)


def figures(cases: list[Case]) -> dict[str, object]:
    answers = [(case, run(case).level) for case in cases]
    truth_emergency = [(c, got) for c, got in answers if c.truth == "emergency"]
    over = [c for c, got in answers if LEVELS.index(got) > LEVELS.index(c.truth)]
    under = [c for c, got in answers if LEVELS.index(got) < LEVELS.index(c.truth)]
    return {
        "cases": len(cases),
        "per_level": dict(Counter(c.truth for c in cases)),
        "sensitivity": sum(got == "emergency" for _, got in truth_emergency) / len(truth_emergency),
        "over_triage": len(over) / len(cases),
        "under_triage": len(under) / len(cases),
        "agreement": sum(got == c.level for c, got in answers) / len(cases),
        "wrong": [(c.line, c.text, c.level, got) for c, got in answers if got != c.level],
        "missed_emergencies": [(c.line, c.text, got) for c, got in truth_emergency if got != "emergency"],
    }


CORPUS = load("triage_corpus.tsv")
HELD_OUT = load("triage_heldout.tsv")


def test_the_corpus_has_at_least_300_cases_over_every_level() -> None:
    """At least 300 phrasings, with every level represented by at least 40."""
    per_level = Counter(c.level for c in CORPUS)
    assert len(CORPUS) >= 300
    assert all(per_level[level] >= 40 for level in LEVELS), per_level


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: f"{c.line}:{c.text[:40]}")
def test_every_corpus_case_gets_its_expected_level(case: Case) -> None:
    """Each phrasing written before the matcher gets the level written beside it."""
    assert run(case).level == case.level


def test_emergency_sensitivity_on_the_corpus_is_total_and_over_triage_is_reported() -> None:
    """Every emergency in the corpus is answered emergency; over-triage is printed beside it."""
    result = figures(CORPUS)
    print(
        f"\ncorpus: {result['cases']} cases {result['per_level']}; emergency sensitivity "
        f"{result['sensitivity']:.1%}; over-triage {result['over_triage']:.1%}; "
        f"under-triage {result['under_triage']:.1%}; agreement {result['agreement']:.1%}"
    )
    assert result["missed_emergencies"] == []
    assert result["sensitivity"] == 1.0


def test_held_out_cases_lose_no_emergency_and_are_never_under_triaged() -> None:
    """On phrasings written after the matcher: no emergency missed, nothing answered below its truth."""
    result = figures(HELD_OUT)
    print(
        f"\nheld-out: {result['cases']} cases {result['per_level']}; emergency sensitivity "
        f"{result['sensitivity']:.1%}; over-triage {result['over_triage']:.1%}; "
        f"under-triage {result['under_triage']:.1%}; agreement {result['agreement']:.1%}; "
        f"differences {result['wrong']}"
    )
    assert result["missed_emergencies"] == []
    assert result["under_triage"] == 0.0
