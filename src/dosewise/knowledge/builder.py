"""Build one knowledge-base version: read TOML, validate against the schema, check every cross-reference
(sources, classes, symptoms), and construct the domain's frozen rules. Imported only when the validated
build is not already cached (see ``loader``), because pydantic is the slowest import on the CLI's path."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from dosewise.domain.errors import KnowledgeError
from dosewise.domain.guides import ComparisonRow, Guide
from dosewise.domain.quantity import parse_amount, parse_concentration, parse_quantity
from dosewise.domain.rules import (
    ClassCountRule,
    Combination,
    CoMedicationRule,
    Conflict,
    ContextCue,
    DialysisRule,
    DrugRules,
    DuplicateRule,
    EgfrRule,
    ElderlyRule,
    IngestionRule,
    Ingredient,
    InteractionRule,
    KnowledgeBase,
    LimitRule,
    MissedDoseRule,
    Product,
    Provenance,
    PumpRules,
    RenalBand,
    RenalRules,
    Scored,
    Severity,
    SeverityFloorRule,
    SourceRef,
    SymptomDefinition,
    TaperRule,
    TemperatureRule,
    TitrationRule,
    TriageContextRule,
    TriageRule,
    TrialRule,
)
from dosewise.domain.triage_text import compile_lexicon
from dosewise.knowledge import guides, pk_schema, schema

__all__ = ["ALWAYS_PRESENT", "build_knowledge_base"]

# The files every release has; everything else in a version folder is named by release.toml [contents].
ALWAYS_PRESENT = ("release.toml", "sources.toml", "dictionary.toml", "interactions.toml", "triage.toml")

ModelT = TypeVar("ModelT", bound=BaseModel)


def _read(folder: Path, name: str, model: type[ModelT]) -> ModelT:
    path = folder / name
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
        return model.model_validate(raw)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"knowledge file missing: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path.name}: not valid TOML ({exc})") from exc
    except ValidationError as exc:
        raise KnowledgeError(f"{path.name}: {exc.error_count()} schema errors\n{exc}") from exc


class _Builder:
    """Turns validated file models into domain rules, resolving source ids as it goes."""

    def __init__(self, sources: dict[str, SourceRef]) -> None:
        self.sources = sources

    def provenance(self, item: schema.Sourced, where: str) -> Provenance:
        refs = []
        for source_id in item.sources:
            if source_id not in self.sources:
                raise KnowledgeError(f"{where}: unknown source id '{source_id}'")
            refs.append(self.sources[source_id])
        return Provenance(tuple(refs), item.confidence)

    def conflicts(self, entries: list[schema.ConflictEntry], where: str) -> tuple[Conflict, ...]:
        out = []
        for entry in entries:
            if entry.source not in self.sources:
                raise KnowledgeError(f"{where}: conflict cites unknown source '{entry.source}'")
            out.append(
                Conflict(self.sources[entry.source], entry.statement, entry.confidence, entry.resolution)
            )
        return tuple(out)

    def product(self, entry: schema.ProductEntry) -> Product:
        if (entry.strength is None) == (entry.concentration is None):
            raise KnowledgeError(f"product {entry.id}: give exactly one of strength or concentration")
        if entry.concentration is not None and entry.measure_increment is None:
            raise KnowledgeError(
                f"product {entry.id}: a liquid needs the measure_increment it is measured in"
            )
        return Product(
            id=entry.id,
            form=entry.form,
            label=entry.label,
            provenance=self.provenance(entry, f"product {entry.id}"),
            strength=parse_quantity(entry.strength) if entry.strength else None,
            concentration=parse_concentration(entry.concentration) if entry.concentration else None,
            scored=Scored(entry.scored),
            measure_increment=parse_quantity(entry.measure_increment) if entry.measure_increment else None,
            rxcui=entry.rxcui,
            note=entry.note,
            default=entry.default,
            pack=parse_quantity(entry.pack) if entry.pack else None,
        )

    def renal(self, section: schema.RenalSection) -> RenalRules:
        bands = tuple(
            RenalBand(
                id=band.id,
                crcl_from=parse_quantity(band.crcl_from).amount,
                crcl_to=parse_quantity(band.crcl_to).amount,
                multiplier=parse_amount(band.multiplier),
                action=band.action,
                clinician_text=band.clinician_text,
                provenance=self.provenance(band, f"renal band {band.id}"),
                conflicts=self.conflicts(band.conflicts, f"renal band {band.id}"),
            )
            for band in section.bands
        )
        dialysis = None
        if section.dialysis:
            d = section.dialysis
            dialysis = DialysisRule(
                action=d.action,
                override_max_daily=parse_quantity(d.override_max_daily) if d.override_max_daily else None,
                clinician_text=d.clinician_text,
                provenance=self.provenance(d, "renal dialysis"),
                conflicts=self.conflicts(d.conflicts, "renal dialysis"),
            )
        egfr_rules = tuple(
            EgfrRule(
                id=rule.id,
                egfr_from=parse_quantity(rule.egfr_from).amount,
                egfr_to=parse_quantity(rule.egfr_to).amount,
                action=rule.action,
                clinician_text=rule.clinician_text,
                provenance=self.provenance(rule, f"egfr rule {rule.id}"),
            )
            for rule in section.egfr_rules
        )
        enc = section.encephalopathy_risk
        return RenalRules(
            bands=bands,
            general_statement=section.general_statement,
            provenance=self.provenance(section, "renal"),
            dialysis=dialysis,
            egfr_rules=egfr_rules,
            encephalopathy_start_threshold=parse_quantity(enc.start_daily_threshold) if enc else None,
            encephalopathy_egfr_below=parse_quantity(enc.egfr_below).amount if enc else None,
            encephalopathy_text=enc.clinician_text if enc else "",
            encephalopathy_provenance=self.provenance(enc, "encephalopathy") if enc else None,
        )

    def drug(self, model: schema.DrugFile) -> DrugRules:
        header = model.drug
        where = f"drug {header.id}"
        titration = TitrationRule(
            times_per_day=model.titration.times_per_day,
            increment_per_dose=parse_quantity(model.titration.increment_per_dose),
            min_interval_days=model.titration.min_interval_days,
            steps=tuple((parse_quantity(step.dose), step.days) for step in model.titration.steps),
            description=model.titration.description,
            provenance=self.provenance(model.titration, f"{where} titration"),
        )
        lim = model.limits
        limits = LimitRule(
            max_daily=parse_quantity(lim.max_daily),
            max_times_per_day=lim.max_times_per_day,
            max_single_dose=parse_quantity(lim.max_single_dose),
            min_age_years=lim.min_age_years,
            note=lim.note,
            provenance=self.provenance(lim, f"{where} limits"),
            usual_daily_low=parse_quantity(lim.usual_daily_low) if lim.usual_daily_low else None,
            usual_daily_high=parse_quantity(lim.usual_daily_high) if lim.usual_daily_high else None,
            conflicts=self.conflicts(lim.conflicts, f"{where} limits"),
        )
        if limits.usual_daily_high is not None and limits.usual_daily_high > limits.max_daily:
            # The guide states both ("most people do best on ... to ..."; "the most ... is ..."): one
            # edited without the other would make it contradict itself.
            raise KnowledgeError(
                f"{where} limits: the usual daily range ends above the maximum "
                f"({limits.usual_daily_high} > {limits.max_daily})"
            )
        elderly = None
        if model.elderly:
            e = model.elderly
            elderly = ElderlyRule(
                age_from_years=e.age_from_years,
                clinician_text=e.clinician_text,
                patient_text=e.patient_text,
                provenance=self.provenance(e, f"{where} elderly"),
                beers_egfr_below=parse_quantity(e.beers.egfr_below).amount if e.beers else None,
                beers_text=e.beers.clinician_text if e.beers else "",
                beers_provenance=self.provenance(e.beers, f"{where} beers") if e.beers else None,
            )
        t = model.taper
        taper = TaperRule(
            min_days=t.min_days,
            step_days=t.step_days,
            step_daily=parse_quantity(t.step_daily),
            final_max_daily=parse_quantity(t.final_max_daily),
            max_single_reduction=parse_amount(t.max_single_reduction),
            clinician_text=t.clinician_text,
            provenance=self.provenance(t, f"{where} taper"),
            conflicts=self.conflicts(t.conflicts, f"{where} taper"),
        )
        missed = None
        if model.missed_dose:
            m = model.missed_dose
            missed = MissedDoseRule(
                take_if_elapsed_fraction_below=parse_amount(m.take_if_elapsed_fraction_below),
                soon_after_consecutive_missed=m.soon_after_consecutive_missed,
                urgent_after_missed_hours=m.urgent_after_missed_hours,
                clinician_text=m.clinician_text,
                provenance=self.provenance(m, f"{where} missed dose"),
                is_label_text=m.is_label_text,
                recent_window_hours=m.recent_window_hours,
            )
        band: tuple[Fraction, Fraction] | None = None
        if model.concentrations:
            c = model.concentrations
            self.provenance(c, f"{where} concentrations")
            band = (parse_quantity(c.therapeutic_low).amount, parse_quantity(c.therapeutic_high).amount)
        for effect in model.side_effects:
            self.provenance(effect, f"{where} side effect {effect.name}")
        for flag in model.red_flags:
            self.provenance(flag, f"{where} red flag {flag.id}")
        return DrugRules(
            id=header.id,
            name=header.name,
            route=header.route,
            dose_unit=header.dose_unit,
            products=tuple(self.product(entry) for entry in model.products),
            provenance=self.provenance(header, where),
            titration=titration,
            limits=limits,
            renal=self.renal(model.renal) if model.renal else None,
            elderly=elderly,
            taper=taper,
            missed_dose=missed,
            co_medication=tuple(
                CoMedicationRule(
                    id=entry.id,
                    when_class=entry.when_class,
                    start_daily=parse_quantity(entry.start_daily),
                    start_times_per_day=entry.start_times_per_day,
                    preferred_daily_rise=parse_quantity(entry.preferred_daily_rise),
                    max_daily_rise=parse_quantity(entry.max_daily_rise),
                    min_interval_days=entry.min_interval_days,
                    clinician_text=entry.clinician_text,
                    provenance=self.provenance(entry, f"{where} co-medication {entry.id}"),
                    conflicts=self.conflicts(entry.conflicts, f"{where} co-medication {entry.id}"),
                )
                for entry in model.co_medication
            ),
            withdrawal_signs=tuple(model.withdrawal.signs),
            withdrawal_text=model.withdrawal.clinician_text,
            therapeutic_band_ng_ml=band,
            trial=self.trial(model.trial, where) if model.trial else None,
        )

    def trial(self, section: schema.TrialSection, where: str) -> TrialRule:
        if section.decide_to_weeks < section.decide_from_weeks:
            raise KnowledgeError(f"{where} trial: the decision window ends before it starts")
        return TrialRule(
            decide_from_weeks=section.decide_from_weeks,
            decide_to_weeks=section.decide_to_weeks,
            # A template too: the weeks it states are the window above, never a second copy.
            no_benefit_text=guides.fill(
                section.no_benefit_text,
                {
                    "decide_from_weeks": str(section.decide_from_weeks),
                    "decide_to_weeks": str(section.decide_to_weeks),
                },
                f"{where} trial no_benefit_text",
            ),
            provenance=self.provenance(section, f"{where} trial"),
            review_near_days=section.reminder.near_days,
            reminder_provenance=self.provenance(section.reminder, f"{where} trial reminder"),
        )

    def pump(self, model: schema.IntrathecalFile) -> PumpRules:
        p = model.pump
        return PumpRules(
            reservoir_sizes_ml=tuple(parse_quantity(size) for size in p.reservoir_sizes),
            low_reservoir_alarm=parse_quantity(p.low_reservoir_alarm),
            safer_alarm=parse_quantity(p.safer_alarm),
            refill_buffer_days=p.refill_buffer_days,
            max_daily=parse_quantity(model.limits.max_daily),
            maintenance_ranges=tuple(
                (t.origin, parse_quantity(t.maintenance_low), parse_quantity(t.maintenance_high))
                for t in model.titration
            ),
            concentrations=tuple(parse_concentration(c.value) for c in model.concentrations),
            note=p.note,
            provenance=self.provenance(p, "pump"),
            limits_provenance=self.provenance(model.limits, "intrathecal limits"),
            max_service_years=p.max_service_years,
            smallest_screening_dose=min(
                (parse_quantity(b.dose) for b in model.screening_boluses), default=None
            ),
            screening_provenance=(
                self.provenance(model.screening_boluses[0], "intrathecal screening")
                if model.screening_boluses
                else None
            ),
        )


def _check_references(
    ingredients: tuple[Ingredient, ...], interactions: tuple[InteractionRule, ...], triage: schema.TriageFile
) -> None:
    classes = {cls for ingredient in ingredients for cls in ingredient.classes}
    ids = {ingredient.id for ingredient in ingredients}
    for rule in interactions:
        for side in (rule.a, rule.b):
            name = side.removeprefix("class:")
            known = name in classes if side.startswith("class:") else name in ids
            if not known:
                raise KnowledgeError(f"interaction {rule.id}: '{side}' matches no ingredient or class")
    symptom_ids = {symptom.id for symptom in triage.symptoms}
    for triage_rule in triage.rules:
        unknown = set(triage_rule.any_symptoms) - symptom_ids
        if unknown:
            raise KnowledgeError(f"triage rule {triage_rule.id}: unknown symptoms {sorted(unknown)}")
    seen: dict[str, str] = {}
    for ingredient in ingredients:
        for term in (ingredient.id, ingredient.name, *ingredient.brands, *ingredient.misspellings):
            key = term.lower()
            if seen.get(key, ingredient.id) != ingredient.id:
                raise KnowledgeError(f"'{term}' names both {seen[key]} and {ingredient.id}")
            seen[key] = ingredient.id


def _check_combinations(
    ingredients: tuple[Ingredient, ...],
    combinations: tuple[Combination, ...],
    class_counts: tuple[ClassCountRule, ...],
) -> None:
    """Every combination names known ingredients, and no name means both a combination and an ingredient."""
    ids = {ingredient.id for ingredient in ingredients}
    classes = {cls for ingredient in ingredients for cls in ingredient.classes}
    seen = {
        term.lower(): ingredient.id
        for ingredient in ingredients
        for term in (ingredient.id, ingredient.name, *ingredient.brands, *ingredient.misspellings)
    }
    for combination in combinations:
        unknown = set(combination.ingredients) - ids
        if unknown:
            raise KnowledgeError(f"combination {combination.id}: unknown ingredients {sorted(unknown)}")
        for term in (combination.id, combination.name, *combination.brands, *combination.misspellings):
            key = term.lower()
            if seen.get(key, combination.id) != combination.id:
                raise KnowledgeError(f"'{term}' names both {seen[key]} and {combination.id}")
            seen[key] = combination.id
    for rule in class_counts:
        if rule.cls not in classes:
            raise KnowledgeError(f"class count {rule.id}: no ingredient has class '{rule.cls}'")


def _read_raw(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"knowledge file missing: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path.name}: not valid TOML ({exc})") from exc


def _check_listed(folder: Path, contents: schema.ReleaseContents) -> None:
    """Every .toml in the folder is one the release names: a drug file left out of [contents] would
    otherwise be silently ignored, and a listed one that is missing fails when it is read."""
    listed = {*ALWAYS_PRESENT, *contents.drugs}
    listed |= {name for name in (contents.intrathecal, contents.alternatives, contents.pk) if name}
    stray = sorted(path.name for path in folder.glob("*.toml") if path.name not in listed)
    if stray:
        raise KnowledgeError(
            f"release.toml [contents] does not list {', '.join(stray)}",
            hint="add each drug file to contents.drugs (or remove the file from the version folder)",
        )
    if len(set(contents.drugs)) != len(contents.drugs):
        raise KnowledgeError("release.toml [contents]: a drug file is listed twice")


def _ingestion(
    builder: _Builder, triage: schema.TriageFile, models: dict[str, schema.DrugFile]
) -> dict[str, IngestionRule]:
    """triage.toml [[ingestion]] with the drug file's own large-ingestion red flag (one answer, one place)."""
    out: dict[str, IngestionRule] = {}
    for entry in triage.ingestion:
        if entry.drug not in models:
            raise KnowledgeError(f"triage ingestion: unknown drug '{entry.drug}'")
        flag = next((f for f in models[entry.drug].red_flags if f.id == "large_ingestion"), None)
        provenance = builder.provenance(entry, f"triage ingestion {entry.drug}")
        if flag is not None:
            extra = builder.provenance(flag, f"{entry.drug} red flag large_ingestion")
            provenance = Provenance((*extra.sources, *provenance.sources), extra.confidence)
        out[entry.drug] = IngestionRule(
            drug=entry.drug,
            threshold=parse_quantity(flag.threshold) if flag is not None and flag.threshold else None,
            largest_unit=parse_quantity(entry.largest_unit),
            note=entry.note,
            provenance=provenance,
        )
    return out


def _temperature(builder: _Builder, triage: schema.TriageFile) -> TemperatureRule | None:
    readings = triage.readings
    if readings is None:
        return None
    return TemperatureRule(
        fever_at_or_above_c=Fraction(readings.fever_at_or_above_celsius),
        low_below_c=Fraction(readings.low_below_celsius),
        note=readings.note,
        provenance=builder.provenance(readings, "triage readings"),
    )


def _guides(
    builder: _Builder,
    drugs: dict[str, DrugRules],
    models: dict[str, schema.DrugFile],
    intrathecal: tuple[schema.IntrathecalFile, PumpRules] | None,
    alternatives: schema.AlternativesFile | None,
) -> tuple[dict[str, Guide], tuple[ComparisonRow, ...]]:
    """Each file's guide and comparison row, filled from the rules just built (the planner's own values).
    Rows follow the release's drug list; the intrathecal row comes right after its ingredient's."""
    found: list[tuple[str, str, schema.GuideEntry | None, schema.ComparisonSection | None, dict[str, str]]]
    found = [
        (d, drugs[d].name, models[d].guide, models[d].comparison, guides.drug_values(drugs[d], models[d]))
        for d in models
    ]
    if intrathecal is not None:
        model, pump = intrathecal
        it = model.drug
        after = next((n + 1 for n, row in enumerate(found) if row[0] == it.ingredient), len(found))
        found.insert(after, (it.id, it.name, model.guide, model.comparison, guides.pump_values(pump, model)))
    if alternatives is not None:
        found += [(a.id, a.name, a.guide, a.comparison, guides.agent_values(a)) for a in alternatives.agents]
    out: dict[str, Guide] = {}
    rows = []
    for drug, name, entry, section, values in found:
        guide = guides.build_guide(entry, drug, values, builder.provenance) if entry else None
        if guide is not None:
            if guide.id in out:
                raise KnowledgeError(f"guide {guide.id}: two files give a guide with this id")
            out[guide.id] = guide
        rows.append(
            guides.build_comparison(
                drug, name, guide.id if guide else None, section, values, builder.provenance
            )
        )
    return out, tuple(rows)


def build_knowledge_base(folder: Path, version: str) -> KnowledgeBase:
    """Validate every file of one version folder and build the rules; raises ``KnowledgeError``."""
    release = _read(folder, "release.toml", schema.ReleaseFile)
    if release.version != version:
        raise KnowledgeError(f"folder {version} holds release {release.version}")
    contents = release.contents
    _check_listed(folder, contents)
    sources_file = _read(folder, "sources.toml", schema.SourcesFile)
    sources = {key: SourceRef(key, entry.citation, entry.url) for key, entry in sources_file.sources.items()}
    builder = _Builder(sources)

    drugs: dict[str, DrugRules] = {}
    models: dict[str, schema.DrugFile] = {}
    for name in contents.drugs:
        model = _read(folder, name, schema.DrugFile)
        rules = builder.drug(model)
        if rules.id in drugs:
            raise KnowledgeError(f"{name}: drug id '{rules.id}' is already given by another file")
        drugs[rules.id] = rules
        models[rules.id] = model
    intrathecal = None
    pump = None
    if contents.intrathecal:
        it_file = _read(folder, contents.intrathecal, schema.IntrathecalFile)
        builder.provenance(it_file.drug, "intrathecal")
        for entry in [*it_file.concentrations, *it_file.screening_boluses, *it_file.titration]:
            builder.provenance(entry, "intrathecal")
        builder.provenance(it_file.initial_dose, "intrathecal initial dose")
        builder.provenance(it_file.withdrawal, "intrathecal withdrawal")
        pump = builder.pump(it_file)
        intrathecal = (it_file, pump)
    alternatives = None
    if contents.alternatives:
        alternatives = _read(folder, contents.alternatives, schema.AlternativesFile)
        for agent in alternatives.agents:
            builder.provenance(agent, f"alternative {agent.id}")
    pk_sections: dict[str, dict[str, Any]] = {}
    if contents.pk:
        routes = {drug_id: rules.route for drug_id, rules in drugs.items()}
        pk_sections = pk_schema.check_pk_file(_read_raw(folder, contents.pk), sources, routes, contents.pk)

    dictionary = _read(folder, "dictionary.toml", schema.DictionaryFile)
    ingredients = tuple(
        Ingredient(
            id=entry.id,
            name=entry.name,
            classes=tuple(entry.classes),
            rxcui=entry.rxcui,
            rxcui_status=entry.rxcui_status,
            atc=entry.atc,
            atc_status=entry.atc_status,
            brands=tuple(entry.brands),
            misspellings=tuple(entry.misspellings),
            provenance=builder.provenance(entry, f"ingredient {entry.id}"),
            substance=entry.substance,
        )
        for entry in dictionary.ingredients
    )
    interactions_file = _read(folder, "interactions.toml", schema.InteractionsFile)
    interactions = tuple(
        InteractionRule(
            id=entry.id,
            a=entry.a,
            b=entry.b,
            severity=Severity(entry.severity),
            effect=entry.effect,
            action=entry.action,
            patient_text=entry.patient_text,
            severity_basis=entry.severity_basis,
            provenance=builder.provenance(entry, f"interaction {entry.id}"),
            fallback=entry.fallback,
        )
        for entry in interactions_file.rules
    )
    combinations = tuple(
        Combination(
            id=entry.id,
            name=entry.name,
            ingredients=tuple(entry.ingredients),
            brands=tuple(entry.brands),
            misspellings=tuple(entry.misspellings),
            provenance=builder.provenance(entry, f"combination {entry.id}"),
        )
        for entry in dictionary.combinations
    )
    class_counts = tuple(
        ClassCountRule(
            id=entry.id,
            cls=entry.cls,
            min_count=entry.min_ingredients,
            severity=Severity(entry.severity),
            effect=entry.effect,
            action=entry.action,
            patient_text=entry.patient_text,
            severity_basis=entry.severity_basis,
            provenance=builder.provenance(entry, f"class count {entry.id}"),
        )
        for entry in interactions_file.class_counts
    )
    dup = interactions_file.duplicate_ingredient
    duplicate_rule = (
        DuplicateRule(
            severity=Severity(dup.severity),
            effect=dup.effect,
            action=dup.action,
            patient_text=dup.patient_text,
            severity_basis=dup.severity_basis,
            provenance=builder.provenance(dup, "duplicate ingredient"),
        )
        if dup is not None
        else None
    )
    guide_map, comparison = _guides(builder, drugs, models, intrathecal, alternatives)
    triage = _read(folder, "triage.toml", schema.TriageFile)
    _check_references(ingredients, interactions, triage)
    _check_combinations(ingredients, combinations, class_counts)
    kb = KnowledgeBase(
        version=release.version,
        status=release.status,
        notice=release.notice,
        drugs=drugs,
        ingredients=ingredients,
        interactions=interactions,
        combinations=combinations,
        class_counts=class_counts,
        duplicate_rule=duplicate_rule,
        symptoms=tuple(
            SymptomDefinition(
                s.id,
                s.label,
                tuple(s.words),
                tuple(tuple(p) for p in s.patterns),
                s.red_flag,
                s.denial_rules_out,
                s.specific,
            )
            for s in triage.symptoms
        ),
        triage_rules=tuple(
            TriageRule(
                id=rule.id,
                level=rule.level,
                reason=rule.reason,
                any_symptoms=tuple(rule.any_symptoms),
                patient_text=rule.patient_text,
                clinician_text=rule.clinician_text,
                provenance=builder.provenance(rule, f"triage rule {rule.id}"),
                min_matched=rule.min_matched,
                context_any=tuple(rule.context_any),
                context_all=tuple(rule.context_all),
                all_groups=tuple(tuple(group) for group in rule.all_groups),
            )
            for rule in triage.rules
        ),
        sources=sources,
        pump=pump,
        guides=guide_map,
        comparison=comparison,
        alternatives=tuple(
            {"id": a.id, "name": a.name, "kind": a.kind, "titration": a.titration, "warnings": a.warnings}
            for a in (alternatives.agents if alternatives else ())
        ),
        pk=pk_sections,
        severity_floor=SeverityFloorRule(
            severe_at_least=triage.reported_severity.severe_at_least,
            patient_text=triage.reported_severity.patient_text,
            clinician_text=triage.reported_severity.clinician_text,
            provenance=builder.provenance(triage.reported_severity, "triage reported severity"),
            words=tuple(triage.reported_severity.words),
        ),
        context_cues=tuple(
            ContextCue(cue.flag, cue.why, tuple(tuple(p) for p in cue.patterns))
            for cue in triage.context_cues
        ),
        ingestion=_ingestion(builder, triage, models),
        temperature=_temperature(builder, triage),
        triage_context=TriageContextRule(
            change_window_hours=triage.context.change_window_hours,
            kidney_impaired_below_ml_min=parse_quantity(triage.context.kidney_impaired_below).amount,
            note=triage.context.note,
            provenance=builder.provenance(triage.context, "triage context"),
        ),
    )
    words = kb.severity_floor.words if kb.severity_floor else ()
    return replace(kb, triage_lexicon=compile_lexicon(kb.symptoms, kb.context_cues, words))
