"""One error tree for every refusal the domain makes; entry points map it in exactly one place."""

from __future__ import annotations

__all__ = [
    "DosewiseError",
    "InvalidInput",
    "KnowledgeError",
    "PlanRefused",
    "SimulationRefused",
    "UnitMismatch",
    "UnknownDrug",
    "UnmakeableDose",
]


class DosewiseError(Exception):
    """Base of every refusal; ``code`` is stable and machine-readable, the message is for people."""

    code = "dosewise_error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInput(DosewiseError):
    """The input cannot be read without guessing (unknown unit, implausible value, bad date)."""

    code = "invalid_input"


class UnitMismatch(InvalidInput):
    """Two quantities of different units were combined (mg with mcg, mass with volume)."""

    code = "unit_mismatch"


class UnknownDrug(InvalidInput):
    """A drug name, brand or code that the knowledge base does not know."""

    code = "unknown_drug"


class UnmakeableDose(DosewiseError):
    """No dispensable product (whole tablets, halves of scored ones, measurable liquid) makes the dose."""

    code = "unmakeable_dose"

    def __init__(self, message: str, *, alternatives: tuple[str, ...] = (), hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.alternatives = alternatives


class PlanRefused(DosewiseError):
    """The planner will not produce the requested plan (above a limit, abrupt stop) without an override."""

    code = "plan_refused"


class KnowledgeError(DosewiseError):
    """The knowledge base is missing, malformed or lacks a rule the request needs."""

    code = "knowledge_error"


class SimulationRefused(DosewiseError):
    """The model has no sourced basis for this request (dialysis, missing variability, degenerate rates)."""

    code = "simulation_refused"
