"""The patient as the engine sees them, and their kidney function (Cockcroft-Gault CrCl or eGFR)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Quantity, format_amount, format_limit

__all__ = [
    "CREATININE_UMOL_PER_MG_DL",
    "KidneyFunction",
    "Medication",
    "Patient",
    "SerumCreatinine",
    "kidney_function",
    "parse_creatinine_unit",
]

# 1 mg/dL creatinine = 88.4 micromol/L (molar mass 113.12 g/mol); source id creatinine_si_conversion.
CREATININE_UMOL_PER_MG_DL = Fraction("88.4")

# Input guards, not clinical thresholds (dosewise policy, docs/knowledge-base.md): values outside these
# ranges are almost always a wrong unit or a typing error, so they are refused rather than guessed at.
CREATININE_MG_DL_RANGE = (Fraction("0.1"), Fraction(20))
AGE_RANGE_YEARS = (0, 120)
WEIGHT_RANGE_KG = (Fraction(1), Fraction(400))
CLEARANCE_RANGE_ML_MIN = (Fraction(0), Fraction(250))


CreatinineUnit = Literal["mg/dL", "umol/L"]
_CREATININE_UNITS: dict[str, CreatinineUnit] = {"mg/dl": "mg/dL", "umol/l": "umol/L", "micromol/l": "umol/L"}


def parse_creatinine_unit(text: str) -> CreatinineUnit:
    """ "mg/dL", "umol/L", "µmol/L" or "micromol/L"; anything else (or nothing) is refused, never guessed."""
    key = text.strip().replace("µ", "u").replace("μ", "u").lower()
    if key not in _CREATININE_UNITS:
        raise InvalidInput(
            f"creatinine unit '{text}' is not mg/dL or umol/L"
            if text.strip()
            else "a creatinine result needs its unit",
            hint="1.2 mg/dL and 106 umol/L are the same value: the unit decides",
        )
    return _CREATININE_UNITS[key]


@dataclass(frozen=True)
class SerumCreatinine:
    value: Fraction
    unit: Literal["mg/dL", "umol/L"]

    def __post_init__(self) -> None:
        low, high = CREATININE_MG_DL_RANGE
        in_mg_dl = self.mg_dl
        if not low <= in_mg_dl <= high:
            other = "umol/L" if self.unit == "mg/dL" else "mg/dL"
            raise InvalidInput(
                f"serum creatinine {format_amount(self.value)} {self.unit} is outside the plausible range "
                f"({format_amount(low)}-{format_amount(high)} mg/dL, "
                f"{format_amount(low * CREATININE_UMOL_PER_MG_DL)}-"
                f"{format_amount(high * CREATININE_UMOL_PER_MG_DL)} umol/L)",
                hint=f"check the unit: was it measured in {other}?",
            )

    @property
    def mg_dl(self) -> Fraction:
        return self.value if self.unit == "mg/dL" else self.value / CREATININE_UMOL_PER_MG_DL


@dataclass(frozen=True)
class Medication:
    """A medicine on the patient's list, as written; ``dose`` is optional."""

    name: str
    dose: Quantity | None = None
    times_per_day: int | None = None


@dataclass(frozen=True)
class Patient:
    age_years: int | None = None
    sex: Literal["female", "male"] | None = None
    weight_kg: Fraction | None = None
    creatinine: SerumCreatinine | None = None
    crcl_ml_min: Fraction | None = None
    egfr: Fraction | None = None
    dialysis: bool = False
    timezone: str = "UTC"
    medications: tuple[Medication, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.age_years is not None and not AGE_RANGE_YEARS[0] <= self.age_years <= AGE_RANGE_YEARS[1]:
            raise InvalidInput(f"age {self.age_years} is not plausible")
        if self.weight_kg is not None and not WEIGHT_RANGE_KG[0] <= self.weight_kg <= WEIGHT_RANGE_KG[1]:
            raise InvalidInput(
                f"weight {format_amount(self.weight_kg)} kg is not plausible", hint="weight in kg"
            )
        for name, value in (("CrCl", self.crcl_ml_min), ("eGFR", self.egfr)):
            if value is not None and not CLEARANCE_RANGE_ML_MIN[0] <= value <= CLEARANCE_RANGE_ML_MIN[1]:
                raise InvalidInput(f"{name} {format_amount(value)} mL/min is not plausible")


@dataclass(frozen=True)
class KidneyFunction:
    """What is known of kidney function, with how it was obtained."""

    crcl_ml_min: Fraction | None
    crcl_method: str
    egfr: Fraction | None
    dialysis: bool
    # Every kidney value the patient file gave or implied, as (label, mL/min): a Cockcroft-Gault CrCl, a
    # measured CrCl, an eGFR. When they differ the lowest is used and ``notice`` says so.
    inputs: tuple[tuple[str, Fraction], ...] = ()

    @property
    def conflicting(self) -> bool:
        return len({value for _, value in self.inputs}) > 1

    @property
    def notice(self) -> str | None:
        """Plain statement that the inputs disagree and the lowest (the safer for dosing) is used."""
        if not self.conflicting:
            return None
        listed = ", ".join(f"{label} {format_limit(value)} mL/min" for label, value in self.inputs)
        used_label, used = min(self.inputs, key=lambda item: item[1])
        return (
            f"Kidney values disagree ({listed}): the lowest, {used_label} {format_limit(used)} mL/min, is "
            "used, because a lower value gives the lower, safer dose. Confirm which result is current."
        )

    @property
    def known(self) -> bool:
        return self.dialysis or self.crcl_ml_min is not None or self.egfr is not None

    @property
    def for_bands(self) -> Fraction | None:
        """The value used for CrCl bands: CrCl, else eGFR as a stated proxy; the lower if both exist."""
        values = [v for v in (self.crcl_ml_min, self.egfr) if v is not None]
        return min(values) if values else None

    @property
    def for_egfr_rules(self) -> Fraction | None:
        values = [v for v in (self.egfr, self.crcl_ml_min) if v is not None]
        return min(values) if values else None


def kidney_function(patient: Patient) -> KidneyFunction:
    """CrCl from Cockcroft-Gault and a given (measured) CrCl; when both exist the lower is used.

    An eGFR is kept beside it; :attr:`KidneyFunction.for_bands` already takes the lower of CrCl and eGFR.
    """
    inputs: list[tuple[str, Fraction]] = []
    function = _crcl(patient)
    if function.crcl_method.startswith("Cockcroft-Gault") and function.crcl_ml_min is not None:
        inputs.append(("Cockcroft-Gault CrCl", function.crcl_ml_min))
    if patient.crcl_ml_min is not None:
        inputs.append(("measured CrCl", patient.crcl_ml_min))
    if patient.egfr is not None:
        inputs.append(("eGFR", patient.egfr))
    crcl, method = function.crcl_ml_min, function.crcl_method
    if patient.crcl_ml_min is not None and crcl is not None and patient.crcl_ml_min < crcl:
        crcl, method = patient.crcl_ml_min, f"given, lower than {method}"
    elif patient.crcl_ml_min is not None and crcl is not None and patient.crcl_ml_min > crcl:
        method = f"{method}; lower than the given CrCl {format_limit(patient.crcl_ml_min)} mL/min"
    return KidneyFunction(crcl, method, patient.egfr, patient.dialysis, tuple(inputs))


def _crcl(patient: Patient) -> KidneyFunction:
    if patient.creatinine is not None:
        missing = [
            name
            for name, value in (
                ("age", patient.age_years),
                ("weight_kg", patient.weight_kg),
                ("sex", patient.sex),
            )
            if value is None
        ]
        if missing:
            raise InvalidInput(
                f"Cockcroft-Gault needs {', '.join(missing)} as well as serum creatinine",
                hint="or give crcl_ml_min directly",
            )
        assert patient.age_years is not None and patient.weight_kg is not None
        crcl = Fraction(140 - patient.age_years) * patient.weight_kg / (72 * patient.creatinine.mg_dl)
        if patient.sex == "female":
            crcl *= Fraction("0.85")
        crcl = max(crcl, Fraction(0))
        method = (
            f"Cockcroft-Gault: (140 - {patient.age_years}) x {format_amount(patient.weight_kg)} kg / "
            f"(72 x {format_limit(patient.creatinine.mg_dl)} mg/dL)"
            + (" x 0.85 (female)" if patient.sex == "female" else "")
            + f" = {format_limit(crcl)} mL/min"
        )
        return KidneyFunction(crcl, method, patient.egfr, patient.dialysis)
    if patient.crcl_ml_min is not None:
        return KidneyFunction(patient.crcl_ml_min, "given", patient.egfr, patient.dialysis)
    return KidneyFunction(None, "unknown", patient.egfr, patient.dialysis)
