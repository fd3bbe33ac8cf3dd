"""Schema and builder for ``pk.toml``: published parameter sets with units and sources, into the domain.

Every number is a string with its unit; this module is the one place a published unit becomes the model's
(mL/min -> L/h, % -> fraction). Derived numbers (renal fraction, reference CrCl) are computed here from
their sourced inputs and must agree with the ``expect_*`` values written in the file.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationError

from dosewise.domain.errors import KnowledgeError
from dosewise.domain.pk.parameters import (
    ML_PER_MIN_TO_L_PER_H,
    Parameter,
    ParameterSet,
    RenalSplit,
    Variability,
)
from dosewise.domain.rules import KnowledgeBase
from dosewise.knowledge.schema import Confidence, ConflictEntry, Sourced, SourceIds, Strict

__all__ = ["PkFile", "load_parameter_sets", "parse_pk_quantity"]

_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(1/h|L/h|L|mL/min|%|mg)\s*$")
_TOLERANCE = 1e-3


def parse_pk_quantity(text: str) -> tuple[float, str]:
    """Read "1.64 1/h", "11.6 L/h", "72.8 L", "180 mL/min", "69 %" or "30 mg"; refuse a bare number."""
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a number with a unit (1/h, L/h, L, mL/min, %, mg)")
    return float(match.group(1)), match.group(2)


def _unit(*units: str) -> AfterValidator:
    def check(text: str) -> str:
        _, unit = parse_pk_quantity(text)
        if unit not in units:
            raise ValueError(f"'{text}' must be in {' or '.join(units)}")
        return text

    return AfterValidator(check)


Rate = Annotated[str, _unit("1/h")]
Clearance = Annotated[str, _unit("L/h", "mL/min")]
Volume = Annotated[str, _unit("L")]
Percent = Annotated[str, _unit("%")]
Mg = Annotated[str, _unit("mg")]


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


class DialysisEntry(Sourced):
    action: Literal["refuse"]
    reason: str


class PkFile(Strict):
    drug: str
    route: Literal["oral"]
    default_set: str
    dialysis: DialysisEntry
    sets: dict[str, SetEntry] = Field(min_length=1)


class _Builder:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def cite(self, ids: list[str], where: str) -> str:
        missing = [source for source in ids if source not in self.kb.sources]
        if missing or not ids:
            raise KnowledgeError(f"pk.toml {where}: unknown or missing source ids {missing}")
        return "; ".join(self.kb.sources[source].citation for source in ids)

    def parameter(
        self, name: str, value: float, unit: str, ids: list[str], confidence: str, note: str
    ) -> Parameter:
        return Parameter(name, value, unit, tuple(ids), self.cite(ids, name), confidence, note)

    def rate(self, name: str, entry: RateEntry) -> Parameter:
        value, _ = parse_pk_quantity(entry.value)
        return self.parameter(name, value, "1/h", entry.sources, entry.confidence, entry.note)

    @staticmethod
    def litres_per_hour(text: str) -> float:
        value, unit = parse_pk_quantity(text)
        return value * ML_PER_MIN_TO_L_PER_H if unit == "mL/min" else value

    @staticmethod
    def ml_per_min(text: str) -> float:
        value, unit = parse_pk_quantity(text)
        return value if unit == "mL/min" else value / ML_PER_MIN_TO_L_PER_H

    @staticmethod
    def fraction(text: str) -> float:
        return parse_pk_quantity(text)[0] / 100.0

    def renal(self, set_id: str, entry: RenalEntry, cl_f_l_per_h: float) -> RenalSplit:
        where = f"{set_id} renal"
        bioavailability = self.fraction(entry.bioavailability)
        self.cite(entry.bioavailability_sources, where)
        self.cite(entry.crcl_equals_renal_clearance_sources, where)
        for conflict in entry.conflicts:
            self.cite([conflict.source], f"{where} conflict")
        if entry.method == "fe_and_bioavailability":
            if entry.fe_oral is None or entry.fe_confidence is None:
                raise KnowledgeError(f"pk.toml {where}: fe_oral with sources and confidence is required")
            self.cite(entry.fe_sources, where)
            fe_oral = self.fraction(entry.fe_oral)
            renal_clearance = fe_oral * cl_f_l_per_h / ML_PER_MIN_TO_L_PER_H
            derivation = (
                f"renal share of systemic clearance = fe {fe_oral:.2f} / F {bioavailability:.2f}; reference CrCl "
                f"= renal clearance = fe x CL/F = {renal_clearance:.1f} mL/min (renal clearance ~ CrCl)"
            )
        else:
            if entry.renal_clearance is None or entry.renal_clearance_confidence is None:
                raise KnowledgeError(
                    f"pk.toml {where}: renal_clearance with sources and confidence is required"
                )
            self.cite(entry.renal_clearance_sources, where)
            renal_clearance = self.ml_per_min(entry.renal_clearance)
            fe_oral = renal_clearance * ML_PER_MIN_TO_L_PER_H / cl_f_l_per_h
            derivation = (
                f"fe = renal clearance / CL/F = {fe_oral:.3f}; renal share = fe / F {bioavailability:.2f}; "
                f"reference CrCl = renal clearance {renal_clearance:.1f} mL/min (renal clearance ~ CrCl)"
            )
        renal_fraction = fe_oral / bioavailability
        if not 0.0 < renal_fraction <= 1.0:
            raise KnowledgeError(f"pk.toml {where}: renal share {renal_fraction:.3f} is impossible")
        expected_fraction = self.fraction(entry.expect_renal_fraction)
        expected_crcl = self.ml_per_min(entry.expect_reference_crcl)
        if not math.isclose(renal_fraction, expected_fraction, rel_tol=_TOLERANCE) or not math.isclose(
            renal_clearance, expected_crcl, rel_tol=_TOLERANCE
        ):
            raise KnowledgeError(
                f"pk.toml {where}: derived renal share {renal_fraction:.4f} and reference CrCl "
                f"{renal_clearance:.1f} mL/min disagree with the expected values written in the file"
            )
        ids = entry.sources
        return RenalSplit(
            self.parameter("renal_fraction", renal_fraction, "1", ids, entry.confidence, derivation),
            self.parameter(
                "reference_crcl_ml_min", renal_clearance, "mL/min", ids, entry.confidence, derivation
            ),
        )

    def parameter_set(self, set_id: str, entry: SetEntry) -> ParameterSet:
        self.cite(entry.sources, set_id)
        cl = self.litres_per_hour(entry.cl_f.value)
        volume, _ = parse_pk_quantity(entry.v_f.value)
        variability = None
        if entry.variability is not None:
            v = entry.variability

            def omega(text: str) -> float:
                value = self.fraction(text)
                return math.sqrt(math.log1p(value * value)) if v.reading == "cv" else value

            variability = Variability(
                omega(v.ka),
                omega(v.cl_f),
                omega(v.v_f),
                self.parameter(
                    "variability",
                    0.0,
                    "log-normal",
                    v.sources,
                    v.confidence,
                    f"CV ka {v.ka}, CL/F {v.cl_f}, V/F {v.v_f}; {v.note}",
                ),
            )
        notes = tuple(
            f"{c.statement} [{c.confidence}, {c.source}]: {c.resolution}" for c in entry.renal.conflicts
        )
        return ParameterSet(
            id=set_id,
            label=entry.label,
            structure=entry.structure,
            ka=self.rate("ka_per_h", entry.ka),
            cl_f=self.parameter(
                "cl_l_per_h", cl, "L/h", entry.cl_f.sources, entry.cl_f.confidence, entry.cl_f.note
            ),
            v_f=self.parameter("v_l", volume, "L", entry.v_f.sources, entry.v_f.confidence, entry.v_f.note),
            renal=self.renal(set_id, entry.renal, cl),
            studied_daily_mg=(
                parse_pk_quantity(entry.studied_daily_low)[0],
                parse_pk_quantity(entry.studied_daily_high)[0],
            ),
            studied_note=entry.studied_note,
            absorption_note=entry.absorption_note,
            alpha=self.rate("alpha_per_h", entry.alpha) if entry.alpha else None,
            beta=self.rate("beta_per_h", entry.beta) if entry.beta else None,
            variability=variability,
            notes=notes,
        )


def load_parameter_sets(kb: KnowledgeBase) -> tuple[dict[str, ParameterSet], PkFile]:
    """Validate ``kb.pk`` (the raw pk.toml of the version) and build every parameter set."""
    if not kb.pk:
        raise KnowledgeError(f"knowledge base {kb.version} has no pk.toml")
    try:
        model = PkFile.model_validate(kb.pk)
    except ValidationError as exc:
        raise KnowledgeError(f"pk.toml: {exc.error_count()} schema errors\n{exc}") from exc
    if model.default_set not in model.sets:
        raise KnowledgeError(f"pk.toml: default set '{model.default_set}' is not defined")
    builder = _Builder(kb)
    builder.cite(model.dialysis.sources, "dialysis")
    sets = {set_id: builder.parameter_set(set_id, entry) for set_id, entry in model.sets.items()}
    return sets, model
