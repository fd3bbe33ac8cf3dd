"""The clinician report read back by pdfplumber, pypdf and pikepdf: contents against the plan, tagging,
fonts and reproducible bytes."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from pdf_reading import catalog, plumber_tables, plumber_text, pypdf_text, roles, structure

from dosewise.domain.adherence import adherence
from dosewise.domain.dispensing import take_for_dose
from dosewise.domain.errors import DosewiseError
from dosewise.domain.missed.slots import DoseRecord
from dosewise.domain.patient import Medication, Patient, SerumCreatinine
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, administrations
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.report import SymptomLine
from dosewise.formats.report.typeset import REPLACED_NOTICE, REPLACEMENT, missing_glyphs
from dosewise.services import planning, reports

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
PATIENT = Patient(
    age_years=58,
    sex="female",
    weight_kg=Fraction(64),
    creatinine=SerumCreatinine(Fraction("1.1"), "mg/dL"),
    timezone="Europe/London",
    medications=(Medication("oxycodone"), Medication("zzmystery")),
)


def _random_plans(kb: KnowledgeBase, count: int, seed: int) -> list[tuple[Plan, Patient | None]]:
    """Titrations and tapers of both oral drugs with random starts, targets, frequencies and patients."""
    rng = random.Random(seed)
    out: list[tuple[Plan, Patient | None]] = []
    while len(out) < count:
        patient = rng.choice(
            [
                None,
                PATIENT,
                Patient(
                    age_years=rng.randint(20, 60),
                    sex="male",
                    weight_kg=Fraction(rng.randint(55, 110)),
                    crcl_ml_min=Fraction(rng.randint(45, 120)),
                    timezone="America/New_York",
                ),
            ]
        )
        start = date(2026, 11, 1) + timedelta(days=rng.randint(0, 40))
        try:
            if rng.random() < 0.5:
                drug = rng.choice(["baclofen", "tizanidine"])
                target = {"baclofen": [30, 40, 60], "tizanidine": [12, 16, 24]}[drug]
                plan = planning.titrate(
                    kb=kb, drug=drug, start=start, patient=patient, target_daily=mg(rng.choice(target))
                )
            else:
                plan = planning.taper(
                    kb=kb,
                    drug="baclofen",
                    start=start,
                    current_dose=mg(rng.choice([10, 15, 20])),
                    current_times_per_day=rng.choice([3, 4]),
                    patient=patient,
                )
        except DosewiseError:
            continue
        out.append((plan, patient))
    return out


def _report(kb: KnowledgeBase, plan: Plan, patient: Patient | None, **kwargs: object) -> bytes:
    medications = [m.name for m in patient.medications] if patient else None
    return reports.clinician_report(
        kb=kb,
        plan=plan,
        now=NOW,
        patient=patient,
        patient_name="Test Person",
        medications=medications,
        **kwargs,
    ).content


def _table(pdf: bytes, *headers: str) -> list[list[str]]:
    """The rows of the table (all its pages) whose header row starts with ``headers``."""
    rows: list[list[str]] = []
    for table in plumber_tables(pdf):
        if table and tuple(table[0][: len(headers)]) == headers:
            rows += [row for row in table[1:] if tuple(row[: len(headers)]) != headers]
    return rows


def test_every_step_of_random_plans_is_printed_row_for_row_with_its_tablets(kb: KnowledgeBase) -> None:
    """Twelve random plans: each step's dates, dose, times, daily total and tablets, read back by pdfplumber."""
    plans = _random_plans(kb, 12, seed=11)
    assert {(p.drug, p.kind) for p, _ in plans} >= {
        ("baclofen", "titration"),
        ("tizanidine", "titration"),
        ("baclofen", "taper"),
    }
    for plan, patient in plans:
        pdf = _report(kb, plan, patient)
        rules = kb.drug(plan.drug)
        rows = _table(pdf, "Step", "Dates")
        assert len(rows) == len(plan.steps), plan
        for index, (row, step) in enumerate(zip(rows, plan.steps, strict=True)):
            take = take_for_dose(step.dose, rules, plan.products, confirmed_scored=plan.confirmed_scored)
            assert row[0] == str(index + 1)
            assert step.start.isoformat() in row[1]
            assert f"{step.days} day" in row[1]
            assert row[2].startswith(str(step.dose))
            assert row[3] == ", ".join(t.strftime("%H:%M") for t in step.times)
            assert row[4] == str(step.daily) == str(step.dose * len(step.times))
            assert row[5] == take.describe()


def test_dispense_totals_match_an_independent_count_of_every_planned_dose(kb: KnowledgeBase) -> None:
    """Tablets to dispense: whole tablets per product over every administration, halves rounded up once."""
    for plan, patient in _random_plans(kb, 8, seed=5):
        rules = kb.drug(plan.drug)
        pieces: Counter[str] = Counter()
        for dose in administrations(plan, ZoneInfo(plan.timezone)):
            take = take_for_dose(dose.dose, rules, plan.products, confirmed_scored=plan.confirmed_scored)
            for part in take.parts:
                pieces[part.product.label] += part.count or 0
        printed = {row[0]: row[1] for row in _table(_report(kb, plan, patient), "Product")}
        expected = {
            label: f"{math.ceil(n)} tablet{'s' if math.ceil(n) != 1 else ''}" for label, n in pieces.items()
        }
        assert printed == expected


def test_the_report_is_tagged_with_language_headings_table_headers_and_chart_alt_text(
    kb: KnowledgeBase,
) -> None:
    """pikepdf: /MarkInfo Marked, /Lang en, a structure tree with H1/H2, TH with a scope, Figure with /Alt."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 20), patient=PATIENT)
    history = [
        DoseRecord("taken", a.at) for a in administrations(plan, ZoneInfo(plan.timezone)) if a.at < NOW
    ]
    record = adherence(
        plan, ZoneInfo(plan.timezone), history[::2], fraction=Fraction(1, 2), first=plan.start, now=NOW
    )
    pdf = _report(kb, plan, PATIENT, record=record)
    info = catalog(pdf)
    assert info["marked"]
    assert info["lang"] == "en"
    assert info["has_struct_tree"]
    assert info["display_title"]
    assert info["title"] == "Clinician report: baclofen titration plan"
    names = [name for _, name, _ in structure(pdf)]
    assert names.count("/H1") == 1
    assert names.count("/H2") >= 6
    assert "/H3" in names
    headers = list(roles(pdf, "/TH"))
    assert headers
    assert all(h.get("scope") == "/Column" for h in headers)
    figures = list(roles(pdf, "/Figure"))
    assert len(figures) == 1
    assert figures[0]["alt"].startswith("Bar chart of baclofen planned against taken, mg a day")
    assert "Less than planned on" in figures[0]["alt"]


def test_a_report_without_history_symptoms_list_or_patient_says_not_assessed(kb: KnowledgeBase) -> None:
    """Nothing given is never shown as nothing found: each missing part says it was not assessed."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 20))
    text = " ".join(plumber_text(_report(kb, plan, None)).split())
    for sentence in (
        "No patient details were given",
        "No dose history was given: adherence is not assessed.",
        "No symptom diary was included: symptoms are not assessed.",
        "No medication list was given: interactions are not assessed.",
    ):
        assert sentence in text
    assert not list(roles(_report(kb, plan, None), "/Figure"))


def test_kidney_function_is_printed_with_its_cockcroft_gault_formula(kb: KnowledgeBase) -> None:
    """The CrCl used, the numbers put in the formula, and the formula itself."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 20), patient=PATIENT)
    text = " ".join(pypdf_text(_report(kb, plan, PATIENT)).split())
    # (140 - 58) x 64 / (72 x 1.1) x 0.85 = 56.32... mL/min
    assert "Creatinine clearance used: 56.3 mL/min" in text
    assert "(140 - 58) x 64 kg / (72 x 1.1 mg/dL) x 0.85 (female)" in text
    assert "CrCl (mL/min) = (140 - age in years) x weight in kg / (72 x serum creatinine in mg/dL)" in text


def test_symptoms_interactions_unscreened_names_predictions_and_sources_are_reported(
    kb: KnowledgeBase,
) -> None:
    """Each part of the report carries its content and where it came from."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 20), patient=PATIENT)
    symptoms = [
        SymptomLine(
            NOW - timedelta(hours=5),
            "very sleepy, slow breathing",
            "severe",
            "emergency",
            "Possible respiratory depression: call the emergency number.",
            kb.version,
        )
    ]
    pdf = _report(kb, plan, PATIENT, symptoms=symptoms)
    text = " ".join(plumber_text(pdf).split())
    [symptom] = _table(pdf, "When", "Reported")
    assert symptom[:4] == ["2026-12-02 10:00", "very sleepy, slow breathing", "severe", "EMERGENCY"]
    interactions = _table(pdf, "Severity")
    assert any(row[1] == "baclofen and oxycodone" and row[0] == "MAJOR" for row in interactions)
    assert "Not assessed (not in the dictionary of knowledge base 2026.11.0): zzmystery" in text
    predicted = _table(pdf, "Step", "Day")
    assert [row[0] for row in predicted] == [str(i + 1) for i in range(len(plan.steps))]
    assert all(float(row[3]) > float(row[4]) > 0 for row in predicted)  # peak above trough
    assert f"Knowledge base {kb.version}" in text
    cited = {row[0]: row[1] for row in _table(pdf, "Source", "Where")}
    label = kb.sources["us_baclofen_tablet_label"]
    assert cited[label.citation].replace(" ", "") == label.url  # a long address wraps


def test_the_same_input_gives_the_same_bytes_and_the_report_time_is_the_creation_date(
    kb: KnowledgeBase,
) -> None:
    """Reproducible: no clock and no random ID inside; only the report's own time changes the bytes."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 20), patient=PATIENT)
    first, second = _report(kb, plan, PATIENT), _report(kb, plan, PATIENT)
    assert first == second
    later = reports.clinician_report(kb=kb, plan=plan, now=NOW + timedelta(hours=1), patient=PATIENT).content
    assert later != first
    assert catalog(first)["created"].startswith("D:20261202150000")


def test_only_the_dejavu_fonts_are_embedded_and_they_cover_the_special_characters(
    kb: KnowledgeBase,
) -> None:
    """½, µ, the en dash, ≥ and ² are drawable; only DejaVu Sans (regular and bold) is embedded."""
    assert missing_glyphs(["½ µ – ≥ ² ☐ · mcg"]) == []
    assert missing_glyphs(["baclofen 中 ☃ 🙂"]) == ["中", "🙂"]
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 20), patient=PATIENT)
    fonts = catalog(_report(kb, plan, PATIENT))["fonts"]
    assert fonts
    assert all(name.split("+")[-1] in ("DejaVuSans", "DejaVuSans-Bold") for name in fonts)


def test_typed_characters_the_fonts_lack_print_as_a_marked_replacement_never_an_empty_box(
    kb: KnowledgeBase,
) -> None:
    """A name in Chinese, a private-use character or a control character: each is shown as U+FFFD and
    the page says so; text the fonts can draw is untouched, and nothing is refused."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 20))
    pdf = reports.clinician_report(kb=kb, plan=plan, now=NOW, patient_name="王中 Li \U000cc00f\x94").content
    text = " ".join(plumber_text(pdf).split())
    assert f"Patient: {REPLACEMENT}{REPLACEMENT} Li {REPLACEMENT}{REPLACEMENT}" in text
    assert " ".join(REPLACED_NOTICE.split()) in text
    plain = " ".join(
        plumber_text(reports.clinician_report(kb=kb, plan=plan, now=NOW, patient_name="Li").content).split()
    )
    assert REPLACEMENT not in plain
    assert "cannot be printed" not in plain


def test_markup_in_a_name_or_symptom_is_printed_as_written(kb: KnowledgeBase) -> None:
    """Typst receives the words as data, not markup: "#panic()" and "*x*" print literally."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 20))
    name = '#panic("x") *bold* $y$ <b>'
    pdf = reports.clinician_report(kb=kb, plan=plan, now=NOW, patient_name=name).content
    assert name in plumber_text(pdf)


def test_a_plan_made_with_an_older_knowledge_base_is_rechecked_and_says_so(kb: KnowledgeBase) -> None:
    """The findings are today's; the report names both versions when they differ."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 20))
    older = Plan(**{**plan.__dict__, "kb_version": "2026.01.0", "findings": ()})
    text = " ".join(pypdf_text(reports.clinician_report(kb=kb, plan=older, now=NOW).content).split())
    assert (
        f"The plan was made with knowledge base 2026.01.0: its findings below are recomputed with {kb.version}."
        in text
    )
    assert f"made with knowledge base {kb.version}" not in " ".join(
        pypdf_text(reports.clinician_report(kb=kb, plan=plan, now=NOW).content).split()
    )
