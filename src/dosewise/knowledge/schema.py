"""The shape of every knowledge-base file, validated at load (pydantic, ``extra="forbid"``).

Numbers are strings with their unit ("80 mg", "10 mg/5 mL", "30 mL/min"); a bare number where a unit
belongs fails validation. Every rule names its sources and confidence grade.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Unit, parse_amount, parse_concentration, parse_quantity
from dosewise.domain.rules import (
    CodeStatus,
    Confidence,
    ContextFlag,
    DoseUnit,
    ProductForm,
    RenalAction,
    RestrictAction,
    Route,
    SevereAtLeast,
    TriageLevel,
    TriageReason,
)

__all__ = [
    "Confidence",
    "DictionaryFile",
    "DrugFile",
    "InteractionsFile",
    "IntrathecalFile",
    "ReleaseFile",
    "SourcesFile",
    "TriageFile",
    "is_reference_only",
    "reference_only",
]


def _unit_checker(*units: Unit) -> AfterValidator:
    def check(text: str) -> str:
        try:
            parse_quantity(text, allowed=units)
        except InvalidInput as exc:
            raise ValueError(exc.message) from exc
        return text

    return AfterValidator(check)


def _check_concentration(text: str) -> str:
    try:
        parse_concentration(text)
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc
    return text


def _check_fraction(text: str) -> str:
    try:
        parse_amount(text)
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc
    return text


Mass = Annotated[str, _unit_checker(Unit.MG, Unit.MCG)]
Mg = Annotated[str, _unit_checker(Unit.MG)]
Mcg = Annotated[str, _unit_checker(Unit.MCG)]
Volume = Annotated[str, _unit_checker(Unit.ML)]
ClearanceText = Annotated[str, _unit_checker(Unit.ML_PER_MIN)]
EgfrText = Annotated[str, _unit_checker(Unit.ML_PER_MIN_173)]
Percent = Annotated[str, _unit_checker(Unit.PERCENT)]
NgPerMl = Annotated[str, _unit_checker(Unit.NG_PER_ML)]
Units = Annotated[str, _unit_checker(Unit.UNITS, Unit.MG)]
ConcentrationText = Annotated[str, AfterValidator(_check_concentration)]
FractionText = Annotated[str, AfterValidator(_check_fraction)]
SourceIds = Annotated[list[str], Field(min_length=1)]


_REFERENCE_ONLY = "reference_only"


def reference_only(why: str, **field: Any) -> Any:
    """A field (or whole section) validated at load, units and sources included, that no rule reads: kept
    for the clinician reading the file and for features to come. Changing it changes nothing dosewise
    does; tests/knowledge/test_reference_only.py proves that for every field so marked. ``why`` says why
    it is kept."""
    return Field(json_schema_extra={_REFERENCE_ONLY: why}, **field)


def is_reference_only(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    return isinstance(extra, dict) and _REFERENCE_ONLY in extra


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(Strict):
    sources: SourceIds
    confidence: Confidence


class ConflictEntry(Strict):
    source: str
    statement: str
    confidence: Confidence
    resolution: str


TomlFileName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*\.toml$")]
VersionText = Annotated[str, Field(pattern=r"^\d{4}\.\d{2}\.\d+$")]


class ReleaseContents(Strict):
    """The files of a release beyond the four every release has (sources, dictionary, interactions,
    triage): the drug list is data, so a new drug is a new file named here, never a code change."""

    drugs: list[TomlFileName] = Field(min_length=1)
    intrathecal: TomlFileName | None = None
    alternatives: TomlFileName | None = None
    pk: TomlFileName | None = None


class ReleaseFile(Strict):
    version: VersionText
    released: str = reference_only("the release date, for people; the version string is what outputs name")
    status: str
    notice: str
    contents: ReleaseContents


class SourceEntry(Strict):
    citation: str = Field(min_length=5)
    url: str
    section: str = reference_only("where in shared/clinical-reference.md the source was read")


class SourcesFile(Strict):
    sources: dict[str, SourceEntry]


class DrugHeader(Sourced):
    id: str
    name: str
    route: Route
    dose_unit: DoseUnit
    indication: str = reference_only("what the drug is for; dosewise plans what a clinician prescribed")
    ingredient: str | None = None


class ProductEntry(Sourced):
    id: str
    form: ProductForm
    label: str
    strength: Mass | None = None
    concentration: ConcentrationText | None = None
    scored: Literal["yes", "no", "varies"] = "no"
    measure_increment: Volume | None = None
    pack: Volume | None = None
    rxcui: str | None = Field(default=None, pattern=r"^\d+$")
    note: str = ""
    default: bool = False


class TitrationStep(Strict):
    dose: Mass
    days: int = Field(gt=0)


class TitrationSection(Sourced):
    description: str
    times_per_day: int = Field(ge=1, le=6)
    increment_per_dose: Mass
    min_interval_days: int = Field(ge=1)
    steps: list[TitrationStep] = Field(min_length=1)


class LimitsSection(Sourced):
    max_daily: Mass
    max_times_per_day: int = Field(ge=1, le=6)
    max_single_dose: Mass
    min_age_years: int = Field(ge=0)
    note: str
    usual_daily_low: Mass | None = None
    usual_daily_high: Mass | None = None
    conflicts: list[ConflictEntry] = []


class RenalBandEntry(Sourced):
    id: str
    crcl_from: ClearanceText
    crcl_to: ClearanceText
    multiplier: FractionText
    action: RenalAction
    clinician_text: str
    conflicts: list[ConflictEntry] = []


class EgfrRuleEntry(Sourced):
    id: str
    egfr_from: EgfrText
    egfr_to: EgfrText
    action: RestrictAction
    clinician_text: str


class DialysisEntry(Sourced):
    action: RestrictAction
    override_max_daily: Mass | None = None
    clinician_text: str
    conflicts: list[ConflictEntry] = []


class EncephalopathyEntry(Sourced):
    clinician_text: str
    start_daily_threshold: Mass
    egfr_below: EgfrText


class RenalSection(Sourced):
    measure: Literal["crcl"]
    boundary_rule: str = reference_only(
        "the edge rule in words; the checker applies it (a shared edge is the worse band)"
    )
    general_statement: str
    bands: list[RenalBandEntry] = Field(min_length=1)
    dialysis: DialysisEntry | None = None
    egfr_rules: list[EgfrRuleEntry] = []
    encephalopathy_risk: EncephalopathyEntry | None = None


class BeersEntry(Sourced):
    egfr_below: EgfrText
    action: Literal["avoid"]
    clinician_text: str


class ElderlySection(Sourced):
    age_from_years: int
    clinician_text: str
    patient_text: str
    beers: BeersEntry | None = None


class TaperSection(Sourced):
    min_days: int = Field(ge=1)
    step_days: int = Field(ge=1)
    step_daily: Mass
    final_max_daily: Mass
    max_single_reduction: FractionText
    clinician_text: str
    conflicts: list[ConflictEntry] = []


class CoMedicationEntry(Sourced):
    """How a drug's plan changes when the medication list holds a member of a class (label text)."""

    id: str
    when_class: str
    start_daily: Mass
    start_times_per_day: int = Field(ge=1, le=6)
    preferred_daily_rise: Mass
    max_daily_rise: Mass
    min_interval_days: int = Field(ge=1)
    clinician_text: str
    conflicts: list[ConflictEntry] = []


class WithdrawalSection(Sourced):
    signs: list[str] = Field(min_length=1)
    clinician_text: str


class IntrathecalWithdrawal(WithdrawalSection):
    """The signs reach the intrathecal guide; the clinician text is the label's, for people."""

    clinician_text: str = reference_only("the label's withdrawal text; the guide states the signs")


class SideEffect(Sourced):
    name: str
    frequency: str = Field(pattern=r"^\d+(\.\d+)?-\d+(\.\d+)?%$")
    note: str = reference_only("context for the frequency; guides state the frequency itself", default="")


class RedFlag(Sourced):
    id: str
    text: str = reference_only("the label's wording; triage words its own advice from triage.toml")
    threshold: Mass | None = None


class MissedDoseSection(Sourced):
    is_label_text: bool
    take_if_elapsed_fraction_below: FractionText
    never_double: Literal[True]
    soon_after_consecutive_missed: int = Field(ge=1)
    urgent_after_missed_hours: int = Field(ge=1)
    recent_window_hours: int = Field(ge=1)
    clinician_text: str


class ConcentrationBand(Sourced):
    therapeutic_low: NgPerMl
    therapeutic_high: NgPerMl
    toxic_low: NgPerMl = reference_only("reported toxic levels; simulations show the therapeutic band only")
    toxic_high: NgPerMl = reference_only("reported toxic levels; simulations show the therapeutic band only")


class MonitoringSection(Sourced):
    clinician_text: str


class GuideParagraphEntry(Sourced):
    """One paragraph of patient text: a template whose {names} the knowledge base fills from its rules."""

    text: str = Field(min_length=1)
    # True only for figures quoted from a source that are not rule values (doses tried off-label).
    quoted_figures: bool = False


class GuideSectionEntry(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9\-]*$")
    title: str
    off_label: bool = False
    paragraphs: list[GuideParagraphEntry] = Field(min_length=1)


class GuideQuestionEntry(Strict):
    """A question for the printable list; ``answer`` names what the record fills in (the trial's goal,
    review date or no-benefit plan, or today's step), or nothing (a line to write on)."""

    text: str = Field(min_length=1)
    answer: Literal["goal", "review", "no_benefit", "plan"] | None = None


class GuideEntry(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9\-]*$")
    title: str
    summary: str
    sections: list[GuideSectionEntry] = Field(min_length=1)
    questions: list[GuideQuestionEntry] = []


class TrialReminderEntry(Sourced):
    near_days: int = Field(ge=1, le=60)


class TrialSection(Sourced):
    """What the sources say about judging a trial: the decision window at the top dose, and what to do
    when there is no benefit (the default text of a recorded trial)."""

    decide_from_weeks: int = Field(ge=1)
    decide_to_weeks: int = Field(ge=1)
    no_benefit_text: str = Field(min_length=1)
    reminder: TrialReminderEntry


class ComparisonEntry(Sourced):
    """One cell of the side-by-side table: plain words for patients, the precise text for clinicians."""

    patient: str = Field(min_length=1)
    clinician: str = Field(min_length=1)
    quoted_figures: bool = False  # as for a guide paragraph: figures quoted from a source, not rule values


class ComparisonSection(Strict):
    """A missing cell is shown as "not recorded", never guessed."""

    works: ComparisonEntry | None = None
    taken: ComparisonEntry | None = None
    speed: ComparisonEntry | None = None
    common_effects: ComparisonEntry | None = None
    cautions: ComparisonEntry | None = None
    interactions: ComparisonEntry | None = None
    stopping: ComparisonEntry | None = None


class DrugFile(Strict):
    drug: DrugHeader
    products: list[ProductEntry] = Field(min_length=1)
    titration: TitrationSection
    limits: LimitsSection
    renal: RenalSection | None = None
    elderly: ElderlySection | None = None
    taper: TaperSection
    co_medication: list[CoMedicationEntry] = []
    withdrawal: WithdrawalSection
    side_effects: list[SideEffect] = []
    red_flags: list[RedFlag] = []
    missed_dose: MissedDoseSection | None = None
    concentrations: ConcentrationBand | None = None
    monitoring: MonitoringSection | None = reference_only(
        "lab monitoring the label asks for; no monitoring reminders yet", default=None
    )
    guide: GuideEntry | None = None
    comparison: ComparisonSection | None = None
    trial: TrialSection | None = None


class ItConcentration(Sourced):
    value: ConcentrationText
    use: Literal["screening", "maintenance"] = reference_only("which phase a strength serves, for people")
    products: list[str] = reference_only("the marketed products of this strength")


class ScreeningBolus(Sourced):
    order: int = reference_only("the label's sequence; the pump rules use the smallest dose")
    dose: Mcg
    volume: Volume = reference_only("the bolus volume; no screening planner yet")
    note: str = reference_only("the label's instructions for the bolus")


class InitialDose(Sourced):
    multiple_of_screening_dose: FractionText
    note: str


class ItTitration(Sourced):
    origin: Literal["spinal", "cerebral"]
    increase_from: Percent = reference_only("the post-implant titration; pump programming is the clinician's")
    increase_to: Percent = reference_only("the post-implant titration; pump programming is the clinician's")
    every_hours: int = reference_only("the post-implant titration; pump programming is the clinician's")
    maintenance_low: Mcg
    maintenance_high: Mcg
    refill_increase_to: Percent = reference_only("dose changes at refill; the clinician programmes them")
    refill_decrease_to: Percent = reference_only("dose changes at refill; the clinician programmes them")


class ItLimits(Sourced):
    max_daily: Mcg
    note: str = reference_only("context for the maximum, for people")


class PumpSection(Sourced):
    model: str = reference_only("the pump the alarm volumes belong to")
    reservoir_sizes: list[Volume]
    low_reservoir_alarm: Volume
    safer_alarm: Volume
    refill_buffer_days: int = Field(ge=0)
    eri_to_stop_days: int
    max_service_years: int
    note: str


class IntrathecalFile(Strict):
    drug: DrugHeader
    concentrations: list[ItConcentration]
    screening_boluses: list[ScreeningBolus]
    initial_dose: InitialDose = reference_only("the first infusion after screening; no implant planner yet")
    titration: list[ItTitration]
    limits: ItLimits
    pump: PumpSection
    withdrawal: IntrathecalWithdrawal
    guide: GuideEntry | None = None
    comparison: ComparisonSection | None = None


class AlternativeAgent(Sourced):
    id: str
    name: str
    kind: Literal["daily_oral", "episodic_procedure"]
    titration: str
    max_daily: Mass | None = None
    max_dose_per_session: Units | None = None
    warnings: str
    guide: GuideEntry | None = None
    comparison: ComparisonSection | None = None


class AlternativesFile(Strict):
    agents: list[AlternativeAgent]


class IngredientEntry(Sourced):
    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    name: str
    classes: list[str] = Field(min_length=1)
    rxcui: str | None = Field(default=None, pattern=r"^\d+$")
    rxcui_status: CodeStatus
    atc: str | None = Field(default=None, pattern=r"^[A-Z]\d{2}[A-Z]{2}\d{2}$")
    atc_status: CodeStatus
    brands: list[str]
    misspellings: list[str]
    substance: bool = False


class CombinationEntry(Sourced):
    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    name: str
    ingredients: list[str] = Field(min_length=2)
    brands: list[str]
    misspellings: list[str] = Field(default_factory=list)


class DictionaryFile(Strict):
    ingredients: list[IngredientEntry] = Field(min_length=1)
    combinations: list[CombinationEntry] = Field(default_factory=list)


SeverityText = Literal["info", "minor", "moderate", "major", "contraindicated"]


class InteractionEntry(Sourced):
    id: str
    a: str
    b: str
    severity: SeverityText
    effect: str
    action: str
    patient_text: str
    severity_basis: str
    fallback: bool = False


class ClassCountEntry(Sourced):
    id: str
    cls: str = Field(alias="class")
    min_ingredients: int = Field(ge=2, le=10)
    severity: SeverityText
    effect: str
    action: str
    patient_text: str
    severity_basis: str


class DuplicateEntry(Sourced):
    severity: SeverityText
    effect: str
    action: str
    patient_text: str
    severity_basis: str


class InteractionsFile(Strict):
    rules: list[InteractionEntry] = Field(min_length=1)
    class_counts: list[ClassCountEntry] = Field(default_factory=list)
    duplicate_ingredient: DuplicateEntry | None = None


class SymptomEntry(Strict):
    id: str
    label: str
    words: list[str] = Field(min_length=1)
    # Each pattern is a list of word groups ("a|b*" alternatives, "*" a prefix) that must all appear in
    # one clause, in any order, within a few words of each other.
    patterns: list[list[str]] = []
    # A red flag is never ruled out by a negation ("not breathing" is the emergency)...
    red_flag: bool = False
    # ...unless this is true and the sentence is a clear denial: "no", "never", "not" or "denies" right
    # before the symptom ("no chest pain"), no hedge between ("not sure if it's chest pain"), and the word
    # after the cue is not a vital function ("no breathing", "no response" stay emergencies).
    denial_rules_out: bool = False
    # Patterns more specific than the phrases they contain ("worst headache", "jerking all over") are
    # read before the phrases, so that the plain phrase ("headache", "jerking") cannot claim their words.
    specific: bool = False


class TriageRuleEntry(Sourced):
    id: str
    level: TriageLevel
    reason: TriageReason
    any_symptoms: list[str] = Field(min_length=1)
    min_matched: int = Field(default=1, ge=1)
    all_groups: list[list[str]] = []
    context_any: list[ContextFlag] = []
    context_all: list[ContextFlag] = []
    patient_text: str
    clinician_text: str


class TriageContextEntry(Sourced):
    change_window_hours: int = Field(ge=1)
    kidney_impaired_below: ClearanceText
    note: str


class ReportedSeverityEntry(Sourced):
    severe_at_least: SevereAtLeast
    patient_text: str
    clinician_text: str
    words: list[str] = []  # intensity words in the text count as "reported severe"


class ContextCueEntry(Strict):
    flag: ContextFlag
    why: str
    patterns: list[list[str]] = Field(min_length=1)


class IngestionEntry(Sourced):
    drug: str
    largest_unit: Mass
    note: str


class ReadingsEntry(Sourced):
    fever_at_or_above_celsius: FractionText
    low_below_celsius: FractionText
    note: str


class TriageFile(Strict):
    context: TriageContextEntry
    reported_severity: ReportedSeverityEntry
    symptoms: list[SymptomEntry] = Field(min_length=1)
    rules: list[TriageRuleEntry] = Field(min_length=1)
    context_cues: list[ContextCueEntry] = []
    ingestion: list[IngestionEntry] = []
    readings: ReadingsEntry | None = None
