"""What a patient's kidney function and age mean for one drug: the dose multiplier, the ceiling, and the
"avoid" recommendations, each with its source. Planners and the checker share this one assessment."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from dosewise.domain.findings import Finding, finding
from dosewise.domain.patient import KidneyFunction, Patient, kidney_function
from dosewise.domain.quantity import Quantity, format_amount, format_limit
from dosewise.domain.rules import (
    CoMedicationRule,
    DrugRules,
    KnowledgeBase,
    Provenance,
    RenalBand,
    Severity,
    TitrationRule,
)
from dosewise.domain.screening import Interaction, Resolution, find_interactions, resolve

__all__ = ["Assessment", "CoMedicationScreen", "assess", "band_for", "screen_co_medications"]

# Override codes a clinician can give, with a reason, to cross an "avoid" recommendation or a limit.
OVERRIDE_RENAL_AVOID = "renal_avoid"
OVERRIDE_BEERS_AVOID = "beers_avoid"
OVERRIDE_BELOW_LABEL_AGE = "below_label_age"
OVERRIDE_LABEL_CONTRAINDICATION = "label_contraindication"


@dataclass(frozen=True)
class CoMedicationScreen:
    """The patient's medication list as the planned drug sees it: what each name resolved to, and the
    interaction rules that fire between the planned drug and the list."""

    resolutions: tuple[Resolution, ...] = ()
    interactions: tuple[Interaction, ...] = ()

    @property
    def contraindicated(self) -> tuple[Interaction, ...]:
        return tuple(i for i in self.interactions if i.rule.severity is Severity.CONTRAINDICATED)

    @property
    def unscreened(self) -> tuple[str, ...]:
        return tuple(r.query for r in self.resolutions if not r.screened)

    def classes(self) -> frozenset[str]:
        return frozenset(c for r in self.resolutions if r.ingredient for c in r.ingredient.classes)

    def names_in(self, cls: str) -> tuple[str, ...]:
        return tuple(r.query for r in self.resolutions if r.ingredient and cls in r.ingredient.classes)


def screen_co_medications(drug_id: str, patient: Patient | None, kb: KnowledgeBase) -> CoMedicationScreen:
    """Resolve the patient's list with the screening dictionary; keep the rules that involve the planned drug
    (the same identity and class rules `interactions` and `check` use)."""
    if patient is None or not patient.medications:
        return CoMedicationScreen()
    planned = resolve(drug_id, kb)
    listed = tuple(resolve(m.name, kb) for m in patient.medications)
    planned_id = planned.ingredient.id if planned.ingredient else None
    found = tuple(
        i
        for i in find_interactions((planned, *listed), kb)
        if planned_id is not None
        and planned_id in {getattr(i.first.ingredient, "id", None), getattr(i.second.ingredient, "id", None)}
        and i.first.ingredient is not i.second.ingredient
    )
    return CoMedicationScreen(listed, found)


@dataclass(frozen=True)
class Assessment:
    """The adjustments that apply to this patient and drug, and why."""

    multiplier: Fraction
    ceiling: Quantity
    kidney: KidneyFunction
    band: RenalBand | None
    avoid_codes: tuple[str, ...]
    findings: tuple[Finding, ...]
    explanations: tuple[str, ...]
    contraindications: tuple[Interaction, ...] = ()
    co_medication: CoMedicationRule | None = None
    co_medication_names: tuple[str, ...] = ()
    unscreened: tuple[str, ...] = ()

    @property
    def adjusted(self) -> bool:
        return self.multiplier != 1 or bool(self.avoid_codes) or self.co_medication is not None

    def start_cap(self, titration: TitrationRule) -> Quantity:
        """The highest first daily dose of a titration: the label's (kidney-scaled), or the co-medication
        rule's lower start."""
        first = titration.steps[0][0] * titration.times_per_day
        label = Quantity(first.amount * self.multiplier, first.unit)
        if self.co_medication is not None:
            return min(label, self.co_medication.start_daily)
        return label

    def allowed_rise(self, titration: TitrationRule, times_per_day: int) -> Quantity:
        """The largest rise in the daily dose one step may make: the label's, or the co-medication rule's."""
        label = titration.allowed_daily_rise(times_per_day)
        if self.co_medication is not None:
            return min(label, self.co_medication.max_daily_rise)
        return label

    def start_severity(self, titration: TitrationRule, first_daily: Quantity) -> Severity | None:
        """How the checker judges a titration's first daily dose when no prior regimen is recorded: above
        the start cap by more than one allowed rise (or at all, under a co-medication rule that names its
        own start) is major; above it by less is moderate."""
        cap = self.start_cap(titration)
        if first_daily <= cap:
            return None
        if self.co_medication is not None:
            return Severity.MAJOR
        if first_daily > cap + self.allowed_rise(titration, titration.times_per_day):
            return Severity.MAJOR
        return Severity.MODERATE

    def min_interval_days(self, titration: TitrationRule) -> int:
        if self.co_medication is not None:
            return max(titration.min_interval_days, self.co_medication.min_interval_days)
        return titration.min_interval_days


def band_for(value: Fraction, bands: tuple[RenalBand, ...]) -> RenalBand | None:
    """The worst band whose closed range holds the value (a shared edge falls into the worse band)."""
    matching = [band for band in bands if band.crcl_from <= value <= band.crcl_to]
    if not matching:
        return None
    return min(matching, key=lambda band: band.multiplier)


def assess(
    rules: DrugRules, patient: Patient | None, kb_version: str, screen: CoMedicationScreen | None = None
) -> Assessment:
    """Kidney band, dialysis, eGFR rules, older-adult and Beers rules, minimum age, label contraindications
    and co-medication dose rules from the medication list, for one drug."""
    patient = patient or Patient()
    kidney = kidney_function(patient)
    multiplier = Fraction(1)
    ceiling = rules.limits.max_daily
    avoid: list[str] = []
    findings: list[Finding] = []
    explanations: list[str] = []
    band: RenalBand | None = None
    renal = rules.renal

    if renal is not None and kidney.dialysis and renal.dialysis is not None:
        dialysis = renal.dialysis
        avoid.append(OVERRIDE_RENAL_AVOID)
        multiplier = min((b.multiplier for b in renal.bands), default=Fraction(1))
        if dialysis.override_max_daily is not None:
            ceiling = min(ceiling, dialysis.override_max_daily)
        findings.append(
            finding(
                Severity.MAJOR,
                "renal.dialysis",
                dialysis.clinician_text,
                "You are on dialysis: baclofen builds up and can cause serious confusion or drowsiness. "
                "Your kidney team and prescriber must decide together; never start or change it on your own.",
                dialysis.provenance,
                kb_version,
            )
        )
        explanations.append(f"dialysis: ceiling {ceiling} a day if a clinician overrides 'avoid'")
    elif renal is not None and kidney.for_bands is not None:
        band = band_for(kidney.for_bands, renal.bands)
        basis = (
            f"CrCl {format_limit(kidney.crcl_ml_min)} mL/min ({kidney.crcl_method})"
            if kidney.crcl_ml_min is not None
            else f"eGFR {format_limit(kidney.egfr or Fraction(0))} used in place of CrCl"
        )
        if band is not None and band.action != "none":
            multiplier = band.multiplier
            ceiling = Quantity(ceiling.amount * multiplier, ceiling.unit)
            severity = Severity.MAJOR if band.action == "avoid" else Severity.MODERATE
            if band.action == "avoid":
                avoid.append(OVERRIDE_RENAL_AVOID)
            findings.append(
                finding(
                    severity,
                    f"renal.{band.action}.{band.id}",
                    f"{basis}: {band.clinician_text} Doses scaled by {format_amount_fraction(multiplier)}; "
                    f"ceiling {format_limit(ceiling.amount)} {ceiling.unit.value} a day.",
                    "Your kidneys clear this medicine, so your doses are lower than usual. "
                    "Tell your clinician about new confusion or heavy sleepiness.",
                    band.provenance,
                    kb_version,
                )
            )
            explanations.append(f"kidney band {band.id} ({basis}): x{format_amount_fraction(multiplier)}")
    elif renal is not None:
        findings.append(
            finding(
                Severity.INFO,
                "renal.unknown",
                f"Kidney function not given: label dosing assumed. {renal.general_statement}",
                "Your kidney function was not recorded. Your clinician may check it.",
                renal.provenance,
                kb_version,
            )
        )

    if renal is not None and kidney.notice is not None and not kidney.dialysis:
        findings.append(_disagreement(kidney, renal.bands, renal.provenance, kb_version))

    egfr_value = kidney.for_egfr_rules
    if renal is not None and egfr_value is not None and not kidney.dialysis:
        for rule in renal.egfr_rules:
            # Closed range, like the CrCl bands: a value on the edge gets the stricter rule.
            in_range = rule.egfr_from <= egfr_value <= rule.egfr_to
            if in_range and rule.action == "avoid" and OVERRIDE_RENAL_AVOID not in avoid:
                avoid.append(OVERRIDE_RENAL_AVOID)
                findings.append(
                    finding(
                        Severity.MAJOR,
                        f"renal.egfr.{rule.id}",
                        rule.clinician_text,
                        "Your kidney function is low for this medicine. Your clinician needs to review it.",
                        rule.provenance,
                        kb_version,
                    )
                )

    elderly = rules.elderly
    age = patient.age_years
    if elderly is not None and age is not None and age >= elderly.age_from_years:
        findings.append(
            finding(
                Severity.MINOR,
                "age.older_adult",
                elderly.clinician_text,
                elderly.patient_text,
                elderly.provenance,
                kb_version,
            )
        )
        if (
            elderly.beers_egfr_below is not None
            and elderly.beers_provenance is not None
            and egfr_value is not None
            and egfr_value < elderly.beers_egfr_below
        ):
            avoid.append(OVERRIDE_BEERS_AVOID)
            findings.append(
                finding(
                    Severity.MAJOR,
                    "age.beers_avoid",
                    elderly.beers_text,
                    "At your age and kidney function, this medicine is usually avoided. "
                    "Your clinician will explain the choice and how you will be checked.",
                    elderly.beers_provenance,
                    kb_version,
                )
            )

    if age is not None and age < rules.limits.min_age_years:
        avoid.append(OVERRIDE_BELOW_LABEL_AGE)
        findings.append(
            finding(
                Severity.MAJOR,
                "age.below_label_age",
                f"Age {age}: {rules.limits.note}",
                "This plan is for adults and older teenagers. A specialist must plan doses for children.",
                rules.limits.provenance,
                kb_version,
            )
        )

    screen = screen or CoMedicationScreen()
    contraindications = screen.contraindicated
    if contraindications:
        avoid.append(OVERRIDE_LABEL_CONTRAINDICATION)
    classes = screen.classes()
    co_rule = next((rule for rule in rules.co_medication if rule.when_class in classes), None)
    co_names: tuple[str, ...] = ()
    if co_rule is not None:
        co_names = screen.names_in(co_rule.when_class)
        findings.append(
            finding(
                Severity.MODERATE,
                f"co_medication.{co_rule.id}",
                f"With {', '.join(co_names)}: {co_rule.clinician_text} Titration starts at "
                f"{co_rule.start_daily} a day and rises by at most {co_rule.max_daily_rise} a day per step.",
                f"Another medicine on your list ({', '.join(co_names)}) raises the level of {rules.name}, "
                "so your plan starts lower and rises more slowly. Tell your clinician about dizziness, "
                "fainting or heavy sleepiness.",
                co_rule.provenance,
                kb_version,
            )
        )
        explanations.append(f"with {', '.join(co_names)}: {co_rule.id} dosing")

    return Assessment(
        multiplier=multiplier,
        ceiling=ceiling,
        kidney=kidney,
        band=band,
        avoid_codes=tuple(dict.fromkeys(avoid)),
        findings=tuple(findings),
        explanations=tuple(explanations),
        contraindications=contraindications,
        co_medication=co_rule,
        co_medication_names=co_names,
        unscreened=screen.unscreened,
    )


def format_amount_fraction(value: Fraction) -> str:
    """2/3 stays "2/3"; 1/2 stays "1/2": multipliers are shown as the fractions the sources state."""
    return str(value) if value.denominator != 1 else format_amount(value)


def _disagreement(
    kidney: KidneyFunction, bands: tuple[RenalBand, ...], provenance: Provenance, kb_version: str
) -> Finding:
    """Kidney inputs that differ: moderate when they fall in different bands of this drug (the dose would
    differ), info when they share a band. The tolerance is the drug's own sourced band table."""
    placed = {(band.id if band else "none") for band in (band_for(v, bands) for _, v in kidney.inputs)}
    differ = len(placed) > 1
    notice = kidney.notice or ""
    return finding(
        Severity.MODERATE if differ else Severity.INFO,
        "renal.inputs_disagree",
        notice
        + (
            f" They fall in different kidney bands of this drug ({', '.join(sorted(placed))})."
            if differ
            else " They fall in the same kidney band, so the dose is the same."
        ),
        "Your kidney test results do not agree with each other. The lower one was used to keep your dose "
        "safe; ask your clinician which result is current.",
        provenance,
        kb_version,
    )
