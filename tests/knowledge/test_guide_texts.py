"""The guides in the knowledge base: their numbers are the planner's rule values (a changed limit changes
the sentence), an unknown name or a literal dose is refused at load, patient text reads at grade 8 or
lower, off-label sections say what the evidence is and no more, and the comparison never guesses."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import textstat

from dosewise.domain.errors import KnowledgeError
from dosewise.domain.guides import COMPARISON_COLUMNS, NOT_RECORDED
from dosewise.domain.quantity import format_limit, times_per_day_words
from dosewise.domain.rules import KnowledgeBase
from dosewise.knowledge import default_version
from dosewise.knowledge.builder import build_knowledge_base
from dosewise.knowledge.loader import data_root

DATA = data_root() / default_version()
MAX_GRADE = 8.0
# The sections (issue 13), in the oral baclofen guide.
BACLOFEN_SECTIONS = {
    "what", "who", "taking", "kidneys-age", "side-effects", "mixing", "withdrawal", "pump",
    "alternatives", "insomnia", "alcohol", "agree",
}  # fmt: skip
# Words that would claim more than one small trial or a modest review shows.
OVERSTATING = re.compile(
    r"\b(cures?|proven|effective|recommended|treats?|works well|safe for|helps you sleep)\b", re.I
)
DOSE = re.compile(r"\b\d+(?:\.\d+)? (?:mg|mcg|mL|U)\b")


def edited(tmp_path: Path, edits: dict[str, list[tuple[str, str]]]) -> KnowledgeBase:
    """Build a copy of the released folder with exact edits (each must match once)."""
    folder = tmp_path / default_version()
    shutil.copytree(DATA, folder)
    for name, changes in edits.items():
        text = (folder / name).read_text(encoding="utf-8")
        for old, new in changes:
            assert text.count(old) == 1, f"{old!r} must match exactly once in {name}"
            text = text.replace(old, new)
        (folder / name).write_text(text, encoding="utf-8")
    return build_knowledge_base(folder, default_version())


def patient_text(kb: KnowledgeBase) -> Iterator[tuple[str, str, str]]:
    for guide in kb.guides.values():
        for section in guide.sections:
            yield guide.id, section.id, " ".join(p.text for p in section.paragraphs)


def test_every_drug_and_alternative_has_a_guide_or_a_comparison_row(kb: KnowledgeBase) -> None:
    """Oral and intrathecal baclofen and tizanidine have guides; every treatment has a comparison row."""
    assert {"baclofen", "baclofen-intrathecal", "tizanidine"} <= set(kb.guides)
    rows = {row.id for row in kb.comparison}
    assert set(kb.drugs) | {"baclofen-intrathecal"} | {a["id"] for a in kb.alternatives} == rows
    assert {s.id for s in kb.guides["baclofen"].sections} == BACLOFEN_SECTIONS


def test_the_guide_states_the_planners_own_values(kb: KnowledgeBase) -> None:
    """The limits, start, step, kidney bands and taper in the sentences are the rule values themselves."""
    rules = kb.drug("baclofen")
    assert rules.limits
    assert rules.titration
    assert rules.taper
    assert rules.renal
    text = " ".join(p.text for s in kb.guides["baclofen"].sections for p in s.paragraphs)
    start = rules.titration.steps[0][0]
    assert f"The label starts at {start} {times_per_day_words(rules.titration.times_per_day)}." in text
    assert f"The most the label allows is {rules.limits.max_daily} a day." in text
    assert f"Every {rules.titration.min_interval_days} days each dose may go up by" in text
    assert f"over at least {rules.taper.min_days // 7} weeks" in text
    severe = next(b for b in rules.renal.bands if b.id == "severe")
    assert f"Below {format_limit(severe.crcl_to)}, it is best to avoid baclofen." in text


def test_a_changed_limit_changes_every_sentence_that_states_it(tmp_path: Path, kb: KnowledgeBase) -> None:
    """A copy with a 70 mg maximum and a 4-day step: the guide says 70 mg and 4 days, never 80 mg or 3."""
    changed = edited(
        tmp_path,
        {
            "baclofen.toml": [
                ('max_daily = "80 mg"', 'max_daily = "70 mg"'),
                ('usual_daily_high = "80 mg"', 'usual_daily_high = "70 mg"'),
                ("min_interval_days = 3\n", "min_interval_days = 4\n"),
            ]
        },
    )
    assert str(changed.drug("baclofen").limits.max_daily) == "70 mg"  # type: ignore[union-attr]
    before = [p.text for s in kb.guides["baclofen"].sections for p in s.paragraphs]
    after = [p.text for s in changed.guides["baclofen"].sections for p in s.paragraphs]
    assert "The most the label allows is 70 mg a day." in " ".join(after)
    assert "Every 4 days each dose may go up by" in " ".join(after)
    moved = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert moved, "no sentence changed"
    for old, new in moved:
        assert "80 mg" in old or "Every 3 days" in old
        assert "80 mg" not in new
        assert "Every 3 days" not in new
    row = next(r for r in changed.comparison if r.id == "baclofen")
    assert "maximum 70 mg a day" in row.cell("taken").clinician


def test_a_usual_range_above_the_maximum_is_refused_at_load(tmp_path: Path) -> None:
    """A lower maximum left beside the old usual range would make the guide contradict itself: refused."""
    with pytest.raises(KnowledgeError, match="usual daily range ends above the maximum"):
        edited(tmp_path, {"baclofen.toml": [('max_daily = "80 mg"', 'max_daily = "70 mg"')]})


def test_a_name_no_rule_provides_is_refused_at_load(tmp_path: Path) -> None:
    """A template asking for {max_dialy} (a typo) fails the load and names the known values."""
    with pytest.raises(KnowledgeError, match="no rule value named max_dialy") as refused:
        edited(
            tmp_path,
            {"baclofen.toml": [("The most the label allows is {max_daily}", "The most is {max_dialy}")]},
        )
    assert "max_daily" in (refused.value.hint or "")


def test_a_dose_written_as_a_number_is_refused_at_load(tmp_path: Path) -> None:
    """'up to 80 mg' typed into a paragraph could disagree with the planner: the load fails."""
    with pytest.raises(KnowledgeError, match="'80 mg' is written as a number"):
        edited(
            tmp_path,
            {"baclofen.toml": [("The most the label allows is {max_daily}", "The most is 80 mg")]},
        )


def test_only_paragraphs_that_quote_studies_hold_literal_doses(kb: KnowledgeBase) -> None:
    """Every literal dose in a guide sits in a paragraph marked quoted_figures, in an off-label section."""
    for guide in kb.guides.values():
        for section in guide.sections:
            for paragraph in section.paragraphs:
                literal = DOSE.findall(re.sub(r"\{[a-z_]+\}", "", paragraph.template))
                if literal:
                    assert paragraph.quoted_figures, (guide.id, section.id, literal)
                    assert section.off_label, (guide.id, section.id, literal)


def test_every_patient_section_reads_at_grade_8_or_lower(kb: KnowledgeBase) -> None:
    """Flesch-Kincaid grade (textstat) of each section's patient text, and of each paragraph, is <= 8."""
    for guide_id, section_id, text in patient_text(kb):
        grade = textstat.flesch_kincaid_grade(text)
        assert grade <= MAX_GRADE, f"{guide_id}#{section_id} reads at grade {grade}"
    trial = kb.drug("baclofen").trial  # its no-benefit default is shown to patients on the trial pages
    assert trial is not None
    assert textstat.flesch_kincaid_grade(trial.no_benefit_text) <= MAX_GRADE
    for question in kb.guides["baclofen"].questions:
        assert textstat.flesch_kincaid_grade(question.text) <= MAX_GRADE, question.text
    for guide in kb.guides.values():
        for section in guide.sections:
            for paragraph in section.paragraphs:
                grade = textstat.flesch_kincaid_grade(paragraph.text)
                assert grade <= MAX_GRADE + 2, f"{guide.id}#{section.id}: {grade} {paragraph.text}"


def test_the_grade_check_can_fail(kb: KnowledgeBase) -> None:
    """The measure is not a constant: the clinicians' withdrawal text scores far above 8."""
    assert textstat.flesch_kincaid_grade(kb.drug("baclofen").withdrawal_text) > MAX_GRADE


def test_sentences_are_short_and_jargon_is_explained(kb: KnowledgeBase) -> None:
    """No sentence over 30 words; the technical words used are followed by their plain meaning."""
    for guide_id, section_id, text in patient_text(kb):
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            assert len(sentence.split()) <= 30, (guide_id, section_id, sentence)
    baclofen = " ".join(text for g, _s, text in patient_text(kb) if g == "baclofen")
    assert "Doctors call this stiffness spasticity" in baclofen
    assert "alcohol use disorder, which means problem drinking" in baclofen


def test_off_label_sections_say_not_approved_and_do_not_overstate(kb: KnowledgeBase) -> None:
    """Insomnia and alcohol: flagged off-label, 'not approved' first, no claim words, evidence sourced."""
    guide = kb.guides["baclofen"]
    off_label = [s for s in guide.sections if s.off_label]
    assert {s.id for s in off_label} == {"insomnia", "alcohol"}
    for section in off_label:
        assert "not approved" in section.paragraphs[0].text
        for paragraph in section.paragraphs:
            assert not OVERSTATING.search(paragraph.text), paragraph.text
    insomnia = " ".join(p.text for p in guide.section("insomnia").paragraphs)  # type: ignore[union-attr]
    assert "20 healthy adults" in insomnia
    assert "weak proof" in insomnia
    assert "did not fall asleep any faster" in insomnia
    sources = {s.id for p in guide.section("insomnia").paragraphs for s in p.provenance.sources}  # type: ignore[union-attr]
    assert "raad_2020" in sources
    alcohol = " ".join(p.text for p in guide.section("alcohol").paragraphs)  # type: ignore[union-attr]
    assert "did not cut heavy drinking days" in alcohol


def test_every_paragraph_and_cell_is_sourced_and_graded(kb: KnowledgeBase) -> None:
    """Each paragraph and recorded cell names at least one source and a grade."""
    for guide in kb.guides.values():
        for section in guide.sections:
            for paragraph in section.paragraphs:
                assert paragraph.provenance.sources
                assert paragraph.provenance.confidence
    for row in kb.comparison:
        for cell in row.cells:
            if cell.recorded:
                assert cell.provenance is not None
                assert cell.provenance.sources


def test_a_missing_comparison_fact_reads_not_recorded(kb: KnowledgeBase) -> None:
    """A cell the knowledge base holds nothing for says 'not recorded' to patients and clinicians."""
    empty = [cell for row in kb.comparison for cell in row.cells if not cell.recorded]
    assert empty, "every cell filled: the test would prove nothing"
    assert all(c.patient == c.clinician == NOT_RECORDED and c.provenance is None for c in empty)
    assert all(len(row.cells) == len(COMPARISON_COLUMNS) for row in kb.comparison)
    tizanidine = next(row for row in kb.comparison if row.id == "tizanidine")
    assert "liver" in tizanidine.cell("cautions").patient.lower()
    baclofen = next(row for row in kb.comparison if row.id == "baclofen")
    assert "kidney" in baclofen.cell("cautions").patient.lower()


def test_an_unknown_field_in_a_guide_is_refused(tmp_path: Path) -> None:
    """The guide tables are validated like every other (extra="forbid")."""
    with pytest.raises(KnowledgeError, match="schema errors"):
        edited(tmp_path, {"baclofen.toml": [('id = "what"\n', 'id = "what"\nsubtitle = "x"\n')]})


def test_the_trial_window_in_the_guide_is_the_trial_rule(tmp_path: Path, kb: KnowledgeBase) -> None:
    """The 'decide within N to M weeks' sentence and table cell follow [trial]; a window ending before
    it starts is refused."""
    rule = kb.drug("baclofen").trial
    assert rule is not None
    agree = " ".join(p.text for p in kb.guides["baclofen"].section("agree").paragraphs)  # type: ignore[union-attr]
    assert f"within {rule.decide_from_weeks} to {rule.decide_to_weeks} weeks" in agree
    changed = edited(tmp_path, {"baclofen.toml": [("decide_from_weeks = 6", "decide_from_weeks = 5")]})
    agree = " ".join(p.text for p in changed.guides["baclofen"].section("agree").paragraphs)  # type: ignore[union-attr]
    assert f"within 5 to {rule.decide_to_weeks} weeks" in agree
    row = next(r for r in changed.comparison if r.id == "baclofen")
    assert f"within 5-{rule.decide_to_weeks} weeks" in row.cell("speed").clinician
    assert f"within 5 to {rule.decide_to_weeks} weeks" in changed.drug("baclofen").trial.no_benefit_text  # type: ignore[union-attr]
    with pytest.raises(KnowledgeError, match="decision window ends before it starts"):
        edited(tmp_path / "b", {"baclofen.toml": [("decide_to_weeks = 8", "decide_to_weeks = 4")]})
