"""`dosewise simulate DRUG`: predicted levels for a plan, a dose, a dose history or a virtual population.

numpy and matplotlib are imported inside ``run`` only, so the other commands keep their start-up budget.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from typing import Any

from dosewise.cli.common import add_patient_option, load_kb, load_patient, parse_date, split_list
from dosewise.cli.output import emit, read_document
from dosewise.domain.errors import InvalidInput

__all__ = ["ProgressBar", "register", "run"]

# Show a progress bar when a population run is at least this many subject-samples: about a second on the
# compiled kernel (benchmarks/pk.py: ~2.6e9 subject-samples/s on one core).
PROGRESS_FROM_SUBJECT_SAMPLES = 2_000_000_000


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "simulate", parents=parents, help="predicted drug levels for a plan, a dose or a virtual population"
    )
    parser.add_argument("drug", help="drug with a pharmacokinetic model (baclofen)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--plan", metavar="FILE", help="plan document (what `dosewise plan ... --json` prints)"
    )
    source.add_argument(
        "--dose", metavar='"10 mg"', help="one dose amount, with --single or --times-per-day/--days"
    )
    source.add_argument(
        "--history", metavar="FILE", help="doses actually taken: {timezone, doses: [{at, dose}]}"
    )
    parser.add_argument("--single", action="store_true", help="one dose only (AUC to infinity)")
    parser.add_argument("--times-per-day", type=int, metavar="N", help="doses a day with --dose")
    parser.add_argument("--days", type=int, metavar="D", help="days of dosing with --dose")
    parser.add_argument("--start", metavar="DATE", help="first day for --dose (YYYY-MM-DD; default today)")
    add_patient_option(parser)
    parser.add_argument("--model", metavar="ID", help="parameter set: simon2018 (default) or kochak1985")
    parser.add_argument(
        "--resolution", type=float, default=0.1, metavar="HOURS", help="sampling step (0.1 h)"
    )
    parser.add_argument(
        "--extra-days", type=int, default=0, metavar="N", help="simulate N days past the plan"
    )
    parser.add_argument("--population", type=int, metavar="N", help="simulate N virtual subjects")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed for --population (0)")
    parser.add_argument("--crcl-range", metavar="LOW-HIGH", help="kidney spread: CrCl uniform in mL/min")
    parser.add_argument("--crcl-list", metavar="A,B,...", help="kidney spread: CrCl values given in turn")
    parser.add_argument(
        "--threshold", type=float, metavar="NG_ML", help="fraction above this level (band top)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N", help="worker processes for --population"
    )
    parser.add_argument(
        "--dask", metavar="ADDRESS", help="run --population on a Dask scheduler ('local' starts one)"
    )
    parser.add_argument("--curve-every", type=float, metavar="HOURS", help="include the curve in --json")
    parser.add_argument("--plot", metavar="FILE", help="write the curve as .png or .svg")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", dest="progress", action="store_true", default=None, help="always show"
    )
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress")
    parser.set_defaults(handler=run)


class ProgressBar:
    """A one-line bar on stderr, redrawn at most ten times a second."""

    def __init__(self, stream: Any = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        filled = int(self.width * done / max(total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\rsimulating [{bar}] {done}/{total} subjects")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _plan(args: argparse.Namespace, kb: Any, timezone: str = "UTC") -> Any:
    from dosewise.domain.quantity import Unit, parse_quantity
    from dosewise.formats.plan_document import plan_from_document
    from dosewise.services import simulation

    if args.plan:
        if args.single or args.times_per_day or args.days:
            raise InvalidInput("--single, --times-per-day and --days go with --dose, not --plan")
        plan = plan_from_document(read_document(args.plan), kb)
        if plan.drug != kb.drug(args.drug).id:
            raise InvalidInput(f"the plan is for {plan.drug}, not {args.drug}")
        return plan, False
    dose = parse_quantity(args.dose, allowed=(Unit.MG, Unit.MCG))
    day = parse_date(args.start, date.today())
    if args.single:
        if args.times_per_day or args.days:
            raise InvalidInput("--single cannot be combined with --times-per-day or --days")
        return simulation.single_dose_plan(kb=kb, drug=args.drug, dose=dose, day=day, timezone=timezone), True
    if not args.times_per_day or not args.days:
        raise InvalidInput("with --dose, give --single or both --times-per-day N and --days D")
    plan = simulation.repeated_plan(
        kb=kb,
        drug=args.drug,
        dose=dose,
        times_per_day=args.times_per_day,
        days=args.days,
        day=day,
        timezone=timezone,
    )
    return plan, False


def _history(args: argparse.Namespace, kb: Any) -> tuple[list[Any], str]:
    from dosewise.formats.dose_history import history_from_document

    document = read_document(args.history)
    events, zone = history_from_document(document)
    named = document.get("drug")
    if named is not None and (not isinstance(named, str) or kb.drug(named).id != kb.drug(args.drug).id):
        raise InvalidInput(f"the history is for {named}, not {args.drug}")
    return events, zone


def _kidney_spread(args: argparse.Namespace) -> Any:
    from dosewise.domain.pk.population import kidney_list, kidney_range

    if args.crcl_range and args.crcl_list:
        raise InvalidInput("give --crcl-range or --crcl-list, not both")
    if args.crcl_range:
        low, sep, high = args.crcl_range.partition("-")
        try:
            return kidney_range(float(low), float(high if sep else low))
        except ValueError as exc:
            raise InvalidInput(f"--crcl-range '{args.crcl_range}' is not LOW-HIGH in mL/min") from exc
    if args.crcl_list:
        try:
            return kidney_list(float(value) for value in split_list(args.crcl_list))
        except ValueError as exc:
            raise InvalidInput(f"--crcl-list '{args.crcl_list}' is not a list of numbers") from exc
    return None


def run(args: argparse.Namespace) -> int:
    from dosewise.formats.simulation import person_to_json
    from dosewise.services import simulation

    kb = load_kb(args)
    patient = load_patient(args.patient)
    if args.population is not None:
        return _run_population(args, kb, patient)
    if args.crcl_range or args.crcl_list:
        raise InvalidInput("--crcl-range and --crcl-list need --population")
    if args.history:
        events, zone = _history(args, kb)
        person = simulation.simulate_history(
            kb=kb,
            drug=args.drug,
            doses=events,
            timezone=zone,
            patient=patient,
            model=args.model,
            resolution_h=args.resolution,
        )
    else:
        plan, single = _plan(args, kb, patient.timezone if patient else "UTC")
        person = simulation.simulate_plan(
            kb=kb,
            plan=plan,
            patient=patient,
            model=args.model,
            resolution_h=args.resolution,
            extra_days=args.extra_days,
            single_dose=single,
        )
    payload = person_to_json(person, curve_every_h=args.curve_every)
    if args.plot:
        from dosewise.exports.plots import result_figure, save_figure

        save_figure(result_figure(person.result, reference=person.reference), args.plot)
        payload["plot"] = args.plot
    emit(args.json, payload, _person_text(payload))
    return 0


def _run_population(args: argparse.Namespace, kb: Any, patient: Any) -> int:
    from dosewise.formats.simulation import population_document
    from dosewise.services import simulation

    if args.history:
        raise InvalidInput("--population runs on a plan or --dose, not a history")
    if args.population < 1:
        raise InvalidInput("--population needs at least one subject")
    plan, _ = _plan(args, kb, patient.timezone if patient else "UTC")
    client: Any = None
    cluster: Any = None
    if args.dask:
        try:
            import importlib

            distributed: Any = importlib.import_module("distributed")
        except ImportError as exc:
            raise InvalidInput("--dask needs the optional dask extra: pip install 'dosewise[dask]'") from exc
        if args.dask == "local":
            cluster = distributed.LocalCluster(
                n_workers=max(1, args.workers), processes=False, dashboard_address=None
            )
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(args.dask)
    samples = (plan.end - plan.start).days * 24 / args.resolution
    show = (
        args.progress
        if args.progress is not None
        else args.population * samples >= PROGRESS_FROM_SUBJECT_SAMPLES
    )
    try:
        population = simulation.simulate_population(
            kb=kb,
            plan=plan,
            subjects=args.population,
            seed=args.seed,
            model=args.model,
            kidney=_kidney_spread(args),
            patient=patient,
            resolution_h=args.resolution,
            threshold_ng_ml=args.threshold,
            workers=args.workers,
            dask_client=client,
            on_progress=ProgressBar() if show else None,
        )
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    payload = population_document(population)
    if args.plot:
        from dosewise.exports.plots import population_figure, save_figure

        pop: dict[str, Any] = payload["population"]
        band = kb.drug(args.drug).therapeutic_band_ng_ml
        percentiles: dict[str, list[Any]] = pop["percentiles_ng_ml"]
        save_figure(
            population_figure(
                pop["t_h"],
                _finite(percentiles["p5"]),
                _finite(percentiles["p50"]),
                _finite(percentiles["p95"]),
                band=(float(band[0]), float(band[1])) if band else None,
                marks=population.spec.schedule.marks,
            ),
            args.plot,
        )
        payload["plot"] = args.plot
    emit(args.json, payload, _population_text(payload))
    return 0


def _finite(values: list[Any]) -> list[float]:
    return [float("nan") if value is None else float(value) for value in values]


def _person_text(payload: dict[str, Any]) -> str:
    lines = [
        f"{payload['drug']}: {payload['model']['label']} (knowledge base {payload['kb_version']})",
        f"  ka {payload['ka_per_h']['value']} 1/h, CL/F {payload['cl_l_per_h']['value']} L/h, "
        f"V/F {payload['v_l']['value']} L, half-life {payload['half_life_h']} h",
        f"  kidney: {payload['kidney']['basis']}"
        + (
            f", CrCl {payload['kidney']['crcl_ml_min']} mL/min"
            if payload["kidney"]["crcl_ml_min"] is not None
            else ""
        ),
        f"  highest level {payload['cmax_ng_ml']} ng/mL, {payload['tmax_h']} h after a dose",
    ]
    if payload["auc_basis"] == "0-inf":
        lines.append(f"  AUC 0-inf {payload['auc_ng_h_ml']} ng*h/mL")
    else:
        for day in payload["days"]:
            lines.append(
                f"  {day['date']}: {day['dose_mg']} mg, Cmax {day['cmax_ng_ml']}, Cmin {day['cmin_ng_ml']} ng/mL, "
                f"AUC {day['auc_ng_h_ml']} ng*h/mL, {day['hours_above_band']} h above the band"
            )
    steady = payload.get("steady_state")
    if steady:
        lines.append(
            f"  steady state: Cmax {steady['cmax_ng_ml']}, Cmin {steady['cmin_ng_ml']} ng/mL; 90% reached "
            f"{steady['hours_to_90_percent']} h after the last step starts"
        )
    ratio = payload["exposure_ratio_vs_reference"]
    lines.append(
        f"  exposure vs reference kidney function: AUC x{ratio['auc']}, steady state x{ratio['steady_state_auc']}"
    )
    lines += [f"  note: {warning}" for warning in payload["warnings"]]
    lines.append("  Predicted levels are a model, not a measurement; they do not change the plan.")
    return "\n".join(lines)


def _population_text(payload: dict[str, Any]) -> str:
    pop = payload["population"]
    last = pop["days"][-1]
    lines = [
        f"{payload['drug']}: {pop['subjects']} virtual subjects, seed {pop['seed']}, model {pop['model']}, "
        f"kidney {pop['kidney']} ({pop['split']})",
        f"  last day {last['date']}: Cmax p5/p50/p95 {last['cmax_p5_ng_ml']}/{last['cmax_p50_ng_ml']}/"
        f"{last['cmax_p95_ng_ml']} ng/mL; AUC p50 {last['auc_p50_ng_h_ml']} ng*h/mL",
        f"  highest fraction above {pop['threshold_ng_ml']} ng/mL: {max(v or 0 for v in pop['fraction_above_threshold'])}",
        f"  percentiles: {pop['percentile_method']}",
    ]
    lines += [f"  note: {warning}" for warning in pop["warnings"]]
    return "\n".join(lines)
