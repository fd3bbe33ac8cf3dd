"""Pharmacokinetics: published models, renal split, exact superposition and virtual populations.

The only domain package allowed to import numpy; it reads no clock and does no I/O.
"""

from dosewise.domain.pk.engine import (
    MG_PER_L_IN_NG_PER_ML,
    DayMetrics,
    SimulationResult,
    SteadyState,
    Superposition,
    exposure_ratio,
    simulate,
    steady_state,
)
from dosewise.domain.pk.parameters import (
    ML_PER_MIN_TO_L_PER_H,
    IndividualModel,
    Parameter,
    ParameterSet,
    RenalSplit,
    SimulationRefused,
    Variability,
    individualise,
)
from dosewise.domain.pk.schedule import (
    DayWindow,
    DoseEvent,
    DoseSchedule,
    RepeatingDay,
    StepMark,
    schedule_from_history,
    schedule_from_plan,
)

__all__ = [
    "MG_PER_L_IN_NG_PER_ML",
    "ML_PER_MIN_TO_L_PER_H",
    "DayMetrics",
    "DayWindow",
    "DoseEvent",
    "DoseSchedule",
    "IndividualModel",
    "Parameter",
    "ParameterSet",
    "RenalSplit",
    "RepeatingDay",
    "SimulationRefused",
    "SimulationResult",
    "SteadyState",
    "StepMark",
    "Superposition",
    "Variability",
    "exposure_ratio",
    "individualise",
    "schedule_from_history",
    "schedule_from_plan",
    "simulate",
    "steady_state",
]
