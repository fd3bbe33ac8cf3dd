"""Symptom triage: symptoms in plain words or clinical terms, plus context, give one level and its reason.

Words are read through the knowledge base's lexicon (``kb.symptoms``: phrases and word patterns) by
``triage_text``, which survives word order, inflection, pronouns, small talk, spelling slips, numbers and
negation ("no fever" is not fever, but a denied red flag is kept: negation never lowers a red flag). The
rules (``kb.triage_rules``) combine symptoms with context flags; the highest matching level wins and every
matching rule is reported. Nothing unknown is ever "expected": a symptom that is not recognised, or one
that no rule covers, makes the level at least "soon" and is reported back. Intensity words ("severe",
"worst ever") count as a severe report. A count of tablets or an amount swallowed is judged against the
drug's large-ingestion red flag (``kb.ingestion``) with the strength when known, else the largest tablet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Quantity, Unit
from dosewise.domain.rules import KnowledgeBase, SymptomDefinition, TriageRule
from dosewise.domain.triage_numbers import Ingestion
from dosewise.domain.triage_text import Lexicon, TextReading, compile_lexicon, read_text

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
    "unscreened_comedication",
    "pump",
)
# A symptom that can only come from one context proves it: only someone with a pump hears a pump alarm.
IMPLIED_CONTEXT: dict[str, str] = {"pump_alarm": "pump"}


@dataclass(frozen=True)
class TriageContext:
    """Context flags that are set, each with why (for the clinician text)."""

    flags: frozenset[str] = frozenset()
    why: tuple[tuple[str, str], ...] = ()
    # The drug in question (a knowledge-base id, for the large-ingestion rule) and the name texts use.
    drug: str | None = None
    drug_name: str = ""
    # The unit strength of the tablets being taken, when known (from the plan or stated).
    unit_strength: Quantity | None = None

    def __post_init__(self) -> None:
        unknown = set(self.flags) - set(CONTEXT_FLAGS)
        if unknown:
            raise InvalidInput(f"unknown triage context {sorted(unknown)}", hint=", ".join(CONTEXT_FLAGS))

    def with_flag(self, flag: str, why: str) -> TriageContext:
        return replace(self, flags=self.flags | {flag}, why=(*self.why, (flag, why)))


@dataclass(frozen=True)
class SymptomMatch:
    """One input text: the symptoms read from it and any words left that mean nothing to the lexicon."""

    text: str
    symptoms: tuple[str, ...]
    unrecognised: str = ""
    negated: tuple[str, ...] = ()
    kept_red_flags: tuple[str, ...] = ()
    temperatures: tuple[str, ...] = ()
    ingestion: str = ""
    corrections: tuple[tuple[str, str], ...] = ()
    intense: bool = False


@dataclass(frozen=True)
class MatchedRule:
    rule: TriageRule
    symptoms: tuple[str, ...]
    context: tuple[str, ...]
    # The rule's texts with the drug in question named ("{drug}" filled in).
    patient_text: str = ""
    clinician_text: str = ""


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


_LEXICONS: dict[int, tuple[object, Lexicon]] = {}


def _lexicon(kb: KnowledgeBase) -> Lexicon:
    """The compiled lexicon of one loaded knowledge base (kept alive with its key, so ids are not reused)."""
    if isinstance(kb.triage_lexicon, Lexicon):
        return kb.triage_lexicon
    key = id(kb.symptoms)
    cached = _LEXICONS.get(key)
    if cached is None or cached[0] is not kb.symptoms:
        words = kb.severity_floor.words if kb.severity_floor else ()
        cached = (kb.symptoms, compile_lexicon(kb.symptoms, kb.context_cues, words))
        _LEXICONS[key] = cached
    return cached[1]


def _match(reading: TextReading) -> SymptomMatch:
    return SymptomMatch(
        text=reading.text,
        symptoms=reading.symptoms,
        unrecognised=reading.unrecognised,
        negated=reading.negated,
        kept_red_flags=reading.kept_red_flags,
        temperatures=reading.temperatures_c,
        ingestion=reading.ingestion.words if reading.ingestion else "",
        corrections=reading.corrections,
        intense=reading.intense,
    )


def recognise(
    text: str, symptoms: Sequence[SymptomDefinition], kb: KnowledgeBase | None = None
) -> SymptomMatch:
    """Read symptoms from one text; report denied symptoms, kept red flags and meaningful words left over."""
    if kb is not None:
        lexicon, temperature = _lexicon(kb), kb.temperature
    else:
        lexicon, temperature = compile_lexicon(symptoms, (), ()), None
    return _match(read_text(text, lexicon, temperature))


def _mg(quantity: Quantity) -> Fraction:
    return quantity.to(Unit.MG).amount


def _judge_ingestion(ingestion: Ingestion, context: TriageContext, kb: KnowledgeBase) -> tuple[str, str]:
    """'large_ingestion' or 'extra_dose' (or '' for one tablet) and the arithmetic behind it."""
    rule = kb.ingestion.get(context.drug or "")
    name = context.drug_name or "the medicine"
    said = f"'{ingestion.words}'"
    if ingestion.child:
        return "large_ingestion", (
            f"{said}: a child may have swallowed medicine; any amount is treated as an emergency "
            "(take the child to emergency care with the packet)."
        )
    if ingestion.unknown_size:
        return "large_ingestion", f"{said}: the amount swallowed is not known, so it is treated as large."
    strength = ingestion.strength_mg or (_mg(context.unit_strength) if context.unit_strength else None)
    total, assumed = ingestion.amount_mg, ""
    if total is None and ingestion.count is not None and strength is not None:
        total = ingestion.count * strength
    if rule is None or rule.threshold is None:
        if (ingestion.count or 0) >= 2 or total is not None:
            return (
                "large_ingestion",
                f"{said}: the knowledge base has no large-ingestion threshold for {name}, so more than "
                "one tablet at once is treated as large (unknown is never reassuring).",
            )
        return ("extra_dose", f"{said}: more than prescribed.") if ingestion.extra else ("", "")
    largest = _mg(rule.largest_unit)
    if total is None and ingestion.count is not None:
        total = ingestion.count * largest
        assumed = f" (tablet strength not known: the largest tablet, {rule.largest_unit}, was assumed)"
    threshold = _mg(rule.threshold)
    shown = f"{Quantity(total, Unit.MG)}" if total is not None else ""
    if total is not None and total >= threshold:
        return "large_ingestion", (
            f"{said}: about {shown}{assumed}, at or above the large-ingestion red flag of {rule.threshold}."
        )
    if (ingestion.count or 0) >= 2 or ingestion.extra or (total is not None and total > largest):
        below = f"about {shown}{assumed}, below" if total is not None else "below"
        return "extra_dose", f"{said}: more than prescribed, {below} the {rule.threshold} red flag."
    return "", ""


def _rank(level: str) -> int:
    return LEVELS.index(level)


def _fires(rule: TriageRule, present: set[str], flags: frozenset[str]) -> MatchedRule | None:
    hit = tuple(s for s in rule.any_symptoms if s in present)
    if len(hit) < rule.min_matched:
        return None
    if any(not set(group) & present for group in rule.all_groups):
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
    lexicon = _lexicon(kb)
    readings = [read_text(text, lexicon, kb.temperature) for text in texts]
    inputs = tuple(_match(r) for r in readings)
    present: list[str] = list(dict.fromkeys(s for m in inputs for s in m.symptoms))
    notes_out = list(notes)
    labels = {s.id: s.label for s in kb.symptoms}
    for reading in readings:
        if reading.ingestion is not None:
            judged, why = _judge_ingestion(reading.ingestion, context, kb)
            if judged and judged not in present:
                present.append(judged)
            if why:
                notes_out.append(why)
        for flag, why in reading.cues:
            if flag not in context.flags:
                context = context.with_flag(flag, why)
        if reading.kept_red_flags:
            kept = ", ".join(labels[s] for s in reading.kept_red_flags)
            notes_out.append(
                f"'{reading.text}' mentions {kept} with a negation: a red flag is never ruled out by "
                "'no' or 'not', so it was kept."
            )
    if any(r.intense for r in readings) and reported_severity != "severe":
        reported_severity = "severe"
        notes_out.append("Words such as 'severe', 'very' or 'worst' were read as a severe report.")
    for symptom_id in present:
        implied = IMPLIED_CONTEXT.get(symptom_id)
        if implied and implied not in context.flags:
            context = context.with_flag(implied, f"reported symptom '{symptom_id}'")
    # A text that said nothing we could read is reported whole; otherwise only the words left over.
    unrecognised = tuple(
        m.unrecognised if (m.symptoms or m.ingestion or m.temperatures or m.negated) else m.text
        for m in inputs
        if m.unrecognised
    )
    name = context.drug_name or "your medicine"
    matched = [
        replace(
            m,
            patient_text=m.rule.patient_text.replace("{drug}", name),
            clinician_text=m.rule.clinician_text.replace("{drug}", name),
        )
        for rule in kb.triage_rules
        if (m := _fires(rule, set(present), context.flags))
    ]
    covered = {s for m in matched for s in m.symptoms}
    uncovered = tuple(s for s in present if s not in covered)
    matched.sort(key=lambda m: -_rank(m.rule.level))  # stable: knowledge-base order within a level
    fallback = "soon" if unrecognised or uncovered else None
    top = matched[0] if matched else None
    reason: str  # a rule's reason, or "unrecognised" when no rule covers the words
    if top is not None and (fallback is None or _rank(top.rule.level) >= _rank(fallback)):
        level, reason = top.rule.level, top.rule.reason
    else:
        level, reason = "soon", "unrecognised"
    patient = _patient_text(top, matched, level, unrecognised, uncovered, labels)
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
    patient, clinician = patient.replace("{drug}", name), clinician.replace("{drug}", name)
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
        labels={s: labels[s] for s in (*present, *(n for m in inputs for n in m.negated))},
        notes=tuple(notes_out),
        raised_for_severity=raised,
    )


def _patient_text(
    top: MatchedRule | None,
    matched: list[MatchedRule],
    level: str,
    unrecognised: tuple[str, ...],
    uncovered: tuple[str, ...],
    labels: dict[str, str],
) -> str:
    parts = []
    if top is not None and top.rule.level == level:
        parts.append(top.rule.patient_text)
        # At an emergency every emergency's own advice is given (crisis help, the poison centre), never
        # only the first; below it, the top rule speaks.
        if level == "emergency":
            parts += [
                m.rule.patient_text for m in matched if m.rule.level == level and m.rule is not top.rule
            ]
    unknown = [f"'{text}'" for text in unrecognised] + [labels[s] for s in uncovered]
    if unknown and level in ("urgent", "emergency"):
        # Beside an emergency, "tell your clinician soon" would only slow the person down.
        parts.append(f"Also tell the people helping you about {', '.join(unknown)}.")
    elif unknown:
        parts.append(
            f"We could not assess {', '.join(unknown)}. "
            "Tell your clinician about it soon (today or tomorrow)."
        )
    elif top is None:
        parts.append(
            "We found no symptom to assess in what you wrote. Tell your clinician soon (today or "
            "tomorrow) if something is wrong."
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
