"""What every plan check reads, in one value: below ``checks`` and the checks kept in their own modules
(escalation, the medication list), so that none of them imports the pipeline that composes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dosewise.domain.assessment import Assessment
from dosewise.domain.findings import Finding
from dosewise.domain.patient import Patient
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import DrugRules, KnowledgeBase

__all__ = ["Check", "CheckContext"]


@dataclass(frozen=True)
class CheckContext:
    plan: Plan
    rules: DrugRules
    kb: KnowledgeBase
    patient: Patient | None
    assessment: Assessment


Check = Callable[[CheckContext], list[Finding]]
