"""The shape of ``pk.toml`` and its load-time check: published parameter sets, keyed by drug id.

Every number is a string with its unit. The derived numbers (renal fraction, reference CrCl) are worked
out here from their sourced inputs and must agree with the ``expect_*`` values written in the file.
``check_pk_file`` runs when the knowledge base is built, so a broken file fails the load, naming the file
and the field. It needs no numpy: ``knowledge.pk`` turns a checked section into the ``domain.pk``
parameter sets only when a simulation asks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from dosewise.domain.errors import KnowledgeError
from dosewise.domain.quantity import ML_PER_MIN_TO_L_PER_H
from dosewise.domain.rules import SourceRef
from dosewise.knowledge.schema import Confidence, ConflictEntry, Sourced, SourceIds, Strict

__all__ = [
    "DrugPk",
    "PkFile",
    "RenalDerivation",
    "SetEntry",
    "check_drug",
    "check_pk_file",
    "derive_renal",
    "fraction",
    "litres_per_hour",
    "ml_per_min",
    "parse_pk_quantity",
    "validate_pk",
]

_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(1/h|L/h|L|mL/min|%|mg)\s*$")
_TOLERANCE = 1e-3


def parse_pk_quantity(text: str) -> tuple[float, str]:
    """Read "1.64 1/h", "11.6 L/h", "72.8 L", "180 mL/min", "69 %" or "30 mg"; refuse a bare number."""
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a number with a unit (1/h, L/h, L, mL/min, %, mg)")
    return float(match.group(1)), match.group(2)


def _unit(*units: str, positive: bool = False) -> AfterValidator:
    def check(text: str) -> str:
        value, unit = parse_pk_quantity(text)
        if unit not in units:
            raise ValueError(f"'{text}' must be in {' or '.join(units)}")
        if positive and not value > 0:
            raise ValueError(f"'{text}' must be positive")
        return text

    return AfterValidator(check)


Rate = Annotated[str, _unit("1/h", positive=True)]
Clearance = Annotated[str, _unit("L/h", "mL/min", positive=True)]
Volume = Annotated[str, _unit("L", positive=True)]
Percent = Annotated[str, _unit("%")]
Mg = Annotated[str, _unit("mg")]


def litres_per_hour(text: str) -> float:
    value, unit = parse_pk_quantity(text)
    return value * ML_PER_MIN_TO_L_PER_H if unit == "mL/min" else value


def ml_per_min(text: str) -> float:
    value, unit = parse_pk_quantity(text)
    return value if unit == "mL/min" else value / ML_PER_MIN_TO_L_PER_H


def fraction(text: str) -> float:
    return parse_pk_quantity(text)[0] / 100.0


class RateEntry(Sourced):
    value: Rate
    note: str = ""


class ClearanceEntry(Sourced):
    value: Clearance
    note: str = ""


class VolumeEntry(Sourced):
    value: Volume
    note: str = ""


class VariabilityEntry(Sourced):
    ka: Percent
    cl_f: Percent
    v_f: Percent
    reading: Literal["cv", "omega"]
    note: str


class RenalEntry(Sourced):
    method: Literal["fe_and_bioavailability", "renal_clearance"]
    fe_oral: Percent | None = None
    fe_note: str = ""
    fe_sources: list[str] = []
    fe_confidence: Confidence | None = None
    renal_clearance: Clearance | None = None
    renal_clearance_sources: list[str] = []
    renal_clearance_confidence: Confidence | None = None
    bioavailability: Percent
    bioavailability_sources: SourceIds
    bioavailability_confidence: Confidence
    crcl_equals_renal_clearance_sources: SourceIds
    expect_renal_fraction: Percent
    expect_reference_crcl: Clearance
    conflicts: list[ConflictEntry] = []


class SetEntry(Sourced):
    label: str
    structure: Literal["one_compartment", "two_compartment"]
    studied_daily_low: Mg
    studied_daily_high: Mg
    studied_note: str
    absorption_note: str = ""
    ka: RateEntry
    cl_f: ClearanceEntry
    v_f: VolumeEntry
    alpha: RateEntry | None = None
    beta: RateEntry | None = None
    variability: VariabilityEntry | None = None
    renal: RenalEntry

    @model_validator(mode="after")
    def _two_compartments_need_both_rates(self) -> SetEntry:
        if self.structure == "two_compartment" and (self.alpha is None or self.beta is None):
            raise ValueError("a two_compartment set needs alpha and beta")
        return self


class DialysisEntry(Sourced):
    action: Literal["refuse"]
    reason: str


class DrugPk(Strict):
    """One drug's models: which set is the default, the dialysis refusal, and the published sets."""

    route: Literal["oral"]
    default_set: str
    dialysis: DialysisEntry
    sets: dict[str, SetEntry] = Field(min_length=1)


class PkFile(Strict):
    drugs: dict[str, DrugPk] = Field(min_length=1)


@dataclass(frozen=True)
class RenalDerivation:
    """A set's renal split worked out from its sourced inputs, with the arithmetic in words."""

    fe_oral: float
    renal_fraction: float
    reference_crcl_ml_min: float
    text: str


def _cite(sources: Mapping[str, SourceRef], ids: list[str], where: str) -> None:
    missing = [source for source in ids if source not in sources]
    if missing or not ids:
        raise KnowledgeError(f"{where}: unknown or missing source ids {missing}")


def derive_renal(where: str, entry: RenalEntry, cl_f_l_per_h: float) -> RenalDerivation:
    """fe and F (or a measured renal clearance) into the renal share and the reference CrCl, refused
    when impossible or when they disagree with the ``expect_*`` values written in the file."""
    bioavailability = fraction(entry.bioavailability)
    if entry.method == "fe_and_bioavailability":
        if entry.fe_oral is None or entry.fe_confidence is None:
            raise KnowledgeError(f"{where}: fe_oral with sources and confidence is required")
        fe_oral = fraction(entry.fe_oral)
        renal_clearance = fe_oral * cl_f_l_per_h / ML_PER_MIN_TO_L_PER_H
        text = (
            f"renal share of systemic clearance = fe {fe_oral:.2f} / F {bioavailability:.2f}; reference CrCl "
            f"= renal clearance = fe x CL/F = {renal_clearance:.1f} mL/min (renal clearance ~ CrCl)"
        )
    else:
        if entry.renal_clearance is None or entry.renal_clearance_confidence is None:
            raise KnowledgeError(f"{where}: renal_clearance with sources and confidence is required")
        renal_clearance = ml_per_min(entry.renal_clearance)
        fe_oral = renal_clearance * ML_PER_MIN_TO_L_PER_H / cl_f_l_per_h
        text = (
            f"fe = renal clearance / CL/F = {fe_oral:.3f}; renal share = fe / F {bioavailability:.2f}; "
            f"reference CrCl = renal clearance {renal_clearance:.1f} mL/min (renal clearance ~ CrCl)"
        )
    renal_fraction = fe_oral / bioavailability
    if not 0.0 < renal_fraction <= 1.0:
        raise KnowledgeError(f"{where}: renal share {renal_fraction:.3f} is impossible")
    expected_fraction = fraction(entry.expect_renal_fraction)
    expected_crcl = ml_per_min(entry.expect_reference_crcl)
    if not math.isclose(renal_fraction, expected_fraction, rel_tol=_TOLERANCE) or not math.isclose(
        renal_clearance, expected_crcl, rel_tol=_TOLERANCE
    ):
        raise KnowledgeError(
            f"{where}: derived renal share {renal_fraction:.4f} and reference CrCl "
            f"{renal_clearance:.1f} mL/min disagree with the expected values written in the file"
        )
    return RenalDerivation(fe_oral, renal_fraction, renal_clearance, text)


def check_drug(drug: str, model: DrugPk, sources: Mapping[str, SourceRef]) -> dict[str, RenalDerivation]:
    """Every source id resolves and every renal split derives; the derivations by set id."""
    where = f"pk.toml {drug}"
    if model.default_set not in model.sets:
        raise KnowledgeError(f"{where}: default set '{model.default_set}' is not defined")
    _cite(sources, model.dialysis.sources, f"{where} dialysis")
    out = {}
    for set_id, entry in model.sets.items():
        _cite(sources, entry.sources, f"{where} {set_id}")
        for name in ("ka", "cl_f", "v_f", "alpha", "beta", "variability"):
            part = getattr(entry, name)
            if part is not None:
                _cite(sources, part.sources, f"{where} {set_id} {name}")
        renal = entry.renal
        here = f"{where} {set_id} renal"
        _cite(sources, renal.sources, here)
        _cite(sources, renal.bioavailability_sources, here)
        _cite(sources, renal.crcl_equals_renal_clearance_sources, here)
        for conflict in renal.conflicts:
            _cite(sources, [conflict.source], f"{here} conflict")
        if renal.method == "fe_and_bioavailability":
            _cite(sources, renal.fe_sources, here)
        else:
            _cite(sources, renal.renal_clearance_sources, here)
        out[set_id] = derive_renal(here, renal, litres_per_hour(entry.cl_f.value))
    return out


def validate_pk(raw: Mapping[str, Any], where: str) -> PkFile:
    try:
        return PkFile.model_validate(raw)
    except ValidationError as exc:
        raise KnowledgeError(f"{where}: {exc.error_count()} schema errors\n{exc}") from exc


def check_pk_file(
    raw: Mapping[str, Any], sources: Mapping[str, SourceRef], routes: Mapping[str, str], name: str = "pk.toml"
) -> dict[str, dict[str, Any]]:
    """Validate a whole pk.toml and check every set of every drug (``routes``: the release's drug ids and
    their routes); the checked raw sections by drug id, or ``KnowledgeError`` naming the file and field."""
    model = validate_pk(raw, name)
    for drug, section in model.drugs.items():
        if drug not in routes:
            raise KnowledgeError(f"{name}: drugs.{drug} is not a drug of this release ({', '.join(routes)})")
        if routes[drug] != section.route:
            raise KnowledgeError(
                f"{name}: drugs.{drug} is {section.route}, the drug file says {routes[drug]}"
            )
        check_drug(drug, section, sources)
    return {drug: dict(raw["drugs"][drug]) for drug in model.drugs}
