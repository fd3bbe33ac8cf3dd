"""Use cases for predicted levels: one person on a plan or a dose history, and virtual populations.

Keyword-only functions over the knowledge base. Population work is split into blocks of subjects that
run in this process, in worker processes (concurrent.futures) or on a Dask cluster; the counts they
return are merged exactly, so a seed gives the same answer whichever way the work was split.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from multiprocessing import get_context
from typing import Any

from dosewise.domain.errors import InvalidInput
from dosewise.domain.patient import Patient, kidney_function
from dosewise.domain.pk import (
    DoseEvent,
    DoseSchedule,
    IndividualModel,
    Parameter,
    ParameterSet,
    SimulationRefused,
    SimulationResult,
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
    "person_to_json",
    "population_to_json",
    "repeated_plan",
    "simulate_history",
    "simulate_plan",
    "simulate_population",
    "single_dose_plan",
]

PERCENTILES = (5.0, 50.0, 95.0)
Progress = Callable[[int, int], None]


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


def _number(value: float, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def person_to_json(run: PersonSimulation, *, curve_every_h: float | None = None) -> dict[str, Any]:
    """The documented `simulate --json` contract (docs/pk.md)."""
    result = run.result
    model = result.model
    ps = model.parameter_set

    def parameter(value: float, source: Parameter) -> dict[str, Any]:
        entry = dict(source.to_json())
        entry["value"] = _number(value, 6)
        return entry

    cl_entry = parameter(model.cl_l_per_h, ps.cl_f)
    cl_entry["reference_value"] = _number(ps.cl_f.value, 6)
    cl_entry["renal_factor"] = _number(model.renal_factor, 6)
    payload: dict[str, Any] = {
        "format": "dosewise.simulation/1",
        "kb_version": run.kb_version,
        "drug": run.drug,
        "model": {"id": ps.id, "label": ps.label, "structure": ps.structure},
        "ka_per_h": parameter(model.ka_per_h, ps.ka),
        "cl_l_per_h": cl_entry,
        "v_l": parameter(model.v_l, ps.v_f),
        "half_life_h": _number(model.half_life_h),
        "kidney": {
            "crcl_ml_min": _number(run.crcl_ml_min) if run.crcl_ml_min is not None else None,
            "basis": run.crcl_basis,
            "reference_crcl_ml_min": ps.renal.reference_crcl_ml_min.to_json(),
            "renal_fraction": ps.renal.renal_fraction.to_json(),
        },
        "units": {"concentration": "ng/mL", "auc": "ng*h/mL", "time": "h"},
        "origin": result.schedule.origin.isoformat(),
        "resolution_h": result.resolution_h,
        "cmax_ng_ml": _number(result.cmax_ng_ml),
        "tmax_h": _number(result.tmax_h),
        "cmax_at_h": _number(result.cmax_at_h),
    }
    if ps.alpha is not None:
        payload["micro_constants_per_h"] = {key: _number(value, 6) for key, value in model.micro.items()}
    if run.single_dose:
        payload["auc_basis"] = "0-inf"
        payload["auc_ng_h_ml"] = _number(result.auc_inf_ng_h_ml)
    else:
        payload["auc_basis"] = "per_day"
        payload["auc_ng_h_ml"] = [_number(day.auc_ng_h_ml) for day in result.days]
    band = result.band_ng_ml
    payload["therapeutic_band_ng_ml"] = list(band) if band else None
    payload["hours_in_band"] = _number(result.hours_in_band)
    payload["hours_above_band"] = _number(result.hours_above_band)
    payload["days"] = [
        {
            "date": day.day.isoformat(),
            "dose_mg": _number(day.dose_mg),
            "cmax_ng_ml": _number(day.cmax_ng_ml),
            "cmin_ng_ml": _number(day.cmin_ng_ml),
            "auc_ng_h_ml": _number(day.auc_ng_h_ml),
            "hours_in_band": _number(day.hours_in_band),
            "hours_above_band": _number(day.hours_above_band),
        }
        for day in result.days
    ]
    steady = result.steady
    payload["steady_state"] = (
        None
        if steady is None
        else {
            "cmax_ng_ml": _number(steady.cmax_ng_ml),
            "cmin_ng_ml": _number(steady.cmin_ng_ml),
            "cavg_ng_ml": _number(steady.cavg_ng_ml),
            "auc_24h_ng_h_ml": _number(steady.auc_24h_ng_h_ml),
            "hours_to_90_percent": _number(steady.hours_to_90_percent),
            "reached_on": steady.reached_on.isoformat() if steady.reached_on else None,
        }
    )
    payload["exposure_ratio_vs_reference"] = {key: _number(value) for key, value in run.ratios.items()}
    payload["warnings"] = list(run.warnings)
    if curve_every_h:
        stride = max(1, round(curve_every_h / result.resolution_h))
        payload["curve"] = {
            "t_h": [_number(t, 6) for t in result.times_h[::stride]],
            "ng_ml": [_number(c) for c in result.concentration_ng_ml[::stride]],
        }
    return payload


def population_to_json(run: PopulationRun) -> dict[str, Any]:
    """Percentiles and the fraction above the threshold on the percentile grid (hourly by default)."""
    spec, summary = run.spec, run.summary
    bins = spec.concentration_bins
    quantiles = bins.quantiles(summary.concentration, PERCENTILES)
    cmax_q = bins.quantiles(summary.day_cmax, PERCENTILES)
    auc_q = spec.auc_bins.quantiles(summary.day_auc, PERCENTILES)
    return {
        "subjects": summary.subjects,
        "seed": spec.seed,
        "model": spec.parameter_set.id,
        "kidney": spec.kidney.describe() if spec.kidney else "reference CrCl for everyone",
        "split": run.split,
        "percentile_method": (
            f"log-spaced histogram, {bins.per_decade} bins a decade from {bins.low:g} to {bins.high:g} ng/mL; "
            f"geometric interpolation inside a bin (error below one bin, {100 * (bins.width_ratio - 1):.1f}%)"
        ),
        "threshold_ng_ml": spec.threshold_ng_ml,
        "t_h": [_number(t, 6) for t in spec.percentile_times_h()],
        "percentiles_ng_ml": {
            f"p{int(q)}": [_number(v) for v in row] for q, row in zip(PERCENTILES, quantiles, strict=True)
        },
        "fraction_above_threshold": [_number(v) for v in summary.above / max(summary.subjects, 1)],
        "days": [
            {
                "date": window.day.isoformat(),
                **{f"cmax_p{int(q)}_ng_ml": _number(cmax_q[i][d]) for i, q in enumerate(PERCENTILES)},
                **{f"auc_p{int(q)}_ng_h_ml": _number(auc_q[i][d]) for i, q in enumerate(PERCENTILES)},
            }
            for d, window in enumerate(spec.schedule.days)
        ],
        "warnings": list(run.warnings),
    }
