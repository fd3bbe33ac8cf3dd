"""The result of a simulation run as the use cases return it: what the writers in ``formats`` serialise.

Plain values (no I/O): a person's predicted levels beside the reference person's, and a virtual
population's merged counts, each with the knowledge-base version it was computed from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dosewise.domain.pk.engine import SimulationResult
from dosewise.domain.pk.population import PopulationSpec, PopulationSummary

__all__ = ["PERCENTILES", "PersonSimulation", "PopulationRun"]

# The percentiles every population answer reports (median and the 90% interval).
PERCENTILES = (5.0, 50.0, 95.0)


@dataclass(frozen=True)
class PersonSimulation:
    result: SimulationResult
    reference: SimulationResult
    ratios: dict[str, float]
    kb_version: str
    drug: str
    crcl_ml_min: float | None
    crcl_basis: str
    single_dose: bool
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class PopulationRun:
    spec: PopulationSpec
    summary: PopulationSummary
    kb_version: str
    drug: str
    split: str
    warnings: tuple[str, ...] = field(default=())
