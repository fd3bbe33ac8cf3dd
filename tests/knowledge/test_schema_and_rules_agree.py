"""The schema and the rule types say the same thing: a field the schema requires is required (no default,
not Optional) in the frozen rule it is built into, an optional one is optional there, and a closed set of
words (a Literal in the schema) is the same closed set in the rule, so the engine never asserts at run
time what the load already guaranteed."""

from __future__ import annotations

import dataclasses
import types
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest
from pydantic import BaseModel

from dosewise.domain import provenance, rules
from dosewise.knowledge import schema


@dataclasses.dataclass(frozen=True)
class Pair:
    """A schema model and the rule it is built into. ``renamed``: schema field -> rule field where the
    names differ; ``built``: rule fields made from something else (another section, a derived value, the
    provenance of ``sources``); ``elsewhere``: schema fields that feed another part of the knowledge base
    (a guide, a flattened sub-rule), not this rule."""

    model: type[BaseModel]
    rule: type[Any]
    renamed: dict[str, str] = dataclasses.field(default_factory=dict)
    built: frozenset[str] = frozenset({"provenance"})
    elsewhere: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return f"{self.model.__name__}-{self.rule.__name__}"


PAIRS = [
    Pair(
        schema.DrugHeader,
        rules.DrugRules,
        built=frozenset(),
        elsewhere=frozenset({"ingredient"}),  # an intrathecal file's oral ingredient (the comparison order)
    ),
    Pair(
        schema.DrugFile,
        rules.DrugRules,
        renamed={"concentrations": "therapeutic_band_ng_ml", "withdrawal": "withdrawal_signs"},
        built=frozenset({"id", "name", "route", "dose_unit", "provenance", "withdrawal_text"}),
        elsewhere=frozenset({"drug", "side_effects", "red_flags", "guide", "comparison"}),
    ),
    Pair(schema.ProductEntry, rules.Product),
    Pair(schema.TitrationSection, rules.TitrationRule),
    Pair(schema.LimitsSection, rules.LimitRule),
    Pair(schema.RenalBandEntry, rules.RenalBand),
    Pair(schema.EgfrRuleEntry, rules.EgfrRule),
    Pair(schema.DialysisEntry, rules.DialysisRule),
    Pair(
        schema.RenalSection,
        rules.RenalRules,
        built=frozenset(
            {
                "provenance",
                "encephalopathy_start_threshold",
                "encephalopathy_egfr_below",
                "encephalopathy_text",
                "encephalopathy_provenance",
            }
        ),
        elsewhere=frozenset({"encephalopathy_risk"}),
    ),
    Pair(
        schema.ElderlySection,
        rules.ElderlyRule,
        built=frozenset({"provenance", "beers_egfr_below", "beers_text", "beers_provenance"}),
        elsewhere=frozenset({"beers"}),
    ),
    Pair(schema.TaperSection, rules.TaperRule),
    Pair(schema.CoMedicationEntry, rules.CoMedicationRule),
    Pair(schema.MissedDoseSection, rules.MissedDoseRule),
    Pair(
        schema.TrialSection,
        rules.TrialRule,
        renamed={"reminder": "review_near_days"},
        built=frozenset({"provenance", "reminder_provenance"}),
    ),
    Pair(
        schema.PumpSection,
        rules.PumpRules,
        renamed={"reservoir_sizes": "reservoir_sizes_ml"},
        built=frozenset(
            {
                "provenance",
                "max_daily",
                "maintenance_ranges",
                "concentrations",
                "limits_provenance",
                "smallest_screening_dose",
                "screening_provenance",
            }
        ),
        elsewhere=frozenset({"eri_to_stop_days"}),  # stated by the intrathecal guide
    ),
    Pair(schema.IngredientEntry, rules.Ingredient),
    Pair(schema.CombinationEntry, rules.Combination),
    Pair(schema.InteractionEntry, rules.InteractionRule),
    Pair(schema.ClassCountEntry, rules.ClassCountRule, renamed={"min_ingredients": "min_count"}),
    Pair(schema.DuplicateEntry, rules.DuplicateRule),
    Pair(schema.SymptomEntry, rules.SymptomDefinition, built=frozenset()),
    Pair(schema.ContextCueEntry, rules.ContextCue, built=frozenset()),
    Pair(schema.TriageRuleEntry, rules.TriageRule),
    Pair(
        schema.TriageContextEntry,
        rules.TriageContextRule,
        renamed={"kidney_impaired_below": "kidney_impaired_below_ml_min"},
    ),
    Pair(schema.ReportedSeverityEntry, rules.SeverityFloorRule),
    Pair(schema.IngestionEntry, rules.IngestionRule, built=frozenset({"provenance", "threshold"})),
    Pair(
        schema.ReadingsEntry,
        rules.TemperatureRule,
        renamed={"fever_at_or_above_celsius": "fever_at_or_above_c", "low_below_celsius": "low_below_c"},
    ),
    Pair(schema.ConflictEntry, rules.Conflict, built=frozenset()),
]

# Schema fields no rule carries: the provenance inputs, and statements with a single allowed value that
# the file must make (never_double = true: the advisor never doubles, by construction; measure = "crcl":
# the bands are creatinine clearance). Reference-only fields are marked in the schema itself
# (test_reference_only.py).
NOT_CARRIED = {"never_double", "measure"}
PROVENANCE_INPUTS = {"sources", "confidence"}  # of a Sourced model: they become the rule's provenance


def _none_allowed(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp)


def _without_none(tp: Any) -> Any:
    if get_origin(tp) in (Union, types.UnionType):
        rest = [arg for arg in get_args(tp) if arg is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


def _words(tp: Any) -> frozenset[object] | None:
    """The closed set a type allows: a Literal's values or an Enum's; None for an open type."""
    tp = _without_none(tp)
    if get_origin(tp) is Literal:
        return frozenset(get_args(tp))
    if isinstance(tp, type) and issubclass(tp, Enum):
        return frozenset(member.value for member in tp)
    return None


def _rule_required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def _compared(pair: Pair) -> list[str]:
    rule_fields = {f.name: f for f in dataclasses.fields(pair.rule)}
    hints = get_type_hints(pair.rule)
    compared = []
    for name, info in pair.model.model_fields.items():
        provenance_input = issubclass(pair.model, schema.Sourced) and name in PROVENANCE_INPUTS
        if (
            provenance_input
            or name in NOT_CARRIED
            or name in pair.elsewhere
            or schema.is_reference_only(info)
        ):
            continue
        target = pair.renamed.get(name, name)
        where = f"{pair.model.__name__}.{name} -> {pair.rule.__name__}.{target}"
        assert target in rule_fields, f"{where}: the rule has no such field"
        assert info.is_required() == _rule_required(rule_fields[target]), f"{where}: required in one only"
        assert _none_allowed(info.annotation) == _none_allowed(
            hints[target]
        ), f"{where}: Optional in one only"
        words = _words(info.annotation)
        if words is not None and name not in pair.renamed:
            assert (
                _words(hints[target]) == words
            ), f"{where}: the rule does not spell out {sorted(map(str, words))}"
        compared.append(target)
    return compared


@pytest.mark.parametrize("pair", PAIRS, ids=str)
def test_required_optional_and_closed_words_agree(pair: Pair) -> None:
    """For each field the schema validates and the rule carries: required in both or in neither,
    Optional in both or in neither, and the same Literal words (or Enum values)."""
    assert _compared(pair), f"nothing compared for {pair}"


def test_every_rule_field_is_accounted_for() -> None:
    """Every field of every rule type listed here comes from a schema field or is declared as built, so a
    new rule field cannot slip past the comparison above."""
    by_rule: dict[type[Any], set[str]] = {}
    for pair in PAIRS:
        by_rule.setdefault(pair.rule, set()).update(_compared(pair), pair.built)
    for rule, accounted in by_rule.items():
        missing = {f.name for f in dataclasses.fields(rule)} - accounted
        assert (
            not missing
        ), f"{rule.__name__}: {sorted(missing)} come from no schema field, nor are they built"


def test_the_rule_types_write_their_closed_sets_as_literals() -> None:
    """No rule field written as a bare str where the schema has a Literal: the comparison found at least
    the route, dose unit, product form, kidney actions, code statuses and triage words."""
    closed = {
        (rule.__name__, name)
        for rule in {pair.rule for pair in PAIRS}
        for name, tp in get_type_hints(rule).items()
        if _words(tp) is not None
    }
    expected = {
        ("DrugRules", "route"),
        ("DrugRules", "dose_unit"),
        ("Product", "form"),
        ("RenalBand", "action"),
        ("EgfrRule", "action"),
        ("DialysisRule", "action"),
        ("Ingredient", "rxcui_status"),
        ("Ingredient", "atc_status"),
        ("TriageRule", "level"),
        ("TriageRule", "reason"),
        ("SeverityFloorRule", "severe_at_least"),
        ("ContextCue", "flag"),
        ("Conflict", "confidence"),
    }
    assert expected <= closed, sorted(expected - closed)
    assert _words(get_type_hints(provenance.Provenance)["confidence"]) == _words(schema.Confidence)
