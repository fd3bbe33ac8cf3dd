"""The clinical rules the engine runs on, as plain frozen data. ``dosewise.knowledge`` builds them from the
versioned data files; the domain never reads files itself, so every rule arrives with its provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import Literal

from dosewise.domain.errors import UnknownDrug
from dosewise.domain.guides import ComparisonRow, Guide
from dosewise.domain.provenance import Confidence, Provenance, SourceRef
from dosewise.domain.quantity import Concentration, Quantity

__all__ = [
    "ClassCountRule",
    "CoMedicationRule",
    "CodeStatus",
    "Combination",
    "Confidence",
    "Conflict",
    "ContextCue",
    "ContextFlag",
    "DialysisRule",
    "DoseUnit",
    "DrugRules",
    "DuplicateRule",
    "EgfrRule",
    "ElderlyRule",
    "IngestionRule",
    "Ingredient",
    "InteractionRule",
    "KnowledgeBase",
    "LimitRule",
    "MissedDoseRule",
    "Product",
    "ProductForm",
    "Provenance",
    "PumpRules",
    "RenalAction",
    "RenalBand",
    "RenalRules",
    "RestrictAction",
    "Route",
    "Scored",
    "SevereAtLeast",
    "Severity",
    "SeverityFloorRule",
    "SourceRef",
    "SymptomDefinition",
    "TaperRule",
    "TemperatureRule",
    "TitrationRule",
    "TriageContextRule",
    "TriageLevel",
    "TriageReason",
    "TriageRule",
    "TrialRule",
]


# The closed sets of words a rule may hold. knowledge/schema.py validates the data files against these same
# aliases, so a value the load accepts is one the engine knows (tests/knowledge/test_schema_and_rules_agree).
Route = Literal["oral", "intrathecal"]
DoseUnit = Literal["mg", "mcg"]
ProductForm = Literal["tablet", "oral_solution", "oral_suspension", "granules", "capsule"]
RenalAction = Literal["none", "reduce", "avoid"]  # a kidney band: no change, a multiplier, or avoid
RestrictAction = Literal["reduce", "avoid"]  # an eGFR rule or dialysis
CodeStatus = Literal["verified", "unverified", "not_found"]  # an RxCUI or ATC code (clinical-reference 5.2)
TriageLevel = Literal["expected", "soon", "urgent", "emergency"]
SevereAtLeast = Literal["soon", "urgent", "emergency"]
TriageReason = Literal[
    "withdrawal",
    "overdose",
    "encephalopathy",
    "breathing_depression",
    "low_blood_pressure",
    "side_effect",
    "low_oxygen",
    "chest_pain",
    "allergic_reaction",
    "self_harm",
    "neurological",
]
ContextFlag = Literal[
    "missed_doses",
    "dose_stopped",
    "recent_increase",
    "kidney_impaired",
    "older_low_egfr",
    "sedative_comedication",
    "unscreened_comedication",
    "pump",
]


class Severity(Enum):
    """The one severity scale shared by every finding, interaction or not."""

    INFO = "info"
    MINOR = "minor"
    MODERATE = "moderate"
    MAJOR = "major"
    CONTRAINDICATED = "contraindicated"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = [Severity.INFO, Severity.MINOR, Severity.MODERATE, Severity.MAJOR, Severity.CONTRAINDICATED]


@dataclass(frozen=True)
class Conflict:
    """A source that says something else, and how the knowledge base resolved it (the safer default)."""

    source: SourceRef
    statement: str
    confidence: Confidence
    resolution: str


class Scored(Enum):
    YES = "yes"
    NO = "no"
    VARIES = "varies"  # labeler-specific: halves only once a pharmacist confirms the product in hand


@dataclass(frozen=True)
class Product:
    id: str
    form: ProductForm
    label: str
    provenance: Provenance
    strength: Quantity | None = None
    concentration: Concentration | None = None
    scored: Scored = Scored.NO
    measure_increment: Quantity | None = None
    rxcui: str | None = None
    note: str = ""
    default: bool = False
    pack: Quantity | None = None

    @property
    def is_liquid(self) -> bool:
        return self.concentration is not None

    @property
    def unit_word(self) -> str:
        return {"tablet": "tablet", "granules": "packet"}.get(self.form, "unit")


@dataclass(frozen=True)
class TitrationRule:
    times_per_day: int
    increment_per_dose: Quantity
    min_interval_days: int
    steps: tuple[tuple[Quantity, int], ...]
    description: str
    provenance: Provenance

    def allowed_daily_rise(self, times_per_day: int) -> Quantity:
        """The largest rise in the daily dose one step may make: the label's increment a dose, at the new
        step's doses a day or the label's, whichever is more. The planner and the checker both use this."""
        return self.increment_per_dose * max(times_per_day, self.times_per_day)


@dataclass(frozen=True)
class LimitRule:
    max_daily: Quantity
    max_times_per_day: int
    max_single_dose: Quantity
    min_age_years: int
    note: str
    provenance: Provenance
    usual_daily_low: Quantity | None = None
    usual_daily_high: Quantity | None = None
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True)
class RenalBand:
    id: str
    crcl_from: Fraction
    crcl_to: Fraction
    multiplier: Fraction
    action: RenalAction
    clinician_text: str
    provenance: Provenance
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True)
class EgfrRule:
    id: str
    egfr_from: Fraction
    egfr_to: Fraction
    action: RestrictAction
    clinician_text: str
    provenance: Provenance


@dataclass(frozen=True)
class DialysisRule:
    action: RestrictAction
    clinician_text: str
    provenance: Provenance
    override_max_daily: Quantity | None = None
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True)
class RenalRules:
    bands: tuple[RenalBand, ...]
    general_statement: str
    provenance: Provenance
    dialysis: DialysisRule | None = None
    egfr_rules: tuple[EgfrRule, ...] = ()
    encephalopathy_start_threshold: Quantity | None = None
    encephalopathy_egfr_below: Fraction | None = None
    encephalopathy_text: str = ""
    encephalopathy_provenance: Provenance | None = None


@dataclass(frozen=True)
class ElderlyRule:
    age_from_years: int
    clinician_text: str
    patient_text: str
    provenance: Provenance
    beers_egfr_below: Fraction | None = None
    beers_text: str = ""
    beers_provenance: Provenance | None = None


@dataclass(frozen=True)
class TaperRule:
    min_days: int
    step_days: int
    step_daily: Quantity
    final_max_daily: Quantity
    max_single_reduction: Fraction
    clinician_text: str
    provenance: Provenance
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True)
class CoMedicationRule:
    """A label's changed titration when the list holds a member of ``when_class`` (tizanidine with a CYP1A2
    inhibitor: start low, rise in small daily steps)."""

    id: str
    when_class: str
    start_daily: Quantity
    start_times_per_day: int
    preferred_daily_rise: Quantity
    max_daily_rise: Quantity
    min_interval_days: int
    clinician_text: str
    provenance: Provenance
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True)
class MissedDoseRule:
    take_if_elapsed_fraction_below: Fraction
    soon_after_consecutive_missed: int
    urgent_after_missed_hours: int
    clinician_text: str
    provenance: Provenance
    is_label_text: bool
    recent_window_hours: int


@dataclass(frozen=True)
class TrialRule:
    """Judging a treatment trial: decide within these weeks at the top dose; the no-benefit default."""

    decide_from_weeks: int
    decide_to_weeks: int
    no_benefit_text: str
    provenance: Provenance
    review_near_days: int  # a dosewise default: when the record starts reminding both sides
    reminder_provenance: Provenance


@dataclass(frozen=True)
class PumpRules:
    reservoir_sizes_ml: tuple[Quantity, ...]
    low_reservoir_alarm: Quantity
    safer_alarm: Quantity
    refill_buffer_days: int
    max_daily: Quantity
    maintenance_ranges: tuple[tuple[str, Quantity, Quantity], ...]
    concentrations: tuple[Concentration, ...]
    note: str
    provenance: Provenance
    limits_provenance: Provenance
    max_service_years: int  # clinical-reference 8.3, from the intrathecal file
    # clinical-reference 8.2: the smallest screening bolus (none when the file lists no bolus).
    smallest_screening_dose: Quantity | None = None
    screening_provenance: Provenance | None = None


@dataclass(frozen=True)
class DrugRules:
    """Everything the planners and checker need for one drug and route."""

    id: str
    name: str
    route: Route
    dose_unit: DoseUnit
    products: tuple[Product, ...]
    provenance: Provenance
    # Required, as in the schema: every drug the planners plan has a titration, limits, a taper and the
    # withdrawal it must not provoke, so no planner or check needs to ask whether they are there.
    titration: TitrationRule
    limits: LimitRule
    taper: TaperRule
    withdrawal_signs: tuple[str, ...]
    withdrawal_text: str
    renal: RenalRules | None = None
    elderly: ElderlyRule | None = None
    missed_dose: MissedDoseRule | None = None
    co_medication: tuple[CoMedicationRule, ...] = ()
    therapeutic_band_ng_ml: tuple[Fraction, Fraction] | None = None
    trial: TrialRule | None = None

    def product(self, product_id: str) -> Product:
        for product in self.products:
            if product.id == product_id:
                return product
        raise KeyError(product_id)


@dataclass(frozen=True)
class Ingredient:
    id: str
    name: str
    classes: tuple[str, ...]
    rxcui_status: CodeStatus
    atc_status: CodeStatus
    brands: tuple[str, ...]
    misspellings: tuple[str, ...]
    provenance: Provenance
    rxcui: str | None = None
    atc: str | None = None
    substance: bool = False


@dataclass(frozen=True)
class InteractionRule:
    id: str
    a: str
    b: str
    severity: Severity
    effect: str
    action: str
    patient_text: str
    severity_basis: str
    provenance: Provenance
    # A broad class rule (e.g. any CNS depressant) that stands aside when a more specific rule names the pair.
    fallback: bool = False


@dataclass(frozen=True)
class Combination:
    """A product with more than one ingredient (Percocet = oxycodone + acetaminophen); each is screened."""

    id: str
    name: str
    ingredients: tuple[str, ...]
    brands: tuple[str, ...]
    provenance: Provenance
    misspellings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClassCountRule:
    """A warning when a list holds ``min_count`` or more different ingredients of one class."""

    id: str
    cls: str
    min_count: int
    severity: Severity
    effect: str
    action: str
    patient_text: str
    severity_basis: str
    provenance: Provenance


@dataclass(frozen=True)
class DuplicateRule:
    """The same ingredient reached twice (a brand and its generic, a combination, the planned drug)."""

    severity: Severity
    effect: str
    action: str
    patient_text: str
    severity_basis: str
    provenance: Provenance


@dataclass(frozen=True)
class SymptomDefinition:
    id: str
    label: str
    words: tuple[str, ...]
    patterns: tuple[tuple[str, ...], ...] = ()
    red_flag: bool = False
    denial_rules_out: bool = False  # a clear denial ("no chest pain") rules this red flag out
    specific: bool = False  # patterns read before phrases ("worst headache" before "headache")


@dataclass(frozen=True)
class ContextCue:
    """Words that state a context flag ("ran out of my tablets" means the dose stopped)."""

    flag: ContextFlag
    why: str
    patterns: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class IngestionRule:
    """The large-ingestion red flag of one drug and the largest unit strength assumed when unknown."""

    drug: str
    threshold: Quantity | None
    largest_unit: Quantity
    note: str
    provenance: Provenance


@dataclass(frozen=True)
class TemperatureRule:
    """Temperatures read from the words: fever at or above, low temperature below (degrees Celsius)."""

    fever_at_or_above_c: Fraction
    low_below_c: Fraction
    note: str
    provenance: Provenance


@dataclass(frozen=True)
class TriageRule:
    id: str
    level: TriageLevel
    reason: TriageReason
    any_symptoms: tuple[str, ...]
    patient_text: str
    clinician_text: str
    provenance: Provenance
    min_matched: int = 1
    context_any: tuple[ContextFlag, ...] = ()
    context_all: tuple[ContextFlag, ...] = ()
    all_groups: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class TriageContextRule:
    """How far back triage context flags look, and the kidney threshold for ``kidney_impaired``."""

    change_window_hours: int
    kidney_impaired_below_ml_min: Fraction
    note: str
    provenance: Provenance


@dataclass(frozen=True)
class SeverityFloorRule:
    """The lowest triage level for a symptom the person reports as severe."""

    severe_at_least: SevereAtLeast
    patient_text: str
    clinician_text: str
    provenance: Provenance
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnowledgeBase:
    version: str
    status: str
    notice: str
    drugs: dict[str, DrugRules]
    ingredients: tuple[Ingredient, ...]
    interactions: tuple[InteractionRule, ...]
    symptoms: tuple[SymptomDefinition, ...]
    triage_rules: tuple[TriageRule, ...]
    sources: dict[str, SourceRef]
    pump: PumpRules | None = None
    alternatives: tuple[dict[str, str], ...] = ()
    # pk.toml's sections by drug id, checked at load and kept as plain data; knowledge.pk builds a drug's
    # parameter sets when a simulation asks (so loading the knowledge base never imports numpy).
    pk: dict[str, dict[str, object]] = field(default_factory=dict)
    triage_context: TriageContextRule | None = None
    severity_floor: SeverityFloorRule | None = None
    context_cues: tuple[ContextCue, ...] = ()
    ingestion: dict[str, IngestionRule] = field(default_factory=dict)
    temperature: TemperatureRule | None = None
    # The triage lexicon compiled at build time (a domain.triage_text.Lexicon), so that it is cached with
    # the validated knowledge base instead of being compiled again by every CLI command.
    triage_lexicon: object | None = None
    combinations: tuple[Combination, ...] = ()
    class_counts: tuple[ClassCountRule, ...] = ()
    duplicate_rule: DuplicateRule | None = None
    # Plain-language guides by guide id, and the side-by-side comparison of the treatments (domain.guides).
    guides: dict[str, Guide] = field(default_factory=dict)
    comparison: tuple[ComparisonRow, ...] = ()

    def drug(self, drug_id: str) -> DrugRules:
        key = drug_id.strip().lower()
        if key in self.drugs:
            return self.drugs[key]
        planned = ", ".join(sorted(self.drugs))
        raise UnknownDrug(f"no dosing rules for '{drug_id}'", hint=f"rules exist for: {planned}")
