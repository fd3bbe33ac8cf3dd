"""Random plans and records for the FHIR tests (hypothesis strategies and a few fixed records)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from dosewise.domain.findings import Finding
from dosewise.domain.quantity import Quantity, Unit, mg
from dosewise.domain.regimen import Override, Plan, PriorRegimen, Step
from dosewise.domain.rules import KnowledgeBase, Severity
from dosewise.formats.fhir import ListedMedicine, RecordExport
from dosewise.knowledge import default_version, load_knowledge_base

KB = load_knowledge_base(default_version())
NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
CLOCKS = [time(h, m) for h in (6, 7, 8, 9, 12, 13, 14, 16, 18, 20, 21, 22) for m in (0, 30)]
ZONES = ["UTC", "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
TEXT = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x24F, blacklist_categories=("Cs",)),
    min_size=1,
    max_size=40,
).filter(
    # Free text a person could type: a letter or digit in it; odd whitespace and control characters inside.
    lambda s: s.strip() == s and any(ch.isalnum() for ch in s)
)


@st.composite
def steps(draw: st.DrawFn, drug: str) -> tuple[Step, ...]:
    grain = Fraction(5, 2) if drug == "baclofen" else Fraction(1)
    start = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    out: list[Step] = []
    for _ in range(draw(st.integers(1, 7))):
        days = draw(st.integers(1, 40))
        dose = mg(grain * draw(st.integers(0, 8)))
        times = tuple(sorted(draw(st.sets(st.sampled_from(CLOCKS), min_size=1, max_size=4))))
        if dose.is_zero and draw(st.booleans()):
            times = ()
        out.append(Step(start, days, dose, times))
        start += timedelta(days=days)
    return tuple(out)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    drug = draw(st.sampled_from(["baclofen", "tizanidine"]))
    rules = KB.drug(drug)
    products = tuple(p.id for p in rules.products if draw(st.booleans()))
    prior = None
    if draw(st.booleans()):
        prior = PriorRegimen(mg(Fraction(5, 2) * draw(st.integers(1, 8))), draw(st.integers(1, 4)))
    overrides = tuple(
        Override(code, draw(TEXT), draw(st.sampled_from(["", "Dr Okafor"])))
        for code in draw(
            st.sets(st.sampled_from(["above_label_max", "faster_escalation", "rapid_withdrawal"]), max_size=2)
        )
    )
    return Plan(
        drug=drug,
        route=rules.route,
        steps=draw(steps(drug)),
        kb_version=KB.version,
        timezone=draw(st.sampled_from(ZONES)),
        kind=draw(st.sampled_from(["titration", "taper", "maintenance", "custom"])),
        then=draw(st.sampled_from(["continue", "stop"])),
        products=products,
        confirmed_scored=tuple(
            p for p in products if p.endswith(("10mg", "20mg", "4mg")) and draw(st.booleans())
        ),
        prior=prior,
        overrides=overrides,
        notes=tuple(draw(st.lists(TEXT, max_size=2))),
    )


@dataclass(frozen=True)
class Dose:
    id: int
    slot_date: date
    slot_index: int
    scheduled_at: datetime
    dose: Quantity
    status: str
    taken_at: datetime | None
    recorded_at: datetime
    note: str = ""
    supersedes_id: int | None = None


@dataclass(frozen=True)
class Symptom:
    id: int
    recorded_at: datetime
    text: str
    severity: str
    triage_level: str
    triage: dict[str, Any] = field(default_factory=dict)
    kb_version: str = KB.version
    status: str = "recorded"
    supersedes_id: int | None = None


@dataclass(frozen=True)
class CheckIn:
    id: int
    day: date
    spasticity: int
    spasm_frequency: int
    sleep_quality: int
    drowsiness: int
    recorded_at: datetime
    status: str = "recorded"
    supersedes_id: int | None = None


def full_record(kb: KnowledgeBase, plan: Plan, *, status: str = "active") -> RecordExport:
    """A record with every kind of entry: taken, skipped and corrected doses, symptoms (one corrected),
    check-ins (one replaced, one corrected), list medicines with and without doses, and findings."""
    at = datetime.combine(plan.start, time(8), tzinfo=UTC)
    doses = [
        Dose(
            1,
            plan.start,
            0,
            at,
            plan.steps[0].dose,
            "taken",
            at + timedelta(minutes=20),
            at + timedelta(minutes=21),
        ),
        Dose(
            2,
            plan.start,
            1,
            at + timedelta(hours=6),
            plan.steps[0].dose,
            "skipped",
            None,
            at + timedelta(hours=7),
            "felt drowsy",
        ),
        Dose(
            3,
            plan.start,
            2,
            at + timedelta(hours=12),
            plan.steps[0].dose,
            "taken",
            at + timedelta(hours=12),
            at + timedelta(hours=12),
        ),
        Dose(
            4,
            plan.start,
            2,
            at + timedelta(hours=12),
            plan.steps[0].dose,
            "entered_in_error",
            None,
            at + timedelta(hours=13),
            "wrong day",
            3,
        ),
    ]
    symptoms = [
        Symptom(
            1,
            at,
            "very sleepy and confused",
            "severe",
            "urgent",
            {"reason": "confusion on baclofen", "symptoms": ["confusion"]},
        ),
        Symptom(2, at + timedelta(hours=1), "headache", "mild", "self_care"),
        Symptom(
            3,
            at + timedelta(hours=2),
            "headache",
            "mild",
            "self_care",
            {"correction": "wrong person"},
            status="entered_in_error",
            supersedes_id=2,
        ),
    ]
    checkins = [
        CheckIn(1, plan.start, 6, 2, 5, 3, at),
        CheckIn(2, plan.start, 5, 2, 6, 3, at + timedelta(hours=3), supersedes_id=1),
        CheckIn(3, plan.start + timedelta(days=1), 4, 1, 7, 2, at + timedelta(days=1)),
        CheckIn(
            4,
            plan.start + timedelta(days=1),
            4,
            1,
            7,
            2,
            at + timedelta(days=1, hours=1),
            status="entered_in_error",
            supersedes_id=3,
        ),
    ]
    medications = [
        ListedMedicine("m1", "lorazepam", mg(1), 2, at),
        ListedMedicine("m2", "Percocet", None, None, at),
        ListedMedicine("m3", "unknownium 5 mL", Quantity(Fraction(5), Unit.ML), 1, None),
        ListedMedicine("m4", "tizanidine", mg(2), 3, at),
    ]
    findings = [
        Finding(
            Severity.MAJOR,
            "interaction.cns_depressants",
            "baclofen + lorazepam: more sedation.",
            "Ask first.",
            "label [H]",
            ("label",),
            kb.version,
        ),
        Finding(
            Severity.INFO,
            "screening.not_assessed",
            "unknownium was not screened.",
            "Not checked.",
            "dosewise",
            (),
            kb.version,
        ),
    ]
    return RecordExport(
        patient_key="pub-123",
        kb=kb,
        timestamp=NOW,
        display_name="Ada Example",
        birth_date=date(1961, 5, 4),
        sex="female",
        plan=plan,
        plan_key="plan-v3",
        plan_status=status,
        plan_authored=NOW - timedelta(days=1),
        medications=medications,
        doses=doses,
        symptoms=symptoms,
        checkins=checkins,
        findings=findings,
    )


def resources_of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]
