"""``pk.toml`` into the domain: one drug's published parameter sets, built when a simulation asks.

The file's shape and its load-time check are in ``pk_schema`` (no numpy there, so loading the knowledge
base stays off numpy); this module is the one place a published unit becomes the model's (mL/min -> L/h,
% -> fraction), over a section the knowledge base already checked at load.
"""

from __future__ import annotations

import math

from dosewise.domain.errors import KnowledgeError
from dosewise.domain.pk.parameters import Parameter, ParameterSet, RenalSplit, Variability
from dosewise.domain.rules import KnowledgeBase
from dosewise.knowledge.pk_schema import (
    DrugPk,
    PkFile,
    RateEntry,
    RenalDerivation,
    SetEntry,
    check_drug,
    fraction,
    litres_per_hour,
    parse_pk_quantity,
    validate_pk,
)

__all__ = ["DrugPk", "PkFile", "load_parameter_sets", "parse_pk_quantity"]


class _Builder:
    """Domain parameters from checked entries: every source id here is already known to resolve."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def parameter(
        self, name: str, value: float, unit: str, ids: list[str], confidence: str, note: str
    ) -> Parameter:
        citation = "; ".join(self.kb.sources[source].citation for source in ids)
        return Parameter(name, value, unit, tuple(ids), citation, confidence, note)

    def rate(self, name: str, entry: RateEntry) -> Parameter:
        value, _ = parse_pk_quantity(entry.value)
        return self.parameter(name, value, "1/h", entry.sources, entry.confidence, entry.note)

    def parameter_set(self, set_id: str, entry: SetEntry, renal: RenalDerivation) -> ParameterSet:
        cl = litres_per_hour(entry.cl_f.value)
        volume, _ = parse_pk_quantity(entry.v_f.value)
        variability = None
        if entry.variability is not None:
            v = entry.variability

            def omega(text: str) -> float:
                value = fraction(text)
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
        ids, grade = entry.renal.sources, entry.renal.confidence
        return ParameterSet(
            id=set_id,
            label=entry.label,
            structure=entry.structure,
            ka=self.rate("ka_per_h", entry.ka),
            cl_f=self.parameter(
                "cl_l_per_h", cl, "L/h", entry.cl_f.sources, entry.cl_f.confidence, entry.cl_f.note
            ),
            v_f=self.parameter("v_l", volume, "L", entry.v_f.sources, entry.v_f.confidence, entry.v_f.note),
            renal=RenalSplit(
                self.parameter("renal_fraction", renal.renal_fraction, "1", ids, grade, renal.text),
                self.parameter(
                    "reference_crcl_ml_min", renal.reference_crcl_ml_min, "mL/min", ids, grade, renal.text
                ),
            ),
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


def load_parameter_sets(kb: KnowledgeBase, drug: str) -> tuple[dict[str, ParameterSet], DrugPk]:
    """Build the parameter sets of one drug from ``kb.pk`` (checked when the knowledge base was loaded;
    checked again here, cheaply, because a caller may hand in a knowledge base it changed)."""
    if drug not in kb.pk:
        raise KnowledgeError(f"knowledge base {kb.version} has no pharmacokinetic model for {drug}")
    section = validate_pk({"drugs": {drug: kb.pk[drug]}}, f"pk.toml drugs.{drug}").drugs[drug]
    derived = check_drug(drug, section, kb.sources)
    builder = _Builder(kb)
    sets = {
        set_id: builder.parameter_set(set_id, entry, derived[set_id])
        for set_id, entry in section.sets.items()
    }
    return sets, section
