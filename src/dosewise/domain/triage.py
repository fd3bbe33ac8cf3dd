"""Symptom triage: symptoms in plain words or clinical terms, plus context, give one level and its reason.

Words are matched through the knowledge base's lexicon (``kb.symptoms``), never guessed. The rules
(``kb.triage_rules``) combine symptoms with context flags; the highest matching level wins and every
matching rule is reported. Nothing unknown is ever "expected": a symptom that is not recognised, or one
that no rule covers, makes the level at least "soon" and is reported back. Matching ignores negation
("no fever" still reads as fever): people are asked to list what they have, and a false alarm is safer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dosewise.domain.errors import InvalidInput
from dosewise.domain.rules import KnowledgeBase, SymptomDefinition, TriageRule

__all__ = [
    "CONTEXT_FLAGS",
    "IMPLIED_CONTEXT",
    "LEVELS",
    "MatchedRule",
    "SymptomMatch",
    "TriageContext",
    "TriageResult",
    "recognise",
    "triage",
]

LEVELS: tuple[str, ...] = ("expected", "soon", "urgent", "emergency")
CONTEXT_FLAGS: tuple[str, ...] = (
    "missed_doses",
    "dose_stopped",
    "recent_increase",
    "kidney_impaired",
    "older_low_egfr",
    "sedative_comedication",
    "pump",
)
# A symptom that can only come from one context proves it: only someone with a pump hears a pump alarm.
IMPLIED_CONTEXT: dict[str, str] = {"pump_alarm": "pump"}

# Words that carry no symptom of their own; anything else left over is reported as not recognised.
_FILLER = frozenset(
    """a an the and or but with of in at to on for from after since my his her their its me i im he she
    they we you it is are was were be been being am feel feels feeling felt have has had having get got
    getting keep keeps keeping very really so quite bit little lot lots slightly extremely mild mildly severe
    severely bad badly really all day days night nights today tonight yesterday morning evening afternoon
    now lately recently always sometimes often time times week weeks hour hours since started start
    starting new more worse much also too him them us our your hes shes theyre seems seem looks look
    think""".split()
)


@dataclass(frozen=True)
class TriageContext:
    """Context flags that are set, each with why (for the clinician text)."""

    flags: frozenset[str] = frozenset()
    why: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.flags) - set(CONTEXT_FLAGS)
        if unknown:
            raise InvalidInput(f"unknown triage context {sorted(unknown)}", hint=", ".join(CONTEXT_FLAGS))

    def with_flag(self, flag: str, why: str) -> TriageContext:
        return TriageContext(self.flags | {flag}, (*self.why, (flag, why)))


@dataclass(frozen=True)
class SymptomMatch:
    """One input text: the symptoms read from it and any words left that mean nothing to the lexicon."""

    text: str
    symptoms: tuple[str, ...]
    unrecognised: str = ""


@dataclass(frozen=True)
class MatchedRule:
    rule: TriageRule
    symptoms: tuple[str, ...]
    context: tuple[str, ...]


@dataclass(frozen=True)
class TriageResult:
    level: str
    reason: str
    symptoms: tuple[str, ...]
    inputs: tuple[SymptomMatch, ...]
    unrecognised: tuple[str, ...]
    uncovered: tuple[str, ...]
    rules: tuple[MatchedRule, ...]
    context: TriageContext
    patient_text: str
    clinician_text: str
    sources: tuple[str, ...]
    source_ids: tuple[str, ...]
    kb_version: str
    labels: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    raised_for_severity: bool = False


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'").replace("'", "")
    text = re.sub(r"[^\w\s]", " ", text.replace("-", " "))
    return re.sub(r"\s+", " ", text).strip()


def _phrases(symptoms: Iterable[SymptomDefinition]) -> list[tuple[str, str]]:
    table: dict[str, str] = {}
    for symptom in symptoms:
        for term in (*symptom.words, symptom.label, symptom.id.replace("_", " ")):
            key = _normalise(term)
            if key:
                table.setdefault(key, symptom.id)
    return sorted(table.items(), key=lambda item: (-len(item[0]), item[0]))


def recognise(text: str, symptoms: Sequence[SymptomDefinition]) -> SymptomMatch:
    """Read symptoms from one text, longest phrases first; report any meaningful words left over."""
    normalised = _normalise(text)
    taken = [False] * len(normalised)
    found: list[str] = []
    for phrase, symptom_id in _phrases(symptoms):
        for match in re.finditer(rf"\b{re.escape(phrase)}\b", normalised):
            if any(taken[match.start() : match.end()]):
                continue
            taken[match.start() : match.end()] = [True] * (match.end() - match.start())
            if symptom_id not in found:
                found.append(symptom_id)
    rest = "".join(" " if used else char for char, used in zip(normalised, taken, strict=True))
    leftover = " ".join(word for word in rest.split() if word not in _FILLER)
    return SymptomMatch(text, tuple(found), leftover)


def _rank(level: str) -> int:
    return LEVELS.index(level)


def _fires(rule: TriageRule, present: set[str], flags: frozenset[str]) -> MatchedRule | None:
    hit = tuple(s for s in rule.any_symptoms if s in present)
    if len(hit) < rule.min_matched:
        return None
    if rule.context_any and not set(rule.context_any) & flags:
        return None
    if rule.context_all and not set(rule.context_all) <= flags:
        return None
    used = tuple(f for f in (*rule.context_all, *rule.context_any) if f in flags)
    return MatchedRule(rule, hit, tuple(dict.fromkeys(used)))


def triage(
    symptoms: Sequence[str],
    context: TriageContext,
    kb: KnowledgeBase,
    *,
    notes: tuple[str, ...] = (),
    reported_severity: str | None = None,
) -> TriageResult:
    """One level (expected, soon, urgent, emergency), its reason and every rule that matched."""
    texts = [s for s in symptoms if s.strip()]
    if not texts:
        raise InvalidInput("name at least one symptom", hint="plain words work: 'drowsy', 'seeing things'")
    inputs = tuple(recognise(text, kb.symptoms) for text in texts)
    present: list[str] = list(dict.fromkeys(s for m in inputs for s in m.symptoms))
    for symptom_id in present:
        implied = IMPLIED_CONTEXT.get(symptom_id)
        if implied and implied not in context.flags:
            context = context.with_flag(implied, f"reported symptom '{symptom_id}'")
    unrecognised = tuple(m.unrecognised if m.symptoms else m.text for m in inputs if m.unrecognised)
    matched = [m for rule in kb.triage_rules if (m := _fires(rule, set(present), context.flags))]
    covered = {s for m in matched for s in m.symptoms}
    uncovered = tuple(s for s in present if s not in covered)
    matched.sort(key=lambda m: -_rank(m.rule.level))  # stable: knowledge-base order within a level
    fallback = "soon" if unrecognised or uncovered else None
    top = matched[0] if matched else None
    if top is not None and (fallback is None or _rank(top.rule.level) >= _rank(fallback)):
        level, reason = top.rule.level, top.rule.reason
    else:
        level, reason = "soon", "unrecognised"
    labels = {s.id: s.label for s in kb.symptoms}
    patient = _patient_text(top, level, unrecognised, uncovered, labels)
    clinician = _clinician_text(matched, unrecognised, uncovered, context)
    source_refs = [src for m in matched for src in m.rule.provenance.sources]
    if fallback and "dosewise_policy" in kb.sources:
        source_refs.append(kb.sources["dosewise_policy"])
    floor = kb.severity_floor
    raised = (
        reported_severity == "severe" and floor is not None and _rank(level) < _rank(floor.severe_at_least)
    )
    if raised and floor is not None:
        level = floor.severe_at_least
        patient = floor.patient_text
        clinician = f"{floor.clinician_text} {clinician}"
        source_refs.extend(floor.provenance.sources)
    unique = {ref.id: ref for ref in source_refs}
    return TriageResult(
        level=level,
        reason=reason,
        symptoms=tuple(present),
        inputs=inputs,
        unrecognised=unrecognised,
        uncovered=uncovered,
        rules=tuple(matched),
        context=context,
        patient_text=patient,
        clinician_text=clinician,
        sources=tuple(ref.citation for ref in unique.values()),
        source_ids=tuple(unique),
        kb_version=kb.version,
        labels={s: labels[s] for s in present},
        notes=notes,
        raised_for_severity=raised,
    )


def _patient_text(
    top: MatchedRule | None,
    level: str,
    unrecognised: tuple[str, ...],
    uncovered: tuple[str, ...],
    labels: dict[str, str],
) -> str:
    parts = []
    if top is not None and top.rule.level == level:
        parts.append(top.rule.patient_text)
    unknown = [f"'{text}'" for text in unrecognised] + [labels[s] for s in uncovered]
    # Beside an emergency a "could not assess ... tell your clinician soon" would water it down: the
    # unassessed symptoms stay in the clinician text, the person is told only to call now.
    if unknown and level != "emergency":
        parts.append(
            f"We could not assess {', '.join(unknown)}. "
            "Tell your clinician about it soon (today or tomorrow)."
        )
    if level != "emergency":
        parts.append("If it gets worse or you think it is an emergency, call your emergency number.")
    return " ".join(parts)


def _clinician_text(
    matched: list[MatchedRule],
    unrecognised: tuple[str, ...],
    uncovered: tuple[str, ...],
    context: TriageContext,
) -> str:
    parts = [
        f"[{m.rule.level}] {m.rule.id} ({', '.join(m.symptoms)}"
        + (f"; context {', '.join(m.context)}" if m.context else "")
        + f"): {m.rule.clinician_text}"
        for m in matched
    ]
    if unrecognised:
        parts.append(f"Not recognised: {'; '.join(unrecognised)} (at least 'soon' by policy).")
    if uncovered:
        parts.append(f"Recognised but no rule applies: {', '.join(uncovered)} (at least 'soon' by policy).")
    if context.why:
        parts.append("Context: " + "; ".join(f"{flag}: {why}" for flag, why in context.why) + ".")
    return " ".join(parts)
