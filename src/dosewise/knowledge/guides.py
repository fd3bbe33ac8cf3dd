"""Fill the guides' templates from the rules the planner uses, and check them at load.

A template names rule values in braces ("up to {max_daily} a day"). The values come from the built rules
(``DrugRules``, ``PumpRules``) and from the same validated file, never from a second copy, so a changed
limit changes every sentence that states it. Loading fails on a name no rule provides, and on a dose
written as a literal number (a sentence could then disagree with the planner); only paragraphs marked
``quoted_figures`` (doses tried in studies, not rules) may quote doses.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction

from dosewise.domain.errors import KnowledgeError
from dosewise.domain.guides import (
    COMPARISON_COLUMNS,
    NOT_RECORDED,
    ComparisonCell,
    ComparisonRow,
    Guide,
    GuideParagraph,
    GuideQuestion,
    GuideSection,
)
from dosewise.domain.quantity import format_limit, parse_quantity, times_per_day_words
from dosewise.domain.rules import DrugRules, Provenance, PumpRules
from dosewise.knowledge import schema

__all__ = ["agent_values", "build_comparison", "build_guide", "drug_values", "pump_values"]

ProvenanceOf = Callable[[schema.Sourced, str], Provenance]

# A dose or volume written as a number in a template ("80 mg", "2 mL", "400 U") instead of a {name}.
_LITERAL_DOSE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:mg|mcg|mL|ml|units?|U)\b")
_SHARE_WORDS = {Fraction(1, 3): "one third", Fraction(1, 2): "half", Fraction(2, 3): "two thirds"}


def _words_list(items: Iterable[str]) -> str:
    names = list(items)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _percent_high(frequency: str) -> str:
    """The upper end of a label frequency range ("10-63%" -> "63")."""
    return frequency.rstrip("%").split("-")[-1]


def drug_values(rules: DrugRules, model: schema.DrugFile) -> dict[str, str]:
    """Every value a daily drug's guide may state, from the rules the planner and checker run on."""
    values = {"name": rules.name, "unit": rules.dose_unit}
    titration, limits, taper = rules.titration, rules.limits, rules.taper
    first, last = titration.steps[0][0], titration.steps[-1][0]
    values |= {
        "start_dose": str(first),
        "times_a_day": times_per_day_words(titration.times_per_day),
        "start_daily": str(first * titration.times_per_day),
        "increment": str(titration.increment_per_dose),
        "step_days": str(titration.min_interval_days),
        "top_step_dose": str(last),
        "top_step_daily": str(last * titration.times_per_day),
        "max_daily": str(limits.max_daily),
        "max_single_dose": str(limits.max_single_dose),
        "max_times_a_day": times_per_day_words(limits.max_times_per_day),
        "min_age_years": str(limits.min_age_years),
        "taper_min_days": str(taper.min_days),
        "taper_step_days": str(taper.step_days),
        "taper_step_daily": str(taper.step_daily),
        "taper_final_daily": str(taper.final_max_daily),
    }
    if limits.usual_daily_low is not None and limits.usual_daily_high is not None:
        values |= {"usual_daily_low": str(limits.usual_daily_low)}
        values |= {"usual_daily_high": str(limits.usual_daily_high)}
    if taper.min_days % 7 == 0:
        values["taper_min_weeks"] = str(taper.min_days // 7)
    if rules.renal is not None:
        values |= _renal_values(rules)
    if rules.elderly is not None:
        values["elderly_age"] = str(rules.elderly.age_from_years)
        if rules.elderly.beers_egfr_below is not None:
            values["beers_egfr"] = format_limit(rules.elderly.beers_egfr_below)
    for effect in model.side_effects:
        values[f"se_{_key(effect.name)}_high"] = _percent_high(effect.frequency)
    if len(model.side_effects) > 1:
        # "each of the others affects up to N in 100": the highest upper bound after the most common one
        values["se_others_high"] = max(
            (_percent_high(effect.frequency) for effect in model.side_effects[1:]), key=Fraction
        )
    for flag in model.red_flags:
        if flag.threshold:
            values[f"red_flag_{flag.id}"] = str(parse_quantity(flag.threshold))
    for rule in rules.co_medication:
        values[f"comed_{rule.id}_start_daily"] = str(rule.start_daily)
        values[f"comed_{rule.id}_rise"] = str(rule.preferred_daily_rise)
        values[f"comed_{rule.id}_max_rise"] = str(rule.max_daily_rise)
    if rules.withdrawal_signs:
        values["withdrawal_signs"] = _words_list(rules.withdrawal_signs)
    if rules.trial is not None:
        values["trial_decide_from_weeks"] = str(rules.trial.decide_from_weeks)
        values["trial_decide_to_weeks"] = str(rules.trial.decide_to_weeks)
    return values


def _renal_values(rules: DrugRules) -> dict[str, str]:
    renal = rules.renal
    assert renal is not None
    values: dict[str, str] = {}
    for band in renal.bands:
        values[f"renal_{band.id}_from"] = format_limit(band.crcl_from)
        values[f"renal_{band.id}_to"] = format_limit(band.crcl_to)
        cut = 1 - band.multiplier
        values[f"renal_{band.id}_cut"] = _SHARE_WORDS.get(cut, f"{format_limit(cut * 100)}%")
    for rule in renal.egfr_rules:
        values[f"egfr_{rule.id}_from"] = format_limit(rule.egfr_from)
        values[f"egfr_{rule.id}_to"] = format_limit(rule.egfr_to)
    if renal.dialysis is not None and renal.dialysis.override_max_daily is not None:
        values["dialysis_max_daily"] = str(renal.dialysis.override_max_daily)
    if renal.encephalopathy_start_threshold is not None:
        values["encephalopathy_start_daily"] = str(renal.encephalopathy_start_threshold)
    if renal.encephalopathy_egfr_below is not None:
        values["encephalopathy_egfr"] = format_limit(renal.encephalopathy_egfr_below)
    return values


def pump_values(pump: PumpRules, model: schema.IntrathecalFile) -> dict[str, str]:
    """Every value the intrathecal guide may state, from the pump rules the refill planner uses."""
    values = {
        "name": model.drug.name,
        "max_daily": str(pump.max_daily),
        "low_alarm": str(pump.low_reservoir_alarm),
        "safer_alarm": str(pump.safer_alarm),
        "refill_buffer_days": str(pump.refill_buffer_days),
        "max_service_years": str(pump.max_service_years),
        "eri_to_stop_days": str(model.pump.eri_to_stop_days),
        "reservoir_sizes": _words_list(str(size) for size in pump.reservoir_sizes_ml),
    }
    for origin, low, high in pump.maintenance_ranges:
        values[f"{origin}_usual_low"] = str(low)
        values[f"{origin}_usual_high"] = str(high)
    doses = [parse_quantity(bolus.dose) for bolus in model.screening_boluses]
    if doses:
        values["screening_first"] = str(doses[0])
        values["screening_last"] = str(max(doses, key=lambda dose: dose.amount))
    if model.withdrawal.signs:
        values["withdrawal_signs"] = _words_list(model.withdrawal.signs)
    return values


def agent_values(agent: schema.AlternativeAgent) -> dict[str, str]:
    values = {"name": agent.name}
    if agent.max_daily:
        values["max_daily"] = str(parse_quantity(agent.max_daily))
    if agent.max_dose_per_session:
        values["max_dose_per_session"] = str(parse_quantity(agent.max_dose_per_session))
    return values


def fill(template: str, values: Mapping[str, str], where: str, *, quoted_figures: bool = False) -> str:
    """The template with its names replaced; ``KnowledgeError`` for an unknown name or a literal dose."""
    literal: list[str] = []
    names: list[str] = []
    for text, name, spec, conversion in string.Formatter().parse(template):
        literal.append(text)
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise KnowledgeError(f"{where}: write plain {{names}} only, not '{{{name}!{conversion}:{spec}}}'")
        names.append(name)
    unknown = sorted(set(names) - set(values))
    if unknown:
        raise KnowledgeError(
            f"{where}: no rule value named {', '.join(unknown)}",
            hint=f"known here: {', '.join(sorted(values))}",
        )
    dose = _LITERAL_DOSE.search("".join(literal))
    if dose and not quoted_figures:
        raise KnowledgeError(
            f"{where}: the dose '{dose.group(0)}' is written as a number; name the rule value instead "
            "(for example {max_daily}) so the sentence cannot disagree with the planner"
        )
    return template.format_map(values)


def build_guide(
    entry: schema.GuideEntry, drug: str, values: Mapping[str, str], provenance: ProvenanceOf
) -> Guide:
    seen: set[str] = set()
    sections = []
    for section in entry.sections:
        where = f"guide {entry.id} section {section.id}"
        if section.id in seen:
            raise KnowledgeError(f"{where}: the section id is used twice")
        seen.add(section.id)
        paragraphs = tuple(
            GuideParagraph(
                text=fill(p.text, values, f"{where} paragraph {n}", quoted_figures=p.quoted_figures),
                template=p.text,
                provenance=provenance(p, f"{where} paragraph {n}"),
                quoted_figures=p.quoted_figures,
            )
            for n, p in enumerate(section.paragraphs, start=1)
        )
        sections.append(GuideSection(section.id, section.title, paragraphs, section.off_label))
    return Guide(
        id=entry.id,
        drug=drug,
        title=fill(entry.title, values, f"guide {entry.id} title"),
        summary=fill(entry.summary, values, f"guide {entry.id} summary"),
        sections=tuple(sections),
        questions=tuple(
            GuideQuestion(fill(q.text, values, f"guide {entry.id} question"), q.answer)
            for q in entry.questions
        ),
    )


def build_comparison(
    row_id: str,
    name: str,
    guide: str | None,
    section: schema.ComparisonSection | None,
    values: Mapping[str, str],
    provenance: ProvenanceOf,
) -> ComparisonRow:
    cells = []
    for key, _heading in COMPARISON_COLUMNS:
        entry: schema.ComparisonEntry | None = getattr(section, key, None) if section else None
        if entry is None:
            cells.append(ComparisonCell(NOT_RECORDED, NOT_RECORDED, None))
            continue
        where = f"comparison {row_id} {key}"
        quoted = entry.quoted_figures
        cells.append(
            ComparisonCell(
                patient=fill(entry.patient, values, f"{where} patient", quoted_figures=quoted),
                clinician=fill(entry.clinician, values, f"{where} clinician", quoted_figures=quoted),
                provenance=provenance(entry, where),
            )
        )
    return ComparisonRow(row_id, name, guide, tuple(cells))
