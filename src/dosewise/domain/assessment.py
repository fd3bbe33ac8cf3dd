"""What a patient's kidney function and age mean for one drug: the dose multiplier, the ceiling, and the
"avoid" recommendations, each with its source. Planners and the checker share this one assessment."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from dosewise.domain.findings import Finding, finding
from dosewise.domain.patient import KidneyFunction, Patient, kidney_function
from dosewise.domain.quantity import Quantity, format_amount, format_limit
from dosewise.domain.rules import DrugRules, Provenance, RenalBand, Severity

__all__ = ["Assessment", "assess", "band_for"]

# Override codes a clinician can give, with a reason, to cross an "avoid" recommendation or a limit.
OVERRIDE_RENAL_AVOID = "renal_avoid"
OVERRIDE_BEERS_AVOID = "beers_avoid"
OVERRIDE_BELOW_LABEL_AGE = "below_label_age"


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

    @property
    def adjusted(self) -> bool:
        return self.multiplier != 1 or bool(self.avoid_codes)


def band_for(value: Fraction, bands: tuple[RenalBand, ...]) -> RenalBand | None:
    """The worst band whose closed range holds the value (a shared edge falls into the worse band)."""
    matching = [band for band in bands if band.crcl_from <= value <= band.crcl_to]
    if not matching:
        return None
    return min(matching, key=lambda band: band.multiplier)


def assess(rules: DrugRules, patient: Patient | None, kb_version: str) -> Assessment:
    """Kidney band, dialysis, eGFR rules, older-adult and Beers rules, minimum age, for one drug."""
    assert rules.limits is not None
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

    return Assessment(
        multiplier=multiplier,
        ceiling=ceiling,
        kidney=kidney,
        band=band,
        avoid_codes=tuple(dict.fromkeys(avoid)),
        findings=tuple(findings),
        explanations=tuple(explanations),
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
