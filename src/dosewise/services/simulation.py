"""Use cases for predicted levels: one person on a plan or a dose history, and virtual populations.

Keyword-only functions over the knowledge base. Population work is split into blocks of subjects that
run in this process, in worker processes (concurrent.futures) or on a Dask cluster; the counts they
return are merged exactly, so a seed gives the same answer whichever way the work was split.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date, datetime, time, tzinfo
from multiprocessing import get_context
from typing import Any

from dosewise.domain.errors import InvalidInput
from dosewise.domain.patient import Patient, kidney_function
from dosewise.domain.pk import (
    DoseEvent,
    DoseSchedule,
    IndividualModel,
    ParameterSet,
    SimulationRefused,
    exposure_ratio,
    individualise,
    schedule_from_history,
    schedule_from_plan,
    simulate,
)
from dosewise.domain.pk.population import (
    KidneySpread,
    PopulationSpec,
    PopulationSummary,
    block_ranges,
    simulate_blocks,
)
from dosewise.domain.pk.runs import PERCENTILES, PersonSimulation, PopulationRun
from dosewise.domain.quantity import Quantity
from dosewise.domain.regimen import Plan, Step, default_times
from dosewise.domain.rules import KnowledgeBase
from dosewise.knowledge.pk import load_parameter_sets
from dosewise.services.advice import zone

__all__ = [
    "PERCENTILES",
    "PersonSimulation",
    "PopulationRun",
    "choose_parameter_set",
    "repeated_plan",
    "simulate_history",
    "simulate_plan",
    "simulate_population",
    "single_dose_plan",
]

Progress = Callable[[int, int], None]


def choose_parameter_set(*, kb: KnowledgeBase, drug: str, model: str | None = None) -> ParameterSet:
    """The knowledge base's default set for the drug, or the named one; refuse anything else."""
    rules = kb.drug(drug)
    if rules.id not in kb.pk:
        raise SimulationRefused(f"no pharmacokinetic model for {rules.name} ({rules.route}) in {kb.version}")
    sets, section = load_parameter_sets(kb, rules.id)
    chosen = model or section.default_set
    if chosen not in sets:
        raise InvalidInput(f"unknown model '{chosen}'", hint=f"models: {', '.join(sorted(sets))}")
    return sets[chosen]


def _kidney(patient: Patient | None, parameter_set: ParameterSet) -> tuple[float | None, str, list[str]]:
    notes: list[str] = []
    if patient is None:
        return None, "none given: the study population's clearance", notes
    function = kidney_function(patient)
    if function.dialysis:
        individualise(parameter_set, crcl_ml_min=None, dialysis=True)  # raises the sourced refusal
    if function.notice is not None:
        notes.append(function.notice)
    if function.crcl_ml_min is not None and (function.egfr is None or function.crcl_ml_min <= function.egfr):
        crcl, basis = float(function.crcl_ml_min), f"CrCl ({function.crcl_method})"
    elif function.egfr is not None:
        crcl, basis = float(function.egfr), "eGFR used in place of CrCl"
        notes.append("eGFR stands in for CrCl; the renal split was derived for CrCl.")
    else:
        return None, "unknown: the study population's clearance", notes
    reference = parameter_set.renal.reference_crcl_ml_min.value
    if crcl < 30:
        notes.append(
            f"CrCl {crcl:.0f} mL/min is below 30: the linear renal split is an extrapolation here, and "
            "toxicity has been reported at usual doses (El-Husseini 2011). Measure levels."
        )
    if crcl > reference:
        notes.append(
            f"CrCl {crcl:.0f} mL/min is above the reference {reference:.0f} mL/min: renal clearance is "
            "scaled linearly beyond the studied population."
        )
    return crcl, basis, notes


def _dose_notes(parameter_set: ParameterSet, daily_mg: Sequence[float]) -> list[str]:
    notes = []
    high = parameter_set.studied_daily_mg[1]
    if daily_mg and max(daily_mg) > high + 1e-9:
        notes.append(
            f"a daily dose of {max(daily_mg):g} mg is above the {high:g} mg/day studied for "
            f"{parameter_set.id}: linear kinetics are extrapolated."
        )
    if parameter_set.absorption_note:
        notes.append(parameter_set.absorption_note)
    return notes


def _person(
    *,
    kb: KnowledgeBase,
    drug: str,
    parameter_set: ParameterSet,
    schedule: DoseSchedule,
    patient: Patient | None,
    resolution_h: float,
    single_dose: bool,
) -> PersonSimulation:
    rules = kb.drug(drug)
    crcl, basis, notes = _kidney(patient, parameter_set)
    model: IndividualModel = individualise(parameter_set, crcl_ml_min=crcl)
    reference_model = individualise(parameter_set, crcl_ml_min=None)
    band = rules.therapeutic_band_ng_ml
    band_f = (float(band[0]), float(band[1])) if band else None
    result = simulate(model, schedule, resolution_h=resolution_h, band_ng_ml=band_f)
    reference = simulate(reference_model, schedule, resolution_h=resolution_h, band_ng_ml=band_f)
    notes += _dose_notes(parameter_set, [day.dose_mg for day in result.days])
    return PersonSimulation(
        result,
        reference,
        exposure_ratio(result, reference),
        kb.version,
        rules.id,
        crcl,
        basis,
        single_dose,
        tuple(notes),
    )


def _plan_zone(plan: Plan, patient: Patient | None) -> tzinfo:
    """The plan's zone, as for missed doses and Today (plans made from --dose carry the patient's zone)."""
    return zone(plan.timezone)


def simulate_plan(
    *,
    kb: KnowledgeBase,
    plan: Plan,
    patient: Patient | None = None,
    model: str | None = None,
    resolution_h: float = 0.1,
    extra_days: int = 0,
    single_dose: bool = False,
) -> PersonSimulation:
    """Predicted levels for a plan; the reference is the same plan at the reference kidney function."""
    parameter_set = choose_parameter_set(kb=kb, drug=plan.drug, model=model)
    schedule = schedule_from_plan(plan, _plan_zone(plan, patient), extra_days=extra_days)
    return _person(
        kb=kb,
        drug=plan.drug,
        parameter_set=parameter_set,
        schedule=schedule,
        patient=patient,
        resolution_h=resolution_h,
        single_dose=single_dose,
    )


def simulate_history(
    *,
    kb: KnowledgeBase,
    drug: str,
    doses: Sequence[DoseEvent],
    timezone: str,
    patient: Patient | None = None,
    model: str | None = None,
    until: datetime | None = None,
    resolution_h: float = 0.1,
) -> PersonSimulation:
    """Predicted levels from what was actually taken (missed doses absent, extra ones present)."""
    parameter_set = choose_parameter_set(kb=kb, drug=drug, model=model)
    schedule = schedule_from_history(doses, zone(timezone), until=until)
    return _person(
        kb=kb,
        drug=drug,
        parameter_set=parameter_set,
        schedule=schedule,
        patient=patient,
        resolution_h=resolution_h,
        single_dose=False,
    )


def single_dose_plan(
    *, kb: KnowledgeBase, drug: str, dose: Quantity, day: date, hours: int = 48, timezone: str = "UTC"
) -> Plan:
    """One dose at 08:00 on ``day`` and nothing after, simulated for ``hours`` (whole days)."""
    rules = kb.drug(drug)
    days = max(1, math.ceil(hours / 24))
    step = Step(day, 1, dose, (time(8, 0),))
    rest = Step(step.end, days, Quantity(dose.amount * 0, dose.unit), ())
    steps = (step, rest) if days > 1 else (step,)
    return Plan(rules.id, rules.route, steps, kb.version, timezone=timezone, then="stop")


def repeated_plan(
    *,
    kb: KnowledgeBase,
    drug: str,
    dose: Quantity,
    times_per_day: int,
    days: int,
    day: date,
    timezone: str = "UTC",
) -> Plan:
    rules = kb.drug(drug)
    if days < 1:
        raise InvalidInput("--days must be at least 1")
    step = Step(day, days, dose, default_times(times_per_day))
    return Plan(rules.id, rules.route, (step,), kb.version, timezone=timezone, then="continue")


def _run_part(spec: PopulationSpec, blocks: range) -> PopulationSummary:
    return simulate_blocks(spec, blocks)


def simulate_population(
    *,
    kb: KnowledgeBase,
    plan: Plan,
    subjects: int,
    seed: int,
    model: str | None = None,
    kidney: KidneySpread | None = None,
    patient: Patient | None = None,
    resolution_h: float = 0.1,
    threshold_ng_ml: float | None = None,
    workers: int = 1,
    dask_client: Any = None,
    on_progress: Progress | None = None,
    block_size: int = 2048,
    percentile_every_h: float = 1.0,
) -> PopulationRun:
    """N virtual subjects on a plan. ``workers`` > 1 uses processes; ``dask_client`` a Dask cluster."""
    parameter_set = choose_parameter_set(kb=kb, drug=plan.drug, model=model)
    notes: list[str] = []
    if kidney is None and patient is not None:
        crcl, _, notes = _kidney(patient, parameter_set)
        if crcl is not None:
            from dosewise.domain.pk.population import kidney_list

            kidney = kidney_list([crcl])
    schedule = schedule_from_plan(plan, _plan_zone(plan, patient))
    rules = kb.drug(plan.drug)
    if threshold_ng_ml is None:
        band = rules.therapeutic_band_ng_ml
        threshold_ng_ml = float(band[1]) if band else math.inf
    spec = PopulationSpec(
        parameter_set,
        schedule,
        subjects,
        seed,
        resolution_h,
        kidney,
        threshold_ng_ml,
        block_size,
        max(percentile_every_h, resolution_h),
    )
    notes += _dose_notes(
        parameter_set,
        [
            sum(
                a
                for t, a in zip(schedule.times_h, schedule.amounts_mg, strict=True)
                if w.start_h <= t < w.end_h
            )
            for w in schedule.days
        ],
    )
    total = spec.blocks
    done = 0

    def tick(size: int) -> None:
        nonlocal done
        done += size
        if on_progress is not None:
            on_progress(min(done * block_size, subjects), subjects)

    if dask_client is not None:
        parts = [
            part for part in block_ranges(total, max(1, min(total, 4 * _dask_workers(dask_client)))) if part
        ]
        scattered = dask_client.scatter(spec, broadcast=True)
        futures = [dask_client.submit(_run_part, scattered, part, pure=False) for part in parts]
        summary = PopulationSummary.empty(spec)
        from distributed import as_completed as dask_completed

        for future in dask_completed(futures):  # type: ignore[no-untyped-call]
            part_summary = future.result()  # each result() call gathers from the cluster again
            summary = summary.merge(part_summary)
            tick(len(part_summary.blocks))
        split = f"dask ({len(parts)} parts)"
    elif workers > 1:
        parts = [part for part in block_ranges(total, min(total, 4 * workers)) if part]
        summary = PopulationSummary.empty(spec)
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            pending = [pool.submit(_run_part, spec, part) for part in parts]
            for future in as_completed(pending):
                part_summary = future.result()
                summary = summary.merge(part_summary)
                tick(len(part_summary.blocks))
        split = f"{workers} processes ({len(parts)} parts)"
    else:
        summary = simulate_blocks(spec, range(total), on_block=lambda _: tick(1))
        split = "1 process"
    return PopulationRun(spec, summary, kb.version, rules.id, split, tuple(notes))


def _dask_workers(client: Any) -> int:
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # any client failure: fall back to one part per block group
        return 1
