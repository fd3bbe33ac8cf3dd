"""The triage documents: `dosewise triage --json` and the summary a symptom-diary entry stores.

Writers only. The stored summary is read back as plain JSON by the record's pages; its keys are a
contract with rows already in databases, so a change here needs a migration of those rows.
"""

from __future__ import annotations

from typing import Any

from dosewise.domain.triage import TriageResult

__all__ = ["triage_summary", "triage_to_json"]


def triage_to_json(result: TriageResult, assumed: list[str], zone: str | None) -> dict[str, Any]:
    """The `triage --json` document: the level, what was read in each input, the rules that fired and
    their sources; ``assumed`` lists times read in ``zone`` because they had no offset."""
    return {
        "kb_version": result.kb_version,
        "level": result.level,
        "reason": result.reason,
        "symptoms": [{"id": s, "label": result.labels[s]} for s in result.symptoms],
        "drug": result.context.drug,
        "inputs": [
            {
                "text": m.text,
                "symptoms": list(m.symptoms),
                "unrecognised": m.unrecognised or None,
                "negated": list(m.negated),
                "kept_red_flags": list(m.kept_red_flags),
                "temperatures": list(m.temperatures),
                "ingestion": m.ingestion or None,
                "corrections": [{"typed": a, "read": b} for a, b in m.corrections],
                "intensity": m.intense,
            }
            for m in result.inputs
        ],
        "unrecognised": list(result.unrecognised),
        "uncovered": list(result.uncovered),
        "rules": [
            {
                "id": m.rule.id,
                "level": m.rule.level,
                "reason": m.rule.reason,
                "symptoms": list(m.symptoms),
                "context": list(m.context),
                "patient_text": m.patient_text,
                "clinician_text": m.clinician_text,
                "source": m.rule.provenance.cite(),
                "source_ids": list(m.rule.provenance.source_ids),
            }
            for m in result.rules
        ],
        "context": {
            "flags": sorted(result.context.flags),
            "why": dict(result.context.why),
        },
        "read_in_timezone": {"zone": zone, "values": assumed} if assumed else None,
        "notes": list(result.notes),
        "patient_text": result.patient_text,
        "clinician_text": result.clinician_text,
        "sources": list(result.sources),
        "source_ids": list(result.source_ids),
    }


def triage_summary(result: TriageResult, severity: str) -> dict[str, Any]:
    """What a diary entry keeps of its triage (stored with the entry, shown on the record and in exports):
    the level, the texts, the rules and sources, and the severity the person gave."""
    return {
        "level": result.level,
        "reason": result.reason,
        "symptoms": [result.labels.get(s, s) for s in result.symptoms],
        "unrecognised": list(result.unrecognised),
        "patient_text": result.patient_text,
        "clinician_text": result.clinician_text,
        "context": [{"flag": flag, "why": why} for flag, why in result.context.why],
        "rules": [m.rule.id for m in result.rules],
        "sources": list(result.sources),
        "source_ids": list(result.source_ids),
        "kb_version": result.kb_version,
        "notes": list(result.notes),
        "severity": severity,
        "raised_for_severity": result.raised_for_severity,
    }
