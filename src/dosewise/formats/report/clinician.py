"""The clinician report: patient and kidney function, the plan with tablets, planned against taken,
symptoms with their triage level, interactions and findings, predicted levels, and the sources.

What was not given is said to be not assessed, never shown as "none".
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dosewise.domain.errors import DosewiseError
from dosewise.domain.patient import Patient, kidney_function
from dosewise.domain.quantity import format_amount, format_limit
from dosewise.domain.rules import DrugRules, SourceRef
from dosewise.formats.report.chart import adherence_chart, chart_alt
from dosewise.formats.report.layout import Block, Document, Figure, Items, Paragraph, Section, Table
from dosewise.formats.report.model import ClinicianReport
from dosewise.formats.report.plan_tables import dispense_table, plan_table, then_text

__all__ = ["CG_FORMULA", "clinician_document", "local"]

CG_FORMULA = (
    "Cockcroft-Gault: CrCl (mL/min) = (140 - age in years) x weight in kg / (72 x serum creatinine in "
    "mg/dL), x 0.85 for women; 1 mg/dL = 88.4 umol/L."
)


def local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _header(report: ClinicianReport, rules: DrugRules, tz: ZoneInfo) -> tuple[str, ...]:
    kb = report.kb
    lines = [
        f"Patient: {report.patient_name}",
        f"Prepared {local(report.prepared_at, tz)} ({tz.key}) by dosewise from the {rules.name} plan"
        + (f" ({report.plan_label})" if report.plan_label else "")
        + ".",
        f"Knowledge base {kb.version} ({kb.status}). Check this report against the prescription before acting on it.",
    ]
    if report.plan.kb_version != kb.version:
        lines.append(
            f"The plan was made with knowledge base {report.plan.kb_version}: its findings below are "
            f"recomputed with {kb.version}."
        )
    return tuple(lines)


def _patient_rows(patient: Patient, measured: date | None) -> list[tuple[tuple[str, ...], ...]]:
    rows: list[tuple[tuple[str, ...], ...]] = []

    def add(label: str, value: str) -> None:
        rows.append(((label,), (value,)))

    add("Age", f"{patient.age_years} years" if patient.age_years is not None else "not given")
    add("Sex", patient.sex or "not given")
    add("Weight", f"{format_amount(patient.weight_kg)} kg" if patient.weight_kg is not None else "not given")
    creatinine = patient.creatinine
    if creatinine is not None:
        shown = f"{format_amount(creatinine.value)} {creatinine.unit}"
        if creatinine.unit != "mg/dL":
            shown += f" (= {format_limit(creatinine.mg_dl)} mg/dL)"
        if measured is not None:
            shown += f", measured {measured.isoformat()}"
        add("Serum creatinine", shown)
    else:
        add("Serum creatinine", "not given")
    if patient.crcl_ml_min is not None:
        add("CrCl given", f"{format_limit(patient.crcl_ml_min)} mL/min")
    add("eGFR", f"{format_limit(patient.egfr)} mL/min/1.73 m²" if patient.egfr is not None else "not given")
    add("Dialysis", "yes" if patient.dialysis else "no")
    return rows


def _patient_section(report: ClinicianReport) -> Section:
    patient = report.patient
    if patient is None:
        return Section(
            "Patient and kidney function",
            (
                Paragraph(
                    "No patient details were given: age, weight and kidney function are not known, so the "
                    "kidney and age checks could not run.",
                    "warning",
                ),
            ),
        )
    blocks: list[Block] = [
        Table(("Item", "Value"), tuple(_patient_rows(patient, report.creatinine_date)), widths=(1, 3))
    ]
    try:
        kidney = kidney_function(patient)
    except DosewiseError as error:
        blocks.append(Paragraph(f"Kidney function could not be worked out: {error.message}.", "warning"))
        return Section("Patient and kidney function", tuple(blocks))
    if kidney.crcl_ml_min is not None:
        blocks.append(
            Paragraph(
                f"Creatinine clearance used: {format_limit(kidney.crcl_ml_min)} mL/min ({kidney.crcl_method}).",
                "strong",
            )
        )
    elif kidney.egfr is not None:
        blocks.append(Paragraph(f"No CrCl: the eGFR {format_limit(kidney.egfr)} stands in for it.", "strong"))
    if not kidney.known:
        blocks.append(Paragraph("Kidney function is not known: the kidney checks could not run.", "warning"))
    if kidney.notice:
        blocks.append(Paragraph(kidney.notice, "warning"))
    blocks.append(Paragraph(CG_FORMULA, "note"))
    return Section("Patient and kidney function", tuple(blocks))


def _plan_sections(report: ClinicianReport, rules: DrugRules, tz: ZoneInfo) -> list[Section]:
    plan = report.plan
    steps = plan.steps
    blocks: list[Block] = [
        Paragraph(
            f"{rules.name} ({plan.route}), {plan.kind} plan: {len(steps)} step{'s' if len(steps) != 1 else ''} "
            f"from {plan.start.isoformat()} to {steps[-1].last_day.isoformat()}; clock times in {tz.key}."
        )
    ]
    if plan.prior is not None:
        blocks.append(
            Paragraph(
                f"Before the plan: {plan.prior.dose} {plan.prior.times_per_day} times a day ({plan.prior.daily} a day)."
            )
        )
    blocks.append(plan_table(plan, rules))
    blocks.append(Paragraph(then_text(plan), "strong"))
    for override in plan.overrides:
        by = f", by {override.by}" if override.by else ""
        blocks.append(Paragraph(f"CLINICIAN OVERRIDE {override.code}: {override.reason}{by}.", "warning"))
    if plan.notes:
        blocks.append(Items(plan.notes, "note"))
    dispense = Section("To dispense", (dispense_table(plan, rules),), level=3)
    return [Section("Current plan", tuple(blocks)), dispense]


def _adherence_section(report: ClinicianReport, rules: DrugRules) -> Section:
    record = report.adherence
    title = "Planned against taken"
    if record is None:
        return Section(
            title, (Paragraph("No dose history was given: adherence is not assessed.", "warning"),)
        )
    unit = report.plan.dose_unit.value
    share = record.share
    shown = f"{record.taken} of {record.due}" + (
        f" ({float(share) * 100:.0f} %)" if share is not None else ""
    )
    blocks: list[Block] = [
        Paragraph(
            f"Doses due from {record.first.isoformat()} to {record.now.astimezone(ZoneInfo(report.plan.timezone)).strftime('%Y-%m-%d %H:%M')}, "
            "each matched to its planned dose by the missed-dose rule's take window."
        ),
        Table(
            ("Due", "Taken on time", "Taken late", "Skipped", "Missed", "Extra", "Taken of due"),
            (
                (
                    *tuple(
                        (str(value),)
                        for value in (
                            record.due,
                            record.on_time,
                            record.late,
                            record.skipped,
                            record.missed,
                            record.extra,
                        )
                    ),
                    (shown if record.due else "nothing was due: not assessed",),
                ),
            ),
            widths=(2, 3, 3, 3, 3, 3, 5),
        ),
    ]
    if record.days:
        blocks.append(
            Figure(
                adherence_chart(record.days, unit),
                chart_alt(record.days, unit, rules.name),
                f"{rules.name}: planned (outlined) against taken (filled), {unit} a day.",
            )
        )
        blocks.append(
            Table(
                ("Date", f"Planned ({unit}, due)", f"Taken ({unit})", "Doses due", "Doses taken"),
                tuple(
                    (
                        (day.day.isoformat(),),
                        (format_limit(day.planned.amount),),
                        (format_limit(day.taken.amount),),
                        (str(day.due),),
                        (str(day.taken_count),),
                    )
                    for day in record.days
                ),
            )
        )
    return Section(title, tuple(blocks))


def _symptom_section(report: ClinicianReport, tz: ZoneInfo) -> Section:
    title = "Symptoms and triage"
    if report.symptoms is None:
        return Section(
            title, (Paragraph("No symptom diary was included: symptoms are not assessed.", "warning"),)
        )
    if not report.symptoms:
        return Section(title, (Paragraph("No symptoms were recorded in the diary for this period."),))
    rows = tuple(
        (
            (local(entry.at, tz),),
            (entry.text,),
            (entry.severity,),
            (entry.level.upper(),),
            (entry.advice, f"knowledge base {entry.kb_version}"),
        )
        for entry in sorted(report.symptoms, key=lambda e: e.at, reverse=True)
    )
    table = Table(
        ("When", "Reported", "Severity", "Triage level", "Triage advice"), rows, widths=(4, 6, 3, 5, 9)
    )
    return Section(title, (table,))


def _findings_section(report: ClinicianReport) -> Section:
    kb = report.kb
    blocks: list[Block] = []
    if report.medications is None:
        blocks.append(Paragraph("No medication list was given: interactions are not assessed.", "warning"))
    else:
        listed = ", ".join(report.medications) if report.medications else "nothing listed"
        blocks.append(Paragraph(f"Other medicines on the list: {listed}."))
    if report.not_screened:
        blocks.append(
            Paragraph(
                "Not assessed (not in the dictionary of knowledge base "
                f"{kb.version}): {', '.join(report.not_screened)}. Check these by hand.",
                "warning",
            )
        )
    if report.interactions:
        blocks.append(
            Table(
                ("Severity", "Between", "Effect", "What to do", "Source"),
                tuple(
                    (
                        (line.severity.value.upper(),),
                        (f"{line.between[0]} and {line.between[1]}",),
                        (line.effect,),
                        (line.action,),
                        (line.source,),
                    )
                    for line in sorted(report.interactions, key=lambda i: -i.severity.rank)
                ),
                widths=(5, 4, 6, 6, 6),
            )
        )
    elif report.medications is not None and not report.not_screened:
        blocks.append(Paragraph(f"No interaction rule of knowledge base {kb.version} matched the list."))
    # The checker reports the planned drug's own pairs too: the interaction table above already shows them.
    shown = {f"interaction.{line.rule_id}" for line in report.interactions}
    findings = sorted((f for f in report.findings if f.code not in shown), key=lambda f: -f.severity.rank)
    if findings:
        blocks.append(
            Table(
                ("Severity", "Step", "Finding", "Source"),
                tuple(
                    (
                        (f.severity.value.upper(),),
                        (str(f.step_index + 1) if f.step_index is not None else "plan",),
                        (f.message, f"({f.code})"),
                        (f.source,),
                    )
                    for f in findings
                ),
                widths=(5, 2, 12, 6),
            )
        )
    else:
        blocks.append(Paragraph(f"The plan checker of knowledge base {kb.version} reported no findings."))
    return Section("Interactions and findings", tuple(blocks))


def _prediction_section(report: ClinicianReport) -> Section:
    title = "Predicted concentrations"
    run = report.prediction
    if run is None:
        why = report.prediction_note or "no model was run"
        return Section(title, (Paragraph(f"No prediction: {why}.", "note"),))
    band = f"; usual range {run.band_ng_ml[0]:.0f}-{run.band_ng_ml[1]:.0f} ng/mL" if run.band_ng_ml else ""
    blocks: list[Block] = [
        Paragraph(
            f"Model: {run.model}; kidney function: {run.kidney_basis}; half-life {run.half_life_h:.1f} h{band}. "
            "A model estimate from the plan as written, not a measurement."
        ),
        Table(
            ("Step", "Day", "Daily dose", "Predicted peak (ng/mL)", "Predicted trough (ng/mL)"),
            tuple(
                (
                    (str(step.step + 1),),
                    (step.day.isoformat(),),
                    (str(step.daily),),
                    (f"{step.peak_ng_ml:.0f}",),
                    (f"{step.trough_ng_ml:.0f}",),
                )
                for step in run.steps
            ),
        ),
    ]
    if run.notes:
        blocks.append(Items(run.notes, "note"))
    blocks.append(Paragraph(f"Model source: {run.source}", "note"))
    return Section(title, tuple(blocks))


def _cited(report: ClinicianReport, rules: DrugRules) -> list[SourceRef]:
    ids: list[str] = list(rules.provenance.source_ids)
    for part in (rules.limits, rules.renal, rules.taper, rules.titration, rules.missed_dose):
        if part is not None:
            ids.extend(part.provenance.source_ids)
    for finding in report.findings:
        ids.extend(finding.source_ids)
    for line in report.interactions:
        ids.extend(line.source_ids)
    unique = dict.fromkeys(ids)
    return [report.kb.sources[i] for i in unique if i in report.kb.sources]


def _sources_section(report: ClinicianReport, rules: DrugRules) -> Section:
    kb = report.kb
    blocks: list[Block] = [Paragraph(f"Knowledge base {kb.version}, status {kb.status}. {kb.notice}".strip())]
    cited = _cited(report, rules)
    if cited:
        blocks.append(
            Table(
                ("Source", "Where"),
                tuple(((s.citation,), (s.url or "-",)) for s in cited),
                widths=(3, 2),
            )
        )
    return Section("Knowledge base and sources", tuple(blocks))


def clinician_document(report: ClinicianReport) -> Document:
    rules = report.kb.drug(report.plan.drug)
    tz = ZoneInfo(report.plan.timezone)
    sections = [
        _patient_section(report),
        *_plan_sections(report, rules, tz),
        _adherence_section(report, rules),
        _symptom_section(report, tz),
        _findings_section(report),
        _prediction_section(report),
        _sources_section(report, rules),
    ]
    return Document(
        title=f"Clinician report: {rules.name} {report.plan.kind} plan",
        lines=_header(report, rules, tz),
        sections=tuple(sections),
        footer=f"dosewise clinician report · {report.patient_name} · {local(report.prepared_at, tz)}",
        keywords=("dosewise", "clinician report", rules.name),
    )
