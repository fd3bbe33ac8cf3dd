"""The simulation documents: `dosewise simulate --json` for one person (``dosewise.simulation/1``) and
for a virtual population (``dosewise.population/1``); the contract is documented in docs/pk.md.

Writers only: dosewise never reads these back. Numbers are rounded to significant digits for people to
read; a value that is not finite is written as null, never as a made-up number.
"""

from __future__ import annotations

from typing import Any

from dosewise.domain.pk import Parameter
from dosewise.domain.pk.runs import PERCENTILES, PersonSimulation, PopulationRun
from dosewise.formats.numbers import significant

__all__ = ["person_to_json", "population_document", "population_to_json"]


def person_to_json(run: PersonSimulation, *, curve_every_h: float | None = None) -> dict[str, Any]:
    """The documented `simulate --json` contract (docs/pk.md)."""
    result = run.result
    model = result.model
    ps = model.parameter_set

    def parameter(value: float, source: Parameter) -> dict[str, Any]:
        entry = dict(source.to_json())
        entry["value"] = significant(value, 6)
        return entry

    cl_entry = parameter(model.cl_l_per_h, ps.cl_f)
    cl_entry["reference_value"] = significant(ps.cl_f.value, 6)
    cl_entry["renal_factor"] = significant(model.renal_factor, 6)
    payload: dict[str, Any] = {
        "format": "dosewise.simulation/1",
        "kb_version": run.kb_version,
        "drug": run.drug,
        "model": {"id": ps.id, "label": ps.label, "structure": ps.structure},
        "ka_per_h": parameter(model.ka_per_h, ps.ka),
        "cl_l_per_h": cl_entry,
        "v_l": parameter(model.v_l, ps.v_f),
        "half_life_h": significant(model.half_life_h),
        "kidney": {
            "crcl_ml_min": significant(run.crcl_ml_min) if run.crcl_ml_min is not None else None,
            "basis": run.crcl_basis,
            "reference_crcl_ml_min": ps.renal.reference_crcl_ml_min.to_json(),
            "renal_fraction": ps.renal.renal_fraction.to_json(),
        },
        "units": {"concentration": "ng/mL", "auc": "ng*h/mL", "time": "h"},
        "origin": result.schedule.origin.isoformat(),
        "resolution_h": result.resolution_h,
        "cmax_ng_ml": significant(result.cmax_ng_ml),
        "tmax_h": significant(result.tmax_h),
        "cmax_at_h": significant(result.cmax_at_h),
    }
    if ps.alpha is not None:
        payload["micro_constants_per_h"] = {key: significant(value, 6) for key, value in model.micro.items()}
    if run.single_dose:
        payload["auc_basis"] = "0-inf"
        payload["auc_ng_h_ml"] = significant(result.auc_inf_ng_h_ml)
    else:
        payload["auc_basis"] = "per_day"
        payload["auc_ng_h_ml"] = [significant(day.auc_ng_h_ml) for day in result.days]
    band = result.band_ng_ml
    payload["therapeutic_band_ng_ml"] = list(band) if band else None
    payload["hours_in_band"] = significant(result.hours_in_band)
    payload["hours_above_band"] = significant(result.hours_above_band)
    payload["days"] = [
        {
            "date": day.day.isoformat(),
            "dose_mg": significant(day.dose_mg),
            "cmax_ng_ml": significant(day.cmax_ng_ml),
            "cmin_ng_ml": significant(day.cmin_ng_ml),
            "auc_ng_h_ml": significant(day.auc_ng_h_ml),
            "hours_in_band": significant(day.hours_in_band),
            "hours_above_band": significant(day.hours_above_band),
        }
        for day in result.days
    ]
    steady = result.steady
    payload["steady_state"] = (
        None
        if steady is None
        else {
            "cmax_ng_ml": significant(steady.cmax_ng_ml),
            "cmin_ng_ml": significant(steady.cmin_ng_ml),
            "cavg_ng_ml": significant(steady.cavg_ng_ml),
            "auc_24h_ng_h_ml": significant(steady.auc_24h_ng_h_ml),
            "hours_to_90_percent": significant(steady.hours_to_90_percent),
            "reached_on": steady.reached_on.isoformat() if steady.reached_on else None,
        }
    )
    payload["exposure_ratio_vs_reference"] = {key: significant(value) for key, value in run.ratios.items()}
    payload["warnings"] = list(run.warnings)
    if curve_every_h:
        stride = max(1, round(curve_every_h / result.resolution_h))
        payload["curve"] = {
            "t_h": [significant(t, 6) for t in result.times_h[::stride]],
            "ng_ml": [significant(c) for c in result.concentration_ng_ml[::stride]],
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
        "t_h": [significant(t, 6) for t in spec.percentile_times_h()],
        "percentiles_ng_ml": {
            f"p{int(q)}": [significant(v) for v in row] for q, row in zip(PERCENTILES, quantiles, strict=True)
        },
        "fraction_above_threshold": [significant(v) for v in summary.above / max(summary.subjects, 1)],
        "days": [
            {
                "date": window.day.isoformat(),
                **{f"cmax_p{int(q)}_ng_ml": significant(cmax_q[i][d]) for i, q in enumerate(PERCENTILES)},
                **{f"auc_p{int(q)}_ng_h_ml": significant(auc_q[i][d]) for i, q in enumerate(PERCENTILES)},
            }
            for d, window in enumerate(spec.schedule.days)
        ],
        "warnings": list(run.warnings),
    }


def population_document(run: PopulationRun) -> dict[str, Any]:
    """The whole `simulate --population --json` document: its envelope around :func:`population_to_json`."""
    return {
        "format": "dosewise.population/1",
        "kb_version": run.kb_version,
        "drug": run.drug,
        "population": population_to_json(run),
    }
