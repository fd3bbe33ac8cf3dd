"""Published parameter sets, the renal split of apparent clearance, and one person's resolved model.

Numbers arrive from the knowledge base (``dosewise.knowledge.pk``) with their sources; nothing here is a
clinical number. Rates are per hour, volumes in litres, clearances in litres per hour: every conversion
from a published unit (mL/min, %) happens once, visibly, in the knowledge builder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

from dosewise.domain.errors import InvalidInput, SimulationRefused
from dosewise.domain.quantity import ML_PER_MIN_TO_L_PER_H

__all__ = [
    "ML_PER_MIN_TO_L_PER_H",
    "IndividualModel",
    "Parameter",
    "ParameterSet",
    "RenalSplit",
    "SimulationRefused",
    "Variability",
    "individualise",
]

CrCl = TypeVar("CrCl", float, npt.NDArray[np.float64])


@dataclass(frozen=True)
class Parameter:
    """One number as used by the model, with where it came from."""

    name: str
    value: float
    unit: str
    source_ids: tuple[str, ...]
    citation: str
    confidence: str
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "unit": self.unit,
            "source": self.citation,
            "source_ids": list(self.source_ids),
            "confidence": self.confidence,
            **({"note": self.note} if self.note else {}),
        }


@dataclass(frozen=True)
class RenalSplit:
    """CL/F = CL/F_ref x (renal_fraction x CrCl / reference_crcl + (1 - renal_fraction)).

    ``renal_fraction`` is the renal share of *systemic* clearance (fraction excreted unchanged after an
    oral dose divided by bioavailability); ``reference_crcl`` is the CrCl of the population the clearance
    was estimated in. Both carry their derivation in ``docs/pk.md``.
    """

    renal_fraction: Parameter
    reference_crcl_ml_min: Parameter

    def __post_init__(self) -> None:
        if not 0.0 <= self.renal_fraction.value <= 1.0:
            raise InvalidInput(f"renal fraction {self.renal_fraction.value} is outside 0 to 1")
        if self.reference_crcl_ml_min.value <= 0:
            raise InvalidInput("reference CrCl must be positive")

    def factor(self, crcl_ml_min: CrCl) -> CrCl:
        """Multiplier on CL/F for a person with ``crcl_ml_min`` (1 at the reference CrCl), or for each
        of a population's CrCl values (an array)."""
        if not np.all(np.isfinite(crcl_ml_min) & (np.asarray(crcl_ml_min) >= 0)):
            raise InvalidInput(f"CrCl {crcl_ml_min} mL/min is not usable")
        fe = self.renal_fraction.value
        return fe * crcl_ml_min / self.reference_crcl_ml_min.value + (1.0 - fe)


@dataclass(frozen=True)
class Variability:
    """Log-normal between-subject variability: parameter = typical x exp(eta), eta ~ N(0, omega^2)."""

    omega_ka: float
    omega_cl: float
    omega_v: float
    parameter: Parameter


@dataclass(frozen=True)
class ParameterSet:
    """A published structural model with its typical apparent parameters (oral, divided by F)."""

    id: str
    label: str
    structure: Literal["one_compartment", "two_compartment"]
    ka: Parameter
    cl_f: Parameter
    v_f: Parameter
    renal: RenalSplit
    studied_daily_mg: tuple[float, float]
    studied_note: str
    absorption_note: str = ""
    alpha: Parameter | None = None
    beta: Parameter | None = None
    variability: Variability | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for parameter in (self.ka, self.cl_f, self.v_f):
            if not parameter.value > 0:
                raise InvalidInput(f"{self.id}: {parameter.name} must be positive")
        if self.structure == "two_compartment" and (self.alpha is None or self.beta is None):
            raise InvalidInput(f"{self.id}: a two-compartment set needs alpha and beta")


@dataclass(frozen=True)
class IndividualModel:
    """One person's model: rates per hour and volume in litres, after the renal split.

    The central concentration after a unit dose (1 mg) at time 0 is sum(coefficients[m] x exp(-rates[m] t))
    in mg/L; ``coefficients`` sum to zero because nothing is in plasma at the moment of an oral dose.
    """

    parameter_set: ParameterSet
    crcl_ml_min: float | None
    renal_factor: float
    ka_per_h: float
    cl_l_per_h: float
    v_l: float
    rates: tuple[float, ...]
    coefficients: tuple[float, ...]
    micro: dict[str, float] = field(default_factory=dict)

    @property
    def elimination_rate_per_h(self) -> float:
        """The slowest disposition rate (k for one compartment, beta for two)."""
        return min(self.rates)

    @property
    def half_life_h(self) -> float:
        return math.log(2.0) / self.elimination_rate_per_h


_DEGENERATE = 1e-6


def _distinct(rates: tuple[float, ...], where: str) -> None:
    ordered = sorted(rates)
    for low, high in pairwise(ordered):
        if high - low <= _DEGENERATE * high:
            raise SimulationRefused(
                f"{where}: two model rates coincide ({low:.6g} and {high:.6g} per hour)",
                hint="the closed-form solution needs distinct rates; check the parameter set",
            )


def individualise(
    parameter_set: ParameterSet, *, crcl_ml_min: float | None, dialysis: bool = False
) -> IndividualModel:
    """Resolve a parameter set for a person; unknown CrCl means the study population (factor 1).

    Dialysis is refused: the only dialysis clearance figures seen are unverified [L], and intermittent
    extracorporeal clearance is not a renal split.
    """
    if dialysis:
        raise SimulationRefused(
            "levels cannot be predicted for a person on dialysis: no sourced dialysis clearance exists in the "
            "knowledge base",
            hint="measure levels instead; see docs/pk.md (Dialysis)",
        )
    factor = 1.0 if crcl_ml_min is None else parameter_set.renal.factor(crcl_ml_min)
    ka = parameter_set.ka.value
    cl = parameter_set.cl_f.value * factor
    if parameter_set.structure == "one_compartment":
        v = parameter_set.v_f.value
        k = cl / v
        _distinct((ka, k), parameter_set.id)
        a = ka / (v * (ka - k))
        return IndividualModel(
            parameter_set, crcl_ml_min, factor, ka, cl, v, (k, ka), (a, -a), {"k_per_h": k}
        )
    assert parameter_set.alpha is not None and parameter_set.beta is not None
    vc = parameter_set.v_f.value
    alpha0, beta0 = parameter_set.alpha.value, parameter_set.beta.value
    # Published alpha and beta with CL/F and Vc/F give the micro-constants of the reference subject;
    # the renal factor scales only k10 (elimination from the central compartment).
    k10_ref = parameter_set.cl_f.value / vc
    k21 = alpha0 * beta0 / k10_ref
    k12 = alpha0 + beta0 - k10_ref - k21
    if k12 <= 0 or k21 <= 0:
        raise SimulationRefused(
            f"{parameter_set.id}: alpha, beta, CL/F and Vc/F give no valid micro-constants"
        )
    k10 = cl / vc
    total = k10 + k12 + k21
    root = math.sqrt(total * total - 4.0 * k10 * k21)
    alpha, beta = (total + root) / 2.0, (total - root) / 2.0
    _distinct((ka, alpha, beta), parameter_set.id)
    scale = ka / vc
    coefficients = (
        scale * (k21 - alpha) / ((ka - alpha) * (beta - alpha)),
        scale * (k21 - beta) / ((ka - beta) * (alpha - beta)),
        scale * (k21 - ka) / ((alpha - ka) * (beta - ka)),
    )
    micro = {"k10_per_h": k10, "k12_per_h": k12, "k21_per_h": k21, "alpha_per_h": alpha, "beta_per_h": beta}
    return IndividualModel(
        parameter_set, crcl_ml_min, factor, ka, cl, vc, (alpha, beta, ka), coefficients, micro
    )
