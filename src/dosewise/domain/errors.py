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
    """Base of every refusal; ``code`` is stable and machine-readable, the message is for people.

    ``hint`` is worded for the command line; ``field`` names the input that was refused (a form field or
    JSON member, when there is one) so each entry point can tie the message to it and word its own hint.
    """

    code = "dosewise_error"

    def __init__(self, message: str, *, hint: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.field = field


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

    def __init__(
        self,
        message: str,
        *,
        alternatives: tuple[str, ...] = (),
        hint: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, field=field)
        self.alternatives = alternatives


class PlanRefused(DosewiseError):
    """The planner will not produce the requested plan (above a limit, abrupt stop) without an override.

    ``overrides`` are the override codes that would allow it (structured, so each entry point words how
    to give one: the CLI's ``--override CODE:REASON``, the web's override choice with a reason).
    """

    code = "plan_refused"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        field: str | None = None,
        overrides: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, hint=hint, field=field)
        self.overrides = overrides


class KnowledgeError(DosewiseError):
    """The knowledge base is missing, malformed or lacks a rule the request needs."""

    code = "knowledge_error"


class SimulationRefused(DosewiseError):
    """The model has no sourced basis for this request (dialysis, missing variability, degenerate rates)."""

    code = "simulation_refused"
