"""Use cases for the guides: find a guide or a section, the comparison table, and a guide made personal
for one record (its kidney band, the interactions on its own list, its step and the next, its pump).

The personal notes come from the same functions the rest of the record uses (``assess`` for the kidney
band, ``screen`` for interactions, the plan in force for the step), never a second reading of the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dosewise.domain.assessment import assess
from dosewise.domain.errors import UnknownDrug
from dosewise.domain.guides import ComparisonRow, Guide, GuideSection
from dosewise.domain.quantity import times_per_day_words
from dosewise.domain.regimen import Plan, Step
from dosewise.domain.rules import KnowledgeBase, RenalBand
from dosewise.services.plans_service import plan_in_force
from dosewise.services.ports import Actor, Clock, Medication, Store
from dosewise.services.record_day import record_today
from dosewise.services.records import to_patient
from dosewise.services.screening import ScreeningReport, screen
from dosewise.services.sharing import Access, authorise

__all__ = [
    "PersonalGuide",
    "PersonalNote",
    "comparison",
    "find_guide",
    "find_section",
    "guide_for_drug",
    "personal_guide",
    "section_for_finding",
]

# Which guide section explains a finding, by the finding code's prefix (first match wins).
_SECTION_FOR_CODE: tuple[tuple[str, str], ...] = (
    ("renal.", "kidneys-age"),
    ("age.below_label_age", "who"),
    ("age.", "kidneys-age"),
    ("interaction.", "mixing"),
    ("duplicate", "mixing"),
    ("co_medication.", "mixing"),
    ("label_contraindication", "mixing"),
    ("taper.", "withdrawal"),
    ("stop.", "withdrawal"),
    ("limit.", "taking"),
    ("escalation", "taking"),
)
_KIDNEY_AND_AGE = ("renal.", "age.older_adult", "age.beers_avoid")

# Words that put a pump on the record when no intrathecal plan does (as the triage context reads them).
_PUMP_WORDS = ("intrathecal", "pump")


def find_guide(*, kb: KnowledgeBase, guide_id: str) -> Guide:
    """The guide at /guides/<guide_id>, or ``UnknownDrug`` naming the guides there are."""
    key = guide_id.strip().lower().replace(" ", "-")
    guide = kb.guides.get(key) or next((g for g in kb.guides.values() if g.drug == key), None)
    if guide is None:
        raise UnknownDrug(f"no guide for '{guide_id}'", hint=f"guides: {', '.join(sorted(kb.guides))}")
    return guide


def find_section(guide: Guide, section_id: str) -> GuideSection:
    section = guide.section(section_id.strip().lower())
    if section is None:
        raise UnknownDrug(
            f"the {guide.id} guide has no section '{section_id}'",
            hint=f"sections: {', '.join(s.id for s in guide.sections)}",
        )
    return section


def guide_for_drug(kb: KnowledgeBase, drug: str, route: str = "oral") -> Guide | None:
    """The guide that explains a plan's drug (the pump guide for an intrathecal plan), if there is one."""
    key = f"{drug}-intrathecal" if route == "intrathecal" and not drug.endswith("-intrathecal") else drug
    return next((g for g in kb.guides.values() if g.drug == key), None)


def section_for_finding(code: str) -> str | None:
    """The guide section that explains a finding ("renal.reduce.mild" -> "kidneys-age"), if one does."""
    return next((section for prefix, section in _SECTION_FOR_CODE if code.startswith(prefix)), None)


def comparison(*, kb: KnowledgeBase) -> tuple[ComparisonRow, ...]:
    return kb.comparison


@dataclass(frozen=True)
class PersonalNote:
    section: str  # the guide section it belongs beside
    text: str


@dataclass(frozen=True)
class PersonalGuide:
    access: Access
    guide: Guide
    notes: tuple[PersonalNote, ...]
    has_pump: bool
    plan_guide: Guide | None  # the guide of the record's own plan, when it is another drug's

    def notes_for(self, section_id: str) -> tuple[str, ...]:
        return tuple(note.text for note in self.notes if note.section == section_id)


def personal_guide(
    *, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str, guide_id: str
) -> PersonalGuide:
    """The guide with notes from this record; needs 'view' on the record (``AccessDenied`` otherwise)."""
    guide = find_guide(kb=kb, guide_id=guide_id)
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        medications = uow.medications.current(access.profile.id)
        _version, plan = plan_in_force(uow, kb, access.profile.id)
    today = record_today(access.profile, plan, clock())
    names = [m.name for m in medications]
    has_pump = (plan is not None and plan.route == "intrathecal") or any(
        word in name.lower() for name in names for word in _PUMP_WORDS
    )
    notes = [
        *_kidney_notes(kb, guide, access, medications, today),
        *_interaction_notes(kb, guide, names),
        *_step_notes(kb, guide, plan, today),
    ]
    if has_pump:
        notes.append(PersonalNote("pump", "Your record shows a baclofen pump, so this section is for you."))
    plan_guide = guide_for_drug(kb, plan.drug, plan.route) if plan is not None else None
    return PersonalGuide(
        access, guide, tuple(notes), has_pump, plan_guide if plan_guide is not guide else None
    )


def _kidney_notes(
    kb: KnowledgeBase, guide: Guide, access: Access, medications: Sequence[Medication], today: date
) -> list[PersonalNote]:
    rules = kb.drugs.get(guide.drug)
    if rules is None or rules.renal is None:
        return []
    patient = to_patient(access.profile, today, medications)
    assessment = assess(rules, patient, kb.version)
    notes = []
    kidney = assessment.kidney
    if kidney.dialysis:
        notes.append("Your record says you are on dialysis.")
    elif kidney.for_bands is None:
        notes.append(
            "Your record has no kidney result yet, so dosewise cannot tell which of these applies to you. "
            "Ask your clinician, and add the result to your profile."
        )
    else:
        notes.append(_band_words(assessment.band, rules.name))
    notes += [f.patient_message for f in assessment.findings if f.code.startswith(_KIDNEY_AND_AGE)]
    return [PersonalNote("kidneys-age", text) for text in dict.fromkeys(notes) if text]


def _band_words(band: RenalBand | None, name: str) -> str:
    if band is None:
        return f"dosewise could not place your kidney result in a band for {name}. Ask your clinician."
    if band.action == "none":
        return f"Your last kidney result is in the range where the label makes no change to {name} doses."
    if band.action == "avoid":
        return (
            f"Your last kidney result is in the range where {name} is best avoided. Talk to your clinician."
        )
    return f"Your last kidney result is in the range where {name} doses are lower than usual."


def _interaction_notes(kb: KnowledgeBase, guide: Guide, names: Sequence[str]) -> list[PersonalNote]:
    ingredient = kb.drugs[guide.drug].name if guide.drug in kb.drugs else guide.drug.split("-")[0]
    if not names:
        return [PersonalNote("mixing", "Your medicine list is empty, so there was nothing to check.")]
    report = screen(kb=kb, names=names, planned=ingredient)
    return [PersonalNote("mixing", text) for text in _screening_words(report, ingredient, len(names))]


def _screening_words(report: ScreeningReport, ingredient: str, listed: int) -> list[str]:
    words = []
    for found in report.interactions:
        pair = (found.first_ingredient.name, found.second_ingredient.name)
        if ingredient not in pair:
            continue
        other = pair[1] if pair[0] == ingredient else pair[0]
        words.append(f"On your list: {other}. {found.rule.patient_text}")
    unchecked = [r.query for r in report.unscreened]
    if unchecked:
        words.append(
            f"Not checked, because dosewise does not know them: {', '.join(unchecked)}. "
            "Ask your pharmacist about these."
        )
    if not words:
        words.append(
            f"None of the {listed} medicines on your list has a recorded interaction with {ingredient}."
        )
    return words


def _dose_words(step: Step) -> str:
    return "no dose" if step.dose.is_zero else f"{step.dose} {times_per_day_words(len(step.times))}"


def _step_notes(kb: KnowledgeBase, guide: Guide, plan: Plan | None, today: date) -> list[PersonalNote]:
    if plan is None or guide_for_drug(kb, plan.drug, plan.route) is not guide:
        return []
    step = plan.step_on(today)
    if step is None:
        return [PersonalNote("taking", "Your plan has no dose for today. Check the plan page.")]
    now = f"Your plan today: {_dose_words(step)}."
    later = [s for s in plan.steps if s.start > step.start]
    if later:
        nxt = later[0]
        now += f" Next, from {nxt.start.day} {nxt.start:%B %Y}: {_dose_words(nxt)}."
    elif plan.then == "stop":
        now += " This is the last step of your plan. After it the plan stops."
    else:
        now += " This is the last step of your plan. You stay on this dose until your clinician changes it."
    section = "withdrawal" if plan.kind == "taper" else "taking"
    return [PersonalNote(section, now)]
