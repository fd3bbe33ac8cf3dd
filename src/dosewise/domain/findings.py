"""A finding: one thing the engine wants a person to know, with its severity and its source."""

from __future__ import annotations

from dataclasses import dataclass

from dosewise.domain.rules import Provenance, Severity

__all__ = ["Finding", "finding", "highest"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    patient_message: str
    source: str
    source_ids: tuple[str, ...]
    kb_version: str
    step_index: int | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "patient_message": self.patient_message,
            "source": self.source,
            "source_ids": list(self.source_ids),
            "kb_version": self.kb_version,
            "step": self.step_index,
        }


def finding(
    severity: Severity,
    code: str,
    message: str,
    patient_message: str,
    provenance: Provenance,
    kb_version: str,
    step_index: int | None = None,
) -> Finding:
    return Finding(
        severity=severity,
        code=code,
        message=message,
        patient_message=patient_message,
        source=provenance.cite(),
        source_ids=provenance.source_ids,
        kb_version=kb_version,
        step_index=step_index,
    )


def highest(findings: tuple[Finding, ...] | list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)
